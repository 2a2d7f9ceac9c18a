"""RSA Encrypt / Decrypt / ReEncrypt through boto3, checked against `cryptography`.

The ciphertext is raw RSAES-OAEP (SHA-1 or SHA-256, MGF1 with the same hash),
as AWS's is: ciphertexts the mock makes decrypt outside with the private key
it holds, and ciphertexts made outside with the public key from GetPublicKey
decrypt inside. One key per RSA spec is made once for the module (RSA_4096
generation is slow), in a backend each test activates for itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import boto3
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kms_mock import FrozenClock, MockKMS, mock_kms
from tests._helpers import (
    START,
    error_of,
    key_pair_of,
    new_key,
    raises,
    secret_derived,
    served_by,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
DRY_RUN = "The request would have succeeded, but the DryRun option is set."
ALGORITHMS = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
# Largest plaintext per (key spec, algorithm), as the API reference lists them.
LIMITS = {
    ("RSA_2048", "RSAES_OAEP_SHA_1"): 214,
    ("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
    ("RSA_3072", "RSAES_OAEP_SHA_1"): 342,
    ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
    ("RSA_4096", "RSAES_OAEP_SHA_1"): 470,
    ("RSA_4096", "RSAES_OAEP_SHA_256"): 446,
}
CASES = sorted(LIMITS)
NO_CONTEXT = "EncryptionContext is not supported with asymmetric KMS keys."


def oaep(algorithm: str) -> padding.OAEP:
    chosen = hashes.SHA1() if algorithm == "RSAES_OAEP_SHA_1" else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(chosen), algorithm=chosen, label=None)


@dataclass
class SharedKeys:
    """One RSA ENCRYPT_DECRYPT key per spec, in a stopped mock every test may serve again."""

    mock: MockKMS
    key_ids: dict[str, str]

    def private_key(self, spec: str) -> rsa.RSAPrivateKey:
        private_key = key_pair_of(self.mock, self.key_ids[spec]).private_key
        assert isinstance(private_key, rsa.RSAPrivateKey)
        return private_key


@pytest.fixture(scope="module")
def shared_keys() -> SharedKeys:
    mock = mock_kms(clock=FrozenClock(START))
    with mock:
        client = boto3.client("kms", region_name=REGION)
        key_ids = {
            spec: new_key(client, KeySpec=spec, KeyUsage="ENCRYPT_DECRYPT")["KeyId"]
            for spec in ("RSA_2048", "RSA_3072", "RSA_4096")
        }
    return SharedKeys(mock, key_ids)


@pytest.fixture
def shared(shared_keys: SharedKeys) -> Iterator[KMSClient]:
    """A client served by the module's mock (active again for this test only)."""
    with served_by(shared_keys.mock):
        yield boto3.client("kms", region_name=REGION)


def encrypt(client: KMSClient, key_id: str, algorithm: str, plaintext: bytes = b"secret") -> bytes:
    response = client.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionAlgorithm=algorithm)  # type: ignore[arg-type]
    assert response["EncryptionAlgorithm"] == algorithm
    return response["CiphertextBlob"]


def decrypt(client: KMSClient, key_id: str, algorithm: str, blob: bytes) -> dict[str, Any]:
    return dict(
        client.decrypt(CiphertextBlob=blob, KeyId=key_id, EncryptionAlgorithm=algorithm)  # type: ignore[arg-type]
    )


# --- Both ways, every spec and algorithm -------------------------------------------------


@pytest.mark.parametrize(("spec", "algorithm"), CASES)
def test_mock_ciphertexts_decrypt_outside(
    shared: KMSClient, shared_keys: SharedKeys, spec: str, algorithm: str
) -> None:
    limit = LIMITS[(spec, algorithm)]
    for plaintext in (b"x", b"s" * limit):
        blob = encrypt(shared, shared_keys.key_ids[spec], algorithm, plaintext)
        assert len(blob) == int(spec[4:]) // 8  # raw RSA: as long as the modulus
        assert shared_keys.private_key(spec).decrypt(blob, oaep(algorithm)) == plaintext


@pytest.mark.parametrize(("spec", "algorithm"), CASES)
def test_ciphertexts_made_outside_decrypt_inside(
    shared: KMSClient, shared_keys: SharedKeys, spec: str, algorithm: str
) -> None:
    key_id = shared_keys.key_ids[spec]
    public = serialization.load_der_public_key(shared.get_public_key(KeyId=key_id)["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    plaintext = b"made outside"
    response = decrypt(shared, key_id, algorithm, public.encrypt(plaintext, oaep(algorithm)))
    del response["ResponseMetadata"]
    assert response == {
        "KeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}",
        "Plaintext": plaintext,
        "EncryptionAlgorithm": algorithm,  # and no KeyMaterialId: asymmetric keys have none
    }


@pytest.mark.parametrize(("spec", "algorithm"), CASES)
def test_plaintext_size_limits(
    shared: KMSClient, shared_keys: SharedKeys, spec: str, algorithm: str
) -> None:
    limit = LIMITS[(spec, algorithm)]
    excinfo = raises(
        lambda: encrypt(shared, shared_keys.key_ids[spec], algorithm, b"s" * (limit + 1))
    )
    # Recorded for every (spec, algorithm) pair.
    message = (
        f"Algorithm {algorithm} and key spec {spec} cannot encrypt data larger than {limit} bytes."
    )
    assert error_of(excinfo) == ("ValidationException", message, 400)
    assert "message" not in excinfo.value.response


def test_ciphertexts_are_randomized(shared: KMSClient, shared_keys: SharedKeys) -> None:
    key_id = shared_keys.key_ids["RSA_2048"]
    first, second = (encrypt(shared, key_id, "RSAES_OAEP_SHA_256") for _ in range(2))
    assert first != second
    assert decrypt(shared, key_id, "RSAES_OAEP_SHA_256", second)["Plaintext"] == b"secret"


# --- What Decrypt needs -------------------------------------------------------------------


def test_decrypt_needs_the_key_id(shared: KMSClient, shared_keys: SharedKeys) -> None:
    blob = encrypt(shared, shared_keys.key_ids["RSA_2048"], "RSAES_OAEP_SHA_1")
    excinfo = raises(
        lambda: shared.decrypt(CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    )
    assert error_of(excinfo) == ("InvalidCiphertextException", "", 400)
    assert "message" not in excinfo.value.response


def test_decrypt_needs_the_algorithm(shared: KMSClient, shared_keys: SharedKeys) -> None:
    key_id = shared_keys.key_ids["RSA_2048"]
    blob = encrypt(shared, key_id, "RSAES_OAEP_SHA_1")
    excinfo = raises(lambda: shared.decrypt(CiphertextBlob=blob, KeyId=key_id))
    message = "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."
    assert error_of(excinfo) == ("InvalidKeyUsageException", message, 400)
    other = raises(lambda: decrypt(shared, key_id, "RSAES_OAEP_SHA_256", blob))
    assert error_of(other) == ("InvalidCiphertextException", "", 400)


def test_decrypt_with_another_rsa_key_or_a_bad_blob(
    shared: KMSClient, shared_keys: SharedKeys
) -> None:
    blob = encrypt(shared, shared_keys.key_ids["RSA_2048"], "RSAES_OAEP_SHA_256")
    other_key = shared_keys.key_ids["RSA_3072"]
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])  # (a fixed last byte would be the same 1 in 256)
    for key_id, bad in ((other_key, blob), (shared_keys.key_ids["RSA_2048"], tampered)):
        excinfo = raises(functools.partial(decrypt, shared, key_id, "RSAES_OAEP_SHA_256", bad))
        assert error_of(excinfo) == ("InvalidCiphertextException", "", 400)


def test_a_symmetric_ciphertext_is_no_rsa_ciphertext(client: KMSClient) -> None:
    symmetric = new_key(client)
    rsa_key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    blob = client.encrypt(KeyId=symmetric["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    excinfo = raises(lambda: decrypt(client, rsa_key["KeyId"], "RSAES_OAEP_SHA_256", blob))
    assert error_of(excinfo) == ("InvalidCiphertextException", "", 400)


def test_encryption_context_is_refused(shared: KMSClient, shared_keys: SharedKeys) -> None:
    key_id = shared_keys.key_ids["RSA_2048"]
    blob = encrypt(shared, key_id, "RSAES_OAEP_SHA_256")
    calls: list[Callable[[], object]] = [
        lambda: shared.encrypt(
            KeyId=key_id,
            Plaintext=b"x",
            EncryptionAlgorithm="RSAES_OAEP_SHA_256",
            EncryptionContext={"a": "b"},
        ),
        lambda: shared.decrypt(
            CiphertextBlob=blob,
            KeyId=key_id,
            EncryptionAlgorithm="RSAES_OAEP_SHA_256",
            EncryptionContext={"a": "b"},
        ),
    ]
    for call in calls:
        # Not recorded from AWS (⚠): the model says asymmetric keys take no context.
        assert error_of(raises(call)) == ("ValidationException", NO_CONTEXT, 400)


# --- ReEncrypt ----------------------------------------------------------------------------


def test_re_encrypt_from_rsa_to_symmetric(client: KMSClient, kms: MockKMS) -> None:
    rsa_key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    symmetric = new_key(client)
    blob = encrypt(client, rsa_key["KeyId"], "RSAES_OAEP_SHA_256")
    response = client.re_encrypt(
        CiphertextBlob=blob,
        SourceKeyId=rsa_key["KeyId"],
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
        DestinationKeyId=symmetric["KeyId"],
        DestinationEncryptionContext={"to": "symmetric"},
    )
    assert response["SourceKeyId"] == rsa_key["Arn"]
    assert response["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert response["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert "SourceKeyMaterialId" not in dict(response)  # only a symmetric side has one
    assert response["DestinationKeyMaterialId"] == symmetric["CurrentKeyMaterialId"]
    decrypted = client.decrypt(
        CiphertextBlob=response["CiphertextBlob"], EncryptionContext={"to": "symmetric"}
    )
    assert decrypted["Plaintext"] == b"secret"
    usage = client.get_key_last_usage(KeyId=rsa_key["KeyId"])["KeyLastUsage"]
    assert usage["Operation"] == "ReEncrypt"


def test_re_encrypt_from_symmetric_to_rsa_and_between_rsa_keys(client: KMSClient) -> None:
    symmetric = new_key(client)
    first = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    second = new_key(client, KeySpec="RSA_3072", KeyUsage="ENCRYPT_DECRYPT")
    blob = client.encrypt(KeyId=symmetric["KeyId"], Plaintext=b"moved")["CiphertextBlob"]
    to_rsa = client.re_encrypt(
        CiphertextBlob=blob,
        DestinationKeyId=first["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_1",
    )
    assert to_rsa["SourceKeyMaterialId"] == symmetric["CurrentKeyMaterialId"]
    assert "DestinationKeyMaterialId" not in dict(to_rsa)
    assert to_rsa["DestinationEncryptionAlgorithm"] == "RSAES_OAEP_SHA_1"
    between = client.re_encrypt(
        CiphertextBlob=to_rsa["CiphertextBlob"],
        SourceKeyId=first["Arn"],
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_1",
        DestinationKeyId=second["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert {"SourceKeyMaterialId", "DestinationKeyMaterialId"}.isdisjoint(dict(between))
    plaintext = decrypt(client, second["KeyId"], "RSAES_OAEP_SHA_256", between["CiphertextBlob"])
    assert plaintext["Plaintext"] == b"moved"


def test_re_encrypt_into_rsa_keeps_the_size_limit(client: KMSClient) -> None:
    symmetric = new_key(client)
    rsa_key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    blob = client.encrypt(KeyId=symmetric["KeyId"], Plaintext=b"p" * 191)["CiphertextBlob"]
    excinfo = raises(
        lambda: client.re_encrypt(
            CiphertextBlob=blob,
            DestinationKeyId=rsa_key["KeyId"],
            DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256",
        )
    )
    message = (
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than "
        "190 bytes."
    )
    assert error_of(excinfo) == ("ValidationException", message, 400)


def test_re_encrypt_from_rsa_needs_the_source_key(client: KMSClient) -> None:
    rsa_key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    blob = encrypt(client, rsa_key["KeyId"], "RSAES_OAEP_SHA_256")
    excinfo = raises(
        lambda: client.re_encrypt(
            CiphertextBlob=blob,
            SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
            DestinationKeyId=new_key(client)["KeyId"],
        )
    )
    assert error_of(excinfo) == ("InvalidCiphertextException", "", 400)


# --- Key states, DryRun, tracking, audit --------------------------------------------------


def test_key_states(client: KMSClient) -> None:
    key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    blob = encrypt(client, key["KeyId"], "RSAES_OAEP_SHA_256")
    client.disable_key(KeyId=key["KeyId"])
    for call in (
        lambda: encrypt(client, key["KeyId"], "RSAES_OAEP_SHA_256"),
        lambda: decrypt(client, key["KeyId"], "RSAES_OAEP_SHA_256", blob),
    ):
        assert error_of(raises(call)) == ("DisabledException", f"{key['Arn']} is disabled.", 400)
    client.schedule_key_deletion(KeyId=key["KeyId"])
    excinfo = raises(lambda: decrypt(client, key["KeyId"], "RSAES_OAEP_SHA_256", blob))
    message = f"{key['Arn']} is pending deletion."
    assert error_of(excinfo) == ("KMSInvalidStateException", message, 400)
    external = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT", Origin="EXTERNAL")
    importing = raises(lambda: encrypt(client, external["KeyId"], "RSAES_OAEP_SHA_256"))
    message = f"{external['Arn']} is pending import."
    assert error_of(importing) == ("KMSInvalidStateException", message, 400)


def test_dry_run(client: KMSClient, kms: MockKMS) -> None:
    key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    algorithm: Literal["RSAES_OAEP_SHA_256"] = "RSAES_OAEP_SHA_256"
    dry_encrypt = raises(
        lambda: client.encrypt(
            KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm=algorithm, DryRun=True
        )
    )
    assert error_of(dry_encrypt) == ("DryRunOperationException", DRY_RUN, 400)
    assert not secret_derived(kms, key["KeyId"])  # a dry-run Encrypt generates no key pair
    too_long = raises(
        lambda: client.encrypt(
            KeyId=key["KeyId"], Plaintext=b"x" * 191, EncryptionAlgorithm=algorithm, DryRun=True
        )
    )
    assert error_of(too_long)[0] == "ValidationException"
    ignore = raises(
        lambda: client.decrypt(
            KeyId=key["KeyId"],
            EncryptionAlgorithm=algorithm,
            DryRun=True,
            DryRunModifiers=["IGNORE_CIPHERTEXT"],
        )
    )
    assert error_of(ignore) == ("DryRunOperationException", DRY_RUN, 400)

    blob = encrypt(client, key["KeyId"], algorithm)
    dry_decrypt = raises(
        lambda: client.decrypt(
            CiphertextBlob=blob, KeyId=key["KeyId"], EncryptionAlgorithm=algorithm, DryRun=True
        )
    )
    assert error_of(dry_decrypt) == ("DryRunOperationException", DRY_RUN, 400)
    invalid = raises(
        lambda: client.decrypt(
            CiphertextBlob=blob[::-1],
            KeyId=key["KeyId"],
            EncryptionAlgorithm=algorithm,
            DryRun=True,
        )
    )
    assert error_of(invalid) == ("InvalidCiphertextException", "", 400)
    assert client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Encrypt"


def test_tracked_and_audited_without_a_key_material_id(
    client: KMSClient, kms: MockKMS, clock: FrozenClock
) -> None:
    key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    clock.advance(minutes=5)
    blob = encrypt(client, key["KeyId"], "RSAES_OAEP_SHA_1")
    clock.advance(minutes=5)
    decrypt(client, key["KeyId"], "RSAES_OAEP_SHA_1", blob)
    usage = client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]
    assert (usage["Operation"], usage["Timestamp"]) == ("Decrypt", clock.now())
    events = [e for e in kms.audit_log if e["eventName"] in ("Encrypt", "Decrypt")]
    assert [e["eventName"] for e in events] == ["Encrypt", "Decrypt"]
    assert all("additionalEventData" not in event for event in events)


def test_seeded_mocks_give_the_same_rsa_key() -> None:
    def public_key() -> bytes:
        with mock_kms(clock=FrozenClock(START), seed=3):
            client = boto3.client("kms", region_name=REGION)
            key_id = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyId"]
            return client.get_public_key(KeyId=key_id)["PublicKey"]

    assert public_key() == public_key()
