"""Scheduled deletion on the mock clock: ScheduleKeyDeletion,
CancelKeyDeletion, and the key vanishing exactly when its waiting period ends."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import boto3
import freezegun
import pytest
import time_machine
from botocore.config import Config
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, _lifecycle, mock_kms
from tests._helpers import error_of, schedule_of, stored_key_ids

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
ONE_SECOND = _dt.timedelta(seconds=1)


def out_of_range(days: int) -> str:
    # ⚠ AWS's text is not recorded; this is local-kms' AWS-style form.
    return (
        f"1 validation error detected: Value '{days}' at 'PendingWindowInDays' failed to "
        "satisfy constraint: Member must have minimum value of 7 and maximum value of 30."
    )


def not_found(key_arn: str) -> tuple[str, str, int]:
    return ("NotFoundException", f"Key '{key_arn}' does not exist", 400)


@pytest.fixture
def key(client: KMSClient) -> dict[str, Any]:
    return dict(client.create_key()["KeyMetadata"])


# -- ScheduleKeyDeletion ---------------------------------------------------------


def test_default_window_is_30_days(client: KMSClient, key: dict[str, Any]) -> None:
    response: dict[str, Any] = dict(client.schedule_key_deletion(KeyId=key["KeyId"]))
    del response["ResponseMetadata"]
    assert response == {
        "KeyId": key["Arn"],
        "DeletionDate": START + _dt.timedelta(days=30),
        "KeyState": "PendingDeletion",
        "PendingWindowInDays": 30,
    }


@pytest.mark.parametrize("days", [7, 8, 29, 30])
def test_window_in_range(client: KMSClient, key: dict[str, Any], days: int) -> None:
    response = client.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=days)
    assert response["PendingWindowInDays"] == days
    assert response["DeletionDate"] == START + _dt.timedelta(days=days)
    metadata = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["DeletionDate"] == START + _dt.timedelta(days=days)
    assert (metadata["KeyState"], metadata["Enabled"]) == ("PendingDeletion", False)
    assert "PendingDeletionWindowInDays" not in metadata  # only for PendingReplicaDeletion


@pytest.mark.parametrize("days", [1, 6, 31, 365])
def test_window_out_of_range(client: KMSClient, key: dict[str, Any], days: int) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days)
    assert error_of(excinfo) == ("ValidationException", out_of_range(days), 400)
    assert "message" not in excinfo.value.response
    assert dict(client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]) == key


def test_window_above_the_model_maximum(client: KMSClient, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=366)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '366' at 'pendingWindowInDays' failed to satisfy "
        "constraint: Member must have value less than or equal to 365",
        400,
    )


def test_window_of_zero_past_botocore(kms: MockKMS) -> None:
    raw = boto3.client("kms", region_name=REGION, config=Config(parameter_validation=False))
    key_id = raw.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        raw.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=0)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'pendingWindowInDays' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1",
        400,
    )


def test_deletion_date_counts_from_the_request(
    client: KMSClient, clock: FrozenClock, key: dict[str, Any]
) -> None:
    clock.advance(hours=5, minutes=6, seconds=7)
    response = client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    expected = START + _dt.timedelta(days=7, hours=5, minutes=6, seconds=7)
    assert response["DeletionDate"] == expected


# -- the waiting period ends ---------------------------------------------------------


def test_key_exists_until_the_deletion_date_and_not_at_it(
    client: KMSClient, clock: FrozenClock, key: dict[str, Any]
) -> None:
    deletion_date = client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)[
        "DeletionDate"
    ]
    clock.move_to(deletion_date - ONE_SECOND)
    metadata = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    clock.move_to(deletion_date)
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId=key["KeyId"])
    assert error_of(excinfo) == not_found(key["Arn"])


@pytest.mark.parametrize(
    "operation",
    [
        "describe_key",
        "enable_key",
        "disable_key",
        "schedule_key_deletion",
        "cancel_key_deletion",
        "get_key_last_usage",
    ],
)
def test_every_operation_finds_no_deleted_key(
    client: KMSClient, clock: FrozenClock, key: dict[str, Any], operation: str
) -> None:
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    clock.advance(days=7)
    for key_id in (key["KeyId"], key["Arn"]):
        with pytest.raises(ClientError) as excinfo:
            getattr(client, operation)(KeyId=key_id)
        assert error_of(excinfo) == not_found(key["Arn"])


def test_deleted_key_leaves_list_keys(client: KMSClient, clock: FrozenClock) -> None:
    doomed = client.create_key()["KeyMetadata"]
    kept = client.create_key()["KeyMetadata"]
    client.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    assert len(client.list_keys()["Keys"]) == 2
    clock.advance(days=7)
    assert client.list_keys()["Keys"] == [{"KeyId": kept["KeyId"], "KeyArn": kept["Arn"]}]


def test_deletion_happens_when_the_clock_moves_without_a_request(
    client: KMSClient, kms: MockKMS, clock: FrozenClock, key: dict[str, Any]
) -> None:
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    clock.advance(days=6, hours=23, minutes=59, seconds=59)
    assert key["KeyId"] in stored_key_ids(kms)
    clock.advance(seconds=1)
    # No request since the move: the clock itself applied the deletion.
    assert key["KeyId"] not in stored_key_ids(kms)
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId=key["KeyId"])
    assert error_of(excinfo) == not_found(key["Arn"])


@pytest.fixture
def deletions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, _dt.datetime]]:
    """(key id, date) of every deletion the clock applies."""
    seen: list[tuple[str, _dt.datetime]] = []
    real = _lifecycle.delete

    def spy(backend: Any, key: Any, when: _dt.datetime) -> None:
        seen.append((key.key_id, when))
        real(backend, key, when)

    monkeypatch.setattr(_lifecycle, "delete", spy)
    return seen


def test_deletion_dated_on_schedule_after_a_jump_of_years(
    client: KMSClient,
    kms: MockKMS,
    clock: FrozenClock,
    deletions: list[tuple[str, _dt.datetime]],
) -> None:
    first = client.create_key()["KeyMetadata"]
    second = client.create_key()["KeyMetadata"]
    client.schedule_key_deletion(KeyId=first["KeyId"], PendingWindowInDays=30)
    clock.advance(days=2)
    client.schedule_key_deletion(KeyId=second["KeyId"], PendingWindowInDays=7)
    clock.advance(days=3 * 365)
    assert deletions == [
        (second["KeyId"], START + _dt.timedelta(days=9)),
        (first["KeyId"], START + _dt.timedelta(days=30)),
    ]
    assert stored_key_ids(kms) == []
    assert len(schedule_of(kms)) == 0


def service_events(kms: MockKMS) -> list[dict[str, Any]]:
    return [e for e in kms.audit_log if e["eventType"] == "AwsServiceEvent"]


def test_deletion_is_logged_on_its_scheduled_date(
    client: KMSClient, kms: MockKMS, clock: FrozenClock
) -> None:
    first = client.create_key()["KeyMetadata"]
    second = client.create_key()["KeyMetadata"]
    client.schedule_key_deletion(KeyId=first["KeyId"], PendingWindowInDays=30)
    clock.advance(days=2)
    client.schedule_key_deletion(KeyId=second["KeyId"], PendingWindowInDays=7)
    clock.advance(days=10 * 365)
    events = service_events(kms)
    assert [(e["eventName"], e["eventTime"], e["resources"]) for e in events] == [
        (
            "DeleteKey",
            "2025-01-10T00:00:00Z",
            [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": second["Arn"]}],
        ),
        (
            "DeleteKey",
            "2025-01-31T00:00:00Z",
            [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": first["Arn"]}],
        ),
    ]
    # The CloudTrail shape of a DeleteKey service event.
    event = events[0]
    assert event["userIdentity"] == {"accountId": ACCOUNT, "invokedBy": "AWS Internal"}
    assert (event["requestParameters"], event["responseElements"]) == (None, None)
    assert (event["awsRegion"], event["readOnly"], event["eventSource"]) == (
        REGION,
        False,
        "kms.amazonaws.com",
    )
    assert "serviceEventDetails" not in event


def test_cancelled_deletion_is_never_logged(
    client: KMSClient, kms: MockKMS, clock: FrozenClock, key: dict[str, Any]
) -> None:
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    client.cancel_key_deletion(KeyId=key["KeyId"])
    clock.advance(days=30)
    assert service_events(kms) == []


def test_deletion_on_a_move_to_far_ahead(
    client: KMSClient,
    clock: FrozenClock,
    key: dict[str, Any],
    deletions: list[tuple[str, _dt.datetime]],
) -> None:
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    clock.move_to("2040-06-01T12:00:00Z")
    assert deletions == [(key["KeyId"], START + _dt.timedelta(days=7))]


def test_deletion_takes_the_keys_aliases(client: KMSClient, clock: FrozenClock) -> None:
    doomed = client.create_key()["KeyMetadata"]
    kept = client.create_key()["KeyMetadata"]
    client.create_alias(AliasName="alias/doomed", TargetKeyId=doomed["KeyId"])
    client.create_alias(AliasName="alias/kept", TargetKeyId=kept["KeyId"])
    client.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    clock.advance(days=7)
    names = [alias["AliasName"] for alias in client.list_aliases()["Aliases"]]
    assert "alias/doomed" not in names
    assert "alias/kept" in names
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId="alias/doomed")
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/doomed is not found.",
        400,
    )


def test_deletion_of_a_disabled_key(client: KMSClient, clock: FrozenClock) -> None:
    key = client.create_key()["KeyMetadata"]
    client.disable_key(KeyId=key["KeyId"])
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    clock.advance(days=7)
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId=key["KeyId"])
    assert error_of(excinfo) == not_found(key["Arn"])


def test_deletion_of_a_pending_import_key(client: KMSClient, clock: FrozenClock) -> None:
    key = client.create_key(Origin="EXTERNAL")["KeyMetadata"]
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    clock.advance(days=7)
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId=key["KeyId"])
    assert error_of(excinfo) == not_found(key["Arn"])


# -- CancelKeyDeletion ------------------------------------------------------------------


def test_cancel_key_deletion(client: KMSClient, clock: FrozenClock, key: dict[str, Any]) -> None:
    deletion_date = client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)[
        "DeletionDate"
    ]
    clock.advance(days=3)
    response: dict[str, Any] = dict(client.cancel_key_deletion(KeyId=key["KeyId"]))
    del response["ResponseMetadata"]
    assert response == {"KeyId": key["Arn"]}
    expected = dict(key, KeyState="Disabled", Enabled=False)
    assert dict(client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]) == expected
    clock.move_to(deletion_date + _dt.timedelta(days=365))
    assert dict(client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]) == expected


def test_cancelled_key_can_be_enabled_again(client: KMSClient, key: dict[str, Any]) -> None:
    client.schedule_key_deletion(KeyId=key["KeyId"])
    client.cancel_key_deletion(KeyId=key["Arn"])
    client.enable_key(KeyId=key["KeyId"])
    assert dict(client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]) == key


def test_reschedule_after_cancel_uses_the_new_date_only(
    client: KMSClient,
    clock: FrozenClock,
    key: dict[str, Any],
    deletions: list[tuple[str, _dt.datetime]],
) -> None:
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    client.cancel_key_deletion(KeyId=key["KeyId"])
    clock.advance(days=5)
    second = client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert second["DeletionDate"] == START + _dt.timedelta(days=12)
    clock.move_to(START + _dt.timedelta(days=8))  # past the cancelled date
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert deletions == []
    clock.move_to(START + _dt.timedelta(days=12))
    assert deletions == [(key["KeyId"], START + _dt.timedelta(days=12))]


def test_cancel_on_a_pending_import_key_returns_it_to_pending_import(client: KMSClient) -> None:
    # ⚠ Inference: a key with no key material cannot become Disabled (then Enabled).
    key: dict[str, Any] = dict(client.create_key(Origin="EXTERNAL")["KeyMetadata"])
    client.schedule_key_deletion(KeyId=key["KeyId"])
    client.cancel_key_deletion(KeyId=key["KeyId"])
    assert dict(client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]) == key
    with pytest.raises(ClientError) as excinfo:
        client.enable_key(KeyId=key["KeyId"])
    assert error_of(excinfo)[1] == f"{key['Arn']} is pending import."


# -- with the system clock, moved by freezegun or time-machine -----------------------


def test_deletion_under_freezegun() -> None:
    with freezegun.freeze_time("2026-03-01T00:00:00Z") as frozen, mock_kms():
        client = boto3.client("kms", region_name=REGION)
        key = client.create_key()["KeyMetadata"]
        response = client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
        assert response["DeletionDate"] == _dt.datetime(2026, 3, 8, tzinfo=_dt.UTC)
        frozen.move_to("2026-03-07T23:59:59Z")
        assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == (
            "PendingDeletion"
        )
        frozen.move_to("2026-03-08T00:00:00Z")
        with pytest.raises(ClientError) as excinfo:
            client.describe_key(KeyId=key["KeyId"])
    assert error_of(excinfo) == not_found(key["Arn"])


def test_deletion_under_time_machine() -> None:
    start = _dt.datetime(2026, 3, 1, tzinfo=_dt.UTC)
    with time_machine.travel(start, tick=False) as traveller, mock_kms() as kms:
        client = boto3.client("kms", region_name=REGION)
        key = client.create_key()["KeyMetadata"]
        client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
        traveller.shift(_dt.timedelta(days=7))
        with pytest.raises(ClientError) as excinfo:
            client.describe_key(KeyId=key["KeyId"])
        assert error_of(excinfo) == not_found(key["Arn"])
        assert stored_key_ids(kms) == []


def test_deletion_with_the_system_clocks_own_advance() -> None:
    with freezegun.freeze_time("2026-03-01T00:00:00Z"), mock_kms() as kms:
        client = boto3.client("kms", region_name=REGION)
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        kms.clock.advance(days=7)  # type: ignore[attr-defined]
        # advance notifies the backend: deleted before any request.
        assert key_id not in stored_key_ids(kms)
