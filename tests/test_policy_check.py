"""The checks AWS runs on a key policy before storing it, through boto3.

CreateKey and PutKeyPolicy refuse a malformed document, a ForAllValues set
operator on a single-valued condition key, and (unless bypassed) a policy that
would not let the caller run PutKeyPolicy again, as the policy engine decides it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from kms_mock import MockKMS
from tests._helpers import ACCOUNT, error_of, raises, stored_key

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ROOT = f"arn:aws:iam::{ACCOUNT}:root"
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."
OVERLY_PERMISSIVE_CONTEXT = (
    "OverlyPermissiveCondition:EncryptionContext: Using the ForAllValues set operator with a "
    "single-valued condition key matches requests without the specified encryption context or "
    "with an unspecified encryption context. To fix, remove ForAllValues."
)


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _statement(effect: str, action: Any, **more: Any) -> dict[str, Any]:
    return {"Effect": effect, "Principal": {"AWS": ROOT}, "Action": action, "Resource": "*", **more}


ROOT_ALLOWED = _statement("Allow", "kms:*")


def _put(client: KMSClient, policy: str, **kwargs: Any) -> tuple[str, str, int]:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    excinfo = raises(lambda: client.put_key_policy(KeyId=key_id, Policy=policy, **kwargs))
    assert client.get_key_policy(KeyId=key_id)["Policy"] != policy  # still the default
    return error_of(excinfo)


@pytest.mark.parametrize(
    "denied",
    [
        _statement("Deny", "kms:PutKeyPolicy"),
        _statement("Deny", "KMS:PUT*"),
        {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"},
    ],
)
def test_a_deny_of_put_key_policy_beside_the_root_statement_locks_out(
    client: KMSClient, denied: dict[str, Any]
) -> None:
    policy = _policy(ROOT_ALLOWED, denied)
    assert _put(client, policy) == ("MalformedPolicyDocumentException", LOCKOUT, 400)


@pytest.mark.parametrize(
    "statement",
    [
        _statement("Allow", "kms:*", Condition={"StringEquals": {"kms:ViaService": "s3.x"}}),
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "NotResource": "*"},
        {**_statement("Allow", "*"), "Action": None, "NotAction": "kms:Put*"},
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*"},  # no Resource
    ],
)
def test_a_root_statement_that_does_not_cover_put_key_policy_locks_out(
    client: KMSClient, statement: dict[str, Any]
) -> None:
    statement = {name: value for name, value in statement.items() if value is not None}
    assert _put(client, _policy(statement)) == ("MalformedPolicyDocumentException", LOCKOUT, 400)


@pytest.mark.parametrize(
    "statement",
    [
        _statement("Allow", "kms:*", Condition={"StringEquals": {"kms:CallerAccount": ACCOUNT}}),
        _statement(
            "Allow", "kms:*", Condition={"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "false"}}
        ),
        {**_statement("Allow", "kms:*"), "Action": None, "NotAction": "kms:Encrypt"},
        _statement("Allow", "kms:*", Condition={"StringEquals": {"aws:PrincipalArn": ROOT}}),
    ],
)
def test_a_root_statement_whose_conditions_the_call_meets_keeps_control(
    kms: MockKMS, client: KMSClient, statement: dict[str, Any]
) -> None:
    statement = {name: value for name, value in statement.items() if value is not None}
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    client.put_key_policy(KeyId=key_id, Policy=_policy(statement))
    # Read past the API: a condition on kms:BypassPolicyLockoutSafetyCheck, which
    # GetKeyPolicy does not carry, keeps PutKeyPolicy only.
    assert stored_key(kms, key_id).policy == _policy(statement)


@pytest.mark.parametrize(
    "condition_key", ["kms:EncryptionContext:Department", "KMS:encryptioncontext:x"]
)
@pytest.mark.parametrize("bypass", [False, True])
def test_for_all_values_on_an_encryption_context_key_is_refused(
    client: KMSClient, condition_key: str, bypass: bool
) -> None:
    condition = {"ForAllValues:StringEquals": {condition_key: ["a", "b"]}}
    policy = _policy(ROOT_ALLOWED, _statement("Allow", "kms:Decrypt", Condition=condition))
    assert _put(client, policy, BypassPolicyLockoutSafetyCheck=bypass) == (
        "MalformedPolicyDocumentException",
        OVERLY_PERMISSIVE_CONTEXT,
        400,
    )


def test_for_all_values_on_a_request_tag_is_refused_at_create_key(client: KMSClient) -> None:
    condition = {"ForAllValues:StringLike": {"aws:RequestTag/team": "*"}}
    policy = _policy(ROOT_ALLOWED, _statement("Allow", "kms:Decrypt", Condition=condition))
    excinfo = raises(lambda: client.create_key(Policy=policy))
    code, message, status = error_of(excinfo)
    assert (code, status) == ("MalformedPolicyDocumentException", 400)
    assert message.startswith("OverlyPermissiveCondition:RequestTag: Using the ForAllValues")
    assert client.list_keys()["Keys"] == []


def test_for_all_values_on_the_multi_valued_context_keys_is_accepted(client: KMSClient) -> None:
    condition = {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["a", "b"]}}
    policy = _policy(ROOT_ALLOWED, _statement("Allow", "kms:Decrypt", Condition=condition))
    key_id = client.create_key(Policy=policy)["KeyMetadata"]["KeyId"]
    assert client.get_key_policy(KeyId=key_id)["Policy"] == policy
