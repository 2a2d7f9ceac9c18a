"""Fast backend tests: dispatch() and the validator, without boto3 in the way."""

from __future__ import annotations

import base64
import datetime as _dt
from typing import Any

import pytest

from kms_mock import FrozenClock, _dispatch
from kms_mock._dispatch import dispatch
from kms_mock._errors import (
    NotImplementedByMock,
    SerializationException,
    ServiceError,
    UnknownOperationException,
    ValidationException,
)
from kms_mock._store import Backend
from kms_mock._validation import check_response, decode_request

ACCOUNT = "123456789012"
REGION = "us-east-1"
START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
KEY_SPEC_ENUM = (
    "[RSA_2048, ECC_NIST_P384, ECC_NIST_P256, ECC_NIST_P521, HMAC_384, RSA_3072, "
    "ECC_SECG_P256K1, RSA_4096, SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_512, "
    "ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519]"
)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def backend(clock: FrozenClock) -> Backend:
    return Backend(clock=clock, default_region=REGION, account_id=ACCOUNT, seed=1)


def call(backend: Backend, operation: str, params: Any = None, region: str | None = REGION) -> Any:
    return dispatch(backend, operation, {} if params is None else params, region, "req-1")


def failure(backend: Backend, operation: str, params: Any = None) -> ServiceError:
    with pytest.raises(ServiceError) as excinfo:
        call(backend, operation, params)
    return excinfo.value


def validation_message(operation: str, params: Any) -> str:
    with pytest.raises(ValidationException) as excinfo:
        decode_request(operation, params, REGION)
    assert excinfo.value.message is not None
    return excinfo.value.message


# -- dispatch -------------------------------------------------------------------------------


def test_create_key(backend: Backend) -> None:
    response = call(backend, "CreateKey", {"Description": "unit"})
    metadata = response["KeyMetadata"]
    assert metadata["CreationDate"] == START
    assert metadata["Description"] == "unit"
    assert metadata["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{metadata['KeyId']}"
    assert check_response("CreateKey", response) == []
    assert list(backend.region_store(ACCOUNT, REGION).keys) == [metadata["KeyId"]]


def test_seeded_backends_make_the_same_ids(clock: FrozenClock) -> None:
    def ids(seed: int) -> list[str]:
        backend = Backend(clock=clock, default_region=REGION, account_id=ACCOUNT, seed=seed)
        made = [call(backend, "CreateKey")["KeyMetadata"] for _ in range(2)]
        made.append(call(backend, "CreateKey", {"MultiRegion": True})["KeyMetadata"])
        return [m["KeyId"] + m.get("CurrentKeyMaterialId", "") for m in made]

    assert ids(1) == ids(1)
    assert ids(1) != ids(2)


def test_default_region_when_the_request_names_none(clock: FrozenClock) -> None:
    backend = Backend(clock=clock, default_region="eu-north-1", account_id=ACCOUNT, seed=1)
    metadata = call(backend, "CreateKey", region=None)["KeyMetadata"]
    assert metadata["Arn"].startswith(f"arn:aws:kms:eu-north-1:{ACCOUNT}:key/")
    assert metadata["KeyId"] in backend.region_store(ACCOUNT, "eu-north-1").keys


def test_regions_are_separate(backend: Backend) -> None:
    key_id = call(backend, "CreateKey", region="eu-west-1")["KeyMetadata"]["KeyId"]
    assert call(backend, "ListKeys")["Keys"] == []
    error = failure(backend, "DescribeKey", {"KeyId": key_id})
    assert error.message == f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}' does not exist"


def test_every_served_response_fits_its_output_shape(backend: Backend) -> None:
    key_id = call(backend, "CreateKey", {"MultiRegion": True})["KeyMetadata"]["KeyId"]
    hmac = call(backend, "CreateKey", {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"})
    calls: list[tuple[str, dict[str, Any]]] = [
        ("DescribeKey", {"KeyId": key_id}),
        ("DescribeKey", {"KeyId": "alias/aws/s3"}),
        ("DescribeKey", {"KeyId": hmac["KeyMetadata"]["KeyId"]}),
        ("ListKeys", {"Limit": 1}),
        ("DisableKey", {"KeyId": key_id}),
        ("EnableKey", {"KeyId": key_id}),
        ("UpdateKeyDescription", {"KeyId": key_id, "Description": "d"}),
        ("GetKeyLastUsage", {"KeyId": key_id}),
        ("ScheduleKeyDeletion", {"KeyId": key_id}),
        ("DescribeKey", {"KeyId": key_id}),
        ("CancelKeyDeletion", {"KeyId": key_id}),
    ]
    for operation, params in calls:
        assert check_response(operation, call(backend, operation, params)) == [], operation


def test_unknown_operation(backend: Backend) -> None:
    error = failure(backend, "MakeCoffee")
    assert isinstance(error, UnknownOperationException)
    assert error.message is None


def test_modeled_operation_not_served_yet(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In botocore's model, but not served: an answer, never a traceback.
    monkeypatch.delitem(_dispatch.OPERATIONS, "RetireGrant")
    error = failure(backend, "RetireGrant", {"GrantToken": "token"})
    assert isinstance(error, NotImplementedByMock)
    assert (error.code, error.status) == ("NotImplementedByKmsMock", 501)
    assert error.message == (
        "not implemented by kms_mock: RetireGrant. kms_mock does not serve this "
        "yet; see the README's list of supported operations."
    )


def test_failed_create_leaves_the_backend_unchanged(backend: Backend) -> None:
    failure(backend, "CreateKey", {"Tags": [{"TagKey": "aws:x", "TagValue": "v"}]})
    failure(backend, "CreateKey", {"KeySpec": "RSA_2048"})
    failure(backend, "CreateKey", {"Origin": "AWS_CLOUDHSM"})
    failure(backend, "CreateKey", {"Policy": "not json"})
    assert backend.region_store(ACCOUNT, REGION).keys == {}


def test_malformed_policy(backend: Backend) -> None:
    error = failure(backend, "CreateKey", {"Policy": "not json"})
    assert (error.code, error.message) == (
        "MalformedPolicyDocumentException",
        "Policy contains invalid JSON.",
    )


# -- the clock drives the backend ----------------------------------------------------------


def test_dispatch_catches_up_with_an_unsubscribed_clock(
    backend: Backend, clock: FrozenClock
) -> None:
    key_id = call(backend, "CreateKey")["KeyMetadata"]["KeyId"]
    call(backend, "ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
    clock.advance(days=7)
    # Nobody listens to this clock: the store still holds the key ...
    assert key_id in backend.region_store(ACCOUNT, REGION).keys
    # ... until the next request catches up first.
    assert call(backend, "ListKeys")["Keys"] == []


def test_subscribed_backend_applies_events_when_the_clock_moves(
    backend: Backend, clock: FrozenClock
) -> None:
    clock.subscribe(backend.on_time_moved)
    key_id = call(backend, "CreateKey")["KeyMetadata"]["KeyId"]
    call(backend, "ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
    clock.advance(days=7)
    assert backend.region_store(ACCOUNT, REGION).keys == {}
    clock.unsubscribe(backend.on_time_moved)


def test_deletion_takes_the_keys_aliases(backend: Backend, clock: FrozenClock) -> None:
    doomed = call(backend, "CreateKey")["KeyMetadata"]["KeyId"]
    kept = call(backend, "CreateKey")["KeyMetadata"]["KeyId"]
    call(backend, "CreateAlias", {"AliasName": "alias/doomed", "TargetKeyId": doomed})
    call(backend, "CreateAlias", {"AliasName": "alias/kept", "TargetKeyId": kept})
    call(backend, "ScheduleKeyDeletion", {"KeyId": doomed, "PendingWindowInDays": 7})
    clock.advance(days=7)
    backend.catch_up()
    store = backend.region_store(ACCOUNT, REGION)
    assert list(store.aliases) == ["alias/kept"]
    assert list(store.keys) == [kept]
    error = failure(backend, "DescribeKey", {"KeyId": "alias/doomed"})
    assert error.message == f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/doomed is not found."


def test_catch_up_returns_now(backend: Backend, clock: FrozenClock) -> None:
    clock.advance(hours=3)
    assert backend.catch_up() == START + _dt.timedelta(hours=3)


# -- decode_request: AWS's validation messages ------------------------------------------------


def test_max_length() -> None:
    assert validation_message(
        "UpdateKeyDescription", {"KeyId": "k", "Description": "x" * 8193}
    ) == (
        f"1 validation error detected: Value '{'x' * 8193}' at 'description' failed to "
        "satisfy constraint: Member must have length less than or equal to 8192"
    )


def test_min_length() -> None:
    assert validation_message("DescribeKey", {"KeyId": ""}) == (
        "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_enum() -> None:
    assert validation_message("CreateKey", {"KeySpec": "HMAC_random"}) == (
        "1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy "
        f"constraint: Member must satisfy enum value set: {KEY_SPEC_ENUM}"
    )


def test_pattern() -> None:
    assert validation_message("CreateKey", {"XksKeyId": "bad id!"}) == (
        "1 validation error detected: Value 'bad id!' at 'xksKeyId' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_.]+$"
    )


def test_multiple_errors() -> None:
    message = validation_message(
        "CreateKey",
        {"KeySpec": "HMAC_random", "KeyUsage": "RANDOM", "Description": "d" * 8193},
    )
    assert message == (
        "3 validation errors detected: "
        f"Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: Member must satisfy "
        f"enum value set: {KEY_SPEC_ENUM}; "
        "Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum "
        "value set: [ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT]; "
        f"Value '{'d' * 8193}' at 'description' failed to satisfy constraint: Member must "
        "have length less than or equal to 8192"
    )


def test_two_errors_on_one_value() -> None:
    # Too long and off-pattern: AWS reports each constraint.
    value = "é" * 129
    assert validation_message("CreateKey", {"XksKeyId": value}) == (
        "2 validation errors detected: "
        f"Value '{value}' at 'xksKeyId' failed to satisfy constraint: Member must have length "
        "less than or equal to 128; "
        f"Value '{value}' at 'xksKeyId' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: ^[a-zA-Z0-9-_.]+$"
    )


def test_missing_required_member() -> None:
    assert validation_message("UpdateKeyDescription", {"KeyId": "k"}) == (
        "1 validation error detected: Value null at 'description' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_missing_required_members_and_a_bad_one() -> None:
    assert validation_message("ScheduleKeyDeletion", {"PendingWindowInDays": 366}) == (
        "2 validation errors detected: "
        "Value null at 'keyId' failed to satisfy constraint: Member must not be null; "
        "Value '366' at 'pendingWindowInDays' failed to satisfy constraint: Member must have "
        "value less than or equal to 365"
    )


@pytest.mark.parametrize(
    ("number", "constraint"),
    [
        (0, "Member must have value greater than or equal to 1"),
        (1025, "Member must have value less than or equal to 1024"),
    ],
)
def test_integer_range_recorded(number: int, constraint: str) -> None:
    assert validation_message("GenerateRandom", {"NumberOfBytes": number}) == (
        f"1 validation error detected: Value '{number}' at 'numberOfBytes' failed to satisfy "
        f"constraint: {constraint}"
    )


def test_blob_value_is_never_shown_recorded() -> None:
    plaintext = base64.b64encode(b"p" * 4097).decode()
    assert validation_message("Encrypt", {"KeyId": "k", "Plaintext": plaintext}) == (
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096"
    )


def test_nested_member_path_recorded() -> None:
    tags = [{"TagKey": "ok", "TagValue": "v"}, {"TagKey": "k", "TagValue": "v" * 257}]
    assert validation_message("CreateKey", {"Tags": tags}) == (
        f"1 validation error detected: Value '{'v' * 257}' at 'tags.2.member.tagValue' failed "
        "to satisfy constraint: Member must have length less than or equal to 256"
    )


@pytest.mark.parametrize("principal", ["élan", "\u65e5\u672c", "\uff55ser"])
def test_word_characters_are_ascii_as_in_java(principal: str) -> None:
    assert validation_message("ListRetirableGrants", {"RetiringPrincipal": principal}) == (
        f"1 validation error detected: Value '{principal}' at 'retiringPrincipal' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$"
    )


def test_digits_are_ascii_as_in_java() -> None:
    region = "us-east-\u0661"  # ARABIC-INDIC DIGIT ONE
    assert validation_message("ReplicateKey", {"KeyId": "k", "ReplicaRegion": region}) == (
        f"1 validation error detected: Value '{region}' at 'replicaRegion' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$"
    )


def test_whitespace_is_ascii_as_in_java() -> None:
    description = "imported\u2003material"  # EM SPACE
    params = {
        "KeyId": "k",
        "ImportToken": "dG9rZW4=",
        "EncryptedKeyMaterial": "a2V5",
        "KeyMaterialDescription": description,
    }
    assert validation_message("ImportKeyMaterial", params) == (
        f"1 validation error detected: Value '{description}' at 'keyMaterialDescription' "
        "failed to satisfy constraint: Member must satisfy regular expression pattern: "
        "^[a-zA-Z0-9:/_\\s.-]+$"
    )


def test_ascii_patterns_still_match() -> None:
    assert decode_request(
        "ListRetirableGrants", {"RetiringPrincipal": "arn:aws:iam::1:role/R_1"}, REGION
    )
    assert decode_request("ReplicateKey", {"KeyId": "k", "ReplicaRegion": "ap-southeast-2"}, REGION)


def test_pattern_must_match_the_whole_value() -> None:
    assert validation_message("CreateKey", {"XksKeyId": "abc\n"}) == (
        "1 validation error detected: Value 'abc\n' at 'xksKeyId' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_.]+$"
    )


# -- decode_request: decoding and types ----------------------------------------------------------


def test_blobs_and_timestamps_are_decoded() -> None:
    decoded = decode_request(
        "ImportKeyMaterial",
        {
            "KeyId": "k",
            "ImportToken": base64.b64encode(b"token").decode(),
            "EncryptedKeyMaterial": base64.b64encode(b"material").decode(),
            "ValidTo": 1735689600.5,
        },
        REGION,
    )
    assert decoded["ImportToken"] == b"token"
    assert decoded["EncryptedKeyMaterial"] == b"material"
    assert decoded["ValidTo"] == START + _dt.timedelta(milliseconds=500)


def test_unknown_and_null_members_are_dropped() -> None:
    decoded = decode_request(
        "DescribeKey", {"KeyId": "k", "Color": "blue", "GrantTokens": None}, REGION
    )
    assert decoded == {"KeyId": "k"}


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("CreateKey", "not an object"),
        ("CreateKey", {"MultiRegion": "yes"}),
        ("CreateKey", {"Description": 5}),
        ("CreateKey", {"Tags": {"TagKey": "k"}}),
        ("ScheduleKeyDeletion", {"KeyId": "k", "PendingWindowInDays": "7"}),
        ("ScheduleKeyDeletion", {"KeyId": "k", "PendingWindowInDays": 7.5}),
        ("ScheduleKeyDeletion", {"KeyId": "k", "PendingWindowInDays": True}),
        ("Encrypt", {"KeyId": "k", "Plaintext": "***not base64***"}),
        ("Encrypt", {"KeyId": "k", "Plaintext": "a", "EncryptionContext": ["x"]}),
        (
            "ImportKeyMaterial",
            {
                "KeyId": "k",
                "ImportToken": "a2V5",
                "EncryptedKeyMaterial": "a2V5",
                "ValidTo": "soon",
            },
        ),
    ],
)
def test_wrong_types_are_serialization_errors(operation: str, params: Any) -> None:
    with pytest.raises(SerializationException) as excinfo:
        decode_request(operation, params, REGION)
    assert excinfo.value.message is None


def test_operation_without_input_members() -> None:
    assert decode_request("DescribeCustomKeyStores", {}, REGION) == {}


# -- check_response ------------------------------------------------------------------------


def test_check_response_finds_what_is_wrong() -> None:
    response = {
        "KeyMetadata": {"KeyId": "k", "KeyState": "Sleeping", "Bogus": 1},
    }
    assert check_response("DescribeKey", response) == [
        "Value 'Sleeping' at 'keyMetadata.keyState' failed to satisfy constraint: Member must "
        "satisfy enum value set: [Creating, Enabled, Disabled, PendingDeletion, PendingImport, "
        "PendingReplicaDeletion, Unavailable, Updating]",
        "'keyMetadata.Bogus' is not a member of KeyMetadata",
    ]


def test_check_response_of_an_empty_output() -> None:
    assert check_response("EnableKey", {}) == []
    assert check_response("EnableKey", {"KeyId": "k"}) == ["unexpected members ['KeyId']"]
