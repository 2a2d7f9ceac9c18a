"""The audit log: a CloudTrail-shaped record of every API call, failed
or not, and of every service-initiated event (RotateKey, DeleteKey), dated by
the mock clock — service events on their scheduled dates."""

from __future__ import annotations

import base64
import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

import kms_mock._keypairs
from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._wire import handle
from tests._helpers import audit_of, backend_of, before_send_client, new_key

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
ENVELOPE_KEYS = {
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "eventID",
    "readOnly",
    "resources",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "eventCategory",
}


def events(kms: MockKMS) -> list[dict[str, Any]]:
    return audit_of(kms).events()


def calls(kms: MockKMS, name: str) -> list[dict[str, Any]]:
    return [event for event in events(kms) if event["eventName"] == name]


def last_call(kms: MockKMS, name: str) -> dict[str, Any]:
    return calls(kms, name)[-1]


def service_events(kms: MockKMS, name: str) -> list[dict[str, Any]]:
    return [
        event
        for event in events(kms)
        if event["eventType"] == "AwsServiceEvent" and event["eventName"] == name
    ]


def resource(arn: str) -> list[dict[str, str]]:
    return [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": arn}]


class Sundial:
    """A clock with only ``now()``: the mock hears of no move until it reads the time."""

    def __init__(self) -> None:
        self.when = START

    def now(self) -> _dt.datetime:
        return self.when


def test_the_audit_log_applies_what_fell_due_before_it_is_read() -> None:
    sundial = Sundial()
    with mock_kms(clock=sundial) as kms:
        client = boto3.client("kms", region_name=REGION)
        key = new_key(client)
        client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
        sundial.when += _dt.timedelta(days=90)
        # No request since the clock moved: reading the log is what applies the rotation.
        log = kms.audit_log
    assert [(event["eventName"], event["eventTime"]) for event in log] == [
        ("CreateKey", "2025-01-01T00:00:00Z"),
        ("EnableKeyRotation", "2025-01-01T00:00:00Z"),
        ("RotateKey", "2025-04-01T00:00:00Z"),
    ]


def test_encrypt_call_record(kms: MockKMS, client: KMSClient, clock: FrozenClock) -> None:
    key = new_key(client)
    clock.advance(days=2, seconds=3.75)
    response = client.encrypt(
        KeyId=key["KeyId"], Plaintext=b"top secret", EncryptionContext={"Dept": "IT"}
    )
    event = last_call(kms, "Encrypt")

    assert ENVELOPE_KEYS | {"requestID", "additionalEventData"} == set(event)
    assert event["eventVersion"] == "1.11"
    assert event["eventTime"] == "2025-01-03T00:00:03Z"
    assert event["eventSource"] == "kms.amazonaws.com"
    assert event["awsRegion"] == REGION
    assert event["eventType"] == "AwsApiCall"
    assert event["requestParameters"] == {
        "keyId": key["KeyId"],
        "encryptionContext": {"Dept": "IT"},
    }
    assert event["responseElements"] is None
    assert event["readOnly"] is True
    assert event["resources"] == resource(key["Arn"])
    assert event["requestID"] == response["ResponseMetadata"]["RequestId"]
    assert event["additionalEventData"] == {"keyMaterialId": key["CurrentKeyMaterialId"]}
    assert event["userIdentity"]["accountId"] == ACCOUNT
    assert "invokedBy" not in event["userIdentity"]
    assert (event["managementEvent"], event["recipientAccountId"]) == (True, ACCOUNT)
    assert "errorCode" not in event


def test_no_plaintext_or_ciphertext_is_ever_logged(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    secret = b"do-not-log-me-7f3a"
    blob = client.encrypt(KeyId=key["KeyId"], Plaintext=secret)["CiphertextBlob"]
    client.decrypt(CiphertextBlob=blob)
    client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key["KeyId"])
    data_key = client.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    client.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=32)

    dumped = json.dumps(events(kms))
    for forbidden in (secret, blob, data_key["Plaintext"], data_key["CiphertextBlob"]):
        assert base64.b64encode(forbidden).decode() not in dumped
    assert secret.decode() not in dumped
    for event in events(kms):
        parameters = event["requestParameters"] or {}
        assert not {"plaintext", "ciphertextBlob"} & set(parameters)


def test_decrypt_record_names_the_material_that_made_the_ciphertext(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    blob = client.encrypt(
        KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"purpose": "audit"}
    )["CiphertextBlob"]
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    response = client.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "audit"})
    event = last_call(kms, "Decrypt")
    assert event["additionalEventData"] == {"keyMaterialId": key["CurrentKeyMaterialId"]}
    assert response["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    # CloudTrail names the algorithm of every Decrypt, and shows the context in clear.
    assert event["requestParameters"] == {
        "encryptionContext": {"purpose": "audit"},
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }
    assert event["resources"] == resource(key["Arn"])
    assert event["responseElements"] is None
    assert event["readOnly"] is True


def test_generate_data_key_records_carry_the_material(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    client.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    rotated = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    client.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=16)

    with_plaintext = last_call(kms, "GenerateDataKey")
    assert with_plaintext["requestParameters"] == {"keyId": key["KeyId"], "keySpec": "AES_256"}
    assert with_plaintext["additionalEventData"] == {"keyMaterialId": key["CurrentKeyMaterialId"]}
    without = last_call(kms, "GenerateDataKeyWithoutPlaintext")
    assert without["requestParameters"] == {"keyId": key["KeyId"], "numberOfBytes": 16}
    assert without["additionalEventData"] == {"keyMaterialId": rotated}
    assert rotated != key["CurrentKeyMaterialId"]


def test_management_call_echoes_the_key_arn(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    response = client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=180)
    event = last_call(kms, "EnableKeyRotation")
    assert event["requestParameters"] == {"keyId": key["KeyId"], "rotationPeriodInDays": 180}
    assert event["responseElements"] == {"keyId": key["Arn"]}
    assert event["readOnly"] is False
    assert event["resources"] == resource(key["Arn"])
    assert event["requestID"] == response["ResponseMetadata"]["RequestId"]
    assert "additionalEventData" not in event


def test_management_call_echoes_its_response_in_lower_camel(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client, Description="audited", Tags=[{"TagKey": "Team", "TagValue": "Blue"}])
    event = last_call(kms, "CreateKey")
    assert event["requestParameters"] == {
        "description": "audited",
        "tags": [{"tagKey": "Team", "tagValue": "Blue"}],
    }
    metadata = event["responseElements"]["keyMetadata"]
    assert metadata["keyId"] == key["KeyId"]
    assert metadata["arn"] == key["Arn"]
    assert metadata["keyState"] == "Enabled"
    assert metadata["creationDate"] == "2025-01-01T00:00:00Z"
    assert metadata["AWSAccountId"] == ACCOUNT  # as CloudTrail (Java beans) writes it


def test_schedule_key_deletion_response_elements(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    event = last_call(kms, "ScheduleKeyDeletion")
    assert event["requestParameters"] == {"keyId": key["KeyId"], "pendingWindowInDays": 7}
    assert event["responseElements"] == {
        "keyId": key["Arn"],
        "deletionDate": "2025-01-08T00:00:00Z",
        "keyState": "PendingDeletion",
        "pendingWindowInDays": 7,
    }


def test_read_only_calls(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    client.describe_key(KeyId=key["KeyId"])
    client.get_key_rotation_status(KeyId=key["KeyId"])
    client.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")
    client.list_keys()
    names = ["DescribeKey", "GetKeyRotationStatus", "ListKeyRotations", "ListKeys"]
    for name in names:
        event = last_call(kms, name)
        assert (event["readOnly"], event["responseElements"]) == (True, None), name
    assert last_call(kms, "ListKeyRotations")["requestParameters"] == {
        "keyId": key["KeyId"],
        "includeKeyMaterial": "ALL_KEY_MATERIAL",
    }
    assert last_call(kms, "DescribeKey")["resources"] == resource(key["Arn"])
    assert last_call(kms, "CreateKey")["readOnly"] is False


def test_failed_call_records_the_error(kms: MockKMS, client: KMSClient) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(client.exceptions.NotFoundException) as excinfo:
        client.describe_key(KeyId=missing)
    event = last_call(kms, "DescribeKey")
    assert event["errorCode"] == "NotFoundException"
    assert (
        event["errorMessage"]
        == f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{missing}' does not exist"
    )
    assert event["requestParameters"] == {"keyId": missing}
    assert event["responseElements"] is None
    assert event["requestID"] == excinfo.value.response["ResponseMetadata"]["RequestId"]
    assert event["eventType"] == "AwsApiCall"


def test_failed_management_call_echoes_nothing(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    client.disable_key(KeyId=key["KeyId"])
    with pytest.raises(client.exceptions.DisabledException):
        client.enable_key_rotation(KeyId=key["KeyId"])
    event = last_call(kms, "EnableKeyRotation")
    assert event["errorCode"] == "DisabledException"
    assert event["errorMessage"] == f"{key['Arn']} is disabled."
    assert event["responseElements"] is None
    assert event["resources"] == resource(key["Arn"])


def test_validation_failure_is_recorded(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    with pytest.raises(client.exceptions.ClientError):
        client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=2561)
    event = last_call(kms, "EnableKeyRotation")
    assert event["errorCode"] == "ValidationException"
    assert event["errorMessage"].startswith("1 validation error detected: Value '2561'")


def test_event_ids_are_unique_and_request_ids_match_each_call(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    request_ids = [
        client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["ResponseMetadata"]["RequestId"]
        for _ in range(5)
    ]
    assert [event["requestID"] for event in calls(kms, "Encrypt")] == request_ids
    ids = [event["eventID"] for event in events(kms)]
    assert len(ids) == len(set(ids)) == 6


def test_the_log_is_json(kms: MockKMS, client: KMSClient, clock: FrozenClock) -> None:
    key = new_key(client)
    client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    client.cancel_key_deletion(KeyId=key["KeyId"])
    client.enable_key(KeyId=key["KeyId"])
    clock.advance(days=100)
    log = events(kms)
    assert json.loads(json.dumps(log)) == log


def test_automatic_rotation_is_a_service_event_on_its_scheduled_date(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = new_key(client)
    client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    clock.advance(days=200)  # observed long after both dates
    entries = client.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    rotated = service_events(kms, "RotateKey")
    assert [event["eventTime"] for event in rotated] == [
        "2025-04-01T00:00:00Z",
        "2025-06-30T00:00:00Z",
    ]
    first = rotated[0]
    assert ENVELOPE_KEYS | {"serviceEventDetails"} == set(first)
    assert first["userIdentity"] == {"accountId": ACCOUNT, "invokedBy": "AWS Internal"}
    assert (first["sourceIPAddress"], first["userAgent"]) == ("AWS Internal", "AWS Internal")
    assert (first["requestParameters"], first["responseElements"]) == (None, None)
    assert first["readOnly"] is False
    assert first["resources"] == resource(key["Arn"])
    assert first["eventSource"] == "kms.amazonaws.com"
    assert first["awsRegion"] == REGION
    assert first["serviceEventDetails"] == {
        "keyId": key["KeyId"],
        "rotationType": "AUTOMATIC",
        "keyOrigin": "AWS_KMS",
        "previousKeyMaterialId": key["CurrentKeyMaterialId"],
        "currentKeyMaterialId": entries[0]["KeyMaterialId"],
    }
    assert rotated[1]["serviceEventDetails"]["previousKeyMaterialId"] == entries[0]["KeyMaterialId"]
    assert rotated[1]["serviceEventDetails"]["currentKeyMaterialId"] == entries[1]["KeyMaterialId"]
    assert rotated[0]["eventID"] != rotated[1]["eventID"]


def test_on_demand_rotation_logs_the_call_and_the_rotation(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = new_key(client)
    clock.advance(minutes=90)
    response = client.rotate_key_on_demand(KeyId=key["KeyId"])
    call = last_call(kms, "RotateKeyOnDemand")
    assert call["eventType"] == "AwsApiCall"
    assert call["requestParameters"] == {"keyId": key["KeyId"]}
    assert call["responseElements"] == {"keyId": key["Arn"]}
    assert call["requestID"] == response["ResponseMetadata"]["RequestId"]
    [rotated] = service_events(kms, "RotateKey")
    assert rotated["eventTime"] == "2025-01-01T01:30:00Z"
    assert rotated["serviceEventDetails"]["rotationType"] == "ON_DEMAND"
    assert rotated["serviceEventDetails"]["previousKeyMaterialId"] == key["CurrentKeyMaterialId"]


def test_deletion_is_a_service_event_dated_at_the_deletion_date(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = new_key(client)
    clock.advance(hours=6)
    deletion_date = client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)[
        "DeletionDate"
    ]
    clock.advance(days=6)
    assert service_events(kms, "DeleteKey") == []
    clock.advance(days=300)
    [deleted] = service_events(kms, "DeleteKey")
    assert deletion_date == START + _dt.timedelta(days=7, hours=6)
    assert deleted["eventTime"] == "2025-01-08T06:00:00Z"
    assert deleted["userIdentity"] == {"accountId": ACCOUNT, "invokedBy": "AWS Internal"}
    assert deleted["resources"] == resource(key["Arn"])
    assert (deleted["requestParameters"], deleted["responseElements"]) == (None, None)
    assert deleted["readOnly"] is False
    assert "requestID" not in deleted


def test_records_are_in_time_order(kms: MockKMS, client: KMSClient, clock: FrozenClock) -> None:
    first = new_key(client)
    client.enable_key_rotation(KeyId=first["KeyId"], RotationPeriodInDays=90)
    clock.advance(days=10)
    second = new_key(client)
    client.enable_key_rotation(KeyId=second["KeyId"], RotationPeriodInDays=100)
    client.schedule_key_deletion(KeyId=first["KeyId"], PendingWindowInDays=30)
    clock.advance(days=400)
    client.list_keys()

    times = [event["eventTime"] for event in events(kms)]
    assert times == sorted(times)
    names = [event["eventName"] for event in events(kms)]
    assert names == [
        "CreateKey",
        "EnableKeyRotation",
        "CreateKey",
        "EnableKeyRotation",
        "ScheduleKeyDeletion",
        "DeleteKey",  # day 40: the first key never rotates
        "RotateKey",  # day 110
        "RotateKey",  # day 210
        "RotateKey",  # day 310
        "RotateKey",  # day 410
        "ListKeys",
    ]
    rotated_arns = {event["resources"][0]["ARN"] for event in service_events(kms, "RotateKey")}
    assert rotated_arns == {second["Arn"]}


def test_create_key_names_the_new_key_in_resources(kms: MockKMS, client: KMSClient) -> None:
    arn = client.create_key()["KeyMetadata"]["Arn"]
    event = kms.audit_log[-1]
    assert event["eventName"] == "CreateKey"
    assert event["resources"] == [
        {"accountId": "123456789012", "type": "AWS::KMS::Key", "ARN": arn}
    ]


# -- userAgent: the caller's User-Agent header ----------------------------------------------


def _user_agent_sent_before_call(client: KMSClient, operation: str) -> list[str]:
    sent: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["headers"]["User-Agent"])

    # The operation's own event: botocore calls it before kms_mock's (for all of kms).
    client.meta.events.register(f"before-call.kms.{operation}", record)
    return sent


def test_user_agent_is_the_callers_header(kms: MockKMS) -> None:
    client = boto3.client("kms", region_name=REGION, config=Config(user_agent_extra="my-app/1.2"))
    sent = _user_agent_sent_before_call(client, "CreateKey")
    new_key(client)
    event = last_call(kms, "CreateKey")
    assert [event["userAgent"]] == sent
    assert event["userAgent"].startswith("Boto3/")
    assert event["userAgent"].endswith(" my-app/1.2")


def test_user_agent_on_the_before_send_path(kms: MockKMS) -> None:
    slow = before_send_client()
    sent: list[bytes] = []
    # Registered after kms_mock's before-send handler: it sees the request as answered.
    slow.meta.events.register(
        "before-send.kms", lambda request, **_: sent.append(request.headers["User-Agent"])
    )
    slow.list_keys()
    [header] = sent
    assert isinstance(header, bytes)
    assert last_call(kms, "ListKeys")["userAgent"] == header.decode()
    assert header.startswith(b"Boto3/")


def test_the_wire_layer_records_the_user_agent_it_is_given_or_none(kms: MockKMS) -> None:
    handle(backend_of(kms), "TrentService.ListKeys", b"{}", None, b"curl/8.5.0")
    assert last_call(kms, "ListKeys")["userAgent"] == "curl/8.5.0"
    handle(backend_of(kms), "TrentService.ListKeys", b"{}", None)
    assert last_call(kms, "ListKeys")["userAgent"] == ""


# -- order: by event time, however late a record arrives -------------------------------------


def test_a_call_that_waited_for_its_key_pair_is_listed_at_its_own_time(
    kms: MockKMS, client: KMSClient, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rotating = new_key(client)
    client.enable_key_rotation(KeyId=rotating["KeyId"], RotationPeriodInDays=90)
    signing = new_key(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    derive = kms_mock._keypairs.derive_secret

    def derive_while_the_clock_moves(*args: Any, **kwargs: Any) -> Any:
        # The first Sign generates the key pair with the backend's lock let go:
        # meanwhile another thread moves the clock past a scheduled rotation.
        clock.advance(days=100)
        return derive(*args, **kwargs)

    monkeypatch.setattr(kms_mock._keypairs, "derive_secret", derive_while_the_clock_moves)
    client.sign(KeyId=signing["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")

    log = kms.audit_log
    assert [(event["eventName"], event["eventTime"]) for event in log] == [
        ("CreateKey", "2025-01-01T00:00:00Z"),
        ("EnableKeyRotation", "2025-01-01T00:00:00Z"),
        ("CreateKey", "2025-01-01T00:00:00Z"),
        ("Sign", "2025-01-01T00:00:00Z"),  # dated when it started; it arrived last
        ("RotateKey", "2025-04-01T00:00:00Z"),
    ]


def test_request_timestamps_are_iso_and_blobs_are_left_out(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client, Origin="EXTERNAL")
    with pytest.raises(client.exceptions.ClientError):  # refused, and recorded all the same
        client.import_key_material(
            KeyId=key["KeyId"],
            ImportToken=b"token" * 8,
            EncryptedKeyMaterial=b"material" * 8,
            ValidTo=_dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=_dt.UTC),
            ExpirationModel="KEY_MATERIAL_EXPIRES",
        )
    assert last_call(kms, "ImportKeyMaterial")["requestParameters"] == {
        "keyId": key["KeyId"],
        "validTo": "2026-03-04T05:06:07Z",
        "expirationModel": "KEY_MATERIAL_EXPIRES",
    }


def test_changing_what_was_read_changes_nothing_in_the_log(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client, Tags=[{"TagKey": "team", "TagValue": "blue"}])
    client.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"a": "b"})
    before = kms.audit_log
    for event in kms.audit_log:
        event["requestParameters"].clear()
        if event["responseElements"]:
            event["responseElements"]["keyMetadata"].clear()
    assert kms.audit_log == before
    assert before[0]["requestParameters"]["tags"] == [{"tagKey": "team", "tagValue": "blue"}]
