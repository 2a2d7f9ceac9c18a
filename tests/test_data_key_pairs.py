"""GenerateDataKeyPair / GenerateDataKeyPairWithoutPlaintext through boto3.

For every pair spec: the DER SubjectPublicKeyInfo is the public half of the
DER PKCS#8 private key, and the sealed private key decrypts with Decrypt under
the symmetric key, with the KeyMaterialId the response named.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from kms_mock import FrozenClock, MockKMS, mock_kms
from tests._helpers import START, error_of, new_key, raises

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

REGION = "us-east-1"
DRY_RUN = "The request would have succeeded, but the DryRun option is set."
OPERATIONS = ["GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"]
# Pair spec -> what its private key is (SM2: refused, see below).
SPECS: dict[str, Callable[[Any], bool]] = {
    "RSA_2048": lambda k: isinstance(k, rsa.RSAPrivateKey) and k.key_size == 2048,
    "RSA_3072": lambda k: isinstance(k, rsa.RSAPrivateKey) and k.key_size == 3072,
    "RSA_4096": lambda k: isinstance(k, rsa.RSAPrivateKey) and k.key_size == 4096,
    "ECC_NIST_P256": lambda k: (
        isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.name == "secp256r1"
    ),
    "ECC_NIST_P384": lambda k: (
        isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.name == "secp384r1"
    ),
    "ECC_NIST_P521": lambda k: (
        isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.name == "secp521r1"
    ),
    "ECC_SECG_P256K1": lambda k: (
        isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.name == "secp256k1"
    ),
    "ECC_NIST_EDWARDS25519": lambda k: isinstance(k, ed25519.Ed25519PrivateKey),
}


def generate(client: KMSClient, operation: str, **kwargs: Any) -> dict[str, Any]:
    call = (
        client.generate_data_key_pair
        if operation == "GenerateDataKeyPair"
        else client.generate_data_key_pair_without_plaintext
    )
    response = dict(call(**kwargs))
    del response["ResponseMetadata"]
    return response


def public_der(private_key: Any) -> bytes:
    der: bytes = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


def test_the_model_lists_these_specs_and_sm2() -> None:
    from kms_mock._shapes import service_model

    enum = service_model().shape_for("DataKeyPairSpec").metadata["enum"]
    assert set(enum) == set(SPECS) | {"SM2"}


@pytest.mark.parametrize("spec", list(SPECS))
def test_every_pair_spec(client: KMSClient, spec: str) -> None:
    key = new_key(client)
    context = {"purpose": "data key pair"}
    for operation in OPERATIONS:
        response = generate(
            client, operation, KeyId=key["KeyId"], KeyPairSpec=spec, EncryptionContext=context
        )
        decrypted = client.decrypt(
            CiphertextBlob=response["PrivateKeyCiphertextBlob"], EncryptionContext=context
        )
        private_der = decrypted["Plaintext"]
        if operation == "GenerateDataKeyPair":
            assert response.pop("PrivateKeyPlaintext") == private_der
        private_key = serialization.load_der_private_key(private_der, password=None)  # PKCS#8
        assert SPECS[spec](private_key)
        assert response.pop("PublicKey") == public_der(private_key)  # DER SPKI of that key
        assert response.pop("PrivateKeyCiphertextBlob")
        assert response == {
            "KeyId": key["Arn"],
            "KeyPairSpec": spec,
            "KeyMaterialId": key["CurrentKeyMaterialId"],
        }
        assert decrypted["KeyMaterialId"] == key["CurrentKeyMaterialId"]


def test_pkcs8_and_spki_encodings(client: KMSClient) -> None:
    key = new_key(client)
    response = generate(client, "GenerateDataKeyPair", KeyId=key["KeyId"], KeyPairSpec="RSA_2048")
    private_key = serialization.load_der_private_key(response["PrivateKeyPlaintext"], None)
    assert response["PrivateKeyPlaintext"] == private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert serialization.load_der_public_key(response["PublicKey"]) == private_key.public_key()


def test_every_call_gives_a_new_pair(client: KMSClient) -> None:
    key = new_key(client)
    publics = {
        generate(client, operation, KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256")["PublicKey"]
        for operation in OPERATIONS * 2
    }
    assert len(publics) == 4


def test_the_context_is_needed_to_decrypt_the_private_key(client: KMSClient) -> None:
    key = new_key(client)
    response = generate(
        client,
        "GenerateDataKeyPairWithoutPlaintext",
        KeyId=key["KeyId"],
        KeyPairSpec="ECC_NIST_P256",
        EncryptionContext={"a": "b"},
    )
    excinfo = raises(lambda: client.decrypt(CiphertextBlob=response["PrivateKeyCiphertextBlob"]))
    assert error_of(excinfo) == ("InvalidCiphertextException", "", 400)


def test_old_private_keys_decrypt_after_rotation(client: KMSClient) -> None:
    key = new_key(client)
    before = generate(
        client, "GenerateDataKeyPair", KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P384"
    )
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    after = generate(client, "GenerateDataKeyPair", KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P384")
    assert before["KeyMaterialId"] != after["KeyMaterialId"]
    for response in (before, after):
        decrypted = client.decrypt(CiphertextBlob=response["PrivateKeyCiphertextBlob"])
        assert decrypted["Plaintext"] == response["PrivateKeyPlaintext"]
        assert decrypted["KeyMaterialId"] == response["KeyMaterialId"]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_sm2_is_refused_clearly(client: KMSClient, operation: str) -> None:
    key = new_key(client)
    excinfo = raises(lambda: generate(client, operation, KeyId=key["KeyId"], KeyPairSpec="SM2"))
    assert error_of(excinfo) == (
        "NotImplementedByKmsMock",
        f"not implemented by kms_mock: {operation} with KeyPairSpec SM2: the cryptography "
        "package has no SM2. kms_mock does not serve this yet; see the README's list of "
        "supported operations.",
        501,
    )


@pytest.mark.parametrize("operation", OPERATIONS)
def test_dry_run(client: KMSClient, kms: MockKMS, operation: str) -> None:
    key = new_key(client)
    excinfo = raises(
        lambda: generate(client, operation, KeyId=key["KeyId"], KeyPairSpec="RSA_4096", DryRun=True)
    )
    assert error_of(excinfo) == ("DryRunOperationException", DRY_RUN, 400)  # recorded
    assert dict(excinfo.value.response).get("message") == DRY_RUN
    assert client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"] == {}


@pytest.mark.parametrize(
    ("create", "message"),
    [
        (
            {"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
            "{arn} key KeySpec is RSA_2048 which is not valid for {operation}.",
        ),
        (
            {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
            "{arn} key usage is SIGN_VERIFY which is not valid for {operation}.",
        ),
        (
            {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
            "{arn} key usage is GENERATE_VERIFY_MAC which is not valid for {operation}.",
        ),
    ],
)
def test_only_symmetric_encryption_keys(
    client: KMSClient, create: dict[str, str], message: str
) -> None:
    key = new_key(client, **create)
    for operation in OPERATIONS:
        excinfo = raises(
            functools.partial(
                generate, client, operation, KeyId=key["KeyId"], KeyPairSpec="RSA_2048"
            )
        )
        expected = message.format(arn=key["Arn"], operation=operation)
        assert error_of(excinfo) == ("InvalidKeyUsageException", expected, 400)


def test_bad_key_pair_spec_enum(client: KMSClient) -> None:
    key = new_key(client)
    excinfo = raises(
        lambda: generate(client, "GenerateDataKeyPair", KeyId=key["KeyId"], KeyPairSpec="RSA_1024")
    )
    code, message, _ = error_of(excinfo)
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'RSA_1024' at 'keyPairSpec' failed to satisfy "
        "constraint: Member must satisfy enum value set: [RSA_2048, "
    )


def test_key_states(client: KMSClient) -> None:
    key = new_key(client)
    client.disable_key(KeyId=key["KeyId"])
    for operation in OPERATIONS:
        excinfo = raises(
            functools.partial(
                generate, client, operation, KeyId=key["KeyId"], KeyPairSpec="RSA_2048"
            )
        )
        assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.", 400)
    external = new_key(client, Origin="EXTERNAL")
    excinfo = raises(
        lambda: generate(
            client, "GenerateDataKeyPair", KeyId=external["KeyId"], KeyPairSpec="ECC_NIST_P256"
        )
    )
    message = f"{external['Arn']} is pending import."
    assert error_of(excinfo) == ("KMSInvalidStateException", message, 400)


def test_tracked_and_audited_with_the_key_material_id(
    client: KMSClient, kms: MockKMS, clock: FrozenClock
) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/pairs", TargetKeyId=key["KeyId"])
    for operation in OPERATIONS:
        clock.advance(seconds=30)
        generate(client, operation, KeyId="alias/pairs", KeyPairSpec="ECC_NIST_P256")
        usage = client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]
        assert (usage["Operation"], usage["Timestamp"]) == (operation, clock.now())
    events = [e for e in kms.audit_log if e["eventName"] in OPERATIONS]
    assert [e["eventName"] for e in events] == OPERATIONS
    for event in events:
        assert event["additionalEventData"] == {"keyMaterialId": key["CurrentKeyMaterialId"]}
        assert event["resources"][0]["ARN"] == key["Arn"]


def _pairs(seed: int, specs: tuple[str, ...]) -> list[tuple[bytes, bytes, bytes]]:
    with mock_kms(clock=FrozenClock(START), seed=seed):
        client = boto3.client("kms", region_name=REGION)
        key_id = new_key(client)["KeyId"]
        responses = [
            generate(client, "GenerateDataKeyPair", KeyId=key_id, KeyPairSpec=spec)
            for spec in specs
        ]
        return [
            (r["PublicKey"], r["PrivateKeyPlaintext"], r["PrivateKeyCiphertextBlob"])
            for r in responses
        ]


def test_seeded_mocks_give_the_same_pairs() -> None:
    specs = ("ECC_NIST_P256", "ECC_NIST_EDWARDS25519", "RSA_2048")
    assert _pairs(9, specs) == _pairs(9, specs)
    ecc = specs[:2]
    assert all(a[0] != b[0] for a, b in zip(_pairs(9, ecc), _pairs(10, ecc), strict=True))
