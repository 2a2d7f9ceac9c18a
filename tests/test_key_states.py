"""The key-state table for the operations kms_mock serves now
(https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).

For each state, each operation either succeeds (and the key ends in the state
the table implies) or fails with the footnote's exact message — and a failed
call leaves the key exactly as DescribeKey showed it before.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from kms_mock import FrozenClock
from tests._helpers import error_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
DELETION_DATE = START + _dt.timedelta(days=30)

PENDING_DELETION = "KMSInvalidStateException: {arn} is pending deletion."  # footnote 3
NOT_PENDING_DELETION = "KMSInvalidStateException: {arn} is not pending deletion."  # footnote 4
PENDING_IMPORT = "KMSInvalidStateException: {arn} is pending import."  # footnote 5


def enabled(client: KMSClient) -> str:
    return client.create_key()["KeyMetadata"]["KeyId"]


def disabled(client: KMSClient) -> str:
    key_id = enabled(client)
    client.disable_key(KeyId=key_id)
    return key_id


def pending_deletion(client: KMSClient) -> str:
    key_id = enabled(client)
    client.schedule_key_deletion(KeyId=key_id)
    return key_id


def pending_import(client: KMSClient) -> str:
    return client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]


STATES: dict[str, Callable[[KMSClient], str]] = {
    "Enabled": enabled,
    "Disabled": disabled,
    "PendingDeletion": pending_deletion,
    "PendingImport": pending_import,
}

# operation -> {state: resulting state (success) or the error "Code: message"}.
TABLE: dict[str, dict[str, str]] = {
    "CancelKeyDeletion": {
        "Enabled": NOT_PENDING_DELETION,
        "Disabled": NOT_PENDING_DELETION,
        "PendingDeletion": "Disabled",
        "PendingImport": NOT_PENDING_DELETION,
    },
    "DescribeKey": {state: state for state in STATES},
    "DisableKey": {
        "Enabled": "Disabled",
        "Disabled": "Disabled",
        "PendingDeletion": PENDING_DELETION,
        "PendingImport": PENDING_IMPORT,
    },
    "EnableKey": {
        "Enabled": "Enabled",
        "Disabled": "Enabled",
        "PendingDeletion": PENDING_DELETION,
        "PendingImport": PENDING_IMPORT,
    },
    "ScheduleKeyDeletion": {
        "Enabled": "PendingDeletion",
        "Disabled": "PendingDeletion",
        "PendingDeletion": PENDING_DELETION,
        "PendingImport": "PendingDeletion",
    },
    "UpdateKeyDescription": {
        "Enabled": "Enabled",
        "Disabled": "Disabled",
        "PendingDeletion": PENDING_DELETION,
        "PendingImport": "PendingImport",
    },
    "GetKeyLastUsage": {state: state for state in STATES},
}

METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "CancelKeyDeletion": ("cancel_key_deletion", {}),
    "DescribeKey": ("describe_key", {}),
    "DisableKey": ("disable_key", {}),
    "EnableKey": ("enable_key", {}),
    "ScheduleKeyDeletion": ("schedule_key_deletion", {}),
    "UpdateKeyDescription": ("update_key_description", {"Description": "changed"}),
    "GetKeyLastUsage": ("get_key_last_usage", {}),
}
CASES = [(operation, state) for operation in TABLE for state in STATES]


def describe(client: KMSClient, key_id: str) -> dict[str, Any]:
    return dict(client.describe_key(KeyId=key_id)["KeyMetadata"])


def expected_after(before: dict[str, Any], operation: str, state: str) -> dict[str, Any]:
    """DescribeKey after a successful ``operation`` that leaves the key in ``state``."""
    after = dict(before, KeyState=state, Enabled=state == "Enabled")
    after.pop("DeletionDate", None)
    if state == "PendingDeletion":
        after["DeletionDate"] = DELETION_DATE
    if operation == "UpdateKeyDescription":
        after["Description"] = "changed"
    return after


@pytest.mark.parametrize(("operation", "state"), CASES)
def test_key_state_table(client: KMSClient, operation: str, state: str) -> None:
    key_id = STATES[state](client)
    before = describe(client, key_id)
    assert before["KeyState"] == state
    method_name, extra = METHODS[operation]
    method: Callable[..., Any] = getattr(client, method_name)
    outcome = TABLE[operation][state]
    if ":" in outcome:
        with pytest.raises(ClientError) as excinfo:
            method(KeyId=key_id, **extra)
        code, message, status = error_of(excinfo)
        assert f"{code}: {message}" == outcome.format(arn=before["Arn"])
        assert status == 400
        assert describe(client, key_id) == before
    else:
        method(KeyId=key_id, **extra)
        assert describe(client, key_id) == expected_after(before, operation, outcome)


def test_pending_deletion_of_a_disabled_key_fails_like_an_enabled_one(client: KMSClient) -> None:
    key_id = disabled(client)
    client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    before = describe(client, key_id)
    with pytest.raises(ClientError) as excinfo:
        client.enable_key(KeyId=key_id)
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{before['Arn']} is pending deletion.",
        400,
    )
    assert describe(client, key_id) == before


def test_pending_deletion_of_a_pending_import_key(client: KMSClient) -> None:
    key_id = pending_import(client)
    client.schedule_key_deletion(KeyId=key_id)
    before = describe(client, key_id)
    assert (before["KeyState"], before["Enabled"]) == ("PendingDeletion", False)
    with pytest.raises(ClientError) as excinfo:
        client.disable_key(KeyId=key_id)
    assert error_of(excinfo)[1] == f"{before['Arn']} is pending deletion."
    assert describe(client, key_id) == before


def test_state_errors_carry_the_modeled_message_member(client: KMSClient) -> None:
    key_id = pending_deletion(client)
    with pytest.raises(ClientError) as excinfo:
        client.update_key_description(KeyId=key_id, Description="x")
    response: dict[str, Any] = dict(excinfo.value.response)
    assert response["message"] == response["Error"]["Message"]


def test_parameter_validation_comes_before_the_state_check(client: KMSClient) -> None:
    key_id = pending_deletion(client)
    before = describe(client, key_id)
    with pytest.raises(ClientError) as excinfo:
        client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=6)
    assert error_of(excinfo)[0] == "ValidationException"
    assert describe(client, key_id) == before


# -- automatic rotation follows the key state ---------------------------------


def rotation_dates(client: KMSClient, key_id: str) -> list[_dt.datetime]:
    rotations = client.list_key_rotations(KeyId=key_id)["Rotations"]
    return [entry["RotationDate"] for entry in rotations]


def rotating_key(client: KMSClient) -> str:
    key_id = enabled(client)
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    return key_id


def test_disabled_key_does_not_rotate(client: KMSClient, clock: FrozenClock) -> None:
    key_id = rotating_key(client)
    client.disable_key(KeyId=key_id)
    clock.advance(days=400)
    assert rotation_dates(client, key_id) == []


def test_re_enabled_overdue_key_rotates_once_then_every_period(
    client: KMSClient, clock: FrozenClock
) -> None:
    key_id = rotating_key(client)
    clock.advance(days=30)
    client.disable_key(KeyId=key_id)
    clock.advance(days=200)  # two periods' dates pass while disabled
    client.enable_key(KeyId=key_id)
    enabled_at = START + _dt.timedelta(days=230)
    assert rotation_dates(client, key_id) == [enabled_at]
    clock.advance(days=90)
    assert rotation_dates(client, key_id) == [enabled_at, enabled_at + _dt.timedelta(days=90)]


def test_re_enabled_key_not_yet_due_keeps_its_date(client: KMSClient, clock: FrozenClock) -> None:
    key_id = rotating_key(client)
    client.disable_key(KeyId=key_id)
    clock.advance(days=10)
    client.enable_key(KeyId=key_id)
    clock.advance(days=80)
    assert rotation_dates(client, key_id) == [START + _dt.timedelta(days=90)]


def test_pending_deletion_key_does_not_rotate(client: KMSClient, clock: FrozenClock) -> None:
    key_id = rotating_key(client)
    clock.advance(days=85)
    client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=30)
    clock.advance(days=29)
    assert rotation_dates(client, key_id) == []


def test_cancelled_deletion_leaves_rotation_paused_until_enabled(
    client: KMSClient, clock: FrozenClock
) -> None:
    key_id = rotating_key(client)
    client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=30)
    clock.advance(days=20)
    client.cancel_key_deletion(KeyId=key_id)  # Disabled: still no rotation
    clock.advance(days=100)
    assert rotation_dates(client, key_id) == []
    client.enable_key(KeyId=key_id)
    assert rotation_dates(client, key_id) == [START + _dt.timedelta(days=120)]


def test_enable_key_on_an_enabled_key_moves_no_rotation_date(
    client: KMSClient, clock: FrozenClock
) -> None:
    key_id = rotating_key(client)
    clock.advance(days=45)
    client.enable_key(KeyId=key_id)
    clock.advance(days=45)
    assert rotation_dates(client, key_id) == [START + _dt.timedelta(days=90)]
