"""Request quotas (opt-in): AWS's requests per second, per account and Region, on the mock clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.config import Config

from kms_mock import FrozenClock, MockKMS, UsageError, mock_kms
from tests._helpers import EUROPE, REGION, START, error_of, exactly, raises

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

THROTTLED = (
    "ThrottlingException",
    "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
    400,
)


def no_retries(region: str = REGION) -> KMSClient:
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    return boto3.client("kms", region_name=region, config=config)


@pytest.fixture
def quota_clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def quotas(quota_clock: FrozenClock) -> Iterator[MockKMS]:
    with mock_kms(clock=quota_clock, request_quotas=True) as kms:
        yield kms


def test_the_sixth_create_key_in_a_second_is_throttled(
    quotas: MockKMS, quota_clock: FrozenClock
) -> None:
    client = no_retries()
    for _ in range(5):
        client.create_key()

    assert error_of(raises(client.create_key)) == THROTTLED
    assert len(client.list_keys()["Keys"]) == 5  # the throttled call changed nothing
    quota_clock.advance(seconds=1)
    for _ in range(5):
        client.create_key()
    assert len(client.list_keys()["Keys"]) == 10


def test_a_throttled_call_is_audited_without_the_injected_mark(quotas: MockKMS) -> None:
    client = no_retries()
    for _ in range(5):
        client.create_key()
    raises(client.create_key)

    last = quotas.audit_log[-1]
    assert (last["eventName"], last["errorCode"]) == ("CreateKey", "ThrottlingException")
    assert "additionalEventData" not in last


def test_half_a_second_refills_half_the_quota(quotas: MockKMS, quota_clock: FrozenClock) -> None:
    client = no_retries()
    for _ in range(5):
        client.create_key()
    quota_clock.advance(seconds=0.5)
    client.create_key()
    client.create_key()
    assert error_of(raises(client.create_key)) == THROTTLED


def test_quotas_are_per_region_and_per_operation(quotas: MockKMS) -> None:
    client, europe = no_retries(), no_retries(EUROPE)
    for _ in range(5):
        client.create_key()
    europe.create_key()  # another Region's quota
    client.list_keys()  # another operation's quota
    assert error_of(raises(client.create_key)) == THROTTLED


def test_the_shared_cryptographic_quota_counts_encrypt_and_decrypt_together(
    quota_clock: FrozenClock,
) -> None:
    custom = {"Cryptographic operations (symmetric)": 4}
    with mock_kms(clock=quota_clock, request_quotas=custom):
        client = no_retries()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        blob = client.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
        client.decrypt(CiphertextBlob=blob)
        client.generate_random(NumberOfBytes=8)
        client.decrypt(CiphertextBlob=blob, KeyId=key_id)

        assert error_of(raises(lambda: client.encrypt(KeyId=key_id, Plaintext=b"x"))) == THROTTLED
        assert error_of(raises(lambda: client.decrypt(CiphertextBlob=blob))) == THROTTLED
        quota_clock.advance(seconds=1)
        client.decrypt(CiphertextBlob=blob)


def test_asymmetric_keys_draw_from_their_own_shared_quota(quota_clock: FrozenClock) -> None:
    custom = {"Cryptographic operations (RSA)": 1, "Cryptographic operations (symmetric)": 1}
    with mock_kms(clock=quota_clock, request_quotas=custom):
        client = no_retries()
        rsa = client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        symmetric = client.create_key()["KeyMetadata"]["KeyId"]
        client.sign(KeyId=rsa, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
        client.encrypt(KeyId=symmetric, Plaintext=b"x")
        call = lambda: client.sign(KeyId=rsa, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")  # noqa: E731
        assert error_of(raises(call)) == THROTTLED


def test_custom_values_override_defaults(quota_clock: FrozenClock) -> None:
    with mock_kms(clock=quota_clock, request_quotas={"ListKeys": 2}) as kms:
        client = no_retries()
        client.list_keys()
        client.list_keys()
        assert error_of(raises(client.list_keys)) == THROTTLED
        assert kms.request_quotas == {"ListKeys": 2.0}


def test_a_fractional_quota_admits_one_call_per_period(quota_clock: FrozenClock) -> None:
    with mock_kms(clock=quota_clock, request_quotas=True):
        client = no_retries()
        key_id = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]

        def parameters() -> object:
            return client.get_parameters_for_import(
                KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
            )

        parameters()
        quota_clock.advance(seconds=3)
        assert error_of(raises(parameters)) == THROTTLED  # 0.25 per second
        quota_clock.advance(seconds=1)
        parameters()


def test_botocore_retries_a_throttled_call_once_the_clock_moves(
    quotas: MockKMS, quota_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore's backoff sleeps move the mock clock, as real time would.
    monkeypatch.setattr(
        "botocore.endpoint.time.sleep", lambda seconds: quota_clock.advance(seconds=seconds)
    )
    client = boto3.client(
        "kms",
        region_name=REGION,
        config=Config(retries={"mode": "standard", "total_max_attempts": 10}),
    )
    for _ in range(5):
        client.create_key()

    response = client.create_key()

    assert response["ResponseMetadata"]["RetryAttempts"] >= 1
    assert len(client.list_keys()["Keys"]) == 6


def test_without_the_setting_nothing_is_throttled(kms: MockKMS, client: KMSClient) -> None:
    for _ in range(20):
        client.create_key()
    assert kms.request_quotas is None


def test_quotas_are_per_account(quotas: MockKMS) -> None:
    client = no_retries()
    for _ in range(5):
        client.create_key()
    with quotas.as_principal("arn:aws:iam::111122223333:root"):
        client.create_key()  # another account's quota
    assert error_of(raises(client.create_key)) == THROTTLED


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            {"CreatKey": 1},
            "request_quotas names 'CreatKey', which is not a KMS request quota (did you mean "
            "'CreateKey'?). Name an operation such as 'CreateKey', or 'Cryptographic operations "
            "(symmetric)', 'Cryptographic operations (RSA)', 'Cryptographic operations (ECC)', "
            "'Cryptographic operations (SM)' or 'GenerateDataKeyPair (<spec>)'.",
        ),
        (
            {"CreateKey": 0},
            "request_quotas={'CreateKey': 0} must be True (AWS's default request quotas), False "
            "or None (no quotas), or a dict of quota names to requests per second, such as "
            "{'CreateKey': 1}, over the defaults.",
        ),
    ],
)
def test_bad_settings(setting: object, message: str) -> None:
    with pytest.raises(UsageError, match=exactly(message)):
        mock_kms(request_quotas=setting)  # type: ignore[call-overload]
