"""GenerateMac / VerifyMac through boto3, checked against the standard library.

The MAC is RFC 2104 HMAC: the same bytes ``hmac`` computes with the key's
secret, which a backend-level test reads from the store.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, mock_kms
from tests._helpers import START, error_of, hmac_secret_of, new_key, raises, secret_derived

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

REGION = "us-east-1"
DRY_RUN = "The request would have succeeded, but the DryRun option is set."
SPECS = {"HMAC_224": 224, "HMAC_256": 256, "HMAC_384": 384, "HMAC_512": 512}
ENUM = "[HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]"


def call(client: KMSClient, operation: str, **params: Any) -> dict[str, Any]:
    """Call ``operation`` (by its AWS name) with ``params``, as a plain dict."""
    return dict(getattr(client, xform_name(operation))(**params))


def fails(client: KMSClient, operation: str, **params: Any) -> pytest.ExceptionInfo[ClientError]:
    with pytest.raises(ClientError) as excinfo:
        call(client, operation, **params)
    return excinfo


def top_level_message(excinfo: pytest.ExceptionInfo[ClientError]) -> object:
    """botocore's top-level ``message``: there only when AWS sent a message member."""
    return dict(excinfo.value.response).get("message")


def hmac_key(client: KMSClient, spec: str = "HMAC_256") -> dict[str, Any]:
    return new_key(client, KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")


@pytest.mark.parametrize(("spec", "bits"), list(SPECS.items()))
def test_macs_equal_the_standard_librarys_hmac(
    client: KMSClient, kms: MockKMS, spec: str, bits: int
) -> None:
    key = hmac_key(client, spec)
    algorithm = f"HMAC_SHA_{bits}"
    for message in (b"m", b"a longer message " * 100, bytes(range(256)) * 16):
        response = client.generate_mac(KeyId=key["KeyId"], Message=message, MacAlgorithm=algorithm)  # type: ignore[arg-type]
        secret = hmac_secret_of(kms, key["KeyId"])
        assert len(secret) * 8 == bits  # HMAC_256 keys hold 256 bits, and so on
        expected = hmac.new(secret, message, getattr(hashlib, f"sha{bits}")).digest()
        assert response["Mac"] == expected
        assert (response["MacAlgorithm"], response["KeyId"]) == (algorithm, key["Arn"])
        verified = client.verify_mac(
            KeyId=key["KeyId"],
            Message=message,
            Mac=expected,
            MacAlgorithm=algorithm,  # type: ignore[arg-type]
        )
        assert (verified["MacValid"], verified["MacAlgorithm"]) == (True, algorithm)
        assert verified["KeyId"] == key["Arn"]


def test_each_key_has_its_own_secret(client: KMSClient) -> None:
    first, second = hmac_key(client), hmac_key(client)
    macs = {
        client.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
        for key in (first, second)
    }
    assert len(macs) == 2


def test_a_wrong_mac_is_invalid_without_a_message(client: KMSClient) -> None:
    key = hmac_key(client)
    mac = client.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    tampered = bytes([mac[0] ^ 1]) + mac[1:]
    for message, candidate in ((b"m", tampered), (b"other", mac), (b"m", mac[:-1])):
        excinfo = fails(
            client,
            "VerifyMac",
            KeyId=key["KeyId"],
            Message=message,
            Mac=candidate,
            MacAlgorithm="HMAC_SHA_256",
        )
        assert error_of(excinfo) == ("KMSInvalidMacException", "", 400)
        assert top_level_message(excinfo) is None  # AWS sends none (recorded)


@pytest.mark.parametrize(
    ("spec", "algorithm", "operation"),
    [
        ("HMAC_224", "HMAC_SHA_256", "GenerateMac"),  # recorded
        ("HMAC_256", "HMAC_SHA_512", "VerifyMac"),  # recorded
        ("HMAC_512", "HMAC_SHA_384", "GenerateMac"),
        ("HMAC_384", "HMAC_SHA_224", "VerifyMac"),
    ],
)
def test_algorithm_must_match_the_key_spec(
    client: KMSClient, spec: str, algorithm: str, operation: str
) -> None:
    key = hmac_key(client, spec)
    params: dict[str, Any] = {"KeyId": key["KeyId"], "Message": b"m", "MacAlgorithm": algorithm}
    if operation == "VerifyMac":
        params["Mac"] = b"m" * 32
    excinfo = fails(client, operation, **params)
    message = f"Algorithm {algorithm} is incompatible with key spec {spec}."
    assert error_of(excinfo) == ("InvalidKeyUsageException", message, 400)
    assert top_level_message(excinfo) == message


@pytest.mark.parametrize("operation", ["GenerateMac", "VerifyMac"])
def test_bad_mac_algorithm_enum(client: KMSClient, operation: str) -> None:
    key = hmac_key(client)
    params: dict[str, Any] = {"KeyId": key["KeyId"], "Message": b"m", "MacAlgorithm": "INVALID"}
    if operation == "VerifyMac":
        params["Mac"] = b"m"
    excinfo = fails(client, operation, **params)
    # Recorded verbatim: AWS lists the enum in its own (hash-set) order, not the model's.
    message = (
        "1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy "
        f"constraint: Member must satisfy enum value set: {ENUM}"
    )
    assert error_of(excinfo) == ("ValidationException", message, 400)


@pytest.mark.parametrize(
    "create",
    [
        {},  # recorded: "... key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac."
        {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
        {"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
    ],
)
def test_key_usage_must_be_generate_verify_mac(client: KMSClient, create: dict[str, str]) -> None:
    key = new_key(client, **create)
    for operation, extra in (("GenerateMac", {}), ("VerifyMac", {"Mac": b"m"})):
        excinfo = fails(
            client,
            operation,
            KeyId=key["KeyId"],
            Message=b"m",
            MacAlgorithm="HMAC_SHA_256",
            **extra,
        )
        usage = key["KeyUsage"]
        message = f"{key['Arn']} key usage is {usage} which is not valid for {operation}."
        assert error_of(excinfo) == ("InvalidKeyUsageException", message, 400)


def test_invalid_key_id(client: KMSClient) -> None:
    generate = raises(
        lambda: client.generate_mac(KeyId="key_id", Message=b"m", MacAlgorithm="HMAC_SHA_224")
    )
    verify = raises(
        lambda: client.verify_mac(
            KeyId="key_id", Message=b"m", Mac=b"m", MacAlgorithm="HMAC_SHA_224"
        )
    )
    for excinfo in (generate, verify):  # recorded
        assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'key_id'", 400)


def test_key_states(client: KMSClient) -> None:
    key = hmac_key(client)
    mac = client.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    calls: list[Callable[[], object]] = [
        lambda: client.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256"),
        lambda: client.verify_mac(
            KeyId=key["KeyId"], Message=b"m", Mac=mac, MacAlgorithm="HMAC_SHA_256"
        ),
    ]
    client.disable_key(KeyId=key["KeyId"])
    for call in calls:
        assert error_of(raises(call)) == ("DisabledException", f"{key['Arn']} is disabled.", 400)
    client.schedule_key_deletion(KeyId=key["KeyId"])
    for call in calls:
        message = f"{key['Arn']} is pending deletion."
        assert error_of(raises(call)) == ("KMSInvalidStateException", message, 400)


def test_aliases_name_hmac_keys(client: KMSClient) -> None:
    key = hmac_key(client, "HMAC_384")
    client.create_alias(AliasName="alias/mac", TargetKeyId=key["KeyId"])
    by_alias = client.generate_mac(KeyId="alias/mac", Message=b"m", MacAlgorithm="HMAC_SHA_384")
    by_id = client.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_384")
    assert by_alias["Mac"] == by_id["Mac"]
    assert by_alias["KeyId"] == key["Arn"]


def test_dry_run_derives_nothing(client: KMSClient, kms: MockKMS) -> None:
    key = hmac_key(client)
    for operation, extra in (("GenerateMac", {}), ("VerifyMac", {"Mac": b"wrong"})):
        excinfo = fails(
            client,
            operation,
            KeyId=key["KeyId"],
            Message=b"m",
            MacAlgorithm="HMAC_SHA_256",
            DryRun=True,
            **extra,
        )
        assert error_of(excinfo) == ("DryRunOperationException", DRY_RUN, 400)
    assert not secret_derived(kms, key["KeyId"])
    assert client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"] == {}


def test_tracked_and_audited(client: KMSClient, kms: MockKMS, clock: FrozenClock) -> None:
    key = hmac_key(client)
    clock.advance(minutes=1)
    mac = client.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    usage = client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]
    assert (usage["Operation"], usage["Timestamp"]) == ("GenerateMac", clock.now())
    clock.advance(minutes=1)
    client.verify_mac(KeyId=key["KeyId"], Message=b"m", Mac=mac, MacAlgorithm="HMAC_SHA_256")
    usage = client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]
    assert (usage["Operation"], usage["Timestamp"]) == ("VerifyMac", clock.now())
    events = [e for e in kms.audit_log if e["eventName"] in ("GenerateMac", "VerifyMac")]
    assert [e["eventName"] for e in events] == ["GenerateMac", "VerifyMac"]
    assert all("additionalEventData" not in e for e in events)  # HMAC keys: no material id


def test_seeded_mocks_give_the_same_macs() -> None:
    def macs(seed: int) -> list[bytes]:
        with mock_kms(clock=FrozenClock(START), seed=seed):
            client = boto3.client("kms", region_name=REGION)
            keys = [hmac_key(client, spec) for spec in SPECS]
            return [
                client.generate_mac(
                    KeyId=key["KeyId"],
                    Message=b"m",
                    MacAlgorithm=f"HMAC_SHA_{bits}",  # type: ignore[arg-type]
                )["Mac"]
                for key, bits in zip(reversed(keys), reversed(SPECS.values()), strict=True)
            ]

    assert macs(5) == macs(5)
    assert set(macs(5)).isdisjoint(macs(6))
