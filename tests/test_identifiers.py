"""Key identifiers: the errors real AWS gives for malformed and missing key ids,
ARNs and aliases, and which operations accept aliases."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._arns import arn
from tests._helpers import error_of, hidden_resource_message, stores

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
MISSING_ID = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
MISSING_MRK = "mrk-0123456789abcdef0123456789abcdef"

# Every served operation that names one key, with the members it needs besides KeyId.
KEY_OPERATIONS: dict[str, dict[str, Any]] = {
    "describe_key": {},
    "enable_key": {},
    "disable_key": {},
    "update_key_description": {"Description": "d"},
    "schedule_key_deletion": {},
    "cancel_key_deletion": {},
    "get_key_last_usage": {},
}
ID_ONLY_OPERATIONS = [name for name in KEY_OPERATIONS if name != "describe_key"]


def call(client: KMSClient, operation: str, key_id: str) -> Any:
    method: Callable[..., Any] = getattr(client, operation)
    return method(KeyId=key_id, **KEY_OPERATIONS[operation])


def error_for(client: KMSClient, operation: str, key_id: str) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(client, operation, key_id)
    # NotFoundException is modeled, so botocore also exposes AWS's message member.
    if excinfo.value.response["Error"]["Code"] == "NotFoundException":
        assert excinfo.value.response["message"] == excinfo.value.response["Error"]["Message"]  # type: ignore[typeddict-item]
    return error_of(excinfo)


@pytest.mark.parametrize("operation", sorted(KEY_OPERATIONS))
@pytest.mark.parametrize(
    "key_id",
    [
        "fake-key-id",
        "key_id",
        "134f2428cec14b25a1ae9048164dba47",  # a UUID without its dashes
        "mrk-fake-key-id",
        "mrk-0123456789abcdef0123456789abcde",  # 31 hex digits
        "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4",  # one digit short
        " 0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
        "key/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
        "arn:aws:kms:us-east-1",  # not a whole ARN
        f"arn:aws:kms:us-east-1:{ACCOUNT}:grant/abc",  # an ARN of no key or alias
    ],
)
def test_malformed_key_id(client: KMSClient, operation: str, key_id: str) -> None:
    assert error_for(client, operation, key_id) == (
        "NotFoundException",
        f"Invalid keyId '{key_id}'",
        400,
    )


@pytest.mark.parametrize("operation", sorted(KEY_OPERATIONS))
@pytest.mark.parametrize("key_id", [MISSING_ID, MISSING_MRK])
def test_well_formed_id_that_does_not_exist(client: KMSClient, operation: str, key_id: str) -> None:
    assert error_for(client, operation, key_id) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}' does not exist",
        400,
    )


@pytest.mark.parametrize("operation", sorted(KEY_OPERATIONS))
def test_key_arn_that_does_not_exist(client: KMSClient, operation: str) -> None:
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{MISSING_ID}"
    assert error_for(client, operation, key_arn) == (
        "NotFoundException",
        f"Key '{key_arn}' does not exist",
        400,
    )


def test_missing_key_arn_is_built_from_the_callers_region_and_account() -> None:
    with mock_kms(region="eu-west-1", account_id="111122223333", clock=FrozenClock()):
        client = boto3.client("kms", region_name="ap-southeast-2")
        with pytest.raises(ClientError) as excinfo:
            client.describe_key(KeyId=MISSING_ID)
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:ap-southeast-2:111122223333:key/{MISSING_ID}' does not exist",
        400,
    )


def test_partition_of_the_callers_region() -> None:
    with mock_kms(clock=FrozenClock()):
        client = boto3.client("kms", region_name="cn-north-1")
        with pytest.raises(ClientError) as excinfo:
            client.describe_key(KeyId=MISSING_ID)
    assert error_of(excinfo)[1] == (
        f"Key 'arn:aws-cn:kms:cn-north-1:{ACCOUNT}:key/{MISSING_ID}' does not exist"
    )


@pytest.mark.parametrize("operation", sorted(KEY_OPERATIONS))
def test_key_id_of_a_key_in_another_region(client: KMSClient, kms: MockKMS, operation: str) -> None:
    other = boto3.client("kms", region_name="eu-west-1")
    key_id = other.create_key()["KeyMetadata"]["KeyId"]
    assert error_for(client, operation, key_id) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}' does not exist",
        400,
    )
    assert other.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


@pytest.mark.parametrize("operation", sorted(KEY_OPERATIONS))
def test_key_arn_of_another_region(client: KMSClient, kms: MockKMS, operation: str) -> None:
    other = boto3.client("kms", region_name="eu-west-1")
    key_arn = other.create_key()["KeyMetadata"]["Arn"]
    assert error_for(client, operation, key_arn) == (
        "NotFoundException",
        "Invalid arn eu-west-1",
        400,
    )
    assert other.describe_key(KeyId=key_arn)["KeyMetadata"]["KeyState"] == "Enabled"


def test_arn_of_another_region_even_when_the_key_does_not_exist(client: KMSClient) -> None:
    key_arn = f"arn:aws:kms:ap-south-1:{ACCOUNT}:key/{MISSING_ID}"
    assert error_for(client, "describe_key", key_arn) == (
        "NotFoundException",
        "Invalid arn ap-south-1",
        400,
    )


def test_key_arn_of_another_account(client: KMSClient) -> None:
    key_arn = f"arn:aws:kms:{REGION}:111122223333:key/{MISSING_ID}"
    # Another account's caller is not told whether the key exists.
    assert error_for(client, "describe_key", key_arn) == (
        "AccessDeniedException",
        hidden_resource_message(ROOT_ARN, "kms:DescribeKey"),
        400,
    )


@pytest.mark.parametrize("operation", ID_ONLY_OPERATIONS)
@pytest.mark.parametrize(
    "alias",
    ["alias/aws/s3", "alias/my-key", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3"],
)
def test_alias_given_to_an_operation_that_takes_only_key_ids(
    client: KMSClient, operation: str, alias: str
) -> None:
    key = client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]  # the alias exists
    client.create_alias(
        AliasName="alias/my-key", TargetKeyId=client.create_key()["KeyMetadata"]["KeyId"]
    )
    assert error_for(client, operation, alias) == (
        "NotFoundException",
        f"Invalid keyId '{alias}'",
        400,
    )
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"] == key


def test_describe_key_by_customer_alias_name_and_arn(client: KMSClient) -> None:
    key = client.create_key()["KeyMetadata"]
    client.create_alias(AliasName="alias/team/key-1", TargetKeyId=key["KeyId"])
    for alias in ("alias/team/key-1", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/team/key-1"):
        assert client.describe_key(KeyId=alias)["KeyMetadata"] == key


def test_alias_names_are_case_sensitive(client: KMSClient) -> None:
    key = client.create_key()["KeyMetadata"]
    client.create_alias(AliasName="alias/Key", TargetKeyId=key["KeyId"])
    assert error_for(client, "describe_key", "alias/key") == (
        "NotFoundException",
        f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/key is not found.",
        400,
    )


def test_alias_to_an_id_only_operation_creates_no_aws_managed_key(client: KMSClient) -> None:
    assert error_for(client, "enable_key", "alias/aws/ebs")[1] == "Invalid keyId 'alias/aws/ebs'"
    assert client.list_keys()["Keys"] == []


@pytest.mark.parametrize("alias", ["alias/missing", "alias/aws/not-a-service", "alias/aws"])
def test_alias_name_that_does_not_exist(client: KMSClient, alias: str) -> None:
    assert error_for(client, "describe_key", alias) == (
        "NotFoundException",
        f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:{alias} is not found.",
        400,
    )
    assert client.list_keys()["Keys"] == []


def test_alias_arn_that_does_not_exist(client: KMSClient) -> None:
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/missing"
    assert error_for(client, "describe_key", alias_arn) == (
        "NotFoundException",
        f"Alias {alias_arn} is not found.",
        400,
    )


def test_alias_arn_of_another_region(client: KMSClient) -> None:
    alias_arn = f"arn:aws:kms:eu-central-1:{ACCOUNT}:alias/aws/s3"
    assert error_for(client, "describe_key", alias_arn) == (
        "NotFoundException",
        "Invalid arn eu-central-1",
        400,
    )
    assert client.list_keys()["Keys"] == []


def test_predefined_alias_arn_of_another_account_creates_nothing(
    client: KMSClient, kms: MockKMS
) -> None:
    alias_arn = f"arn:aws:kms:{REGION}:111122223333:alias/aws/s3"
    assert error_for(client, "describe_key", alias_arn) == (
        "AccessDeniedException",
        hidden_resource_message(ROOT_ARN, "kms:DescribeKey"),
        400,
    )
    assert not any(stores(kms).values())


def test_every_identifier_form_of_one_key(client: KMSClient) -> None:
    key = client.create_key(MultiRegion=True)["KeyMetadata"]
    for key_id in (key["KeyId"], key["Arn"]):
        assert client.describe_key(KeyId=key_id)["KeyMetadata"] == key
        assert client.get_key_last_usage(KeyId=key_id)["KeyId"] == key["Arn"]


def test_empty_key_id_is_rejected_by_the_server_too(kms: MockKMS) -> None:
    raw = boto3.client("kms", region_name=REGION, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        raw.describe_key(KeyId="")
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        400,
    )


def test_key_id_longer_than_2048(client: KMSClient) -> None:
    key_id = "k" * 2049
    assert error_for(client, "enable_key", key_id) == (
        "ValidationException",
        f"1 validation error detected: Value '{key_id}' at 'keyId' failed to satisfy "
        "constraint: Member must have length less than or equal to 2048",
        400,
    )


def test_arns_carry_the_partition_of_their_region() -> None:
    assert (
        arn("cn-north-1", "123456789012", "key/k") == "arn:aws-cn:kms:cn-north-1:123456789012:key/k"
    )
    assert arn("us-gov-west-1", "1", "key/k").startswith("arn:aws-us-gov:kms:")
    assert arn("us-iso-east-1", "1", "key/k").startswith("arn:aws-iso:kms:")
    assert arn("us-isob-east-1", "1", "key/k").startswith("arn:aws-iso-b:kms:")
    assert arn("eu-west-1", "1", "key/k").startswith("arn:aws:kms:")
