"""GetKeyPolicy, PutKeyPolicy and ListKeyPolicies through boto3."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._validation import check_response
from tests._helpers import aws_managed_key, error_of, stored_key

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ROOT = "arn:aws:iam::123456789012:root"

# AWS's default key policy, character for character (Jackson pretty print), as
# in botocore's GetKeyPolicy example with this suite's account.
DEFAULT_POLICY = (
    "{\n"
    '  "Version" : "2012-10-17",\n'
    '  "Id" : "key-default-1",\n'
    '  "Statement" : [ {\n'
    '    "Sid" : "Enable IAM User Permissions",\n'
    '    "Effect" : "Allow",\n'
    '    "Principal" : {\n'
    '      "AWS" : "arn:aws:iam::123456789012:root"\n'
    "    },\n"
    '    "Action" : "kms:*",\n'
    '    "Resource" : "*"\n'
    "  } ]\n"
    "}"
)

LOCKOUT = "The new key policy will not allow you to update the key policy in the future."


def _policy(*statements: dict[str, Any], indent: int | None = None) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=indent)


def _allow(principal: Any, action: Any = "kms:*") -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}


ROOT_POLICY = _policy(_allow({"AWS": ROOT}), indent=4)
ROLE_ONLY_POLICY = _policy(_allow({"AWS": "arn:aws:iam::123456789012:role/Admin"}))


def _members(response: Any) -> dict[str, Any]:
    return {name: value for name, value in response.items() if name != "ResponseMetadata"}


@pytest.fixture
def key(client: KMSClient) -> dict[str, Any]:
    return dict(client.create_key()["KeyMetadata"])


@pytest.fixture(name="aws_managed_key")
def aws_managed_key_fixture(client: KMSClient) -> dict[str, Any]:
    return aws_managed_key(client)


def _stored(client: KMSClient, key_id: str) -> str:
    return client.get_key_policy(KeyId=key_id)["Policy"]


# GetKeyPolicy


def test_default_policy_is_awss_exact_text(client: KMSClient, key: dict[str, Any]) -> None:
    response = client.get_key_policy(KeyId=key["KeyId"])
    assert _members(response) == {"Policy": DEFAULT_POLICY, "PolicyName": "default"}
    assert check_response("GetKeyPolicy", _members(response)) == []


def test_policy_name_default_may_be_given(client: KMSClient, key: dict[str, Any]) -> None:
    response = client.get_key_policy(KeyId=key["Arn"], PolicyName="default")
    assert _members(response) == {"Policy": DEFAULT_POLICY, "PolicyName": "default"}


def test_default_policy_follows_the_account(clock: FrozenClock) -> None:
    with mock_kms(clock=clock, account_id="111122223333", region="eu-west-1"):
        client = boto3.client("kms", region_name="eu-west-1")
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        policy = client.get_key_policy(KeyId=key_id)["Policy"]
    assert policy == DEFAULT_POLICY.replace("123456789012", "111122223333")


def test_policy_given_to_create_key_is_stored_verbatim(client: KMSClient) -> None:
    key_id = client.create_key(Policy=ROOT_POLICY)["KeyMetadata"]["KeyId"]
    assert _stored(client, key_id) == ROOT_POLICY


def test_get_other_policy_name(client: KMSClient, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.get_key_policy(KeyId=key["KeyId"], PolicyName="other")
    assert error_of(excinfo) == ("NotFoundException", "No such policy exists", 400)


def test_policy_name_pattern(client: KMSClient, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.get_key_policy(KeyId=key["KeyId"], PolicyName="not-a-name")
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value 'not-a-name' at 'policyName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w]+",
        400,
    )


@pytest.mark.parametrize("operation", ["get_key_policy", "list_key_policies", "put_key_policy"])
def test_alias_is_not_accepted(client: KMSClient, operation: str) -> None:
    arguments = {"Policy": ROOT_POLICY} if operation == "put_key_policy" else {}
    with pytest.raises(ClientError) as excinfo:
        getattr(client, operation)(KeyId="alias/my-key", **arguments)
    assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'alias/my-key'", 400)


def test_unknown_key(client: KMSClient) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(ClientError) as excinfo:
        client.get_key_policy(KeyId=missing)
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:123456789012:key/{missing}' does not exist",
        400,
    )


def test_unknown_key_is_reported_before_the_policy_name(client: KMSClient) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(ClientError) as excinfo:
        client.get_key_policy(KeyId=missing, PolicyName="other")
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:123456789012:key/{missing}' does not exist",
        400,
    )


def test_aws_managed_key_policy_can_be_read(
    client: KMSClient, aws_managed_key: dict[str, Any]
) -> None:
    document = json.loads(_stored(client, aws_managed_key["KeyId"]))
    assert document["Id"] == "auto-s3-2"
    assert client.list_key_policies(KeyId=aws_managed_key["Arn"])["PolicyNames"] == ["default"]


# PutKeyPolicy


def test_put_stores_the_policy_verbatim(client: KMSClient, key: dict[str, Any]) -> None:
    # Odd whitespace and key order survive: AWS does not re-format a policy it is given.
    policy = '{ "Statement":[{"Resource":"*", "Action":"kms:*",\n\t"Principal":{"AWS":"%s"},'
    policy = policy % ROOT + '"Effect":"Allow"}],"Version":"2012-10-17"}  '
    response = client.put_key_policy(KeyId=key["KeyId"], Policy=policy)
    assert _members(response) == {}
    assert _stored(client, key["KeyId"]) == policy


def test_put_with_explicit_default_name(client: KMSClient, key: dict[str, Any]) -> None:
    client.put_key_policy(KeyId=key["Arn"], PolicyName="default", Policy=ROOT_POLICY)
    assert _stored(client, key["KeyId"]) == ROOT_POLICY


def test_put_the_documented_example_policy(client: KMSClient, key: dict[str, Any]) -> None:
    policy = _policy(
        _allow({"AWS": ROOT}),
        _allow(
            {
                "AWS": [
                    "arn:aws:iam::123456789012:user/ExampleAdminUser",
                    "arn:aws:iam::123456789012:role/ExampleAdminRole",
                ]
            },
            ["kms:Create*", "kms:Describe*", "kms:Put*", "kms:Get*"],
        ),
        indent=4,
    )
    client.put_key_policy(KeyId=key["KeyId"], Policy=policy)
    assert _stored(client, key["KeyId"]) == policy


def test_put_other_policy_name(client: KMSClient, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.put_key_policy(KeyId=key["KeyId"], PolicyName="other", Policy=ROOT_POLICY)
    assert error_of(excinfo) == ("NotFoundException", "No such policy exists", 400)
    assert _stored(client, key["KeyId"]) == DEFAULT_POLICY


@pytest.mark.parametrize(
    "allowed",
    [
        _allow({"AWS": ROOT}),
        _allow({"AWS": "123456789012"}),
        _allow({"AWS": [ROOT, "arn:aws:iam::123456789012:role/Other"]}),
        _allow("*"),
        _allow({"AWS": "*"}),
        _allow({"AWS": ROOT}, "kms:PutKeyPolicy"),
        _allow({"AWS": ROOT}, ["kms:Encrypt", "kms:Put*"]),
        _allow({"AWS": ROOT}, "*"),
    ],
)
def test_lockout_check_passes_when_the_account_keeps_put_key_policy(
    kms: MockKMS, client: KMSClient, key: dict[str, Any], allowed: dict[str, Any]
) -> None:
    policy = _policy(allowed)
    client.put_key_policy(KeyId=key["KeyId"], Policy=policy)
    # Read past the API: some of these policies allow PutKeyPolicy only, not GetKeyPolicy.
    assert stored_key(kms, key["KeyId"]).policy == policy


@pytest.mark.parametrize(
    "statement",
    [
        _allow({"AWS": "arn:aws:iam::123456789012:role/Admin"}),
        _allow({"AWS": ROOT}, ["kms:Encrypt", "kms:Decrypt"]),
        _allow({"AWS": "arn:aws:iam::999999999999:root"}),
        {"Effect": "Deny", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
    ],
)
def test_lockout_safety_check(
    client: KMSClient, key: dict[str, Any], statement: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.put_key_policy(KeyId=key["KeyId"], Policy=_policy(statement))
    assert error_of(excinfo) == ("MalformedPolicyDocumentException", LOCKOUT, 400)
    assert excinfo.value.response["message"] == LOCKOUT  # type: ignore[typeddict-item]
    assert _stored(client, key["KeyId"]) == DEFAULT_POLICY


def test_bypass_lockout_safety_check(kms: MockKMS, client: KMSClient, key: dict[str, Any]) -> None:
    client.put_key_policy(
        KeyId=key["KeyId"], Policy=ROLE_ONLY_POLICY, BypassPolicyLockoutSafetyCheck=True
    )
    assert stored_key(kms, key["KeyId"]).policy == ROLE_ONLY_POLICY  # the root is locked out


def test_bypass_false_still_checks(client: KMSClient, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.put_key_policy(
            KeyId=key["KeyId"], Policy=ROLE_ONLY_POLICY, BypassPolicyLockoutSafetyCheck=False
        )
    assert error_of(excinfo) == ("MalformedPolicyDocumentException", LOCKOUT, 400)


@pytest.mark.parametrize("policy", ["not json", "{", '"a string"', "[]", "{}", '{"Statement": []}'])
def test_malformed_policy_is_refused_even_with_bypass(
    client: KMSClient, key: dict[str, Any], policy: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.put_key_policy(
            KeyId=key["KeyId"], Policy=policy, BypassPolicyLockoutSafetyCheck=True
        )
    assert error_of(excinfo)[0] == "MalformedPolicyDocumentException"
    assert _stored(client, key["KeyId"]) == DEFAULT_POLICY


def test_invalid_json_message(client: KMSClient, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.put_key_policy(KeyId=key["KeyId"], Policy="not json")
    assert error_of(excinfo) == (
        "MalformedPolicyDocumentException",
        "Policy contains invalid JSON.",
        400,
    )


# The input: 2 KB, well within the model's 131,072 characters, nested
# deeper than a recursive JSON parser goes.
DEEPLY_NESTED = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize("operation", ["PutKeyPolicy", "CreateKey"])
def test_deeply_nested_policy_is_malformed_and_changes_nothing(
    client: KMSClient, kms: MockKMS, key: dict[str, Any], operation: str
) -> None:
    calls: dict[str, Callable[[], object]] = {
        "PutKeyPolicy": lambda: client.put_key_policy(KeyId=key["KeyId"], Policy=DEEPLY_NESTED),
        "CreateKey": lambda: client.create_key(
            Policy=DEEPLY_NESTED, BypassPolicyLockoutSafetyCheck=True
        ),
    }
    with pytest.raises(ClientError) as excinfo:
        calls[operation]()
    assert error_of(excinfo) == (
        "MalformedPolicyDocumentException",
        "Policy contains invalid JSON.",
        400,
    )
    event = kms.audit_log[-1]
    assert (event["eventName"], event["errorCode"]) == (
        operation,
        "MalformedPolicyDocumentException",
    )
    assert _stored(client, key["KeyId"]) == DEFAULT_POLICY
    assert [listed["KeyId"] for listed in client.list_keys()["Keys"]] == [key["KeyId"]]


def test_policy_with_characters_outside_the_model_pattern(
    client: KMSClient, key: dict[str, Any]
) -> None:
    policy = ROOT_POLICY.replace("2012-10-17", "2012\u201310\u201317")
    with pytest.raises(ClientError) as excinfo:
        client.put_key_policy(KeyId=key["KeyId"], Policy=policy)
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value '")
    assert message.endswith(
        "' at 'policy' failed to satisfy constraint: Member must satisfy regular expression "
        "pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
    )
    assert _stored(client, key["KeyId"]) == DEFAULT_POLICY


def test_put_works_on_a_disabled_key(client: KMSClient, key: dict[str, Any]) -> None:
    client.disable_key(KeyId=key["KeyId"])
    client.put_key_policy(KeyId=key["KeyId"], Policy=ROOT_POLICY)
    assert _stored(client, key["KeyId"]) == ROOT_POLICY


def test_policies_work_on_a_key_pending_deletion(client: KMSClient, key: dict[str, Any]) -> None:
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    client.put_key_policy(KeyId=key["KeyId"], Policy=ROOT_POLICY)
    assert _stored(client, key["KeyId"]) == ROOT_POLICY
    assert client.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]


def test_policies_work_on_a_key_pending_import(client: KMSClient) -> None:
    key_id = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    assert _stored(client, key_id) == DEFAULT_POLICY
    client.put_key_policy(KeyId=key_id, Policy=ROOT_POLICY)
    assert _stored(client, key_id) == ROOT_POLICY


def test_put_on_aws_managed_key_is_denied(
    client: KMSClient, aws_managed_key: dict[str, Any]
) -> None:
    before = _stored(client, aws_managed_key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.put_key_policy(KeyId=aws_managed_key["KeyId"], Policy=ROOT_POLICY)
    arn = aws_managed_key["Arn"]
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {ROOT} is not authorized to perform: kms:PutKeyPolicy on resource: {arn} "
        "because no resource-based policy allows the kms:PutKeyPolicy action",
        400,
    )
    assert _stored(client, aws_managed_key["KeyId"]) == before


def test_put_is_per_key(client: KMSClient, key: dict[str, Any]) -> None:
    other = client.create_key()["KeyMetadata"]["KeyId"]
    client.put_key_policy(KeyId=key["KeyId"], Policy=ROOT_POLICY)
    assert _stored(client, other) == DEFAULT_POLICY


# ListKeyPolicies


def test_list_key_policies(client: KMSClient, key: dict[str, Any]) -> None:
    response = client.list_key_policies(KeyId=key["KeyId"])
    assert _members(response) == {"PolicyNames": ["default"], "Truncated": False}
    assert check_response("ListKeyPolicies", _members(response)) == []


@pytest.mark.parametrize("limit", [1, 100, 1000])
def test_list_key_policies_with_limit(client: KMSClient, key: dict[str, Any], limit: int) -> None:
    response = client.list_key_policies(KeyId=key["Arn"], Limit=limit)
    assert _members(response) == {"PolicyNames": ["default"], "Truncated": False}


def test_list_key_policies_paginator(client: KMSClient, key: dict[str, Any]) -> None:
    paginator = client.get_paginator("list_key_policies")
    pages = list(paginator.paginate(KeyId=key["KeyId"]))
    assert [page["PolicyNames"] for page in pages] == [["default"]]


def test_list_key_policies_invalid_marker(client: KMSClient, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.list_key_policies(KeyId=key["KeyId"], Marker="bogus")
    assert error_of(excinfo) == ("InvalidMarkerException", "Invalid marker", 400)


def test_list_key_policies_limit_zero_is_refused_by_the_server(kms: MockKMS) -> None:
    # botocore refuses Limit=0 on the client; without its check the server must.
    client = boto3.client("kms", region_name="us-east-1", config=Config(parameter_validation=False))
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        client.list_key_policies(KeyId=key_id, Limit=0)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
        400,
    )
