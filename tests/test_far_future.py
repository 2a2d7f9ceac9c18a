"""Dates past the end of ``datetime``: the event never happens, the call succeeds.

``datetime`` ends at 9999-12-31. A rotation or deletion that would fall after
it is never scheduled: rotation stays enabled with its period but shows no
NextRotationDate, and a key scheduled for deletion stays PendingDeletion with
no DeletionDate (both members are optional in botocore's model).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._validation import check_response
from tests._helpers import before_send_client, schedule_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

NEAR_THE_END = "9999-06-01T00:00:00Z"
LAST_DAY = _dt.datetime(9999, 12, 31, tzinfo=_dt.UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NEAR_THE_END)


@pytest.fixture
def kms(clock: FrozenClock) -> Iterator[MockKMS]:
    with mock_kms(clock=clock, seed=9) as mock:
        yield mock


@pytest.fixture
def client(kms: MockKMS) -> KMSClient:
    return boto3.client("kms", region_name="us-east-1")


def _members(operation: str, response: Any) -> dict[str, Any]:
    members = {name: value for name, value in response.items() if name != "ResponseMetadata"}
    assert check_response(operation, members) == []
    return members


def _calls(kms: MockKMS, name: str) -> list[dict[str, Any]]:
    return [event for event in kms.audit_log if event["eventName"] == name]


def test_enable_key_rotation_past_the_end_never_rotates(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=365)
    status = _members("GetKeyRotationStatus", client.get_key_rotation_status(KeyId=key_id))
    assert status == {
        "KeyId": client.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"],
        "KeyRotationEnabled": True,
        "RotationPeriodInDays": 365,
    }
    [call] = _calls(kms, "EnableKeyRotation")
    assert "errorCode" not in call
    clock.move_to(LAST_DAY)
    assert len(kms.key_materials(key_id)) == 1
    assert len(schedule_of(kms)) == 0


def test_a_period_that_still_fits_rotates_then_never_again(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    next_date = client.get_key_rotation_status(KeyId=key_id)["NextRotationDate"]
    assert next_date == _dt.datetime(9999, 8, 30, tzinfo=_dt.UTC)
    clock.move_to(LAST_DAY)  # 08-30 and 11-28 fit, 9999-11-28 + 90 days does not
    assert [material.date for material in kms.key_materials(key_id)][1:] == [
        _dt.datetime(9999, 8, 30, tzinfo=_dt.UTC),
        _dt.datetime(9999, 11, 28, tzinfo=_dt.UTC),
    ]
    status = _members("GetKeyRotationStatus", client.get_key_rotation_status(KeyId=key_id))
    assert status["KeyRotationEnabled"] is True
    assert "NextRotationDate" not in status


def test_changing_the_period_back_into_range_schedules_again(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=2560)
    assert "NextRotationDate" not in client.get_key_rotation_status(KeyId=key_id)
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = client.get_key_rotation_status(KeyId=key_id)
    assert status["NextRotationDate"] == _dt.datetime(9999, 8, 30, tzinfo=_dt.UTC)


def test_reenabling_a_key_that_never_rotates_again(kms: MockKMS, client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    client.enable_key_rotation(KeyId=key_id)
    client.disable_key(KeyId=key_id)
    client.enable_key(KeyId=key_id)
    assert client.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert len(kms.key_materials(key_id)) == 1


def test_aws_managed_key_created_near_the_end(kms: MockKMS, client: KMSClient) -> None:
    managed = client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    status = _members(
        "GetKeyRotationStatus", client.get_key_rotation_status(KeyId=managed["KeyId"])
    )
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365
    assert "NextRotationDate" not in status


def test_schedule_key_deletion_past_the_end_keeps_the_key_pending(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    clock.move_to("9999-12-20T00:00:00Z")
    key = client.create_key()["KeyMetadata"]
    response = _members("ScheduleKeyDeletion", client.schedule_key_deletion(KeyId=key["KeyId"]))
    assert response == {
        "KeyId": key["Arn"],
        "KeyState": "PendingDeletion",
        "PendingWindowInDays": 30,
    }
    [call] = _calls(kms, "ScheduleKeyDeletion")
    assert "errorCode" not in call
    clock.move_to(_dt.datetime.max.replace(tzinfo=_dt.UTC))
    metadata = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    assert "DeletionDate" not in metadata
    client.cancel_key_deletion(KeyId=key["KeyId"])
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_a_deletion_window_that_fits_still_deletes(client: KMSClient, clock: FrozenClock) -> None:
    clock.move_to("9999-12-20T00:00:00Z")
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    deletion = client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert deletion["DeletionDate"] == _dt.datetime(9999, 12, 27, tzinfo=_dt.UTC)
    clock.move_to(LAST_DAY)
    assert client.list_keys()["Keys"] == []


def test_rotate_on_demand_in_the_last_minutes() -> None:
    # The 20-minute conflict window reaches past the end of datetime here.
    with mock_kms(clock=FrozenClock("9999-12-31T23:50:00Z")):
        late = boto3.client("kms", region_name="us-east-1")
        key_id = late.create_key()["KeyMetadata"]["KeyId"]
        late.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
        assert late.rotate_key_on_demand(KeyId=key_id)["KeyId"].endswith(key_id)


@pytest.mark.parametrize("through", ["before-call", "before-send"])
def test_a_call_at_the_last_microsecond_answers_a_readable_date(through: str) -> None:
    # Epoch seconds there round up to year 10000 as a float, which botocore cannot read;
    # the answer carries the last instant a float can say within year 9999.
    with mock_kms(clock=FrozenClock(_dt.datetime.max)):
        late = boto3.client("kms", region_name="us-east-1")
        if through == "before-send":
            late = before_send_client()
        created = late.create_key()["KeyMetadata"]["CreationDate"]
        assert created == _dt.datetime(9999, 12, 31, 23, 59, 59, 999969, tzinfo=_dt.UTC)
        parameters = late.get_parameters_for_import(
            KeyId=late.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"],
            WrappingAlgorithm="RSAES_OAEP_SHA_256",
            WrappingKeySpec="RSA_2048",
        )
        assert "ParametersValidTo" not in parameters  # 24 hours later is past the end
