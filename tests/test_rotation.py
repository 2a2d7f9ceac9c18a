"""Versioned key material and rotation on the mock clock: the story, a century
of rotations, the rotation operations with AWS's exact answers, and the rules
for disabled, deleted and AWS managed keys."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS
from tests._helpers import (
    audit_of,
    aws_managed_key,
    error_of,
    new_key,
    schedule_of,
    stored_key,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.literals import IncludeKeyMaterialType

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
CONFLICT = (
    "The request was rejected because an automatic rotation of this key is currently in "
    "progress or scheduled to begin within the next 20 minutes."
)


def days(count: int) -> _dt.timedelta:
    return _dt.timedelta(days=count)


def rotating_key(client: KMSClient, period: int | None = None) -> dict[str, Any]:
    key = new_key(client)
    if period is None:
        client.enable_key_rotation(KeyId=key["KeyId"])
    else:
        client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=period)
    return key


def rsa_key(client: KMSClient) -> dict[str, Any]:
    return new_key(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")


def hmac_key(client: KMSClient) -> dict[str, Any]:
    return new_key(client, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")


def without_metadata(response: Any) -> dict[str, Any]:
    members = dict(response)
    del members["ResponseMetadata"]
    return members


def status(client: KMSClient, key_id: str) -> dict[str, Any]:
    return without_metadata(client.get_key_rotation_status(KeyId=key_id))


def rotations(client: KMSClient, key_id: str, *, every_material: bool = False) -> list[Any]:
    include: IncludeKeyMaterialType = "ALL_KEY_MATERIAL" if every_material else "ROTATIONS_ONLY"
    paginator = client.get_paginator("list_key_rotations")
    pages = paginator.paginate(KeyId=key_id, IncludeKeyMaterial=include)
    return [entry for page in pages for entry in page["Rotations"]]


def rotation_dates(client: KMSClient, key_id: str) -> list[_dt.datetime]:
    return [entry["RotationDate"] for entry in rotations(client, key_id)]


def current_material(client: KMSClient, key_id: str) -> str:
    material: str = client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    return material


def encrypt(client: KMSClient, key_id: str, plaintext: bytes) -> bytes:
    return client.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]


def service_events(kms: MockKMS, name: str) -> list[dict[str, Any]]:
    return [
        event
        for event in audit_of(kms).events()
        if event["eventType"] == "AwsServiceEvent" and event["eventName"] == name
    ]


def iso(when: _dt.datetime) -> str:
    return when.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the story ------------------------------------------------------------


def test_rotation_story(client: KMSClient, clock: FrozenClock) -> None:
    key = new_key(client)
    key_id = key["KeyId"]
    client.enable_key_rotation(KeyId=key_id)
    first_material = key["CurrentKeyMaterialId"]
    old_blob = encrypt(client, key_id, b"written in 2025")

    clock.advance(days=364)
    assert rotations(client, key_id) == []
    assert current_material(client, key_id) == first_material

    clock.advance(days=1)
    [rotation] = rotations(client, key_id)
    assert rotation["RotationType"] == "AUTOMATIC"
    assert rotation["RotationDate"] == START + days(365)
    assert rotation["KeyMaterialState"] == "CURRENT"
    after = client.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (after["KeyId"], after["Arn"]) == (key_id, key["Arn"])
    assert after["CurrentKeyMaterialId"] == rotation["KeyMaterialId"] != first_material

    old = client.decrypt(CiphertextBlob=old_blob)
    assert old["Plaintext"] == b"written in 2025"
    assert old["KeyMaterialId"] == first_material
    assert old["KeyId"] == key["Arn"]
    new = client.decrypt(CiphertextBlob=encrypt(client, key_id, b"written in 2026"))
    assert new["Plaintext"] == b"written in 2026"
    assert new["KeyMaterialId"] == rotation["KeyMaterialId"]


def test_a_century_at_90_days_in_one_advance(client: KMSClient, clock: FrozenClock) -> None:
    key = rotating_key(client, 90)
    blob = encrypt(client, key["KeyId"], b"1925 is long gone")
    clock.advance(days=36500)

    end = START + days(36500)
    expected = [START + days(90 * k) for k in range(1, 1000) if START + days(90 * k) <= end]
    assert len(expected) == 36500 // 90
    entries = rotations(client, key["KeyId"])
    assert [entry["RotationDate"] for entry in entries] == expected
    assert {entry["RotationType"] for entry in entries} == {"AUTOMATIC"}
    assert [entry["KeyMaterialState"] for entry in entries] == ["NON_CURRENT"] * (
        len(expected) - 1
    ) + ["CURRENT"]
    assert len({entry["KeyMaterialId"] for entry in entries}) == len(expected)
    assert status(client, key["KeyId"])["NextRotationDate"] == expected[-1] + days(90)
    decrypted = client.decrypt(CiphertextBlob=blob)
    assert decrypted["Plaintext"] == b"1925 is long gone"
    assert decrypted["KeyMaterialId"] == key["CurrentKeyMaterialId"]


def test_ciphertexts_made_along_a_century_all_decrypt(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key_id = rotating_key(client, 90)["KeyId"]
    made: list[tuple[bytes, bytes, str]] = []
    for step, advance in enumerate([0, 1, 89, 90, 365, 1000, 3650, 10000, 21305]):
        clock.advance(days=advance)
        plaintext = f"step {step}".encode()
        made.append(
            (encrypt(client, key_id, plaintext), plaintext, current_material(client, key_id))
        )

    assert clock.now() == START + days(36500)
    assert len(rotations(client, key_id)) == 36500 // 90
    assert len({material for _, _, material in made}) == 8  # steps 0 and 1 share one
    for blob, plaintext, material in made:
        response = client.decrypt(CiphertextBlob=blob)
        assert (response["Plaintext"], response["KeyMaterialId"]) == (plaintext, material)
        assert kms.inspect_ciphertext(blob).key_material_id == material


# -- GetKeyRotationStatus ----------------------------------------------------


def test_status_of_a_new_key_is_disabled_with_no_schedule(client: KMSClient) -> None:
    key = new_key(client)
    assert status(client, key["KeyId"]) == {"KeyId": key["Arn"], "KeyRotationEnabled": False}


def test_status_of_a_rotating_key_has_period_and_next_date(
    client: KMSClient, clock: FrozenClock
) -> None:
    clock.advance(hours=5)
    key = rotating_key(client, 180)
    expected = {
        "KeyId": key["Arn"],
        "KeyRotationEnabled": True,
        "RotationPeriodInDays": 180,
        "NextRotationDate": START + _dt.timedelta(days=180, hours=5),
    }
    assert status(client, key["KeyId"]) == expected
    assert status(client, key["Arn"]) == expected


def test_default_period_is_365_days(client: KMSClient) -> None:
    key = rotating_key(client)
    assert status(client, key["KeyId"])["RotationPeriodInDays"] == 365
    assert status(client, key["KeyId"])["NextRotationDate"] == START + days(365)


def test_status_after_disabling_rotation_drops_the_schedule(client: KMSClient) -> None:
    key = rotating_key(client, 90)
    client.disable_key_rotation(KeyId=key["KeyId"])
    assert status(client, key["KeyId"]) == {"KeyId": key["Arn"], "KeyRotationEnabled": False}


def test_status_of_a_pending_deletion_key_is_false_only(client: KMSClient) -> None:
    key = rotating_key(client, 90)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert status(client, key["KeyId"]) == {"KeyId": key["Arn"], "KeyRotationEnabled": False}


def test_disabling_the_key_keeps_its_rotation_status(client: KMSClient) -> None:
    key = rotating_key(client, 90)
    before = status(client, key["KeyId"])
    client.disable_key(KeyId=key["KeyId"])
    assert status(client, key["KeyId"]) == before
    assert before["KeyRotationEnabled"] is True


def test_cancel_key_deletion_restores_the_status_and_leaves_the_key_disabled(
    client: KMSClient,
) -> None:
    key = rotating_key(client, 120)
    before = status(client, key["KeyId"])
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    client.cancel_key_deletion(KeyId=key["KeyId"])
    assert status(client, key["KeyId"]) == before
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


@pytest.mark.parametrize("make", [rsa_key, hmac_key], ids=["RSA_2048", "HMAC_256"])
def test_status_of_keys_that_cannot_rotate_is_false(client: KMSClient, make: Any) -> None:
    key = make(client)
    assert status(client, key["KeyId"]) == {"KeyId": key["Arn"], "KeyRotationEnabled": False}


def test_status_of_an_external_key_is_unsupported(client: KMSClient) -> None:
    key = new_key(client, Origin="EXTERNAL")
    with pytest.raises(client.exceptions.UnsupportedOperationException) as excinfo:
        client.get_key_rotation_status(KeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "UnsupportedOperationException",
        f"{key['Arn']} origin is EXTERNAL which is not valid for this operation.",
        400,
    )


def test_status_of_a_missing_key_is_not_found(client: KMSClient) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(client.exceptions.NotFoundException) as excinfo:
        client.get_key_rotation_status(KeyId=missing)
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{missing}' does not exist",
        400,
    )


# -- EnableKeyRotation / DisableKeyRotation -----------------------------------


@pytest.mark.parametrize("period", [90, 2560])
def test_period_limits_are_accepted(client: KMSClient, period: int) -> None:
    key = rotating_key(client, period)
    answer = status(client, key["KeyId"])
    assert answer["RotationPeriodInDays"] == period
    assert answer["NextRotationDate"] == START + days(period)


def test_enable_key_rotation_returns_an_empty_response(client: KMSClient) -> None:
    key = new_key(client)
    assert without_metadata(client.enable_key_rotation(KeyId=key["Arn"])) == {}
    assert without_metadata(client.disable_key_rotation(KeyId=key["Arn"])) == {}


def test_period_above_2560_is_a_validation_error(client: KMSClient) -> None:
    key = new_key(client)
    with pytest.raises(ClientError) as excinfo:
        client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=2561)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '2561' at 'rotationPeriodInDays' failed to "
        "satisfy constraint: Member must have value less than or equal to 2560",
        400,
    )
    assert status(client, key["KeyId"])["KeyRotationEnabled"] is False


def test_period_below_90_is_a_validation_error_when_botocore_lets_it_through(
    client: KMSClient,
) -> None:
    key = new_key(client)
    unchecked = boto3.client("kms", region_name=REGION, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        unchecked.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=89)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to "
        "satisfy constraint: Member must have value greater than or equal to 90",
        400,
    )
    assert status(client, key["KeyId"])["KeyRotationEnabled"] is False


@pytest.mark.parametrize("operation", ["enable_key_rotation", "disable_key_rotation"])
@pytest.mark.parametrize("alias", ["alias/x", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/x"])
def test_aliases_are_not_accepted(client: KMSClient, operation: str, alias: str) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/x", TargetKeyId=key["KeyId"])
    with pytest.raises(client.exceptions.NotFoundException) as excinfo:
        getattr(client, operation)(KeyId=alias)
    assert error_of(excinfo) == ("NotFoundException", f"Invalid keyId '{alias}'", 400)


@pytest.mark.parametrize("operation", ["enable_key_rotation", "disable_key_rotation"])
def test_rotation_cannot_change_on_a_disabled_key(client: KMSClient, operation: str) -> None:
    key = rotating_key(client, 90)
    before = status(client, key["KeyId"])
    client.disable_key(KeyId=key["KeyId"])
    with pytest.raises(client.exceptions.DisabledException) as excinfo:
        getattr(client, operation)(KeyId=key["KeyId"])
    assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.", 400)
    assert status(client, key["KeyId"]) == before


@pytest.mark.parametrize("operation", ["enable_key_rotation", "disable_key_rotation"])
def test_rotation_cannot_change_on_a_key_pending_deletion(
    client: KMSClient, operation: str
) -> None:
    key = new_key(client)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(client.exceptions.KMSInvalidStateException) as excinfo:
        getattr(client, operation)(KeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{key['Arn']} is pending deletion.",
        400,
    )


@pytest.mark.parametrize("operation", ["enable_key_rotation", "disable_key_rotation"])
@pytest.mark.parametrize("make", [rsa_key, hmac_key], ids=["RSA_2048", "HMAC_256"])
def test_keys_that_cannot_rotate_refuse_with_no_message(
    client: KMSClient, operation: str, make: Any
) -> None:
    key = make(client)
    with pytest.raises(client.exceptions.UnsupportedOperationException) as excinfo:
        getattr(client, operation)(KeyId=key["KeyId"])
    assert error_of(excinfo) == ("UnsupportedOperationException", "", 400)
    assert "message" not in excinfo.value.response


def test_disabled_asymmetric_key_reports_disabled_first(client: KMSClient) -> None:
    key = rsa_key(client)
    client.disable_key(KeyId=key["KeyId"])
    with pytest.raises(client.exceptions.DisabledException) as excinfo:
        client.enable_key_rotation(KeyId=key["KeyId"])
    assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.", 400)


@pytest.mark.parametrize("operation", ["enable_key_rotation", "disable_key_rotation"])
def test_external_key_rotation_is_unsupported(client: KMSClient, operation: str) -> None:
    key = new_key(client, Origin="EXTERNAL")
    with pytest.raises(client.exceptions.UnsupportedOperationException) as excinfo:
        getattr(client, operation)(KeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "UnsupportedOperationException",
        f"{key['Arn']} origin is EXTERNAL which is not valid for this operation.",
        400,
    )


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("enable_key_rotation", "EnableKeyRotation"),
        ("disable_key_rotation", "DisableKeyRotation"),
        ("rotate_key_on_demand", "RotateKeyOnDemand"),
    ],
)
def test_aws_managed_keys_refuse_rotation_changes(
    client: KMSClient, operation: str, action: str
) -> None:
    key = aws_managed_key(client)
    with pytest.raises(ClientError) as excinfo:
        getattr(client, operation)(KeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {ROOT} is not authorized to perform: kms:{action} on resource: {key['Arn']} "
        f"because no resource-based policy allows the kms:{action} action",
        400,
    )
    assert status(client, key["KeyId"])["KeyRotationEnabled"] is True


# -- the schedule follows the key state -------------------------


def test_disabled_key_does_not_rotate_while_disabled(client: KMSClient, clock: FrozenClock) -> None:
    key = rotating_key(client, 90)
    client.disable_key(KeyId=key["KeyId"])
    clock.advance(days=1000)
    assert rotations(client, key["KeyId"]) == []
    assert current_material(client, key["KeyId"]) == key["CurrentKeyMaterialId"]


def test_re_enabling_an_overdue_key_rotates_once_then_every_period(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=10)
    client.disable_key(KeyId=key["KeyId"])
    clock.advance(days=400, hours=3)  # four scheduled dates pass while it is disabled
    client.enable_key(KeyId=key["KeyId"])
    enabled_at = START + _dt.timedelta(days=410, hours=3)

    [rotation] = rotations(client, key["KeyId"])
    assert (rotation["RotationDate"], rotation["RotationType"]) == (enabled_at, "AUTOMATIC")
    assert status(client, key["KeyId"])["NextRotationDate"] == enabled_at + days(90)
    clock.advance(days=180)
    assert rotation_dates(client, key["KeyId"]) == [
        enabled_at,
        enabled_at + days(90),
        enabled_at + days(180),
    ]
    assert [event["eventTime"] for event in service_events(kms, "RotateKey")] == [
        iso(enabled_at),
        iso(enabled_at + days(90)),
        iso(enabled_at + days(180)),
    ]


def test_re_enabling_a_key_before_its_date_resumes_the_schedule(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=30)
    client.disable_key(KeyId=key["KeyId"])
    clock.advance(days=30)
    client.enable_key(KeyId=key["KeyId"])
    assert rotations(client, key["KeyId"]) == []
    assert status(client, key["KeyId"])["NextRotationDate"] == START + days(90)
    clock.advance(days=30)
    assert rotation_dates(client, key["KeyId"]) == [START + days(90)]


def test_re_enabling_a_key_exactly_at_its_date_rotates_it_as_part_of_the_call(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=30)
    client.disable_key(KeyId=key["KeyId"])
    clock.move_to(START + days(90))  # the scheduled date comes while the key is disabled
    client.enable_key(KeyId=key["KeyId"])
    # Due at the re-enable itself: it rotates within EnableKey (whose record is
    # written when the call ends), not at some later read of the clock.
    assert [event["eventName"] for event in audit_of(kms).events()][-2:] == [
        "RotateKey",
        "EnableKey",
    ]
    assert rotation_dates(client, key["KeyId"]) == [START + days(90)]
    assert status(client, key["KeyId"])["NextRotationDate"] == START + days(180)


def test_key_pending_deletion_does_not_rotate(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=85)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=30)
    clock.advance(days=29)  # the rotation date (day 90) passes while pending deletion
    assert rotations(client, key["KeyId"]) == []
    assert service_events(kms, "RotateKey") == []


def test_cancelled_deletion_rotates_an_overdue_key_when_enabled(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=80)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=20)
    clock.advance(days=15)
    client.cancel_key_deletion(KeyId=key["KeyId"])
    clock.advance(days=5)
    assert rotations(client, key["KeyId"]) == []  # Disabled after the cancel
    client.enable_key(KeyId=key["KeyId"])
    assert rotation_dates(client, key["KeyId"]) == [START + days(100)]
    assert status(client, key["KeyId"])["NextRotationDate"] == START + days(190)


def test_key_deleted_before_its_rotation_date_never_rotates(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=10)
    response = client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert response["DeletionDate"] == START + days(17)
    clock.advance(days=500)

    [deletion] = service_events(kms, "DeleteKey")
    assert deletion["eventTime"] == iso(START + days(17))
    assert deletion["resources"][0]["ARN"] == key["Arn"]
    assert service_events(kms, "RotateKey") == []
    with pytest.raises(client.exceptions.NotFoundException):
        client.list_key_rotations(KeyId=key["KeyId"])


def test_disabling_rotation_stops_it_and_re_enabling_restarts_from_then(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=60)
    client.disable_key_rotation(KeyId=key["KeyId"])
    clock.advance(days=100)  # day 90 passes with rotation off
    assert rotations(client, key["KeyId"]) == []
    client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    assert rotations(client, key["KeyId"]) == []  # a new enable date, not an overdue key
    assert status(client, key["KeyId"])["NextRotationDate"] == START + days(250)
    clock.advance(days=90)
    assert rotation_dates(client, key["KeyId"]) == [START + days(250)]


def test_disable_rotation_keeps_the_current_material(client: KMSClient, clock: FrozenClock) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=100)
    material = current_material(client, key["KeyId"])
    client.disable_key_rotation(KeyId=key["KeyId"])
    clock.advance(days=1000)
    assert current_material(client, key["KeyId"]) == material
    assert len(rotations(client, key["KeyId"])) == 1


# -- changing the period of a rotating key ---------------------------------


def test_shorter_period_already_past_rotates_at_the_change(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 365)
    clock.advance(days=100)
    client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    [rotation] = rotations(client, key["KeyId"])
    assert (rotation["RotationDate"], rotation["RotationType"]) == (START + days(100), "AUTOMATIC")
    assert status(client, key["KeyId"]) == {
        "KeyId": key["Arn"],
        "KeyRotationEnabled": True,
        "RotationPeriodInDays": 90,
        "NextRotationDate": START + days(190),
    }


def test_shorter_period_still_ahead_counts_from_the_enable_date(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 365)
    clock.advance(days=50)
    client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    assert rotations(client, key["KeyId"]) == []
    assert status(client, key["KeyId"])["NextRotationDate"] == START + days(90)
    clock.advance(days=40)
    assert rotation_dates(client, key["KeyId"]) == [START + days(90)]


def test_longer_period_counts_from_the_last_automatic_rotation(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=120)  # rotated on day 90
    client.rotate_key_on_demand(KeyId=key["KeyId"])  # on-demand rotations are no anchor
    client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=365)
    assert status(client, key["KeyId"])["NextRotationDate"] == START + days(90 + 365)
    clock.advance(days=90 + 365 - 120)
    assert [
        (entry["RotationDate"], entry["RotationType"]) for entry in rotations(client, key["KeyId"])
    ] == [
        (START + days(90), "AUTOMATIC"),
        (START + days(120), "ON_DEMAND"),
        (START + days(455), "AUTOMATIC"),
    ]


def test_enabling_again_without_a_period_changes_nothing(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    before = status(client, key["KeyId"])
    clock.advance(days=30)
    client.enable_key_rotation(KeyId=key["KeyId"])
    assert status(client, key["KeyId"]) == before


# -- jumps over several periods, across keys ---------------------------------------------


def test_jump_replays_every_rotation_in_time_order_across_keys(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    first = rotating_key(client, 90)
    clock.advance(days=1)
    second = rotating_key(client, 120)
    clock.advance(days=1000)

    end = START + days(1001)
    first_dates = [START + days(90 * k) for k in range(1, 12)]
    second_dates = [START + days(1 + 120 * k) for k in range(1, 9)]
    assert all(date <= end for date in first_dates + second_dates)
    assert rotation_dates(client, first["KeyId"]) == first_dates
    assert rotation_dates(client, second["KeyId"]) == second_dates

    expected = sorted(
        [(date, first["Arn"]) for date in first_dates]
        + [(date, second["Arn"]) for date in second_dates]
    )
    logged = [
        (event["eventTime"], event["resources"][0]["ARN"])
        for event in service_events(kms, "RotateKey")
    ]
    assert logged == [(iso(date), arn) for date, arn in expected]
    # The two schedules really interleave: the order is not one key after the other.
    assert [arn for _, arn in logged[:3]] == [first["Arn"], second["Arn"], first["Arn"]]


def test_keys_without_rotation_leave_the_schedule_empty(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    idle = [new_key(client)["KeyId"] for _ in range(20)]
    assert len(schedule_of(kms)) == 0
    rotating = rotating_key(client, 90)["KeyId"]
    assert stored_key(kms, rotating).materials.rotation_event is not None
    assert all(stored_key(kms, key_id).materials.rotation_event is None for key_id in idle)
    client.disable_key(KeyId=rotating)
    assert stored_key(kms, rotating).materials.rotation_event is None
    clock.advance(days=365)
    assert all(stored_key(kms, key_id).materials.next_rotation_at is None for key_id in idle)


def test_toggling_rotation_leaves_no_dead_events_behind(kms: MockKMS, client: KMSClient) -> None:
    key_id = new_key(client)["KeyId"]
    for _ in range(500):
        client.enable_key_rotation(KeyId=key_id)
        client.disable_key_rotation(KeyId=key_id)
    assert (len(schedule_of(kms)), schedule_of(kms).stored) == (0, 0)
    client.enable_key_rotation(KeyId=key_id)
    assert (len(schedule_of(kms)), schedule_of(kms).stored) == (1, 1)


# -- RotateKeyOnDemand --------------------------------------------------------


def test_on_demand_rotation_is_synchronous_and_dated_now(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = new_key(client)  # automatic rotation off: on demand still works
    clock.advance(days=3, minutes=7)
    response = client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert without_metadata(response) == {"KeyId": key["Arn"]}
    [rotation] = rotations(client, key["KeyId"])
    assert rotation["RotationType"] == "ON_DEMAND"
    assert rotation["RotationDate"] == START + _dt.timedelta(days=3, minutes=7)
    assert current_material(client, key["KeyId"]) == rotation["KeyMaterialId"]
    assert "OnDemandRotationStartDate" not in status(client, key["KeyId"])


def test_on_demand_rotation_never_moves_the_schedule(client: KMSClient, clock: FrozenClock) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=80)
    before = status(client, key["KeyId"])
    client.rotate_key_on_demand(KeyId=key["Arn"])
    assert status(client, key["KeyId"]) == before
    clock.advance(days=10)
    assert [entry["RotationType"] for entry in rotations(client, key["KeyId"])] == [
        "ON_DEMAND",
        "AUTOMATIC",
    ]
    assert rotation_dates(client, key["KeyId"]) == [START + days(80), START + days(90)]


def test_on_demand_limit_is_25_per_key(client: KMSClient) -> None:
    key = new_key(client)
    for _ in range(25):
        client.rotate_key_on_demand(KeyId=key["KeyId"])
    with pytest.raises(client.exceptions.LimitExceededException) as excinfo:
        client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "LimitExceededException",
        "The on-demand rotations limit has been reached for the given keyId. No more "
        f"on-demand rotations can be performed for this key: {key['Arn']}",
        400,
    )
    assert len(rotations(client, key["KeyId"])) == 25
    other = new_key(client)
    client.rotate_key_on_demand(KeyId=other["KeyId"])  # the limit is per key


def test_on_demand_limit_is_a_mock_setting(kms: MockKMS, client: KMSClient) -> None:
    kms.on_demand_rotation_limit = 10
    key = new_key(client)
    for _ in range(10):
        client.rotate_key_on_demand(KeyId=key["KeyId"])
    with pytest.raises(client.exceptions.LimitExceededException):
        client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert len(rotations(client, key["KeyId"])) == 10


def test_on_demand_limit_defaults_to_25(kms: MockKMS) -> None:
    assert kms.on_demand_rotation_limit == 25


def test_automatic_rotations_do_not_count_towards_the_limit(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    kms.on_demand_rotation_limit = 1
    key = rotating_key(client, 90)
    clock.advance(days=200)
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert len(rotations(client, key["KeyId"])) == 3


@pytest.mark.parametrize(
    ("before", "conflict"),
    [
        (_dt.timedelta(minutes=19), True),
        (_dt.timedelta(minutes=19, seconds=59), True),
        (_dt.timedelta(minutes=20), False),
        (_dt.timedelta(minutes=21), False),
    ],
)
def test_conflict_within_20_minutes_before_a_scheduled_rotation(
    client: KMSClient, clock: FrozenClock, before: _dt.timedelta, conflict: bool
) -> None:
    key = rotating_key(client, 90)
    next_rotation = status(client, key["KeyId"])["NextRotationDate"]
    clock.move_to(next_rotation - before)
    if conflict:
        with pytest.raises(client.exceptions.ConflictException) as excinfo:
            client.rotate_key_on_demand(KeyId=key["KeyId"])
        assert error_of(excinfo) == ("ConflictException", CONFLICT, 400)
        assert rotations(client, key["KeyId"]) == []
    else:
        client.rotate_key_on_demand(KeyId=key["KeyId"])
        assert rotation_dates(client, key["KeyId"]) == [next_rotation - before]


def test_no_conflict_window_without_automatic_rotation(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    client.disable_key_rotation(KeyId=key["KeyId"])
    clock.move_to(START + days(90) - _dt.timedelta(minutes=5))
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert len(rotations(client, key["KeyId"])) == 1


def test_refused_on_demand_rotations_do_not_count(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    kms.on_demand_rotation_limit = 1
    key = rotating_key(client, 90)
    clock.move_to(START + days(90) - _dt.timedelta(minutes=10))
    with pytest.raises(client.exceptions.ConflictException):
        client.rotate_key_on_demand(KeyId=key["KeyId"])
    clock.advance(minutes=30)
    client.rotate_key_on_demand(KeyId=key["KeyId"])


def test_disabled_rsa_key_is_disabled_before_unsupported(client: KMSClient) -> None:
    key = new_key(client, KeySpec="RSA_4096", KeyUsage="ENCRYPT_DECRYPT")
    client.disable_key(KeyId=key["KeyId"])
    with pytest.raises(client.exceptions.DisabledException) as excinfo:
        client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.", 400)


@pytest.mark.parametrize("make", [rsa_key, hmac_key], ids=["RSA_2048", "HMAC_256"])
def test_on_demand_rotation_of_keys_that_cannot_rotate(client: KMSClient, make: Any) -> None:
    key = make(client)
    with pytest.raises(client.exceptions.UnsupportedOperationException) as excinfo:
        client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_of(excinfo) == ("UnsupportedOperationException", "", 400)
    assert "message" not in excinfo.value.response


def test_on_demand_rotation_of_a_key_pending_deletion(client: KMSClient) -> None:
    key = new_key(client)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(client.exceptions.KMSInvalidStateException) as excinfo:
        client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{key['Arn']} is pending deletion.",
        400,
    )


def test_on_demand_rotation_of_a_disabled_key(client: KMSClient) -> None:
    key = new_key(client)
    client.disable_key(KeyId=key["KeyId"])
    with pytest.raises(client.exceptions.DisabledException):
        client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert rotations(client, key["KeyId"]) == []


# -- ListKeyRotations --------------------------------------------------------


def test_new_key_lists_no_rotations_but_its_first_material(client: KMSClient) -> None:
    key = new_key(client)
    response = client.list_key_rotations(KeyId=key["KeyId"])
    assert without_metadata(response) == {"Rotations": [], "Truncated": False}
    assert rotations(client, key["KeyId"], every_material=True) == [
        {
            "KeyId": key["Arn"],
            "KeyMaterialId": key["CurrentKeyMaterialId"],
            "KeyMaterialState": "CURRENT",
        }
    ]


def test_list_key_rotations_entries(client: KMSClient, clock: FrozenClock) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=91)
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    automatic_date, on_demand_date = START + days(90), START + days(91)
    every = rotations(client, key["KeyId"], every_material=True)
    ids = [entry["KeyMaterialId"] for entry in every]
    assert ids[0] == key["CurrentKeyMaterialId"]
    assert every == [
        {"KeyId": key["Arn"], "KeyMaterialId": ids[0], "KeyMaterialState": "NON_CURRENT"},
        {
            "KeyId": key["Arn"],
            "KeyMaterialId": ids[1],
            "KeyMaterialState": "NON_CURRENT",
            "RotationDate": automatic_date,
            "RotationType": "AUTOMATIC",
        },
        {
            "KeyId": key["Arn"],
            "KeyMaterialId": ids[2],
            "KeyMaterialState": "CURRENT",
            "RotationDate": on_demand_date,
            "RotationType": "ON_DEMAND",
        },
    ]
    assert rotations(client, key["KeyId"]) == every[1:]
    explicit = client.list_key_rotations(KeyId=key["Arn"], IncludeKeyMaterial="ROTATIONS_ONLY")
    assert explicit["Rotations"] == every[1:]


def test_list_key_rotations_pages_with_limit_and_marker(client: KMSClient) -> None:
    key = new_key(client)
    for _ in range(5):
        client.rotate_key_on_demand(KeyId=key["KeyId"])
    every = rotations(client, key["KeyId"], every_material=True)
    assert len(every) == 6

    first = client.list_key_rotations(
        KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL", Limit=4
    )
    assert (len(first["Rotations"]), first["Truncated"]) == (4, True)
    second = client.list_key_rotations(
        KeyId=key["KeyId"],
        IncludeKeyMaterial="ALL_KEY_MATERIAL",
        Limit=4,
        Marker=first["NextMarker"],
    )
    assert (len(second["Rotations"]), second["Truncated"]) == (2, False)
    assert "NextMarker" not in dict(second)
    assert list(first["Rotations"]) + list(second["Rotations"]) == every

    paginator = client.get_paginator("list_key_rotations")
    sizes = [
        len(page["Rotations"])
        for page in paginator.paginate(KeyId=key["KeyId"], PaginationConfig={"PageSize": 2})
    ]
    assert sizes == [2, 2, 1]


def test_list_key_rotations_gives_100_entries_a_page_by_default(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 90)
    clock.advance(days=90 * 101)  # 101 automatic rotations, 25 years
    first = client.list_key_rotations(KeyId=key["KeyId"])
    assert (len(first["Rotations"]), first["Truncated"]) == (100, True)
    second = client.list_key_rotations(KeyId=key["KeyId"], Marker=first["NextMarker"])
    assert (len(second["Rotations"]), second["Truncated"]) == (1, False)
    assert second["Rotations"][0]["RotationDate"] == START + days(90 * 101)


def test_list_key_rotations_refuses_a_made_up_marker(client: KMSClient) -> None:
    key = new_key(client)
    with pytest.raises(client.exceptions.InvalidMarkerException):
        client.list_key_rotations(KeyId=key["KeyId"], Marker="bm90LWEtbWFya2Vy")


@pytest.mark.parametrize("make", [rsa_key, hmac_key], ids=["RSA_2048", "HMAC_256"])
def test_list_key_rotations_of_keys_that_cannot_rotate(client: KMSClient, make: Any) -> None:
    key = make(client)
    with pytest.raises(client.exceptions.UnsupportedOperationException):
        client.list_key_rotations(KeyId=key["KeyId"])


def test_list_key_rotations_agrees_with_key_materials(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = rotating_key(client, 100)
    clock.advance(days=250)
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    materials = kms.key_materials(key["KeyId"])
    assert kms.key_materials(key["Arn"]) == materials
    every = rotations(client, key["KeyId"], every_material=True)
    assert [(m.key_material_id, m.state) for m in materials] == [
        (entry["KeyMaterialId"], entry["KeyMaterialState"]) for entry in every
    ]
    assert [(m.rotation_type, m.date) for m in materials] == [
        (None, START),
        ("AUTOMATIC", START + days(100)),
        ("AUTOMATIC", START + days(200)),
        ("ON_DEMAND", START + days(250)),
    ]


# -- AWS managed keys ---------------------------------------------------------


def test_aws_managed_key_rotates_yearly_from_creation(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    clock.advance(days=7)
    key = aws_managed_key(client)
    created = START + days(7)
    assert key["CreationDate"] == created
    assert status(client, key["KeyId"]) == {
        "KeyId": key["Arn"],
        "KeyRotationEnabled": True,
        "RotationPeriodInDays": 365,
        "NextRotationDate": created + days(365),
    }
    with kms.via_service("s3"):  # its key policy lets S3 use it, not the caller directly
        blob = client.encrypt(KeyId="alias/aws/s3", Plaintext=b"s3 object key")["CiphertextBlob"]
    clock.advance(days=364)
    assert rotations(client, key["KeyId"]) == []
    clock.advance(days=1 + 730)
    entries = rotations(client, key["KeyId"])
    assert [(entry["RotationDate"], entry["RotationType"]) for entry in entries] == [
        (created + days(365), "AUTOMATIC"),
        (created + days(730), "AUTOMATIC"),
        (created + days(1095), "AUTOMATIC"),
    ]
    assert status(client, key["KeyId"])["NextRotationDate"] == created + days(1460)
    with kms.via_service("s3"):
        decrypted = client.decrypt(CiphertextBlob=blob)
    assert decrypted["Plaintext"] == b"s3 object key"
    assert decrypted["KeyMaterialId"] == key["CurrentKeyMaterialId"]
