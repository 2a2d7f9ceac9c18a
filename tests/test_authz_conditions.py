"""Every condition operator of the policy engine, table-driven: positive and negative cases.

Each case is one Condition block on a key-policy statement that allows a caller
of the key's account directly, so the call is allowed exactly when the block holds.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

import pytest

from kms_mock._authz import KeyRef, caller, evaluate

ACCOUNT = "111122223333"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
KEY = KeyRef(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", ACCOUNT)
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Admin"
NOW = _dt.datetime(2025, 6, 1, tzinfo=_dt.UTC)


def holds(condition: Any, context: dict[str, Any]) -> bool:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": USER},
        "Action": "kms:Encrypt",
        "Resource": "*",
        "Condition": condition,
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": statement})
    return evaluate(caller(USER), "kms:Encrypt", KEY, context, policy).allowed


def case(
    operator: str, key: str, policy_values: Any, request: Any, expected: bool
) -> Any:  # a pytest.param
    context = {} if request is None else {key: request}
    name = f"{operator}-{policy_values!r}-{request!r}"
    return pytest.param({operator: {key: policy_values}}, context, expected, id=name)


ABSENT = None
CASES = [
    # String operators: case-sensitive values, several policy values OR.
    case("StringEquals", "kms:KeySpec", "SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT", True),
    case("StringEquals", "kms:KeySpec", "SYMMETRIC_DEFAULT", "symmetric_default", False),
    case(
        "StringEquals", "kms:KeySpec", ["RSA_2048", "SYMMETRIC_DEFAULT"], "SYMMETRIC_DEFAULT", True
    ),
    case("StringEquals", "kms:KeySpec", "SYMMETRIC_DEFAULT", ABSENT, False),
    case("StringNotEquals", "kms:KeySpec", "RSA_2048", "SYMMETRIC_DEFAULT", True),
    case("StringNotEquals", "kms:KeySpec", ["RSA_2048", "HMAC_256"], "HMAC_256", False),
    case("StringNotEquals", "kms:KeySpec", "RSA_2048", ABSENT, True),
    case("StringEqualsIgnoreCase", "kms:KeySpec", "Symmetric_Default", "SYMMETRIC_DEFAULT", True),
    case("StringEqualsIgnoreCase", "kms:KeySpec", "RSA_2048", "SYMMETRIC_DEFAULT", False),
    case("StringEqualsIgnoreCase", "kms:KeySpec", "RSA_2048", ABSENT, False),
    case("StringNotEqualsIgnoreCase", "kms:KeySpec", "rsa_2048", "RSA_2048", False),
    case("StringNotEqualsIgnoreCase", "kms:KeySpec", "rsa_2048", "HMAC_256", True),
    case("StringNotEqualsIgnoreCase", "kms:KeySpec", "rsa_2048", ABSENT, True),
    case(
        "StringLike",
        "kms:ViaService",
        "*.us-east-1.amazonaws.com",
        "s3.us-east-1.amazonaws.com",
        True,
    ),
    case("StringLike", "kms:ViaService", "s?.*", "s3.us-east-1.amazonaws.com", True),
    case("StringLike", "kms:ViaService", "s?.*", "sqs.us-east-1.amazonaws.com", False),
    case("StringLike", "kms:ViaService", "S3.*", "s3.us-east-1.amazonaws.com", False),
    case("StringLike", "kms:ViaService", "*", ABSENT, False),
    case("StringNotLike", "kms:ViaService", "ec2.*", "s3.us-east-1.amazonaws.com", True),
    case("StringNotLike", "kms:ViaService", ["ec2.*", "s3.*"], "s3.us-east-1.amazonaws.com", False),
    case("StringNotLike", "kms:ViaService", "ec2.*", ABSENT, True),
    # Numeric operators: policy numbers may be strings or JSON numbers.
    case("NumericEquals", "kms:RotationPeriodInDays", "365", 365, True),
    case("NumericEquals", "kms:RotationPeriodInDays", 365, "365", True),
    case("NumericEquals", "kms:RotationPeriodInDays", "365", 90, False),
    case("NumericEquals", "kms:RotationPeriodInDays", "365", "a lot", False),
    case("NumericEquals", "kms:RotationPeriodInDays", "365", ABSENT, False),
    case("NumericNotEquals", "kms:RotationPeriodInDays", "365", 90, True),
    case("NumericNotEquals", "kms:RotationPeriodInDays", "365", 365, False),
    case("NumericNotEquals", "kms:RotationPeriodInDays", "365", ABSENT, True),
    case("NumericLessThan", "kms:RotationPeriodInDays", "180", 90, True),
    case("NumericLessThan", "kms:RotationPeriodInDays", "180", 180, False),
    case("NumericLessThanEquals", "kms:RotationPeriodInDays", "180", 180, True),
    case("NumericLessThanEquals", "kms:RotationPeriodInDays", "180", 181, False),
    case("NumericGreaterThan", "kms:ScheduleKeyDeletionPendingWindowInDays", "7", 30, True),
    case("NumericGreaterThan", "kms:ScheduleKeyDeletionPendingWindowInDays", "7", 7, False),
    case("NumericGreaterThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", "7", 7, True),
    case("NumericGreaterThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", "7", 6, False),
    # Date operators: ISO 8601 or epoch seconds, against a datetime or a string.
    case("DateLessThan", "aws:CurrentTime", "2026-01-01T00:00:00Z", NOW, True),
    case("DateLessThan", "aws:CurrentTime", "2025-01-01T00:00:00Z", NOW, False),
    case("DateLessThanEquals", "aws:CurrentTime", "2025-06-01T00:00:00Z", NOW, True),
    case("DateLessThanEquals", "aws:CurrentTime", "2025-05-31T23:59:59Z", NOW, False),
    case("DateGreaterThan", "aws:CurrentTime", "1735689600", NOW, True),  # 2025-01-01
    case("DateGreaterThan", "aws:CurrentTime", "2025-06-01T00:00:00Z", NOW, False),
    case("DateGreaterThanEquals", "aws:CurrentTime", "2025-06-01", "2025-06-01T00:00:00Z", True),
    case("DateGreaterThanEquals", "aws:CurrentTime", "2025-06-02", NOW, False),
    case("DateEquals", "aws:CurrentTime", "2025-06-01T00:00:00+00:00", NOW, True),
    case("DateEquals", "aws:CurrentTime", "2025-06-01T00:00:00Z", "not a date", False),
    case("DateNotEquals", "aws:CurrentTime", "2025-06-01T00:00:00Z", NOW, False),
    case("DateNotEquals", "aws:CurrentTime", "2025-06-01T00:00:00Z", ABSENT, True),
    # Bool: "true"/"false" against a boolean or its text.
    case("Bool", "kms:GrantIsForAWSResource", "true", True, True),
    case("Bool", "kms:GrantIsForAWSResource", True, "true", True),
    case("Bool", "kms:GrantIsForAWSResource", "false", True, False),
    case("Bool", "kms:GrantIsForAWSResource", "true", ABSENT, False),
    # Null: whether the key is absent.
    case("Null", "kms:ViaService", "true", ABSENT, True),
    case("Null", "kms:ViaService", "true", "s3.us-east-1.amazonaws.com", False),
    case("Null", "kms:ViaService", "false", "s3.us-east-1.amazonaws.com", True),
    case("Null", "kms:ViaService", "false", ABSENT, False),
    # ARN operators: each of the six parts matched on its own; ArnEquals takes wildcards too.
    case("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", ROLE_ARN, True),
    case("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", USER, False),
    case("ArnLike", "aws:PrincipalArn", "arn:aws:*", ROLE_ARN, False),  # five parts short
    case("ArnEquals", "aws:PrincipalArn", ROLE_ARN, ROLE_ARN, True),
    case("ArnEquals", "aws:PrincipalArn", f"arn:aws:iam::{ACCOUNT}:role/Adm?n", ROLE_ARN, True),
    case("ArnEquals", "aws:PrincipalArn", ROLE_ARN, "not an arn", False),
    case("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:user/*", ROLE_ARN, True),
    case("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", ROLE_ARN, False),
    case("ArnNotEquals", "aws:PrincipalArn", ROLE_ARN, USER, True),
    case("ArnNotEquals", "aws:PrincipalArn", ROLE_ARN, ABSENT, True),
    # IP address operators: CIDR ranges, IPv4 and IPv6.
    case("IpAddress", "aws:SourceIp", "10.0.0.0/8", "10.1.2.3", True),
    case("IpAddress", "aws:SourceIp", ["192.0.2.0/24", "10.0.0.0/8"], "192.0.2.7", True),
    case("IpAddress", "aws:SourceIp", "10.0.0.0/8", "192.0.2.7", False),
    case("IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db8::1", True),
    case("IpAddress", "aws:SourceIp", "10.0.0.0/8", "not an address", False),
    case("IpAddress", "aws:SourceIp", "10.0.0.0/8", ABSENT, False),
    case("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "192.0.2.7", True),
    case("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "10.9.9.9", False),
    case("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", ABSENT, True),
    # ...IfExists: an absent key holds; a present one is tested as usual.
    case("StringEqualsIfExists", "kms:ViaService", "s3.x", ABSENT, True),
    case("StringEqualsIfExists", "kms:ViaService", "s3.x", "s3.x", True),
    case("StringEqualsIfExists", "kms:ViaService", "s3.x", "ec2.x", False),
    case("NumericLessThanIfExists", "kms:RotationPeriodInDays", "100", ABSENT, True),
    case("NumericLessThanIfExists", "kms:RotationPeriodInDays", "100", 365, False),
    case("BoolIfExists", "kms:GrantIsForAWSResource", "true", False, False),
    case("ArnLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::*:user/*", ABSENT, True),
    case("IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", "192.0.2.7", False),
    case("DateLessThanIfExists", "aws:CurrentTime", "2026-01-01", ABSENT, True),
    case("StringNotEqualsIfExists", "kms:ViaService", "s3.x", "s3.x", False),
    # ForAnyValue: one request value matching is enough; no value is false.
    case("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["a", "b"], ["b", "c"], True),
    case("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["a", "b"], ["c"], False),
    case("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["a"], ABSENT, False),
    case("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["a"], [], False),
    case("ForAnyValue:StringNotEquals", "kms:EncryptionContextKeys", "a", ["a", "b"], True),
    case("ForAnyValue:StringNotEquals", "kms:EncryptionContextKeys", "a", ["a"], False),
    case("ForAnyValue:StringLike", "kms:ResourceAliases", "alias/prod-*", ["alias/prod-db"], True),
    case("ForAnyValue:StringEqualsIfExists", "kms:EncryptionContextKeys", "a", ABSENT, True),
    # ForAllValues: every request value must match; no value is true.
    case("ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["a", "b"], ["a"], True),
    case("ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["a", "b"], ["a", "b"], True),
    case("ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["a", "b"], ["a", "c"], False),
    case("ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["a"], ABSENT, True),
    case("ForAllValues:StringNotEquals", "kms:EncryptionContextKeys", "a", ["b", "c"], True),
    case("ForAllValues:StringNotEquals", "kms:EncryptionContextKeys", "a", ["a", "c"], False),
    case("ForAllValues:StringLike", "kms:GrantOperations", "Re*", ["ReEncryptFrom"], True),
    case("ForAllValues:StringLike", "kms:GrantOperations", "Re*", ["Decrypt"], False),
    # A multi-valued request key under a plain operator: any value (positive), none (negated).
    case("StringEquals", "kms:EncryptionContextKeys", "a", ["a", "b"], True),
    case("StringEquals", "kms:EncryptionContextKeys", "c", ["a", "b"], False),
    case("StringNotEquals", "kms:EncryptionContextKeys", "a", ["a", "b"], False),
    case("StringNotEquals", "kms:EncryptionContextKeys", "c", ["a", "b"], True),
    # Values of another type: text from dates and numbers; what cannot convert never matches.
    case("StringEquals", "aws:CurrentTime", "2025-06-01T00:00:00Z", NOW, True),
    case("StringEquals", "kms:RotationPeriodInDays", "365", 365, True),
    case("StringEquals", "kms:KeySpec", None, "RSA_2048", False),
    case("StringNotEquals", "kms:KeySpec", None, "RSA_2048", True),
    case("NumericEquals", "kms:RotationPeriodInDays", None, 365, False),
    case("NumericEquals", "kms:RotationPeriodInDays", "1", True, False),
    case("DateEquals", "aws:CurrentTime", None, NOW, False),
    case("DateEquals", "aws:CurrentTime", "1970-01-01T00:00:01Z", True, False),
    case("DateEquals", "aws:CurrentTime", "2025-06-01T00:00:00Z", 1748736000, True),
    case("IpAddress", "aws:SourceIp", "not a range", "10.1.2.3", False),
    # Unknown keys are absent; unknown operators never hold.
    case("StringEquals", "kms:NoSuchKey", "x", ABSENT, False),
    case("StringNotEquals", "kms:NoSuchKey", "x", ABSENT, True),
    case("StringEqualz", "kms:KeySpec", "RSA_2048", "RSA_2048", False),
    case("ForSomeValues:StringEquals", "kms:KeySpec", "RSA_2048", "RSA_2048", False),
]


@pytest.mark.parametrize(("condition", "context", "expected"), CASES)
def test_operator(condition: Any, context: dict[str, Any], expected: bool) -> None:
    assert holds(condition, context) is expected


@pytest.mark.parametrize(
    ("policy_key", "request_key", "value", "expected"),
    [
        ("kms:CallerAccount", "kms:CallerAccount", "IT", True),
        ("KMS:CALLERACCOUNT", "kms:CallerAccount", "IT", True),
        ("kms:calleraccount", "Kms:CallerAccount", "IT", True),
        # Both the prefix and the context key ignore case; the value does not.
        ("kms:EncryptionContext:Department", "kms:EncryptionContext:Department", "IT", True),
        ("kms:encryptioncontext:department", "kms:EncryptionContext:Department", "IT", True),
        ("kms:EncryptionContext:Department", "KMS:ENCRYPTIONCONTEXT:DEPARTMENT", "IT", True),
        ("kms:EncryptionContext:Department", "kms:EncryptionContext:Department", "it", False),
        ("kms:EncryptionContext:Department", "kms:EncryptionContext:Team", "IT", False),
    ],
)
def test_key_names_ignore_case_values_do_not(
    policy_key: str, request_key: str, value: str, expected: bool
) -> None:
    assert holds({"StringEquals": {policy_key: "IT"}}, {request_key: value}) is expected


def test_ignore_case_operator_on_an_encryption_context_value() -> None:
    condition = {"StringEqualsIgnoreCase": {"kms:EncryptionContext:Department": "it"}}
    assert holds(condition, {"kms:EncryptionContext:department": "IT"})


def test_operators_and_keys_and_values_combine() -> None:
    condition = {
        "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:KeySpec": ["RSA_2048", "HMAC_256"]},
        "Bool": {"kms:GrantIsForAWSResource": "true"},
    }
    context = {"kms:CallerAccount": ACCOUNT, "kms:KeySpec": "HMAC_256"}
    assert holds(condition, {**context, "kms:GrantIsForAWSResource": True})
    assert not holds(condition, {**context, "kms:GrantIsForAWSResource": False})  # operators AND
    assert not holds(condition, {**context, "kms:KeySpec": "ECC_NIST_P256"})  # keys AND
    assert not holds(condition, {"kms:CallerAccount": ACCOUNT, "kms:GrantIsForAWSResource": True})


def test_the_callers_global_keys_are_in_every_request() -> None:
    assert holds({"StringEquals": {"aws:PrincipalArn": USER}}, {})
    assert holds({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, {})
    assert not holds({"StringEquals": {"aws:PrincipalAccount": "444455556666"}}, {})


def test_a_session_s_principal_arn_is_its_role() -> None:
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice-session"
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "kms:Encrypt",
        "Resource": "*",
        "Condition": {"ArnEquals": {"aws:PrincipalArn": ROLE_ARN}},
    }
    policy = json.dumps({"Statement": [statement]})
    assert evaluate(caller(session), "kms:Encrypt", KEY, {}, policy).allowed
    assert not evaluate(caller(USER), "kms:Encrypt", KEY, {}, policy).allowed


def test_a_malformed_condition_block_never_holds() -> None:
    assert not holds("StringEquals", {})
    assert not holds({"StringEquals": "kms:KeySpec"}, {"kms:KeySpec": "x"})
