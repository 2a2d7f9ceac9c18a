"""The JSON 1.1 wire layer: unreadable bodies (SerializationException, audited), what
it reads of an HTTP request (Region, caller, the Authorization header AWS requires),
and the response bodies it writes."""

from __future__ import annotations

import base64
import datetime as _dt
import json
from typing import Any

import pytest

from kms_mock import MockKMS, _wire
from kms_mock._wire import (
    encode_body,
    handle,
    handle_http,
    region_of_host,
    region_of_url,
    signing_scope,
)
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


# -- what a transport reads of an HTTP request ------------------------------------------------

SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/{region}/kms/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0123abcd"
)


@pytest.mark.parametrize(
    ("host", "region"),
    [
        ("kms.eu-west-1.amazonaws.com", "eu-west-1"),
        ("kms.eu-west-1.amazonaws.com:443", "eu-west-1"),
        ("kms-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ("kms.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        ("kms.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1"),
        ("kms.ap-southeast-2.api.aws", "ap-southeast-2"),
        ("127.0.0.1:4599", None),
        ("localhost", None),
        ("kms.localhost.localstack.cloud", None),
        ("s3.eu-west-1.amazonaws.com", None),
        ("", None),
        (None, None),
    ],
)
def test_region_of_host(host: str | None, region: str | None) -> None:
    assert region_of_host(host) == region


def test_region_of_url() -> None:
    assert region_of_url("https://kms.sa-east-1.amazonaws.com/") == "sa-east-1"
    assert region_of_url("http://127.0.0.1:4599/") is None


def test_signing_region_and_access_key_of_a_sigv4_header() -> None:
    assert signing_scope(SIGV4.format(region="eu-central-1")) == ("AKIDEXAMPLE", "eu-central-1")


def test_sigv4a_scope_names_an_access_key_but_no_region() -> None:
    authorization = (
        "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20260101/kms/aws4_request, "
        "SignedHeaders=host, Signature=3045"
    )
    assert signing_scope(authorization) == ("AKIDEXAMPLE", None)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer token",
        "AWS4-HMAC-SHA256 Credential=",
        "",
        "AWS4-HMAC-SHA256 Credential=/20260101/not a region/kms/aws4_request",
    ],
)
def test_authorization_without_a_credential_names_nothing(authorization: str) -> None:
    assert signing_scope(authorization) == (None, None)


def _create_key_over_http(kms: MockKMS, **request: Any) -> dict[str, Any]:
    answer = handle_http(backend_of(kms), target=CREATE_KEY, body=b"{}", **request)
    assert answer.status == 200, answer.body
    metadata: dict[str, Any] = json.loads(answer.body)["KeyMetadata"]
    return metadata


def test_http_request_region_comes_from_the_credential_scope_first(kms: MockKMS) -> None:
    metadata = _create_key_over_http(
        kms,
        authorization=SIGV4.format(region="eu-west-1"),
        host="kms.ap-southeast-2.amazonaws.com",
    )
    assert metadata["Arn"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")


def test_http_request_region_then_from_the_host(kms: MockKMS) -> None:
    metadata = _create_key_over_http(
        kms,
        authorization="AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/kms/aws4_request",
        host="kms.ap-southeast-2.amazonaws.com",
    )
    assert metadata["Arn"].startswith("arn:aws:kms:ap-southeast-2:")


def test_http_request_region_else_the_default(kms: MockKMS) -> None:
    metadata = _create_key_over_http(
        kms, authorization="AWS4-HMAC-SHA256 Credential=garbled", host="127.0.0.1:4599"
    )
    assert metadata["Arn"].startswith("arn:aws:kms:us-east-1:")


def test_http_request_access_key_names_a_registered_principal(kms: MockKMS) -> None:
    role = "arn:aws:iam::123456789012:role/Deployer"
    credentials = kms.principals.register(role)
    kms.iam.attach(
        role,
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"}],
        },
    )
    authorization = SIGV4.format(region="us-east-1").replace(
        "AKIDEXAMPLE", credentials["aws_access_key_id"]
    )
    _create_key_over_http(kms, authorization=authorization, user_agent="curl/8.0")
    (event,) = kms.audit_log
    assert event["userIdentity"]["arn"].startswith(
        "arn:aws:sts::123456789012:assumed-role/Deployer/"
    )
    assert event["userAgent"] == "curl/8.0"


def test_http_request_without_authorization_is_refused_unaudited(kms: MockKMS) -> None:
    answer = handle_http(backend_of(kms), target=CREATE_KEY, body=b"{}", authorization=None)
    assert answer.status == 400
    assert json.loads(answer.body) == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Request is missing Authentication Token",
    }
    assert answer.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert answer.headers["x-amzn-RequestId"]
    assert stored_key_ids(kms) == []
    assert kms.audit_log == []


def test_access_denied_carries_its_message_as_aws_does(kms: MockKMS) -> None:
    # AccessDeniedException comes from AWS's authorization layer: "Message", capital M.
    credentials = kms.principals.register("arn:aws:iam::123456789012:user/nobody")
    authorization = SIGV4.format(region="us-east-1").replace(
        "AKIDEXAMPLE", credentials["aws_access_key_id"]
    )
    answer = handle_http(
        backend_of(kms), target=CREATE_KEY, body=b"{}", authorization=authorization
    )
    assert (answer.status, json.loads(answer.body)) == (
        400,
        {
            "__type": "AccessDeniedException",
            "Message": "User: arn:aws:iam::123456789012:user/nobody is not authorized to "
            "perform: kms:CreateKey because no identity-based policy allows the "
            "kms:CreateKey action",
        },
    )


# Every kind of value a response holds: text that JSON escapes, numbers, nesting,
# blobs and timestamps (which reach JSON through the encoder's default hook).
RESPONSE_MEMBERS: dict[str, Any] = {
    "Description": 'quote " backslash \\ tab \t é 中 \U0001f511 \x00',
    "Enabled": True,
    "Truncated": False,
    "NextMarker": None,
    "ValidTo": _dt.datetime(2025, 1, 1, 12, 30, 15, 250000, tzinfo=_dt.UTC),
    "Limit": 1000,
    "Ratio": 0.1,
    "CiphertextBlob": bytes(range(256)),
    "Keys": [{"KeyId": "k", "Tags": [], "Blobs": [b"", b"\xff"]}, {}],
}


def _reference_body(members: dict[str, Any]) -> bytes:
    def wire_form(value: object) -> object:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()
        assert isinstance(value, _dt.datetime)
        return value.timestamp()

    return json.dumps(members, default=wire_form, separators=(",", ":")).encode()


def test_response_body_is_compact_ascii_json_with_wire_forms() -> None:
    assert encode_body(RESPONSE_MEMBERS) == _reference_body(RESPONSE_MEMBERS)


def test_response_body_is_the_same_without_jsons_c_encoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_wire, "_C_ENCODE", None)
    assert encode_body(RESPONSE_MEMBERS) == _reference_body(RESPONSE_MEMBERS)


def _c_encoder_of_other_arguments(*arguments: object) -> None:
    raise TypeError("c_make_encoder() takes other arguments")


@pytest.mark.parametrize(
    "c_make_encoder",
    [None, _c_encoder_of_other_arguments],
    ids=["no C accelerator", "other arguments"],
)
def test_without_a_usable_c_encoder_json_encodes_the_body(
    monkeypatch: pytest.MonkeyPatch, c_make_encoder: Any
) -> None:
    monkeypatch.setattr(json.encoder, "c_make_encoder", c_make_encoder)
    assert _wire._c_encoder() is None
