"""Encrypt, Decrypt, ReEncrypt and GenerateDataKey*, end to end through boto3."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import boto3
import pytest
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._ciphertext import NONCE_SIZE, parse
from tests._helpers import START, audit_of, error_of, new_key, raises, stores

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
ARN_PREFIX = f"arn:aws:kms:us-east-1:{ACCOUNT}:"
NO_SUCH_KEY = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in "
    "this region, or you are not allowed to access."
)
INCORRECT_KEY = "The key ID in the request does not identify a CMK that can perform this operation."
DRY_RUN = "The request would have succeeded, but the DryRun option is set."
EITHER_SIZE = "Please specify either number of bytes or key spec."
CONTEXT = {"purpose": "test", "tenant": "acme"}

Call = Callable[["KMSClient"], object]


def current_material(client: KMSClient, key_id: str) -> str:
    return client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]


def encrypt(client: KMSClient, key_id: str, plaintext: bytes = b"secret", **kwargs: Any) -> bytes:
    return client.encrypt(KeyId=key_id, Plaintext=plaintext, **kwargs)["CiphertextBlob"]


def members(response: Any) -> set[str]:
    return set(response) - {"ResponseMetadata"}


def assert_invalid_ciphertext(excinfo: pytest.ExceptionInfo[ClientError]) -> None:
    """AWS sends InvalidCiphertextException with no message member at all."""
    assert error_of(excinfo) == ("InvalidCiphertextException", "", 400)
    assert "message" not in excinfo.value.response


def assert_error(
    excinfo: pytest.ExceptionInfo[ClientError], code: str, message: str, *, modeled: bool = True
) -> None:
    assert error_of(excinfo) == (code, message, 400)
    # Errors modeled in KMS carry a top-level "message"; the common ValidationException and
    # AccessDeniedException (not in KMS's model) never do.
    assert ("message" in excinfo.value.response) is modeled


def last_usage(client: KMSClient, key_id: str) -> Any:
    return client.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]


# --- Round trips and response members ------------------------------------------------------


@pytest.mark.parametrize("form", ["key id", "key ARN", "alias name", "alias ARN"])
def test_round_trip_by_every_identifier_form(client: KMSClient, form: str) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    identifier = {
        "key id": key["KeyId"],
        "key ARN": key["Arn"],
        "alias name": "alias/app",
        "alias ARN": ARN_PREFIX + "alias/app",
    }[form]

    response = client.encrypt(KeyId=identifier, Plaintext=b"payload")
    assert response["KeyId"] == key["Arn"]
    blob = response["CiphertextBlob"]

    with_key = client.decrypt(CiphertextBlob=blob, KeyId=identifier)
    without_key = client.decrypt(CiphertextBlob=blob)
    assert with_key["Plaintext"] == without_key["Plaintext"] == b"payload"
    assert with_key["KeyId"] == without_key["KeyId"] == key["Arn"]


def test_encrypt_response_has_exactly_blob_key_arn_and_algorithm(client: KMSClient) -> None:
    key = new_key(client)
    response = client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert members(response) == {"CiphertextBlob", "KeyId", "EncryptionAlgorithm"}
    assert "KeyMaterialId" not in response
    assert response["KeyId"] == key["Arn"]
    assert response["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"


def test_decrypt_response_names_the_material_that_encrypted(client: KMSClient) -> None:
    key = new_key(client)
    material = current_material(client, key["KeyId"])
    response = client.decrypt(CiphertextBlob=encrypt(client, key["KeyId"]))
    assert members(response) == {"KeyId", "Plaintext", "EncryptionAlgorithm", "KeyMaterialId"}
    assert response["KeyId"] == key["Arn"]
    assert response["Plaintext"] == b"secret"
    assert response["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert response["KeyMaterialId"] == material == key["CurrentKeyMaterialId"]


def test_every_byte_value_round_trips(client: KMSClient) -> None:
    key = new_key(client)
    plaintext = bytes(range(256))
    blob = encrypt(client, key["KeyId"], plaintext)
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext


def test_encrypting_twice_gives_different_ciphertexts(client: KMSClient) -> None:
    key = new_key(client)
    first, second = encrypt(client, key["KeyId"]), encrypt(client, key["KeyId"])
    assert first != second
    assert client.decrypt(CiphertextBlob=first)["Plaintext"] == b"secret"
    assert client.decrypt(CiphertextBlob=second)["Plaintext"] == b"secret"


def test_old_ciphertext_decrypts_with_its_own_material_after_rotations(
    client: KMSClient,
) -> None:
    key = new_key(client)
    blobs: list[tuple[bytes, bytes, str]] = []
    for version in range(4):
        plaintext = f"version {version}".encode()
        material = current_material(client, key["KeyId"])
        blobs.append((encrypt(client, key["KeyId"], plaintext), plaintext, material))
        client.rotate_key_on_demand(KeyId=key["KeyId"])

    assert len({material for _, _, material in blobs}) == 4
    after = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (after["KeyId"], after["Arn"]) == (key["KeyId"], key["Arn"])
    assert after["CurrentKeyMaterialId"] not in {material for _, _, material in blobs}
    for blob, plaintext, material in blobs:
        response = client.decrypt(CiphertextBlob=blob)
        assert response["Plaintext"] == plaintext
        assert response["KeyMaterialId"] == material
        assert response["KeyId"] == key["Arn"]

    fresh = client.decrypt(CiphertextBlob=encrypt(client, key["KeyId"]))
    assert fresh["KeyMaterialId"] == after["CurrentKeyMaterialId"]


def test_aws_managed_key_encrypts_and_decrypts(kms: MockKMS, client: KMSClient) -> None:
    with kms.via_service("s3"):  # its key policy lets S3 use it, not the caller directly
        response = client.encrypt(KeyId="alias/aws/s3", Plaintext=b"object key")
    managed = client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert response["KeyId"] == managed["Arn"]
    with kms.via_service("s3"):
        decrypted = client.decrypt(CiphertextBlob=response["CiphertextBlob"])
    assert decrypted["Plaintext"] == b"object key"
    assert decrypted["KeyMaterialId"] == managed["CurrentKeyMaterialId"]


def test_grant_tokens_up_to_ten_are_accepted(client: KMSClient) -> None:
    key = new_key(client)
    # Tokens CreateGrant made: any other string is InvalidGrantTokenException.
    tokens = [
        client.create_grant(
            KeyId=key["KeyId"],
            GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:root",
            Operations=["Decrypt"],
        )["GrantToken"]
        for _ in range(10)
    ]
    blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=tokens)["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob, GrantTokens=tokens)["Plaintext"] == b"x"
    data_key = client.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", GrantTokens=tokens)
    assert len(data_key["Plaintext"]) == 32


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, k, t: c.encrypt(KeyId=k, Plaintext=b"x", GrantTokens=t), id="enc"),
        pytest.param(
            lambda c, k, t: c.generate_data_key(KeyId=k, NumberOfBytes=8, GrantTokens=t), id="gdk"
        ),
    ],
)
def test_eleven_grant_tokens_are_rejected(
    client: KMSClient, call: Callable[[KMSClient, str, list[str]], object]
) -> None:
    key = new_key(client)
    excinfo = raises(lambda: call(client, key["KeyId"], ["t"] * 11))
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value ")
    assert message.endswith(
        " at 'grantTokens' failed to satisfy constraint: "
        "Member must have length less than or equal to 10"
    )


# --- Encryption context --------------------------------------------------------------------


def test_context_order_does_not_matter(client: KMSClient) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"], EncryptionContext={"a": "1", "b": "2", "c": "3"})
    reordered = {"c": "3", "a": "1", "b": "2"}
    assert list(reordered) != ["a", "b", "c"]
    response = client.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)
    assert response["Plaintext"] == b"secret"


def test_context_with_unicode_round_trips(client: KMSClient) -> None:
    key = new_key(client)
    context = {"名前": "値", "emoji": "🔑", "empty": ""}
    blob = encrypt(client, key["KeyId"], EncryptionContext=context)
    assert client.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == b"secret"
    assert_invalid_ciphertext(
        raises(lambda: client.decrypt(CiphertextBlob=blob, EncryptionContext={"名前": "値"}))
    )


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(None, id="missing"),
        pytest.param({"purpose": "test"}, id="one-pair-missing"),
        pytest.param({**CONTEXT, "extra": "x"}, id="extra-pair"),
        pytest.param({"purpose": "Test", "tenant": "acme"}, id="value-case"),
        pytest.param({"Purpose": "test", "tenant": "acme"}, id="key-case"),
        pytest.param({"purpose": "prod", "tenant": "acme"}, id="different-value"),
        pytest.param({"purpose": "acme", "tenant": "test"}, id="values-swapped"),
    ],
)
def test_wrong_context_is_invalid_ciphertext_without_message(
    client: KMSClient, context: dict[str, str] | None
) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"], EncryptionContext=CONTEXT)
    kwargs: dict[str, Any] = {} if context is None else {"EncryptionContext": context}
    assert_invalid_ciphertext(raises(lambda: client.decrypt(CiphertextBlob=blob, **kwargs)))
    # The right context still works: nothing was consumed or changed.
    assert client.decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)["Plaintext"] == b"secret"


def test_context_given_where_none_was_used_is_invalid(client: KMSClient) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"])
    assert_invalid_ciphertext(
        raises(lambda: client.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"}))
    )


def test_empty_context_is_the_same_as_none(client: KMSClient) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"], EncryptionContext={})
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


# --- Tampering -----------------------------------------------------------------------------


def _flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes((blob[index] ^ 0x01,)) + blob[index + 1 :]


def _offsets(blob: bytes) -> dict[str, int]:
    header = len(parse(blob).header)
    return {
        "magic": 0,
        "version": 5,
        "material": 6,
        "context digest": 40,
        "nonce": header - NONCE_SIZE,
        "body": header,
        "tag": len(blob) - 1,
    }


@pytest.mark.parametrize(
    "part", ["magic", "version", "material", "context digest", "nonce", "body", "tag"]
)
def test_flipped_byte_is_invalid_ciphertext(client: KMSClient, part: str) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"], b"0123456789")
    tampered = _flip(blob, _offsets(blob)[part])
    assert_invalid_ciphertext(raises(lambda: client.decrypt(CiphertextBlob=tampered)))
    assert_invalid_ciphertext(
        raises(lambda: client.decrypt(CiphertextBlob=tampered, KeyId=key["KeyId"]))
    )


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda b: b[:-1], id="truncated-by-one"),
        pytest.param(lambda b: b[:40], id="truncated-in-header"),
        pytest.param(lambda b: b[:5], id="magic-only"),
        pytest.param(lambda b: b + b"bad_data", id="appended"),
        pytest.param(lambda b: b[68:], id="first-68-bytes-removed"),
        pytest.param(lambda b: b"garbage bytes, not a ciphertext", id="garbage"),
        pytest.param(lambda b: bytes(200), id="zeros"),
    ],
)
def test_mangled_ciphertext_is_invalid_ciphertext(
    client: KMSClient, mangle: Callable[[bytes], bytes]
) -> None:
    key = new_key(client)
    blob = mangle(encrypt(client, key["KeyId"]))
    assert_invalid_ciphertext(raises(lambda: client.decrypt(CiphertextBlob=blob)))


def test_no_single_byte_change_ever_decrypts(client: KMSClient) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"], b"abc")
    envelope = parse(blob)
    key_ref = range(70, len(envelope.header) - NONCE_SIZE)  # length byte + "<region>:..."
    for index in range(len(blob)):
        with pytest.raises(ClientError) as excinfo:
            client.decrypt(CiphertextBlob=_flip(blob, index))
        code, message, _ = error_of(excinfo)
        assert message in ("", NO_SUCH_KEY), index
        if index not in key_ref:
            assert code == "InvalidCiphertextException", index
        else:
            # A changed key reference names a key that does not exist here.
            assert code in ("InvalidCiphertextException", "AccessDeniedException"), index


def test_changed_key_reference_is_access_denied(client: KMSClient) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"])
    last_id_char = len(parse(blob).header) - NONCE_SIZE - 1
    excinfo = raises(lambda: client.decrypt(CiphertextBlob=_flip(blob, last_id_char)))
    assert_error(excinfo, "AccessDeniedException", NO_SUCH_KEY, modeled=False)


# --- Which key: IncorrectKeyException and AccessDeniedException -------------------------


@pytest.mark.parametrize("form", ["key id", "key ARN", "alias"])
def test_decrypt_with_another_keys_id_is_incorrect_key(client: KMSClient, form: str) -> None:
    key, other = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/other", TargetKeyId=other["KeyId"])
    named = {"key id": other["KeyId"], "key ARN": other["Arn"], "alias": "alias/other"}[form]
    blob = encrypt(client, key["KeyId"])
    excinfo = raises(lambda: client.decrypt(CiphertextBlob=blob, KeyId=named))
    assert_error(excinfo, "IncorrectKeyException", INCORRECT_KEY)


def test_decrypt_with_an_hmac_key_id_is_incorrect_key(client: KMSClient) -> None:
    key = new_key(client)
    hmac_key = new_key(client, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    blob = encrypt(client, key["KeyId"])
    excinfo = raises(lambda: client.decrypt(CiphertextBlob=blob, KeyId=hmac_key["KeyId"]))
    assert_error(excinfo, "IncorrectKeyException", INCORRECT_KEY)


def test_re_encrypt_with_another_source_key_is_incorrect_key(client: KMSClient) -> None:
    key, other = new_key(client), new_key(client)
    blob = encrypt(client, key["KeyId"])
    excinfo = raises(
        lambda: client.re_encrypt(
            CiphertextBlob=blob, SourceKeyId=other["KeyId"], DestinationKeyId=other["KeyId"]
        )
    )
    assert_error(excinfo, "IncorrectKeyException", INCORRECT_KEY)


def test_ciphertext_of_a_deleted_key_is_access_denied(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"])
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    pending = raises(lambda: client.decrypt(CiphertextBlob=blob))
    assert_error(pending, "KMSInvalidStateException", f"{key['Arn']} is pending deletion.")

    clock.advance(days=31)
    excinfo = raises(lambda: client.decrypt(CiphertextBlob=blob))
    assert_error(excinfo, "AccessDeniedException", NO_SUCH_KEY, modeled=False)
    re_encrypted = raises(
        lambda: client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=new_key(client)["KeyId"])
    )
    assert_error(re_encrypted, "AccessDeniedException", NO_SUCH_KEY, modeled=False)


def test_ciphertext_from_another_region_is_access_denied(client: KMSClient) -> None:
    europe = boto3.client("kms", region_name="eu-west-1")
    key = new_key(europe)
    blob = encrypt(europe, key["KeyId"])

    excinfo = raises(lambda: client.decrypt(CiphertextBlob=blob))
    assert_error(excinfo, "AccessDeniedException", NO_SUCH_KEY, modeled=False)
    assert europe.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


def test_ciphertext_from_another_mock_is_access_denied() -> None:
    with mock_kms(clock=FrozenClock(START)):
        first = boto3.client("kms", region_name="us-east-1")
        blob = encrypt(first, new_key(first)["KeyId"])
    with mock_kms(clock=FrozenClock(START)):
        second = boto3.client("kms", region_name="us-east-1")
        excinfo = raises(lambda: second.decrypt(CiphertextBlob=blob))
    assert_error(excinfo, "AccessDeniedException", NO_SUCH_KEY, modeled=False)


# --- Key states ----------------------------------------------------------------------------

USING_THE_KEY: dict[str, Callable[[KMSClient, str], object]] = {
    "Encrypt": lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),
    "GenerateDataKey": lambda c, k: c.generate_data_key(KeyId=k, KeySpec="AES_256"),
    "GenerateDataKeyWithoutPlaintext": lambda c, k: c.generate_data_key_without_plaintext(
        KeyId=k, KeySpec="AES_256"
    ),
}


@pytest.mark.parametrize("operation", list(USING_THE_KEY))
def test_disabled_key_is_disabled_exception(client: KMSClient, operation: str) -> None:
    key = new_key(client)
    client.disable_key(KeyId=key["KeyId"])
    excinfo = raises(lambda: USING_THE_KEY[operation](client, key["KeyId"]))
    assert_error(excinfo, "DisabledException", f"{key['Arn']} is disabled.")


@pytest.mark.parametrize("operation", list(USING_THE_KEY))
def test_pending_deletion_key_is_invalid_state(client: KMSClient, operation: str) -> None:
    key = new_key(client)
    client.schedule_key_deletion(KeyId=key["KeyId"])
    excinfo = raises(lambda: USING_THE_KEY[operation](client, key["KeyId"]))
    assert_error(excinfo, "KMSInvalidStateException", f"{key['Arn']} is pending deletion.")


@pytest.mark.parametrize("operation", list(USING_THE_KEY))
def test_key_pending_import_is_invalid_state(client: KMSClient, operation: str) -> None:
    key = new_key(client, Origin="EXTERNAL")
    assert key["KeyState"] == "PendingImport"
    excinfo = raises(lambda: USING_THE_KEY[operation](client, key["KeyId"]))
    assert_error(excinfo, "KMSInvalidStateException", f"{key['Arn']} is pending import.")


def test_ciphertext_of_a_disabled_key_does_not_decrypt_until_enabled(client: KMSClient) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"])
    client.disable_key(KeyId=key["KeyId"])
    excinfo = raises(lambda: client.decrypt(CiphertextBlob=blob))
    assert_error(excinfo, "DisabledException", f"{key['Arn']} is disabled.")

    client.enable_key(KeyId=key["KeyId"])
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


def test_re_encrypt_checks_the_state_of_both_keys(client: KMSClient) -> None:
    source, destination = new_key(client), new_key(client)
    blob = encrypt(client, source["KeyId"])
    client.disable_key(KeyId=destination["KeyId"])
    to_disabled = raises(
        lambda: client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["KeyId"])
    )
    assert_error(to_disabled, "DisabledException", f"{destination['Arn']} is disabled.")

    client.enable_key(KeyId=destination["KeyId"])
    client.disable_key(KeyId=source["KeyId"])
    from_disabled = raises(
        lambda: client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["KeyId"])
    )
    assert_error(from_disabled, "DisabledException", f"{source['Arn']} is disabled.")


# --- Key usage and algorithms ------------------------------------------------------------


def test_sign_verify_key_cannot_encrypt(client: KMSClient) -> None:
    key = new_key(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    excinfo = raises(lambda: client.encrypt(KeyId=key["KeyId"], Plaintext=b"x"))
    message = f"{key['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt."
    assert_error(excinfo, "InvalidKeyUsageException", message)


@pytest.mark.parametrize("operation", list(USING_THE_KEY))
def test_hmac_key_cannot_encrypt_or_make_data_keys(client: KMSClient, operation: str) -> None:
    key = new_key(client, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    excinfo = raises(lambda: USING_THE_KEY[operation](client, key["KeyId"]))
    message = f"{key['Arn']} key usage is GENERATE_VERIFY_MAC which is not valid for {operation}."
    assert_error(excinfo, "InvalidKeyUsageException", message)


def test_re_encrypt_to_a_sign_verify_key_is_invalid_key_usage(client: KMSClient) -> None:
    source = new_key(client)
    signing = new_key(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    blob = encrypt(client, source["KeyId"])
    excinfo = raises(
        lambda: client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=signing["KeyId"])
    )
    message = f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for ReEncrypt."
    assert_error(excinfo, "InvalidKeyUsageException", message)


def test_rsa_algorithm_on_a_symmetric_key_is_invalid_key_usage(client: KMSClient) -> None:
    key = new_key(client)
    message = "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT."
    excinfo = raises(
        lambda: client.encrypt(
            KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256"
        )
    )
    assert_error(excinfo, "InvalidKeyUsageException", message)

    blob = encrypt(client, key["KeyId"])
    on_decrypt = raises(
        lambda: client.decrypt(CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    )
    assert_error(on_decrypt, "InvalidKeyUsageException", message)


def test_rsa_encryption_key_needs_an_rsa_algorithm(client: KMSClient) -> None:
    key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    excinfo = raises(lambda: client.encrypt(KeyId=key["KeyId"], Plaintext=b"x"))
    message = "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."
    assert_error(excinfo, "InvalidKeyUsageException", message)


def test_asymmetric_encryption_round_trips(client: KMSClient) -> None:
    # RSA-OAEP in depth: tests/test_asymmetric_encryption.py.
    key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    algorithm: Literal["RSAES_OAEP_SHA_256"] = "RSAES_OAEP_SHA_256"
    blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm=algorithm)
    decrypted = client.decrypt(
        CiphertextBlob=blob["CiphertextBlob"], KeyId=key["KeyId"], EncryptionAlgorithm=algorithm
    )
    assert decrypted["Plaintext"] == b"x"


@pytest.mark.parametrize("operation", ["GenerateDataKey", "GenerateDataKeyWithoutPlaintext"])
def test_rsa_encryption_key_cannot_make_data_keys(client: KMSClient, operation: str) -> None:
    key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    excinfo = raises(lambda: USING_THE_KEY[operation](client, key["KeyId"]))
    # Not recorded from AWS; the mock words it like the recorded key-usage message.
    message = f"{key['Arn']} key KeySpec is RSA_2048 which is not valid for {operation}."
    assert_error(excinfo, "InvalidKeyUsageException", message)


def test_ciphertext_is_required_without_ignore_ciphertext(client: KMSClient) -> None:
    key = new_key(client)
    for call in (
        lambda: client.decrypt(KeyId=key["KeyId"]),
        lambda: client.decrypt(KeyId=key["KeyId"], DryRun=True),
        lambda: client.re_encrypt(DestinationKeyId=key["KeyId"]),
    ):
        excinfo = raises(call)
        assert_error(excinfo, "ValidationException", "CiphertextBlob is required.", modeled=False)


# --- Limits and the ciphertext's shape ---------------------------------------------------


def test_plaintext_over_4096_bytes_is_rejected(client: KMSClient) -> None:
    key = new_key(client)
    excinfo = raises(lambda: client.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4097))
    message = (
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096"
    )
    assert_error(excinfo, "ValidationException", message, modeled=False)


@pytest.mark.parametrize("size", [1, 32, 1000, 4096])
def test_ciphertext_is_158_plus_n_bytes_and_fits_the_limit(client: KMSClient, size: int) -> None:
    key = new_key(client)
    plaintext = bytes(i % 251 for i in range(size))
    blob = encrypt(client, key["KeyId"], plaintext)
    assert len(blob) == 158 + size <= 6144
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext


def test_ciphertext_starts_like_an_aws_blob(client: KMSClient) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"])
    assert blob[:5] == bytes.fromhex("0102020078")


@pytest.mark.parametrize(
    ("kwargs", "size"),
    [
        ({"KeySpec": "AES_256"}, 32),
        ({"KeySpec": "AES_128"}, 16),
        ({"NumberOfBytes": 1}, 1),
        ({"NumberOfBytes": 1024}, 1024),
    ],
)
def test_data_key_sizes(client: KMSClient, kwargs: dict[str, Any], size: int) -> None:
    key = new_key(client)
    response = client.generate_data_key(KeyId=key["KeyId"], **kwargs)
    assert len(response["Plaintext"]) == size
    assert len(response["CiphertextBlob"]) == 158 + size
    without = client.generate_data_key_without_plaintext(KeyId=key["KeyId"], **kwargs)
    assert len(client.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]) == size


@pytest.mark.parametrize("operation", ["generate_data_key", "generate_data_key_without_plaintext"])
def test_number_of_bytes_over_1024_is_rejected(client: KMSClient, operation: str) -> None:
    key = new_key(client)
    excinfo = raises(lambda: getattr(client, operation)(KeyId=key["KeyId"], NumberOfBytes=1025))
    message = (
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy "
        "constraint: Member must have value less than or equal to 1024"
    )
    assert_error(excinfo, "ValidationException", message, modeled=False)


@pytest.mark.parametrize("operation", ["generate_data_key", "generate_data_key_without_plaintext"])
@pytest.mark.parametrize(
    "kwargs", [pytest.param({}, id="neither"), {"KeySpec": "AES_256", "NumberOfBytes": 32}]
)
def test_exactly_one_of_key_spec_and_number_of_bytes(
    client: KMSClient, operation: str, kwargs: dict[str, Any]
) -> None:
    key = new_key(client)
    excinfo = raises(lambda: getattr(client, operation)(KeyId=key["KeyId"], **kwargs))
    assert_error(excinfo, "ValidationException", EITHER_SIZE, modeled=False)


def test_unknown_data_key_spec_is_rejected(client: KMSClient) -> None:
    key = new_key(client)
    kwargs: dict[str, Any] = {"KeySpec": "AES-256"}  # botocore does not check enums
    excinfo = raises(lambda: client.generate_data_key(KeyId=key["KeyId"], **kwargs))
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value 'AES-256' at 'keySpec'")


# --- GenerateDataKey -----------------------------------------------------------------------


def test_generate_data_key_round_trips_through_decrypt(client: KMSClient) -> None:
    key = new_key(client)
    response = client.generate_data_key(
        KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext=CONTEXT
    )
    assert members(response) == {"CiphertextBlob", "Plaintext", "KeyId", "KeyMaterialId"}
    assert response["KeyId"] == key["Arn"]
    assert response["KeyMaterialId"] == current_material(client, key["KeyId"])

    decrypted = client.decrypt(CiphertextBlob=response["CiphertextBlob"], EncryptionContext=CONTEXT)
    assert decrypted["Plaintext"] == response["Plaintext"]
    assert decrypted["KeyMaterialId"] == response["KeyMaterialId"]
    assert_invalid_ciphertext(
        raises(lambda: client.decrypt(CiphertextBlob=response["CiphertextBlob"]))
    )


def test_generate_data_key_without_plaintext_has_no_plaintext(client: KMSClient) -> None:
    key = new_key(client)
    response = client.generate_data_key_without_plaintext(
        KeyId=key["KeyId"], NumberOfBytes=64, EncryptionContext=CONTEXT
    )
    assert members(response) == {"CiphertextBlob", "KeyId", "KeyMaterialId"}
    assert response["KeyId"] == key["Arn"]
    assert response["KeyMaterialId"] == current_material(client, key["KeyId"])
    decrypted = client.decrypt(CiphertextBlob=response["CiphertextBlob"], EncryptionContext=CONTEXT)
    assert len(decrypted["Plaintext"]) == 64


def test_data_keys_are_fresh_each_time(client: KMSClient) -> None:
    key = new_key(client)
    keys = {
        client.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["Plaintext"]
        for _ in range(5)
    }
    assert len(keys) == 5


def test_data_key_decrypts_after_the_key_rotated(client: KMSClient) -> None:
    key = new_key(client)
    response = client.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_128")
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert current_material(client, key["KeyId"]) != response["KeyMaterialId"]

    decrypted = client.decrypt(CiphertextBlob=response["CiphertextBlob"])
    assert decrypted["Plaintext"] == response["Plaintext"]
    assert decrypted["KeyMaterialId"] == response["KeyMaterialId"]
    newer = client.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_128")
    assert newer["KeyMaterialId"] == current_material(client, key["KeyId"])


# --- ReEncrypt -----------------------------------------------------------------------------


def test_re_encrypt_to_another_key(client: KMSClient) -> None:
    source, destination = new_key(client), new_key(client)
    blob = encrypt(client, source["KeyId"])
    response = client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["KeyId"])
    assert members(response) == {
        "CiphertextBlob",
        "SourceKeyId",
        "KeyId",
        "SourceEncryptionAlgorithm",
        "DestinationEncryptionAlgorithm",
        "SourceKeyMaterialId",
        "DestinationKeyMaterialId",
    }
    assert response["SourceKeyId"] == source["Arn"]
    assert response["KeyId"] == destination["Arn"]
    assert response["SourceEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert response["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert response["SourceKeyMaterialId"] == source["CurrentKeyMaterialId"]
    assert response["DestinationKeyMaterialId"] == destination["CurrentKeyMaterialId"]

    decrypted = client.decrypt(CiphertextBlob=response["CiphertextBlob"])
    assert decrypted["Plaintext"] == b"secret"
    assert decrypted["KeyId"] == destination["Arn"]
    incorrect = raises(
        lambda: client.decrypt(CiphertextBlob=response["CiphertextBlob"], KeyId=source["KeyId"])
    )
    assert_error(incorrect, "IncorrectKeyException", INCORRECT_KEY)


def test_re_encrypt_to_the_same_key_moves_data_onto_current_material(client: KMSClient) -> None:
    key = new_key(client)
    old_material = key["CurrentKeyMaterialId"]
    blob = encrypt(client, key["KeyId"])
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    new_material = current_material(client, key["KeyId"])

    response = client.re_encrypt(
        CiphertextBlob=blob, SourceKeyId=key["KeyId"], DestinationKeyId=key["Arn"]
    )
    assert response["SourceKeyId"] == response["KeyId"] == key["Arn"]
    assert response["SourceKeyMaterialId"] == old_material
    assert response["DestinationKeyMaterialId"] == new_material != old_material
    decrypted = client.decrypt(CiphertextBlob=response["CiphertextBlob"])
    assert (decrypted["Plaintext"], decrypted["KeyMaterialId"]) == (b"secret", new_material)


def test_re_encrypt_replaces_the_encryption_context(client: KMSClient) -> None:
    source, destination = new_key(client), new_key(client)
    blob = encrypt(client, source["KeyId"], EncryptionContext=CONTEXT)
    new_context = {"stage": "archived"}

    wrong_source = raises(
        lambda: client.re_encrypt(
            CiphertextBlob=blob,
            DestinationKeyId=destination["KeyId"],
            DestinationEncryptionContext=new_context,
        )
    )
    assert_invalid_ciphertext(wrong_source)

    response = client.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"tenant": "acme", "purpose": "test"},
        DestinationKeyId=destination["KeyId"],
        DestinationEncryptionContext=new_context,
    )
    moved = response["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=moved, EncryptionContext=new_context)["Plaintext"] == (
        b"secret"
    )
    assert_invalid_ciphertext(
        raises(lambda: client.decrypt(CiphertextBlob=moved, EncryptionContext=CONTEXT))
    )
    assert_invalid_ciphertext(raises(lambda: client.decrypt(CiphertextBlob=moved)))


def test_re_encrypt_without_destination_context_leaves_none(client: KMSClient) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"], EncryptionContext=CONTEXT)
    response = client.re_encrypt(
        CiphertextBlob=blob, SourceEncryptionContext=CONTEXT, DestinationKeyId=key["KeyId"]
    )
    assert client.decrypt(CiphertextBlob=response["CiphertextBlob"])["Plaintext"] == b"secret"


# --- DryRun --------------------------------------------------------------------------------

DRY_RUNS: dict[str, Callable[[KMSClient, str, bytes], object]] = {
    "Encrypt": lambda c, k, b: c.encrypt(KeyId=k, Plaintext=b"x", DryRun=True),
    "Decrypt": lambda c, k, b: c.decrypt(CiphertextBlob=b, DryRun=True),
    "ReEncrypt": lambda c, k, b: c.re_encrypt(CiphertextBlob=b, DestinationKeyId=k, DryRun=True),
    "GenerateDataKey": lambda c, k, b: c.generate_data_key(KeyId=k, KeySpec="AES_256", DryRun=True),
    "GenerateDataKeyWithoutPlaintext": lambda c, k, b: c.generate_data_key_without_plaintext(
        KeyId=k, NumberOfBytes=16, DryRun=True
    ),
}


@pytest.mark.parametrize("operation", list(DRY_RUNS))
def test_dry_run_succeeds_without_doing_anything(
    kms: MockKMS, client: KMSClient, clock: FrozenClock, operation: str
) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"])
    clock.advance(hours=1)
    usage_before = last_usage(client, key["KeyId"])
    calls_before = len(audit_of(kms).records)

    excinfo = raises(lambda: DRY_RUNS[operation](client, key["KeyId"], blob))
    assert_error(excinfo, "DryRunOperationException", DRY_RUN)

    assert last_usage(client, key["KeyId"]) == usage_before
    assert usage_before["Operation"] == "Encrypt"
    records = audit_of(kms).records
    dry_run_record = records[calls_before]
    assert dry_run_record.event_name == operation
    assert dry_run_record.error is not None
    assert dry_run_record.error[0] == "DryRunOperationException"
    assert current_material(client, key["KeyId"]) == key["CurrentKeyMaterialId"]


@pytest.mark.parametrize("operation", list(DRY_RUNS))
def test_dry_run_with_a_disabled_key_is_disabled_exception(
    client: KMSClient, operation: str
) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"])
    client.disable_key(KeyId=key["KeyId"])
    excinfo = raises(lambda: DRY_RUNS[operation](client, key["KeyId"], blob))
    assert_error(excinfo, "DisabledException", f"{key['Arn']} is disabled.")


def test_dry_run_decrypt_still_checks_the_context(client: KMSClient) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"], EncryptionContext=CONTEXT)
    assert_invalid_ciphertext(raises(lambda: client.decrypt(CiphertextBlob=blob, DryRun=True)))


def test_dry_run_decrypt_ignoring_ciphertext_needs_only_the_key(client: KMSClient) -> None:
    key = new_key(client)
    excinfo = raises(
        lambda: client.decrypt(
            KeyId=key["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]
        )
    )
    assert_error(excinfo, "DryRunOperationException", DRY_RUN)
    assert last_usage(client, key["KeyId"]) == {}

    client.disable_key(KeyId=key["KeyId"])
    disabled = raises(
        lambda: client.decrypt(
            KeyId=key["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]
        )
    )
    assert_error(disabled, "DisabledException", f"{key['Arn']} is disabled.")


def test_dry_run_ignoring_ciphertext_requires_the_source_key(client: KMSClient) -> None:
    key = new_key(client)
    decrypt = raises(lambda: client.decrypt(DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]))
    re_encrypt = raises(
        lambda: client.re_encrypt(
            DestinationKeyId=key["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]
        )
    )
    # AWS's wording is not recorded; the mock names the missing member.
    for excinfo, member in ((decrypt, "KeyId"), (re_encrypt, "SourceKeyId")):
        code, message, status = error_of(excinfo)
        assert (code, status) == ("ValidationException", 400)
        assert message.startswith(f"{member} is required")


def test_dry_run_re_encrypt_ignoring_ciphertext_checks_both_keys(client: KMSClient) -> None:
    source, destination = new_key(client), new_key(client)

    def dry_run() -> object:
        return client.re_encrypt(
            SourceKeyId=source["KeyId"],
            DestinationKeyId=destination["KeyId"],
            DryRun=True,
            DryRunModifiers=["IGNORE_CIPHERTEXT"],
        )

    assert_error(raises(dry_run), "DryRunOperationException", DRY_RUN)
    client.disable_key(KeyId=destination["KeyId"])
    assert_error(raises(dry_run), "DisabledException", f"{destination['Arn']} is disabled.")
    client.enable_key(KeyId=destination["KeyId"])
    client.disable_key(KeyId=source["KeyId"])
    assert_error(raises(dry_run), "DisabledException", f"{source['Arn']} is disabled.")
    assert last_usage(client, destination["KeyId"]) == {}


# --- GetKeyLastUsage and the audit log ---------------------------------------------------


def test_encrypt_is_tracked_with_the_mock_clock(client: KMSClient, clock: FrozenClock) -> None:
    key = new_key(client)
    assert last_usage(client, key["KeyId"]) == {}
    clock.advance(days=3, hours=4)
    response = client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")

    usage = last_usage(client, key["KeyId"])
    assert usage["Operation"] == "Encrypt"
    assert usage["Timestamp"] == _dt.datetime(2025, 1, 4, 4, tzinfo=_dt.UTC)
    assert usage["KmsRequestId"] == response["ResponseMetadata"]["RequestId"]


def test_re_encrypt_is_tracked_on_both_keys(client: KMSClient, clock: FrozenClock) -> None:
    source, destination = new_key(client), new_key(client)
    blob = encrypt(client, source["KeyId"])
    clock.advance(minutes=5)
    client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["KeyId"])
    moment = _dt.datetime(2025, 1, 1, 0, 5, tzinfo=_dt.UTC)
    for key in (source, destination):
        usage = last_usage(client, key["KeyId"])
        assert (usage["Operation"], usage["Timestamp"]) == ("ReEncrypt", moment)


def test_failed_decrypt_is_not_tracked(client: KMSClient, clock: FrozenClock) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"], EncryptionContext=CONTEXT)
    before = last_usage(client, key["KeyId"])
    clock.advance(hours=1)
    assert_invalid_ciphertext(raises(lambda: client.decrypt(CiphertextBlob=blob)))
    assert last_usage(client, key["KeyId"]) == before

    client.decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)
    assert last_usage(client, key["KeyId"])["Operation"] == "Decrypt"


def test_audit_records_the_material_each_call_used(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    blob = encrypt(client, key["KeyId"])
    encrypt_record = audit_of(kms).records[-1]
    assert encrypt_record.event_name == "Encrypt"
    assert encrypt_record.key_material_id == key["CurrentKeyMaterialId"]
    assert encrypt_record.resources == (key["Arn"],)

    client.rotate_key_on_demand(KeyId=key["KeyId"])
    client.decrypt(CiphertextBlob=blob)
    decrypt_record = audit_of(kms).records[-1]
    assert decrypt_record.event_name == "Decrypt"
    assert decrypt_record.key_material_id == key["CurrentKeyMaterialId"]
    assert decrypt_record.resources == (key["Arn"],)


# --- Reproducibility -----------------------------------------------------------------------


def _encrypt_in_a_fresh_mock(seed: int | None) -> bytes:
    with mock_kms(seed=seed, clock=FrozenClock(START)):
        client = boto3.client("kms", region_name="us-east-1")
        key_id = new_key(client)["KeyId"]
        return encrypt(client, key_id, b"same input", EncryptionContext=CONTEXT)


def test_seeded_mocks_make_identical_ciphertexts() -> None:
    first, second = _encrypt_in_a_fresh_mock(5), _encrypt_in_a_fresh_mock(5)
    assert first == second
    assert _encrypt_in_a_fresh_mock(6) != first


def test_unseeded_mocks_make_different_ciphertexts() -> None:
    assert _encrypt_in_a_fresh_mock(None) != _encrypt_in_a_fresh_mock(None)


def test_a_blob_naming_another_account_leaves_the_backend_unchanged(
    client: KMSClient, kms: MockKMS
) -> None:
    blob = encrypt(client, new_key(client)["KeyId"])
    foreign = blob.replace(b"123456789012", b"999999999999")
    stores_before = stores(kms)
    excinfo = raises(lambda: client.decrypt(CiphertextBlob=foreign))
    assert error_of(excinfo)[0] == "AccessDeniedException"
    assert stores(kms) == stores_before
