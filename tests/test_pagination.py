"""Markers resume after the last item returned, whatever happened in between."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from kms_mock import FrozenClock
from tests._helpers import error_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.type_defs import ListResourceTagsResponseTypeDef


def _key_ids(client: KMSClient, count: int) -> list[str]:
    return [client.create_key()["KeyMetadata"]["KeyId"] for _ in range(count)]


def test_a_key_deleted_between_pages_skips_no_other_key(
    client: KMSClient, clock: FrozenClock
) -> None:
    ids = _key_ids(client, 5)
    first = client.list_keys(Limit=2)
    assert [entry["KeyId"] for entry in first["Keys"]] == ids[:2]
    client.schedule_key_deletion(KeyId=ids[0], PendingWindowInDays=7)
    clock.advance(days=7)  # the first key is gone now
    rest = client.list_keys(Limit=10, Marker=first["NextMarker"])
    assert [entry["KeyId"] for entry in rest["Keys"]] == ids[2:]
    assert rest["Truncated"] is False


def test_an_alias_added_before_the_marker_does_not_shift_the_next_page(
    client: KMSClient,
) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    for name in ("alias/b", "alias/d", "alias/f"):
        client.create_alias(AliasName=name, TargetKeyId=key_id)
    first = client.list_aliases(Limit=2)
    assert [a["AliasName"] for a in first["Aliases"]] == ["alias/b", "alias/d"]
    client.create_alias(AliasName="alias/a", TargetKeyId=key_id)
    rest = client.list_aliases(Marker=first["NextMarker"])
    assert [a["AliasName"] for a in rest["Aliases"]] == ["alias/f"]


def test_a_marker_of_another_operation_is_invalid(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    for name in ("alias/one", "alias/two"):
        client.create_alias(AliasName=name, TargetKeyId=key_id)
    marker = client.list_aliases(Limit=1)["NextMarker"]
    with pytest.raises(ClientError) as excinfo:
        client.list_keys(Marker=marker)
    assert error_of(excinfo) == ("InvalidMarkerException", "Invalid marker", 400)


def _tag_keys(response: ListResourceTagsResponseTypeDef) -> list[str]:
    return [tag["TagKey"] for tag in response["Tags"]]


def _tagged_key(client: KMSClient, names: str) -> str:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    client.tag_resource(KeyId=key_id, Tags=[{"TagKey": n, "TagValue": "v"} for n in names])
    return key_id


def test_a_tag_removed_between_pages_skips_no_other_tag(client: KMSClient) -> None:
    key_id = _tagged_key(client, "abcde")
    first = client.list_resource_tags(KeyId=key_id, Limit=2)
    assert _tag_keys(first) == ["a", "b"]
    client.untag_resource(KeyId=key_id, TagKeys=["a"])
    rest = client.list_resource_tags(KeyId=key_id, Marker=first["NextMarker"])
    assert _tag_keys(rest) == ["c", "d", "e"]


def test_the_last_tag_returned_removed_between_pages(client: KMSClient) -> None:
    key_id = _tagged_key(client, "abcd")
    first = client.list_resource_tags(KeyId=key_id, Limit=2)
    client.untag_resource(KeyId=key_id, TagKeys=["b"])
    rest = client.list_resource_tags(KeyId=key_id, Marker=first["NextMarker"])
    assert _tag_keys(rest) == ["c", "d"]


def test_a_new_value_keeps_the_tag_in_its_place_across_pages(client: KMSClient) -> None:
    key_id = _tagged_key(client, "abcd")
    first = client.list_resource_tags(KeyId=key_id, Limit=2)
    client.tag_resource(
        KeyId=key_id,
        Tags=[{"TagKey": "a", "TagValue": "new"}, {"TagKey": "c", "TagValue": "new"}],
    )
    rest = client.list_resource_tags(KeyId=key_id, Marker=first["NextMarker"])
    assert [(t["TagKey"], t["TagValue"]) for t in rest["Tags"]] == [("c", "new"), ("d", "v")]


def test_a_tag_removed_and_added_again_goes_last(client: KMSClient) -> None:
    key_id = _tagged_key(client, "abc")
    first = client.list_resource_tags(KeyId=key_id, Limit=2)
    client.untag_resource(KeyId=key_id, TagKeys=["a"])
    client.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "again"}])
    rest = client.list_resource_tags(KeyId=key_id, Marker=first["NextMarker"])
    assert _tag_keys(rest) == ["c", "a"]
    assert _tag_keys(client.list_resource_tags(KeyId=key_id)) == ["b", "c", "a"]


def test_list_keys_pages_through_many_keys_in_creation_order(
    client: KMSClient, clock: FrozenClock
) -> None:
    ids = _key_ids(client, 25)
    for key_id in ids[3:9]:
        client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    clock.advance(days=7)
    later = _key_ids(client, 3)
    listed: list[str] = []
    marker: dict[str, str] = {}
    while True:
        page = client.list_keys(Limit=4, **marker)
        listed.extend(entry["KeyId"] for entry in page["Keys"])
        if not page["Truncated"]:
            break
        marker = {"Marker": page["NextMarker"]}
    assert listed == ids[:3] + ids[9:] + later


def test_list_aliases_pages_by_name_whatever_the_creation_order(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    names = [f"alias/n{index:02d}" for index in (5, 1, 9, 3, 7, 2, 8, 4, 6, 0)]
    for name in names:
        client.create_alias(AliasName=name, TargetKeyId=key_id)
    paginator = client.get_paginator("list_aliases")
    listed = [
        alias["AliasName"]
        for page in paginator.paginate(PaginationConfig={"PageSize": 3})
        for alias in page["Aliases"]
    ]
    assert listed == sorted(names)


USER = "arn:aws:iam::123456789012:user/grantee"


def _grant_ids(client: KMSClient, key_id: str, count: int) -> list[str]:
    return [
        client.create_grant(
            KeyId=key_id, GranteePrincipal=USER, RetiringPrincipal=USER, Operations=["Decrypt"]
        )["GrantId"]
        for _ in range(count)
    ]


def test_a_grant_revoked_between_pages_skips_no_other_grant(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    ids = _grant_ids(client, key_id, 5)
    first = client.list_grants(KeyId=key_id, Limit=2)
    assert [grant["GrantId"] for grant in first["Grants"]] == ids[:2]
    client.revoke_grant(KeyId=key_id, GrantId=ids[0])
    client.revoke_grant(KeyId=key_id, GrantId=ids[1])  # the last one returned
    newest = _grant_ids(client, key_id, 1)
    rest = client.list_grants(KeyId=key_id, Limit=10, Marker=first["NextMarker"])
    assert [grant["GrantId"] for grant in rest["Grants"]] == ids[2:] + newest


def test_a_grant_retired_between_pages_skips_no_other_retirable_grant(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    ids = _grant_ids(client, key_id, 5)
    first = client.list_retirable_grants(RetiringPrincipal=USER, Limit=2)
    assert [grant["GrantId"] for grant in first["Grants"]] == ids[:2]
    client.retire_grant(KeyId=key_id, GrantId=ids[1])
    rest = client.list_retirable_grants(RetiringPrincipal=USER, Marker=first["NextMarker"])
    assert [grant["GrantId"] for grant in rest["Grants"]] == ids[2:]


def _retirable_in_order(client: KMSClient, count: int) -> tuple[list[str], list[str]]:
    """(key ARNs, grant ids): ``count`` keys with two retirable grants each, both listed
    as ListRetirableGrants lists them: by key ARN, then oldest first on each key."""
    arns = sorted(client.create_key()["KeyMetadata"]["Arn"] for _ in range(count))
    # Made on the last key first: the order is the keys', not the grants' creation.
    of_key = {arn: _grant_ids(client, arn, 2) for arn in reversed(arns)}
    return arns, [grant_id for arn in arns for grant_id in of_key[arn]]


def test_retirable_grants_of_many_keys_skip_nothing_when_grants_go_between_pages(
    client: KMSClient,
) -> None:
    arns, ids = _retirable_in_order(client, 3)
    first = client.list_retirable_grants(RetiringPrincipal=USER, Limit=3)
    assert [grant["GrantId"] for grant in first["Grants"]] == ids[:3]
    client.revoke_grant(KeyId=arns[1], GrantId=ids[2])  # the last one returned
    client.retire_grant(KeyId=arns[0], GrantId=ids[0])
    client.retire_grant(KeyId=arns[2], GrantId=ids[4])  # on the next page
    rest = client.list_retirable_grants(RetiringPrincipal=USER, Marker=first["NextMarker"])
    assert [grant["GrantId"] for grant in rest["Grants"]] == [ids[3], ids[5]]


def test_a_key_deleted_between_pages_skips_no_retirable_grant_of_another_key(
    client: KMSClient, clock: FrozenClock
) -> None:
    arns, ids = _retirable_in_order(client, 3)
    first = client.list_retirable_grants(RetiringPrincipal=USER, Limit=3)
    client.schedule_key_deletion(KeyId=arns[1], PendingWindowInDays=7)
    clock.advance(days=7)  # the key of the last grant returned is gone, with its grants
    rest = client.list_retirable_grants(RetiringPrincipal=USER, Marker=first["NextMarker"])
    assert [grant["GrantId"] for grant in rest["Grants"]] == ids[4:]


def test_a_rotation_between_pages_goes_last(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(3):
        client.rotate_key_on_demand(KeyId=key_id)
    first = client.list_key_rotations(KeyId=key_id, Limit=2)
    client.rotate_key_on_demand(KeyId=key_id)
    rest = client.list_key_rotations(KeyId=key_id, Marker=first["NextMarker"])
    every = client.list_key_rotations(KeyId=key_id)["Rotations"]
    assert first["Rotations"] + rest["Rotations"] == every
    assert len(every) == 4


def test_a_custom_key_store_deleted_between_pages_skips_no_other(client: KMSClient) -> None:
    ids = [
        client.create_custom_key_store(
            CustomKeyStoreName=f"store-{n}",
            CloudHsmClusterId=f"cluster-{'abcd'[n]}34abcdefgh",
            TrustAnchorCertificate="certificate",
            KeyStorePassword="kmsuser-password",
        )["CustomKeyStoreId"]
        for n in range(4)
    ]
    first = client.describe_custom_key_stores(Limit=2)
    client.delete_custom_key_store(CustomKeyStoreId=ids[0])
    rest = client.describe_custom_key_stores(Marker=first["NextMarker"])
    assert [store["CustomKeyStoreId"] for store in rest["CustomKeyStores"]] == ids[2:]
