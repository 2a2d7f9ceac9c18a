"""ARNs: built and parsed in one module, with the partition of their Region.

Unit tests of ``_arns`` (round trips, partitions, malformed input), then the
places users see ARNs through a client: error messages, key policies and the
audit log's caller, in a partition other than ``aws``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.exceptions import ClientError

from kms_mock import MockKMS, UsageError, mock_kms
from kms_mock._arns import (
    KmsArn,
    alias_arn,
    arn,
    key_arn,
    parse_kms_arn,
    partition_for,
    root_principal_arn,
)
from tests._helpers import error_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("eu-west-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
    ],
)
def test_each_arn_carries_the_partition_of_its_region(region: str, partition: str) -> None:
    assert partition_for(region) == partition
    assert key_arn(region, ACCOUNT, KEY_ID) == (
        f"arn:{partition}:kms:{region}:{ACCOUNT}:key/{KEY_ID}"
    )
    assert (
        alias_arn(region, ACCOUNT, "alias/app")
        == f"arn:{partition}:kms:{region}:{ACCOUNT}:alias/app"
    )
    # IAM ARNs name no Region, only the partition.
    assert root_principal_arn(region, ACCOUNT) == f"arn:{partition}:iam::{ACCOUNT}:root"


@pytest.mark.parametrize("resource", [f"key/{KEY_ID}", "alias/app", "alias/aws/s3", "alias/a:b"])
@pytest.mark.parametrize("region", ["us-east-1", "cn-northwest-1", "us-gov-east-1"])
def test_a_built_arn_parses_back_into_its_parts(region: str, resource: str) -> None:
    assert parse_kms_arn(arn(region, ACCOUNT, resource)) == KmsArn(
        partition_for(region), region, ACCOUNT, resource
    )


def test_parsing_splits_at_the_first_five_colons_only() -> None:
    # Alias names may hold colons; they stay in the resource.
    parsed = parse_kms_arn(f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/a:b:c")
    assert parsed is not None
    assert parsed.resource == "alias/a:b:c"


@pytest.mark.parametrize(
    "value",
    [
        KEY_ID,
        "alias/app",
        "arn:aws:kms",
        f"arn:aws:kms:us-east-1:{ACCOUNT}",  # five fields
        f"arn:aws:s3:us-east-1:{ACCOUNT}:key/{KEY_ID}",  # another service
        f"arn:aws:iam::{ACCOUNT}:root",
        f"urn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}",
        "",
    ],
)
def test_what_is_not_a_kms_arn_parses_to_none(value: str) -> None:
    assert parse_kms_arn(value) is None


def test_only_the_frame_is_checked_the_rest_is_the_callers_rule() -> None:
    # Region, account and resource are handed on as they are: resolution
    # answers each malformed case with AWS's own message.
    assert parse_kms_arn("arn:x:kms:::") == KmsArn("x", "", "", "")


# -- through a client --------------------------------------------------------------------


@pytest.mark.parametrize(
    "key_id",
    [
        f"arn:aws:kms:us-east-1:{ACCOUNT}",
        f"arn:aws:s3:us-east-1:{ACCOUNT}:key/{KEY_ID}",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:grant/{KEY_ID}",
    ],
)
def test_a_malformed_key_arn_is_an_invalid_key_id(client: KMSClient, key_id: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId=key_id)
    assert error_of(excinfo) == ("NotFoundException", f"Invalid keyId '{key_id}'", 400)


def test_a_key_arn_of_another_region_names_that_region(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId=key_arn("eu-west-1", ACCOUNT, KEY_ID))
    assert error_of(excinfo) == ("NotFoundException", "Invalid arn eu-west-1", 400)


def test_a_missing_key_and_alias_are_named_by_their_arns(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId=KEY_ID)
    assert error_of(excinfo)[1] == f"Key '{key_arn('us-east-1', ACCOUNT, KEY_ID)}' does not exist"
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId="alias/missing")
    assert error_of(excinfo)[1] == (
        f"Alias {alias_arn('us-east-1', ACCOUNT, 'alias/missing')} is not found."
    )


CN = "cn-north-1"


@pytest.fixture
def cn_client() -> KMSClient:
    return boto3.client("kms", region_name=CN)


def _principal(policy: str, sid: str) -> object:
    [statement] = [s for s in json.loads(policy)["Statement"] if s["Sid"] == sid]
    return statement["Principal"]


def test_root_principal_is_in_the_partition_of_the_region(
    kms: MockKMS, cn_client: KMSClient
) -> None:
    root = f"arn:aws-cn:iam::{ACCOUNT}:root"
    key_id = cn_client.create_key()["KeyMetadata"]["KeyId"]
    default_policy = cn_client.get_key_policy(KeyId=key_id)["Policy"]
    assert _principal(default_policy, "Enable IAM User Permissions") == {"AWS": root}

    managed = cn_client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert managed["Arn"].startswith(f"arn:aws-cn:kms:{CN}:{ACCOUNT}:key/")
    managed_policy = cn_client.get_key_policy(KeyId=managed["KeyId"])["Policy"]
    sid = "Allow direct access to key metadata to the account"
    assert _principal(managed_policy, sid) == {"AWS": root}

    with pytest.raises(ClientError) as excinfo:
        cn_client.disable_key(KeyId=managed["KeyId"])
    assert error_of(excinfo)[1].startswith(f"User: {root} is not authorized to perform: ")

    [caller] = {event["userIdentity"]["arn"] for event in kms.audit_log}
    assert caller == root


def test_the_handle_finds_keys_by_arn_in_any_partition() -> None:
    with mock_kms(region=CN) as kms:
        client = boto3.client("kms", region_name=CN)
        key = client.create_key()["KeyMetadata"]
        blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
        assert kms.inspect_ciphertext(blob).key_arn == key["Arn"]
        assert kms.key_materials(key["Arn"]) == kms.key_materials(key["KeyId"])


def test_the_handle_takes_no_arn_of_another_service(kms: MockKMS, client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    not_kms = f"arn:aws:s3:us-east-1:{ACCOUNT}:key/{key_id}"
    with pytest.raises(UsageError, match=r"^no key 'arn:aws:s3:"):
        kms.key_materials(not_kms)
