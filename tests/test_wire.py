"""Request bodies the JSON 1.1 wire layer cannot read: SerializationException, audited."""

from __future__ import annotations

import json

import pytest

from kms_mock import MockKMS
from kms_mock._wire import handle
from tests._helpers import backend_of, stored_key_ids

CREATE_KEY = "TrentService.CreateKey"

UNREADABLE_BODIES = {
    # Within any size limit, nested deeper than a recursive JSON parser goes.
    "nested 1,000 deep (2 KB)": "[" * 1000 + "]" * 1000,
    "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
    "nested inside a member": '{"Description": ' + "[" * 5000 + "]" * 5000 + "}",
    "not JSON": "{",
    "not UTF-8": b'{"Description": "\xff"}',
}


@pytest.mark.parametrize("body", UNREADABLE_BODIES.values(), ids=UNREADABLE_BODIES.keys())
def test_unreadable_body_is_a_serialization_error(kms: MockKMS, body: str | bytes) -> None:
    answer = handle(backend_of(kms), CREATE_KEY, body, "us-east-1")
    assert answer.status == 400
    assert json.loads(answer.body) == {"__type": "SerializationException"}
    assert stored_key_ids(kms) == []


@pytest.mark.parametrize("body", UNREADABLE_BODIES.values(), ids=UNREADABLE_BODIES.keys())
def test_unreadable_body_is_audited(kms: MockKMS, body: str | bytes) -> None:
    handle(backend_of(kms), CREATE_KEY, body, "us-east-1")
    (event,) = kms.audit_log
    assert (event["eventName"], event["errorCode"]) == ("CreateKey", "SerializationException")
    assert event["requestParameters"] is None


def test_body_that_is_not_an_object_is_audited_alike(kms: MockKMS) -> None:
    answer = handle(backend_of(kms), CREATE_KEY, "[]", "us-east-1")
    assert json.loads(answer.body) == {"__type": "SerializationException"}
    (event,) = kms.audit_log
    assert (event["errorCode"], event["requestParameters"]) == ("SerializationException", None)


def test_empty_body_is_an_empty_request(kms: MockKMS) -> None:
    answer = handle(backend_of(kms), CREATE_KEY, b"", "us-east-1")
    assert answer.status == 200
    assert answer.members is not None
    assert answer.members["KeyMetadata"]["KeySpec"] == "SYMMETRIC_DEFAULT"
