"""DeriveSharedSecret through boto3, checked against `cryptography`'s ECDH.

The shared secret is the raw ECDH secret: what the peer computes with its own
private key and the public key from GetPublicKey.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from kms_mock import FrozenClock, MockKMS, mock_kms
from tests._helpers import START, error_of, new_key, raises, secret_derived

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

REGION = "us-east-1"
DRY_RUN = "The request would have succeeded, but the DryRun option is set."
CURVES: dict[str, ec.EllipticCurve] = {
    "ECC_NIST_P256": ec.SECP256R1(),
    "ECC_NIST_P384": ec.SECP384R1(),
    "ECC_NIST_P521": ec.SECP521R1(),
}


def agreement_key(client: KMSClient, spec: str = "ECC_NIST_P256") -> dict[str, Any]:
    return new_key(client, KeySpec=spec, KeyUsage="KEY_AGREEMENT")


def spki(public: Any) -> bytes:
    der: bytes = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


def derive(client: KMSClient, key_id: str, public_key: bytes, **kwargs: Any) -> dict[str, Any]:
    return dict(
        client.derive_shared_secret(
            KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=public_key, **kwargs
        )
    )


@pytest.mark.parametrize("spec", list(CURVES))
def test_secret_agrees_with_cryptographys_own_exchange(client: KMSClient, spec: str) -> None:
    key = agreement_key(client, spec)
    peer = ec.generate_private_key(CURVES[spec])
    response = derive(client, key["KeyId"], spki(peer.public_key()))
    kms_public = serialization.load_der_public_key(
        client.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    )
    assert isinstance(kms_public, ec.EllipticCurvePublicKey)
    assert response["SharedSecret"] == peer.exchange(ec.ECDH(), kms_public)
    assert len(response["SharedSecret"]) == (CURVES[spec].key_size + 7) // 8
    del response["ResponseMetadata"]
    del response["SharedSecret"]
    assert response == {
        "KeyId": key["Arn"],
        "KeyAgreementAlgorithm": "ECDH",
        "KeyOrigin": "AWS_KMS",
    }


def test_two_kms_keys_agree(client: KMSClient) -> None:
    alice, bob = agreement_key(client, "ECC_NIST_P384"), agreement_key(client, "ECC_NIST_P384")
    alice_public = client.get_public_key(KeyId=alice["KeyId"])["PublicKey"]
    bob_public = client.get_public_key(KeyId=bob["KeyId"])["PublicKey"]
    assert (
        derive(client, alice["KeyId"], bob_public)["SharedSecret"]
        == derive(client, bob["KeyId"], alice_public)["SharedSecret"]
    )


def test_compressed_points_are_accepted(client: KMSClient) -> None:
    key = agreement_key(client)
    peer = ec.generate_private_key(ec.SECP256R1())
    point = peer.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    compressed = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    assert (
        derive(client, key["KeyId"], spki(compressed))["SharedSecret"]
        == derive(client, key["KeyId"], spki(peer.public_key()))["SharedSecret"]
    )


@pytest.mark.parametrize(
    "public_key",
    [
        pytest.param(b"not a public key", id="garbage"),  # recorded
        pytest.param(spki(ec.generate_private_key(ec.SECP384R1()).public_key()), id="other-curve"),
        pytest.param(spki(ec.generate_private_key(ec.SECP256K1()).public_key()), id="secp256k1"),
        pytest.param(spki(rsa.generate_private_key(65537, 1024).public_key()), id="rsa"),
        pytest.param(spki(ed25519.Ed25519PrivateKey.generate().public_key()), id="ed25519"),
    ],
)
def test_unusable_public_key_is_a_validation_error_without_text(
    client: KMSClient, public_key: bytes
) -> None:
    key = agreement_key(client)
    excinfo = raises(lambda: derive(client, key["KeyId"], public_key))
    assert error_of(excinfo) == ("ValidationException", "", 400)
    assert "message" not in excinfo.value.response


@pytest.mark.parametrize(
    "create",
    [
        {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},  # recorded
        {},  # recorded: a symmetric key is ENCRYPT_DECRYPT
        {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
    ],
)
def test_key_usage_must_be_key_agreement(client: KMSClient, create: dict[str, str]) -> None:
    key = new_key(client, **create)
    peer = spki(ec.generate_private_key(ec.SECP256R1()).public_key())
    excinfo = raises(lambda: derive(client, key["KeyId"], peer))
    usage = key["KeyUsage"]
    message = f"{key['Arn']} key usage is {usage} which is not valid for DeriveSharedSecret."
    assert error_of(excinfo) == ("InvalidKeyUsageException", message, 400)
    assert dict(excinfo.value.response).get("message") == message


def test_bad_key_agreement_algorithm_enum(client: KMSClient) -> None:
    key = agreement_key(client)
    excinfo = raises(
        lambda: client.derive_shared_secret(
            KeyId=key["KeyId"],
            KeyAgreementAlgorithm="INVALID",  # type: ignore[arg-type]
            PublicKey=b"p",
        )
    )
    assert error_of(excinfo) == (  # recorded
        "ValidationException",
        "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ECDH]",
        400,
    )


def test_secp256k1_cannot_agree(client: KMSClient) -> None:
    excinfo = raises(lambda: agreement_key(client, "ECC_SECG_P256K1"))
    message = "KeyUsage KEY_AGREEMENT is not compatible with KeySpec ECC_SECG_P256K1"
    assert error_of(excinfo) == ("ValidationException", message, 400)


def test_key_states(client: KMSClient) -> None:
    key = agreement_key(client)
    peer = spki(ec.generate_private_key(ec.SECP256R1()).public_key())
    client.disable_key(KeyId=key["KeyId"])
    disabled = raises(lambda: derive(client, key["KeyId"], peer))
    assert error_of(disabled) == ("DisabledException", f"{key['Arn']} is disabled.", 400)
    client.schedule_key_deletion(KeyId=key["KeyId"])
    pending = raises(lambda: derive(client, key["KeyId"], peer))
    message = f"{key['Arn']} is pending deletion."
    assert error_of(pending) == ("KMSInvalidStateException", message, 400)
    external = new_key(client, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT", Origin="EXTERNAL")
    importing = raises(lambda: derive(client, external["KeyId"], peer))
    message = f"{external['Arn']} is pending import."
    assert error_of(importing) == ("KMSInvalidStateException", message, 400)


def test_dry_run_checks_the_public_key_and_derives_nothing(client: KMSClient, kms: MockKMS) -> None:
    key = agreement_key(client)
    peer = spki(ec.generate_private_key(ec.SECP256R1()).public_key())
    excinfo = raises(lambda: derive(client, key["KeyId"], peer, DryRun=True))
    assert error_of(excinfo) == ("DryRunOperationException", DRY_RUN, 400)
    bad = raises(lambda: derive(client, key["KeyId"], b"garbage", DryRun=True))
    assert error_of(bad) == ("ValidationException", "", 400)
    assert not secret_derived(kms, key["KeyId"])


def test_tracked_and_audited(client: KMSClient, kms: MockKMS, clock: FrozenClock) -> None:
    key = agreement_key(client)
    clock.advance(days=1)
    derive(client, key["KeyId"], spki(ec.generate_private_key(ec.SECP256R1()).public_key()))
    usage = client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]
    assert (usage["Operation"], usage["Timestamp"]) == ("DeriveSharedSecret", clock.now())
    (event,) = [e for e in kms.audit_log if e["eventName"] == "DeriveSharedSecret"]
    assert event["resources"][0]["ARN"] == key["Arn"]


def test_seeded_mocks_derive_the_same_secret() -> None:
    peer = ec.derive_private_key(123456789, ec.SECP256R1())

    def secret(seed: int) -> bytes:
        with mock_kms(clock=FrozenClock(START), seed=seed):
            client = boto3.client("kms", region_name=REGION)
            key_id = agreement_key(client)["KeyId"]
            return bytes(derive(client, key_id, spki(peer.public_key()))["SharedSecret"])

    assert secret(1) == secret(1)
    assert secret(1) != secret(2)
