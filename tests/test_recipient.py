"""``Recipient`` (Nitro Enclaves attestation) is refused on every operation that takes it.

AWS answers such a call with ``CiphertextForRecipient`` (CMS EnvelopedData for
the attestation document's public key) and never with ``Plaintext``; kms_mock
cannot verify an attestation document, so it refuses clearly instead of
handing back the plaintext.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kms_mock import MockKMS, mock_kms
from kms_mock._shapes import service_model
from kms_mock.server import serve
from tests._helpers import error_of
from tests._servers import http_client, loopback_only  # noqa: F401  (the network guard of this module)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

RECIPIENT: Any = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": b"doc"}

# The operations whose input shape has a Recipient member, from botocore's model.
WITH_RECIPIENT = sorted(
    name
    for name in service_model().operation_names
    if "Recipient" in getattr(service_model().operation_model(name).input_shape, "members", {})
)


def _symmetric_key(client: KMSClient) -> str:
    return client.create_key()["KeyMetadata"]["KeyId"]


def _decrypt(client: KMSClient, **kwargs: Any) -> Any:
    key_id = _symmetric_key(client)
    blob = client.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
    return client.decrypt(CiphertextBlob=blob, **kwargs)


def _derive_shared_secret(client: KMSClient, **kwargs: Any) -> Any:
    key_id = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    peer = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = peer.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return client.derive_shared_secret(
        KeyId=key_id["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=der, **kwargs
    )


# One call per operation, made with every argument it needs to succeed.
CALLS: dict[str, Callable[..., Any]] = {
    "Decrypt": _decrypt,
    "DeriveSharedSecret": _derive_shared_secret,
    "GenerateDataKey": lambda client, **kwargs: client.generate_data_key(
        KeyId=_symmetric_key(client), KeySpec="AES_256", **kwargs
    ),
    "GenerateDataKeyPair": lambda client, **kwargs: client.generate_data_key_pair(
        KeyId=_symmetric_key(client), KeyPairSpec="ECC_NIST_P256", **kwargs
    ),
    "GenerateRandom": lambda client, **kwargs: client.generate_random(NumberOfBytes=32, **kwargs),
}


def _refusal(operation: str) -> str:
    return (
        f"not implemented by kms_mock: {operation} with Recipient (Nitro Enclaves attestation). "
        "kms_mock does not serve this yet; see the README's list of supported operations."
    )


def test_every_operation_with_a_recipient_member_is_covered() -> None:
    assert sorted(CALLS) == WITH_RECIPIENT


@pytest.mark.parametrize("operation", WITH_RECIPIENT)
def test_succeeds_without_recipient(client: KMSClient, operation: str) -> None:
    # The calls below fail only because of Recipient.
    assert CALLS[operation](client)["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("operation", WITH_RECIPIENT)
def test_recipient_is_refused(client: KMSClient, kms: MockKMS, operation: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        CALLS[operation](client, Recipient=RECIPIENT)
    assert error_of(excinfo) == ("NotImplementedByKmsMock", _refusal(operation), 501)
    assert "Plaintext" not in excinfo.value.response
    event = kms.audit_log[-1]
    assert (event["eventName"], event["errorCode"]) == (operation, "NotImplementedByKmsMock")


def test_refused_call_leaves_no_trace_of_use(client: KMSClient) -> None:
    key_id = _symmetric_key(client)
    with pytest.raises(ClientError):
        client.generate_data_key(KeyId=key_id, KeySpec="AES_256", Recipient=RECIPIENT)
    assert client.get_key_last_usage(KeyId=key_id)["KeyLastUsage"] == {}


def test_recipient_is_validated_before_it_is_refused(client: KMSClient) -> None:
    recipient: Any = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_1", "AttestationDocument": b"d"}
    with pytest.raises(ClientError) as excinfo:
        client.generate_random(NumberOfBytes=32, Recipient=recipient)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value 'RSAES_OAEP_SHA_1' at "
        "'recipient.keyEncryptionAlgorithm' failed to satisfy constraint: Member must satisfy "
        "enum value set: [RSAES_OAEP_SHA_256]",
        400,
    )


@pytest.mark.parametrize("operation", WITH_RECIPIENT)
def test_recipient_is_refused_over_http(request: pytest.FixtureRequest, operation: str) -> None:
    # The server's clients reach the same wire layer over HTTP: the same refusal.
    sent: list[str] = request.getfixturevalue("_no_network")
    with serve(mock_kms()) as server:
        client = http_client(server.url)
        with pytest.raises(ClientError) as excinfo:
            CALLS[operation](client, Recipient=RECIPIENT)
        assert error_of(excinfo) == ("NotImplementedByKmsMock", _refusal(operation), 501)
        assert "Plaintext" not in excinfo.value.response
        assert server.kms.audit_log[-1]["errorCode"] == "NotImplementedByKmsMock"
    assert sent[-1].startswith(server.url)
