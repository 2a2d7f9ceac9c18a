"""CreateAlias, UpdateAlias, DeleteAlias and ListAliases, end to end through boto3."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from kms_mock import FrozenClock
from tests._helpers import aws_managed_key, error_of, new_key

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
ALIAS_ARN_PREFIX = f"arn:aws:kms:us-east-1:{ACCOUNT}:"
START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
PREFIX_MESSAGE = (
    'Alias must start with the prefix "alias/". Please see '
    "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
)


def alias_names(client: KMSClient, **kwargs: Any) -> list[str]:
    return [entry["AliasName"] for entry in client.list_aliases(**kwargs)["Aliases"]]


def target_of(client: KMSClient, alias_name: str) -> str:
    return client.describe_key(KeyId=alias_name)["KeyMetadata"]["KeyId"]


# --- CreateAlias ---------------------------------------------------------------------------


def test_create_alias_resolves_by_alias_name_and_alias_arn(client: KMSClient) -> None:
    key = new_key(client)
    assert client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])

    by_name = client.describe_key(KeyId="alias/app")["KeyMetadata"]
    by_arn = client.describe_key(KeyId=ALIAS_ARN_PREFIX + "alias/app")["KeyMetadata"]
    assert by_name["Arn"] == by_arn["Arn"] == key["Arn"]


def test_create_alias_accepts_a_key_arn_target(client: KMSClient) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/by-arn", TargetKeyId=key["Arn"])
    assert target_of(client, "alias/by-arn") == key["KeyId"]


def test_list_entry_has_every_member(client: KMSClient, clock: FrozenClock) -> None:
    key = new_key(client)
    clock.advance(hours=1)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])

    assert client.list_aliases()["Aliases"] == [
        {
            "AliasName": "alias/app",
            "AliasArn": ALIAS_ARN_PREFIX + "alias/app",
            "TargetKeyId": key["KeyId"],
            "CreationDate": START + _dt.timedelta(hours=1),
            "LastUpdatedDate": START + _dt.timedelta(hours=1),
        }
    ]


def test_alias_names_are_case_sensitive(client: KMSClient) -> None:
    first, second = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/App", TargetKeyId=first["KeyId"])
    client.create_alias(AliasName="alias/app", TargetKeyId=second["KeyId"])
    assert target_of(client, "alias/App") == first["KeyId"]
    assert target_of(client, "alias/app") == second["KeyId"]


def test_a_key_can_have_several_aliases(client: KMSClient) -> None:
    key = new_key(client)
    for name in ("alias/one", "alias/two"):
        client.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert alias_names(client, KeyId=key["KeyId"]) == ["alias/one", "alias/two"]


@pytest.mark.parametrize("state", ["Disabled", "Enabled"])
def test_create_alias_for_a_key_that_is_not_pending_deletion(client: KMSClient, state: str) -> None:
    key = new_key(client)
    if state == "Disabled":
        client.disable_key(KeyId=key["KeyId"])
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    assert client.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyState"] == state


def test_alias_name_without_prefix(client: KMSClient) -> None:
    key = new_key(client)
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="app", TargetKeyId=key["KeyId"])
    assert error_of(excinfo) == ("ValidationException", PREFIX_MESSAGE, 400)
    # ValidationException is not modeled in KMS: no top-level message member.
    assert "message" not in excinfo.value.response
    assert alias_names(client) == []


def test_alias_name_pattern_is_checked_by_the_model(client: KMSClient) -> None:
    key = new_key(client)
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="alias/my app", TargetKeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value 'alias/my app' at 'aliasName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        400,
    )


def test_reserved_aws_prefix_cannot_be_created(client: KMSClient) -> None:
    key = new_key(client)
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="alias/aws/mine", TargetKeyId=key["KeyId"])
    assert error_of(excinfo) == ("NotAuthorizedException", "", 400)
    assert "message" not in excinfo.value.response
    assert alias_names(client) == []


def test_duplicate_alias_name(client: KMSClient) -> None:
    first, second = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=first["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="alias/app", TargetKeyId=second["KeyId"])
    assert error_of(excinfo) == (
        "AlreadyExistsException",
        f"An alias with the name {ALIAS_ARN_PREFIX}alias/app already exists",
        400,
    )
    assert target_of(client, "alias/app") == first["KeyId"]


def test_duplicate_message_names_the_callers_region(kms: object) -> None:
    client = boto3.client("kms", region_name="eu-west-1")
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    assert error_of(excinfo)[1] == (
        f"An alias with the name arn:aws:kms:eu-west-1:{ACCOUNT}:alias/app already exists"
    )


@pytest.mark.parametrize(
    "target", ["alias/other", ALIAS_ARN_PREFIX + "alias/other"], ids=["name", "arn"]
)
def test_target_cannot_be_an_alias(client: KMSClient, target: str) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/other", TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="alias/app", TargetKeyId=target)
    assert error_of(excinfo) == ("NotFoundException", f"Invalid keyId '{target}'", 400)
    assert alias_names(client) == ["alias/other"]


def test_target_key_that_does_not_exist(client: KMSClient) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="alias/app", TargetKeyId=missing)
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key '{ALIAS_ARN_PREFIX}key/{missing}' does not exist",
        400,
    )


def test_target_malformed_key_id(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="alias/app", TargetKeyId="not-a-key")
    assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'not-a-key'", 400)


def test_target_cannot_be_aws_managed(client: KMSClient) -> None:
    managed = aws_managed_key(client)
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="alias/app", TargetKeyId=managed["KeyId"])
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: kms:CreateAlias on "
        f"resource: {managed['Arn']} because no resource-based policy allows the "
        "kms:CreateAlias action",
        400,
    )
    assert alias_names(client) == ["alias/aws/s3"]


def test_target_pending_deletion(client: KMSClient) -> None:
    key = new_key(client)
    client.schedule_key_deletion(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{key['Arn']} is pending deletion.",
        400,
    )
    assert alias_names(client) == []


def test_fifty_aliases_per_key(client: KMSClient) -> None:
    key, other = new_key(client), new_key(client)
    for number in range(50):
        client.create_alias(AliasName=f"alias/a{number:02}", TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(AliasName="alias/one-too-many", TargetKeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "LimitExceededException",
        "The alias limit has been reached for the given keyId. No more aliases can be "
        f"associated with this key: {key['Arn']}",
        400,
    )
    assert len(client.list_aliases(KeyId=key["KeyId"], Limit=100)["Aliases"]) == 50
    # The quota is per key: another key still takes the name.
    client.create_alias(AliasName="alias/one-too-many", TargetKeyId=other["KeyId"])
    assert target_of(client, "alias/one-too-many") == other["KeyId"]


def test_aliases_are_per_region(kms: object) -> None:
    east = boto3.client("kms", region_name="us-east-1")
    west = boto3.client("kms", region_name="eu-west-1")
    east_key, west_key = new_key(east), new_key(west)
    east.create_alias(AliasName="alias/app", TargetKeyId=east_key["KeyId"])
    assert alias_names(west) == []
    west.create_alias(AliasName="alias/app", TargetKeyId=west_key["KeyId"])
    assert target_of(east, "alias/app") == east_key["KeyId"]
    assert target_of(west, "alias/app") == west_key["KeyId"]


# --- UpdateAlias ---------------------------------------------------------------------------


def test_update_alias_retargets_and_stamps_last_updated(
    client: KMSClient, clock: FrozenClock
) -> None:
    old, new = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=old["KeyId"])
    clock.advance(days=3)
    client.update_alias(AliasName="alias/app", TargetKeyId=new["Arn"])

    assert target_of(client, "alias/app") == new["KeyId"]
    by_arn = client.describe_key(KeyId=ALIAS_ARN_PREFIX + "alias/app")["KeyMetadata"]
    assert by_arn["KeyId"] == new["KeyId"]
    (entry,) = client.list_aliases()["Aliases"]
    assert entry["TargetKeyId"] == new["KeyId"]
    assert entry["CreationDate"] == START
    assert entry["LastUpdatedDate"] == START + _dt.timedelta(days=3)
    assert alias_names(client, KeyId=old["KeyId"]) == []


def test_update_alias_to_its_current_target(client: KMSClient, clock: FrozenClock) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    clock.advance(minutes=5)
    client.update_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    (entry,) = client.list_aliases()["Aliases"]
    assert entry["LastUpdatedDate"] == START + _dt.timedelta(minutes=5)


def test_update_alias_that_does_not_exist(client: KMSClient) -> None:
    key = new_key(client)
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(AliasName="alias/missing", TargetKeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Alias {ALIAS_ARN_PREFIX}alias/missing is not found.",
        400,
    )
    assert alias_names(client) == []


def test_update_alias_name_without_prefix(client: KMSClient) -> None:
    key = new_key(client)
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(AliasName="app", TargetKeyId=key["KeyId"])
    assert error_of(excinfo) == ("ValidationException", PREFIX_MESSAGE, 400)


def test_update_aws_managed_alias(client: KMSClient) -> None:
    managed = aws_managed_key(client)
    key = new_key(client)
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(AliasName="alias/aws/s3", TargetKeyId=key["KeyId"])
    assert error_of(excinfo) == ("NotAuthorizedException", "", 400)
    assert "message" not in excinfo.value.response
    assert target_of(client, "alias/aws/s3") == managed["KeyId"]


def test_update_alias_to_aws_managed_key(client: KMSClient, clock: FrozenClock) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    managed = aws_managed_key(client)
    clock.advance(hours=1)
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(AliasName="alias/app", TargetKeyId=managed["KeyId"])
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: kms:UpdateAlias on "
        f"resource: {managed['Arn']} because no resource-based policy allows the "
        "kms:UpdateAlias action",
        400,
    )
    (entry,) = client.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert entry["LastUpdatedDate"] == START


def test_update_alias_target_cannot_be_an_alias(client: KMSClient) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(AliasName="alias/app", TargetKeyId="alias/app")
    assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'alias/app'", 400)


def test_update_alias_key_usage_must_match(client: KMSClient, clock: FrozenClock) -> None:
    symmetric = new_key(client)
    signing = new_key(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    client.create_alias(AliasName="alias/app", TargetKeyId=symmetric["KeyId"])
    clock.advance(hours=1)
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(AliasName="alias/app", TargetKeyId=signing["KeyId"])
    assert error_of(excinfo) == (
        "ValidationException",
        "Alias alias/app cannot be changed from a CMK with key usage ENCRYPT_DECRYPT to a CMK "
        "with key usage SIGN_VERIFY. The key usage of the current CMK and the new CMK must be "
        "the same.",
        400,
    )
    # Nothing changed: same target, same LastUpdatedDate.
    (entry,) = client.list_aliases()["Aliases"]
    assert entry["TargetKeyId"] == symmetric["KeyId"]
    assert entry["LastUpdatedDate"] == START


def test_update_alias_key_type_must_match(client: KMSClient) -> None:
    symmetric = new_key(client)
    rsa = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    client.create_alias(AliasName="alias/app", TargetKeyId=symmetric["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(AliasName="alias/app", TargetKeyId=rsa["KeyId"])
    assert error_of(excinfo) == (
        "ValidationException",
        "Alias alias/app cannot be changed from a CMK with key type SYMMETRIC to a CMK with "
        "key type ASYMMETRIC. The key type of the current CMK and the new CMK must be the "
        "same.",
        400,
    )
    assert target_of(client, "alias/app") == symmetric["KeyId"]


@pytest.mark.parametrize(
    ("old_spec", "new_spec", "usage"),
    [
        ("HMAC_256", "HMAC_512", "GENERATE_VERIFY_MAC"),
        ("RSA_2048", "RSA_4096", "ENCRYPT_DECRYPT"),
        ("ECC_NIST_P256", "RSA_3072", "SIGN_VERIFY"),
    ],
)
def test_update_alias_between_keys_of_one_type_and_usage(
    client: KMSClient, old_spec: str, new_spec: str, usage: str
) -> None:
    old = new_key(client, KeySpec=old_spec, KeyUsage=usage)
    new = new_key(client, KeySpec=new_spec, KeyUsage=usage)
    client.create_alias(AliasName="alias/app", TargetKeyId=old["KeyId"])
    client.update_alias(AliasName="alias/app", TargetKeyId=new["KeyId"])
    assert target_of(client, "alias/app") == new["KeyId"]


def test_update_alias_new_target_pending_deletion(client: KMSClient) -> None:
    old, new = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=old["KeyId"])
    client.schedule_key_deletion(KeyId=new["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(AliasName="alias/app", TargetKeyId=new["KeyId"])
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{new['Arn']} is pending deletion.",
        400,
    )
    assert target_of(client, "alias/app") == old["KeyId"]


def test_update_alias_away_from_a_key_pending_deletion(client: KMSClient) -> None:
    old, new = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=old["KeyId"])
    client.schedule_key_deletion(KeyId=old["KeyId"])
    client.update_alias(AliasName="alias/app", TargetKeyId=new["KeyId"])
    assert target_of(client, "alias/app") == new["KeyId"]


def test_update_alias_respects_the_new_targets_quota(client: KMSClient) -> None:
    full, other = new_key(client), new_key(client)
    for number in range(50):
        client.create_alias(AliasName=f"alias/a{number:02}", TargetKeyId=full["KeyId"])
    client.create_alias(AliasName="alias/app", TargetKeyId=other["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(AliasName="alias/app", TargetKeyId=full["KeyId"])
    assert error_of(excinfo)[0] == "LimitExceededException"
    assert target_of(client, "alias/app") == other["KeyId"]
    # Re-pointing one of the full key's own aliases at it is no new alias.
    client.update_alias(AliasName="alias/a00", TargetKeyId=full["KeyId"])
    assert target_of(client, "alias/a00") == full["KeyId"]


# --- DeleteAlias ---------------------------------------------------------------------------


def test_delete_alias(client: KMSClient) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    client.create_alias(AliasName="alias/keep", TargetKeyId=key["KeyId"])
    client.delete_alias(AliasName="alias/app")

    assert alias_names(client) == ["alias/keep"]
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId="alias/app")
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Alias {ALIAS_ARN_PREFIX}alias/app is not found.",
        400,
    )
    # The key itself is untouched, and the name can be used again.
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    assert target_of(client, "alias/app") == key["KeyId"]


@pytest.mark.parametrize("action", ["disable_key", "schedule_key_deletion"])
def test_delete_alias_in_any_key_state(client: KMSClient, action: str) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    getattr(client, action)(KeyId=key["KeyId"])
    client.delete_alias(AliasName="alias/app")
    assert alias_names(client) == []


def test_delete_alias_that_does_not_exist(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.delete_alias(AliasName="alias/missing")
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Alias {ALIAS_ARN_PREFIX}alias/missing is not found.",
        400,
    )


def test_delete_alias_name_without_prefix(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.delete_alias(AliasName="app")
    assert error_of(excinfo) == ("ValidationException", PREFIX_MESSAGE, 400)


def test_delete_aws_managed_alias(client: KMSClient) -> None:
    managed = aws_managed_key(client)
    with pytest.raises(ClientError) as excinfo:
        client.delete_alias(AliasName="alias/aws/s3")
    assert error_of(excinfo) == ("NotAuthorizedException", "", 400)
    assert "message" not in excinfo.value.response
    assert target_of(client, "alias/aws/s3") == managed["KeyId"]


# --- ListAliases ---------------------------------------------------------------------------


def test_list_aliases_is_sorted_by_name(client: KMSClient) -> None:
    key = new_key(client)
    for name in ("alias/zeta", "alias/Beta", "alias/alpha", "alias/beta"):
        client.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert alias_names(client) == ["alias/Beta", "alias/alpha", "alias/beta", "alias/zeta"]


def test_list_aliases_of_one_key_by_id_or_arn(client: KMSClient) -> None:
    first, second = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/first", TargetKeyId=first["KeyId"])
    client.create_alias(AliasName="alias/second", TargetKeyId=second["KeyId"])
    assert alias_names(client, KeyId=first["KeyId"]) == ["alias/first"]
    assert alias_names(client, KeyId=second["Arn"]) == ["alias/second"]
    assert alias_names(client, KeyId=new_key(client)["KeyId"]) == []


def test_list_aliases_of_a_key_that_does_not_exist(client: KMSClient) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(ClientError) as excinfo:
        client.list_aliases(KeyId=missing)
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key '{ALIAS_ARN_PREFIX}key/{missing}' does not exist",
        400,
    )


def test_list_aliases_key_id_cannot_be_an_alias(client: KMSClient) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        client.list_aliases(KeyId="alias/app")
    assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'alias/app'", 400)


def test_aws_managed_aliases_are_listed_once_used(client: KMSClient) -> None:
    # Predefined AWS aliases whose key was never used are not listed (a simplification).
    assert alias_names(client) == []
    managed = aws_managed_key(client)
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])

    entries = client.list_aliases()["Aliases"]
    assert [entry["AliasName"] for entry in entries] == ["alias/app", "alias/aws/s3"]
    assert entries[1]["TargetKeyId"] == managed["KeyId"]
    assert entries[1]["AliasArn"] == ALIAS_ARN_PREFIX + "alias/aws/s3"
    assert alias_names(client, KeyId=managed["Arn"]) == ["alias/aws/s3"]


def make_aliases(client: KMSClient, count: int) -> list[str]:
    """``count`` aliases spread over enough keys for the 50-per-key quota; sorted names."""
    names = [f"alias/n{number:03}" for number in range(count)]
    key_id = ""
    for number, name in enumerate(names):
        if number % 50 == 0:
            key_id = new_key(client)["KeyId"]
        client.create_alias(AliasName=name, TargetKeyId=key_id)
    return names


def test_list_aliases_pages_by_fifty_by_default(client: KMSClient) -> None:
    names = make_aliases(client, 60)
    first = client.list_aliases()
    assert [entry["AliasName"] for entry in first["Aliases"]] == names[:50]
    assert first["Truncated"] is True
    second = client.list_aliases(Marker=first["NextMarker"])
    assert [entry["AliasName"] for entry in second["Aliases"]] == names[50:]
    assert second["Truncated"] is False
    assert "NextMarker" not in second


def test_list_aliases_limit_is_capped_at_one_hundred(client: KMSClient) -> None:
    names = make_aliases(client, 101)
    page = client.list_aliases(Limit=1000)
    assert len(page["Aliases"]) == 100
    assert page["Truncated"] is True
    rest = client.list_aliases(Limit=1000, Marker=page["NextMarker"])
    assert [entry["AliasName"] for entry in rest["Aliases"]] == names[100:]


def test_list_aliases_paginator(client: KMSClient) -> None:
    names = make_aliases(client, 23)
    pages = list(client.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(page["Aliases"]) for page in pages] == [5, 5, 5, 5, 3]
    assert [entry["AliasName"] for page in pages for entry in page["Aliases"]] == names


def test_list_aliases_paginator_for_one_key(client: KMSClient) -> None:
    key, other = new_key(client), new_key(client)
    for number in range(7):
        client.create_alias(AliasName=f"alias/k{number}", TargetKeyId=key["KeyId"])
    client.create_alias(AliasName="alias/other", TargetKeyId=other["KeyId"])
    paginator = client.get_paginator("list_aliases")
    result = paginator.paginate(KeyId=key["KeyId"], PaginationConfig={"PageSize": 3})
    assert [entry["AliasName"] for entry in result.build_full_result()["Aliases"]] == [
        f"alias/k{number}" for number in range(7)
    ]


@pytest.mark.parametrize("marker", ["garbage", "bm90LWEtbWFya2Vy"])
def test_list_aliases_invalid_marker(client: KMSClient, marker: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.list_aliases(Marker=marker)
    assert error_of(excinfo) == ("InvalidMarkerException", "Invalid marker", 400)


def test_list_keys_marker_is_not_a_list_aliases_marker(client: KMSClient) -> None:
    for _ in range(3):
        new_key(client)
    marker = client.list_keys(Limit=1)["NextMarker"]
    with pytest.raises(ClientError) as excinfo:
        client.list_aliases(Marker=marker)
    assert error_of(excinfo) == ("InvalidMarkerException", "Invalid marker", 400)


# --- Key deletion --------------------------------------------------------------------------


def test_deleting_a_key_deletes_its_aliases(client: KMSClient, clock: FrozenClock) -> None:
    doomed, kept = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/doomed-1", TargetKeyId=doomed["KeyId"])
    client.create_alias(AliasName="alias/doomed-2", TargetKeyId=doomed["KeyId"])
    client.create_alias(AliasName="alias/kept", TargetKeyId=kept["KeyId"])
    client.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=30)

    clock.advance(days=29)
    assert alias_names(client) == ["alias/doomed-1", "alias/doomed-2", "alias/kept"]

    clock.advance(days=2)
    assert alias_names(client) == ["alias/kept"]
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId="alias/doomed-1")
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Alias {ALIAS_ARN_PREFIX}alias/doomed-1 is not found.",
        400,
    )
    # The freed name can point at another key.
    client.create_alias(AliasName="alias/doomed-1", TargetKeyId=kept["KeyId"])
    assert target_of(client, "alias/doomed-1") == kept["KeyId"]


def test_cancelled_deletion_keeps_the_aliases(client: KMSClient, clock: FrozenClock) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    client.cancel_key_deletion(KeyId=key["KeyId"])
    clock.advance(days=31)
    assert target_of(client, "alias/app") == key["KeyId"]
