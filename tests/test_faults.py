"""Fault rules through botocore's own retries: legacy, standard and adaptive modes.

Every injected fault is answered where botocore retries (at ``before-send``), attempt
by attempt, so ``RetryAttempts``, the backoff and the final outcome are botocore's.
Backoff sleeps are recorded, not slept (``backoff``), so the suite stays fast.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import botocore.endpoint
import botocore.exceptions
import botocore.retries.bucket
import pytest
from botocore.config import Config

from kms_mock import FrozenClock, MockKMS, UsageError, mock_kms
from tests._helpers import ACCOUNT, REGION, error_of, exactly, new_key, raises

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

MODES = ("legacy", "standard", "adaptive")
THROTTLED = (
    "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."
)
# Error code -> HTTP status: ThrottlingException is a client error; the model marks
# the other two "fault" (a server error).
RETRYABLE_ERRORS = {
    "ThrottlingException": 400,
    "KMSInternalException": 500,
    "DependencyTimeoutException": 500,
}
TRANSPORT = {
    "connection_error": botocore.exceptions.ConnectionClosedError,
    "read_timeout": botocore.exceptions.ReadTimeoutError,
}
FAULTS = [*RETRYABLE_ERRORS, *TRANSPORT]


@pytest.fixture
def backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoff delays, recorded instead of slept (and adaptive mode's clock jumps)."""
    slept: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    # Adaptive mode's token bucket waits for refills on its own clock: every reading
    # of that clock is ten seconds after the last, so its bucket is always full.
    ticks = itertools.count(step=10)
    monkeypatch.setattr(botocore.retries.bucket.Clock, "current_time", lambda _: next(ticks))
    return slept


def retrying_client(mode: str, max_attempts: int) -> KMSClient:
    """A client that makes at most ``max_attempts`` attempts per call (botocore's
    ``max_attempts`` counts retries, ``total_max_attempts`` attempts)."""
    config = Config(retries={"mode": mode, "total_max_attempts": max_attempts})  # type: ignore[arg-type]
    return boto3.client("kms", region_name=REGION, config=config)


def inject(kms: MockKMS, fault: str, **match: Any) -> Any:
    if fault in TRANSPORT:
        return getattr(kms.faults, fault)(**match)
    return kms.faults.error(fault, **match)


def created_keys(kms: MockKMS) -> list[dict[str, Any]]:
    return [
        event
        for event in kms.audit_log
        if event["eventName"] == "CreateKey" and "errorCode" not in event
    ]


# -- the retry matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", FAULTS)
def test_faults_below_max_attempts_end_in_one_success(
    kms: MockKMS, backoff: list[float], mode: str, fault: str
) -> None:
    client = retrying_client(mode, max_attempts=4)
    rule = inject(kms, fault, operation="CreateKey", times=3)

    response = client.create_key()

    assert response["ResponseMetadata"]["RetryAttempts"] == 3
    assert rule.fired == 3
    assert len(backoff) == 3  # botocore backed off before each retry
    assert [event["responseElements"]["keyMetadata"]["keyId"] for event in created_keys(kms)] == [
        response["KeyMetadata"]["KeyId"]
    ]
    assert len(client.list_keys()["Keys"]) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("error", sorted(RETRYABLE_ERRORS))
def test_errors_at_max_attempts_reach_the_caller(
    kms: MockKMS, backoff: list[float], mode: str, error: str
) -> None:
    client = retrying_client(mode, max_attempts=3)
    rule = kms.faults.error(error, operation="CreateKey", times=3)

    excinfo = raises(client.create_key)

    code, _, status = error_of(excinfo)
    assert (code, status) == (error, RETRYABLE_ERRORS[error])
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    metadata: dict[str, Any] = dict(excinfo.value.response["ResponseMetadata"])
    assert metadata["MaxAttemptsReached"] is True
    assert "Retry-After" not in excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert rule.fired == 3
    assert created_keys(kms) == []
    assert client.list_keys()["Keys"] == []  # the fourth call is not faulted: times=3


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", sorted(TRANSPORT))
def test_transport_failures_at_max_attempts_raise_as_for_a_socket(
    kms: MockKMS, backoff: list[float], mode: str, fault: str
) -> None:
    client = retrying_client(mode, max_attempts=2)
    inject(kms, fault, operation="CreateKey")

    with pytest.raises(TRANSPORT[fault]) as excinfo:
        client.create_key()

    url = excinfo.value.kwargs["endpoint_url"]  # type: ignore[typeddict-item]
    assert url == f"https://kms.{REGION}.amazonaws.com/"
    assert len(backoff) == 1
    assert created_keys(kms) == []


def test_throttling_carries_aws_message(kms: MockKMS, backoff: list[float]) -> None:
    client = retrying_client("standard", max_attempts=1)
    kms.faults.error("ThrottlingException")

    assert error_of(raises(client.list_keys)) == ("ThrottlingException", THROTTLED, 400)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("error", ["NotFoundException", "DisabledException"])
def test_client_errors_are_not_retried(
    kms: MockKMS, backoff: list[float], mode: str, error: str
) -> None:
    client = retrying_client(mode, max_attempts=5)
    key_id = new_key(client)["KeyId"]
    rule = kms.faults.error(error, operation="DescribeKey", times=1)

    excinfo = raises(lambda: client.describe_key(KeyId=key_id))

    assert error_of(excinfo)[::2] == (error, 400)
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert backoff == []
    assert rule.fired == 1


@pytest.mark.parametrize("mode", MODES)
def test_key_unavailable_is_a_server_fault_that_botocore_retries(
    kms: MockKMS, backoff: list[float], mode: str
) -> None:
    # The model marks KeyUnavailableException "fault" (HTTP 500) and AWS's API reference
    # says "You can retry the request": botocore retries it as any 500.
    client = retrying_client(mode, max_attempts=3)
    key_id = new_key(client)["KeyId"]
    kms.faults.error("KeyUnavailableException", operation="Encrypt", times=1)

    response = client.encrypt(KeyId=key_id, Plaintext=b"x")

    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_a_custom_message(kms: MockKMS) -> None:
    client = retrying_client("standard", max_attempts=1)
    kms.faults.error("KMSInternalException", message="HSM on fire")

    assert error_of(raises(client.list_keys)) == ("KMSInternalException", "HSM on fire", 500)


# -- which calls a rule matches ---------------------------------------------------------------


def test_a_rule_matches_its_key_by_alias_and_arn(
    kms: MockKMS, client: KMSClient, backoff: list[float]
) -> None:
    chosen, other = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/chosen", TargetKeyId=chosen["KeyId"])
    blob = client.encrypt(KeyId=chosen["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    rule = kms.faults.error("NotFoundException", key="alias/chosen")

    for named in (chosen["KeyId"], chosen["Arn"], "alias/chosen"):
        with pytest.raises(client.exceptions.NotFoundException):
            client.describe_key(KeyId=named)
    with pytest.raises(client.exceptions.NotFoundException):
        client.decrypt(CiphertextBlob=blob)  # the ciphertext names the key
    client.describe_key(KeyId=other["KeyId"])
    client.encrypt(KeyId=other["Arn"], Plaintext=b"x")

    assert rule.fired == 4


def test_a_rule_by_key_arn_matches_the_key_id(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    kms.faults.error("DisabledException", key=key["Arn"], operation=["Encrypt", "Decrypt"])

    with pytest.raises(client.exceptions.DisabledException):
        client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    client.describe_key(KeyId=key["KeyId"])  # not one of the rule's operations


def test_an_alias_rule_follows_the_alias_in_the_request_region(
    kms: MockKMS, client: KMSClient
) -> None:
    first, second = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/moving", TargetKeyId=first["KeyId"])
    kms.faults.error("NotFoundException", key="alias/moving")
    client.update_alias(AliasName="alias/moving", TargetKeyId=second["KeyId"])

    client.describe_key(KeyId=first["KeyId"])
    with pytest.raises(client.exceptions.NotFoundException):
        client.describe_key(KeyId=second["KeyId"])


def test_skip_times_and_predicate(kms: MockKMS, client: KMSClient) -> None:
    key_id = new_key(client)["KeyId"]
    rule = kms.faults.error(
        "DisabledException",
        operation="Encrypt",
        when=lambda request: request.get("EncryptionContext") == {"tenant": "a"},
        skip=1,
        times=2,
    )

    def encrypt(tenant: str) -> str | None:
        try:
            client.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"tenant": tenant})
        except client.exceptions.DisabledException:
            return "faulted"
        return None

    outcomes = [encrypt(tenant) for tenant in ("a", "b", "a", "a", "b", "a")]

    assert outcomes == [None, None, "faulted", "faulted", None, None]
    assert rule.fired == 2


def test_rules_are_listed_removed_and_used_as_context_managers(
    kms: MockKMS, client: KMSClient
) -> None:
    first = kms.faults.error("KMSInternalException", operation="ListKeys")
    with kms.faults.error("NotFoundException", operation="ListAliases") as second:
        assert kms.faults.rules == [first, second]
        with pytest.raises(client.exceptions.NotFoundException):
            client.list_aliases()
    assert kms.faults.rules == [first]
    first.remove()
    first.remove()  # harmless

    assert kms.faults.rules == []
    client.list_keys()
    client.list_aliases()


def test_the_first_rule_that_fires_answers(kms: MockKMS, client: KMSClient) -> None:
    once = kms.faults.error("DisabledException", operation="ListKeys", times=1)
    always = kms.faults.error("NotFoundException", operation="ListKeys")

    with pytest.raises(client.exceptions.DisabledException):
        client.list_keys()
    with pytest.raises(client.exceptions.NotFoundException):
        client.list_keys()
    assert (once.fired, always.fired) == (1, 1)


def test_rules_end_with_the_activation(clock: FrozenClock) -> None:
    mock = mock_kms(clock=clock)
    with mock as kms:
        rule = kms.faults.error("KMSInternalException")
        client = boto3.client("kms", region_name=REGION)
    with mock as kms:
        assert kms.faults.rules == []
        client.list_keys()
    assert rule.fired == 0


def test_faults_need_an_active_mock(clock: FrozenClock) -> None:
    mock = mock_kms(clock=clock)
    with pytest.raises(UsageError, match="fault rules belong to an activation"):
        mock.faults  # noqa: B018


# -- probability ------------------------------------------------------------------------------


def _pattern(seed: int | None) -> list[bool]:
    with mock_kms(seed=seed, clock=FrozenClock("2025-01-01T00:00:00Z")) as kms:
        client = retrying_client("standard", max_attempts=1)
        kms.faults.error("KMSInternalException", operation="ListKeys", probability=0.5)
        outcomes = []
        for _ in range(40):
            try:
                client.list_keys()
                outcomes.append(False)
            except client.exceptions.KMSInternalException:
                outcomes.append(True)
        return outcomes


def test_seeded_probabilities_repeat() -> None:
    first = _pattern(seed=7)
    assert first == _pattern(seed=7)
    assert 5 < sum(first) < 35
    assert first != _pattern(seed=8)


def test_unseeded_probabilities_vary() -> None:
    patterns = {tuple(_pattern(seed=None)) for _ in range(3)}
    assert len(patterns) > 1  # three equal runs of 40 fair draws: about 2**-79


def test_a_seeded_rule_leaves_key_ids_as_they_were() -> None:
    def key_ids(with_rule: bool) -> list[str]:
        with mock_kms(seed=3) as kms:
            client = boto3.client("kms", region_name=REGION)
            if with_rule:
                kms.faults.error("KMSInternalException", operation="ListKeys", probability=0.5)
            return [new_key(client)["KeyId"] for _ in range(3)]

    assert key_ids(with_rule=True) == key_ids(with_rule=False)


# -- delays -----------------------------------------------------------------------------------


def test_a_mock_time_delay_moves_the_clock(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    before = clock.now()
    rule = kms.faults.delay(_dt.timedelta(seconds=30), mock_time=True, operation="ListKeys")

    client.list_keys()

    assert clock.now() - before == _dt.timedelta(seconds=30)
    assert rule.fired == 1


def test_a_real_delay_sleeps_and_then_answers(
    kms: MockKMS, client: KMSClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("kms_mock._faults.time.sleep", slept.append)
    kms.faults.delay(0.25, operation="ListKeys", times=1)
    kms.faults.error("NotFoundException", operation="ListKeys", times=1)

    with pytest.raises(client.exceptions.NotFoundException):  # a delay lets later rules act
        client.list_keys()
    client.list_keys()

    assert slept == [0.25]


# -- audit, assertions, usage errors ----------------------------------------------------------


def test_injected_errors_are_audited_and_marked(kms: MockKMS, backoff: list[float]) -> None:
    client = retrying_client("standard", max_attempts=3)
    kms.faults.error("ThrottlingException", operation="CreateKey", times=1)
    kms.faults.connection_error(operation="CreateKey", times=1)

    client.create_key()

    events = [event for event in kms.audit_log if event["eventName"] == "CreateKey"]
    assert [event.get("errorCode") for event in events] == ["ThrottlingException", None]
    assert events[0]["errorMessage"] == THROTTLED
    assert events[0]["additionalEventData"] == {"kmsMockInjected": True}
    assert "additionalEventData" not in events[1]


def test_assert_all_fired_names_the_rules_that_did_not(
    kms: MockKMS, client: KMSClient, backoff: list[float]
) -> None:
    kms.faults.error("KMSInternalException", operation="ListKeys", times=1)
    kms.faults.read_timeout(operation="Decrypt", key="alias/none")
    client.list_keys()

    with pytest.raises(AssertionError, match="1 fault rule never fired") as excinfo:
        kms.faults.assert_all_fired()
    assert "read_timeout(operation='Decrypt', key='alias/none')" in str(excinfo.value)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda kms: kms.faults.error("ThrottledException"),
            "'ThrottledException' is not an error KMS returns: use ThrottlingException, an "
            "error shape of botocore's KMS model (did you mean 'ThrottlingException'?).",
        ),
        (
            lambda kms: kms.faults.error("NotFoundException", operation="Describekey"),
            "operation 'Describekey' is not a KMS operation (did you mean 'DescribeKey'?).",
        ),
        (
            lambda kms: kms.faults.error("NotFoundException", times=0),
            "times=0 must be an int >= 1, or None for every matching call.",
        ),
        (
            lambda kms: kms.faults.error("NotFoundException", skip=-1),
            "skip=-1 must be an int >= 0.",
        ),
        (
            lambda kms: kms.faults.error("NotFoundException", probability=1.5),
            "probability=1.5 must be a number between 0 and 1.",
        ),
        (
            lambda kms: kms.faults.delay(-1),
            "delay=-1 must be a number of seconds >= 0 or a timedelta.",
        ),
    ],
)
def test_usage_errors(kms: MockKMS, call: Any, message: str) -> None:
    with pytest.raises(UsageError, match=exactly(message)):
        call(kms)


def test_only_calls_a_rule_may_fail_leave_the_fast_path(kms: MockKMS, client: KMSClient) -> None:
    sent: list[bytes] = []
    client.meta.events.register(
        "before-send.kms", lambda request, **_: sent.append(request.headers["X-Amz-Target"])
    )
    client.list_keys()
    with kms.faults.error("NotFoundException", operation="ListAliases", times=1):
        client.list_keys()  # no rule for ListKeys: answered at before-call
        with pytest.raises(client.exceptions.NotFoundException):
            client.list_aliases()
        client.list_aliases()
    client.list_aliases()
    with kms.faults.delay(0, key="alias/any"):  # every operation
        client.list_keys()

    assert sent == [b"TrentService.ListAliases"] * 2 + [b"TrentService.ListKeys"]


@pytest.fixture
def other_account_kms() -> Iterator[MockKMS]:
    with mock_kms(account_id="111122223333") as kms:
        yield kms


def test_a_bare_key_id_names_the_callers_account(other_account_kms: MockKMS) -> None:
    client = boto3.client("kms", region_name=REGION)
    key = new_key(client)
    assert ACCOUNT not in key["Arn"]
    other_account_kms.faults.error("NotFoundException", key=key["KeyId"])

    with pytest.raises(client.exceptions.NotFoundException):
        client.describe_key(KeyId=key["Arn"])
