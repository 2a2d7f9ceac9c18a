"""TagResource, UntagResource and ListResourceTags through boto3."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from kms_mock._validation import check_response
from tests._helpers import aws_managed_key, error_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.type_defs import TagTypeDef


def _tags(*pairs: tuple[str, str]) -> list[TagTypeDef]:
    return [{"TagKey": key, "TagValue": value} for key, value in pairs]


def _listed(client: KMSClient, key_id: str) -> list[tuple[str, str]]:
    response = client.list_resource_tags(KeyId=key_id)
    assert response["Truncated"] is False
    return [(tag["TagKey"], tag["TagValue"]) for tag in response["Tags"]]


def _members(response: Any) -> dict[str, Any]:
    return {name: value for name, value in response.items() if name != "ResponseMetadata"}


@pytest.fixture
def key_id(client: KMSClient) -> str:
    return client.create_key()["KeyMetadata"]["KeyId"]


@pytest.fixture(name="aws_managed_key")
def aws_managed_key_fixture(client: KMSClient) -> dict[str, Any]:
    return aws_managed_key(client)


def test_new_key_has_no_tags(client: KMSClient, key_id: str) -> None:
    response = client.list_resource_tags(KeyId=key_id)
    assert _members(response) == {"Tags": [], "Truncated": False}


def test_tag_then_list_in_insertion_order(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(("b", "2"), ("a", "1")))
    client.tag_resource(KeyId=key_id, Tags=_tags(("c", "3")))
    assert _listed(client, key_id) == [("b", "2"), ("a", "1"), ("c", "3")]


def test_tag_resource_returns_empty_response(client: KMSClient, key_id: str) -> None:
    assert _members(client.tag_resource(KeyId=key_id, Tags=_tags(("k", "v")))) == {}
    assert _members(client.untag_resource(KeyId=key_id, TagKeys=["k"])) == {}


def test_existing_key_gets_new_value_in_place(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(("first", "1"), ("second", "2")))
    client.tag_resource(KeyId=key_id, Tags=_tags(("first", "one"), ("third", "3")))
    assert _listed(client, key_id) == [("first", "one"), ("second", "2"), ("third", "3")]


def test_tag_keys_are_case_sensitive(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(("Env", "a"), ("env", "b")))
    assert _listed(client, key_id) == [("Env", "a"), ("env", "b")]


def test_empty_tag_value_is_allowed(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(("empty", "")))
    assert _listed(client, key_id) == [("empty", "")]


def test_tags_given_to_create_key_are_listed(client: KMSClient) -> None:
    key = client.create_key(Tags=_tags(("team", "x"), ("env", "dev")))["KeyMetadata"]
    assert _listed(client, key["KeyId"]) == [("team", "x"), ("env", "dev")]


def test_key_arn_is_accepted(client: KMSClient) -> None:
    arn = client.create_key()["KeyMetadata"]["Arn"]
    client.tag_resource(KeyId=arn, Tags=_tags(("a", "1"), ("b", "2")))
    client.untag_resource(KeyId=arn, TagKeys=["a"])
    assert _listed(client, arn) == [("b", "2")]


@pytest.mark.parametrize(
    "alias", ["alias/tagged", "arn:aws:kms:us-east-1:123456789012:alias/tagged"]
)
@pytest.mark.parametrize("operation", ["tag_resource", "untag_resource", "list_resource_tags"])
def test_alias_is_not_accepted(client: KMSClient, operation: str, alias: str) -> None:
    # Aliases are refused by their shape, before any lookup.
    arguments: dict[str, dict[str, Any]] = {
        "tag_resource": {"Tags": _tags(("a", "1"))},
        "untag_resource": {"TagKeys": ["a"]},
        "list_resource_tags": {},
    }
    with pytest.raises(ClientError) as excinfo:
        getattr(client, operation)(KeyId=alias, **arguments[operation])
    assert error_of(excinfo) == ("NotFoundException", f"Invalid keyId '{alias}'", 400)


def test_unknown_key(client: KMSClient) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(KeyId=missing, Tags=_tags(("a", "1")))
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:123456789012:key/{missing}' does not exist",
        400,
    )


def test_duplicate_tag_keys(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(("kept", "1")))
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(KeyId=key_id, Tags=_tags(("dup", "1"), ("new", "2"), ("dup", "3")))
    assert error_of(excinfo) == ("TagException", "Duplicate tag keys", 400)
    # TagException is modeled, so botocore also exposes AWS's message member.
    assert excinfo.value.response["message"] == "Duplicate tag keys"  # type: ignore[typeddict-item]
    assert _listed(client, key_id) == [("kept", "1")]


@pytest.mark.parametrize("reserved", ["aws:owner", "AWS:owner", "Aws:owner", "aWS:"])
def test_reserved_prefix_on_tag(client: KMSClient, key_id: str, reserved: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(KeyId=key_id, Tags=_tags(("ok", "1"), (reserved, "2")))
    assert error_of(excinfo) == ("TagException", "Tags beginning with aws: are reserved", 400)
    assert _listed(client, key_id) == []


def test_aws_elsewhere_in_the_key_is_fine(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(("my-aws:tag", "1"), ("aws", "2")))
    assert _listed(client, key_id) == [("my-aws:tag", "1"), ("aws", "2")]


def test_fifty_tags_are_allowed(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(*[(f"k{i}", "v") for i in range(50)]))
    assert len(_listed(client, key_id)) == 50


def test_too_many_tags_counts_existing_ones(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(*[(f"k{i}", "v") for i in range(49)]))
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(KeyId=key_id, Tags=_tags(("k0", "new"), ("x", "1"), ("y", "2")))
    assert error_of(excinfo) == ("TagException", "Too many tags", 400)
    listed = _listed(client, key_id)
    assert len(listed) == 49
    assert listed[0] == ("k0", "v")


def test_replacing_values_at_the_limit_is_not_too_many(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(*[(f"k{i}", "v") for i in range(50)]))
    client.tag_resource(KeyId=key_id, Tags=_tags(("k7", "changed")))
    listed = _listed(client, key_id)
    assert len(listed) == 50
    assert listed[7] == ("k7", "changed")


def test_too_many_tags_on_create_key(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.create_key(Tags=_tags(*[(f"k{i}", "v") for i in range(51)]))
    assert error_of(excinfo) == ("TagException", "Too many tags", 400)
    assert client.list_keys()["Keys"] == []


def test_tag_key_too_long(client: KMSClient, key_id: str) -> None:
    long_key = "a" * 129
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(KeyId=key_id, Tags=_tags((long_key, "v")))
    assert error_of(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '{long_key}' at 'tags.1.member.tagKey' failed to "
        "satisfy constraint: Member must have length less than or equal to 128",
        400,
    )
    # ValidationException is not modeled for KMS: no top-level message member.
    assert "message" not in excinfo.value.response
    assert _listed(client, key_id) == []


def test_tag_value_too_long_is_addressed_by_position(client: KMSClient, key_id: str) -> None:
    long_value = "v" * 257
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(KeyId=key_id, Tags=_tags(("ok", "1"), ("long", long_value)))
    assert error_of(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '{long_value}' at 'tags.2.member.tagValue' failed "
        "to satisfy constraint: Member must have length less than or equal to 256",
        400,
    )
    assert _listed(client, key_id) == []


def test_longest_allowed_key_and_value(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(("k" * 128, "v" * 256)))
    assert _listed(client, key_id) == [("k" * 128, "v" * 256)]


def test_disabled_key_can_be_tagged(client: KMSClient, key_id: str) -> None:
    client.disable_key(KeyId=key_id)
    client.tag_resource(KeyId=key_id, Tags=_tags(("a", "1"), ("b", "2")))
    client.untag_resource(KeyId=key_id, TagKeys=["b"])
    assert _listed(client, key_id) == [("a", "1")]


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        ("tag_resource", {"Tags": [{"TagKey": "b", "TagValue": "2"}]}),
        ("untag_resource", {"TagKeys": ["a"]}),
    ],
)
def test_pending_deletion_refuses_changes(
    client: KMSClient, operation: str, arguments: dict[str, Any]
) -> None:
    key = client.create_key(Tags=_tags(("a", "1")))["KeyMetadata"]
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as excinfo:
        getattr(client, operation)(KeyId=key["KeyId"], **arguments)
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{key['Arn']} is pending deletion.",
        400,
    )
    # Listing works in every state, and shows the tags untouched.
    assert _listed(client, key["KeyId"]) == [("a", "1")]


@pytest.mark.parametrize(
    ("operation", "action", "arguments"),
    [
        ("tag_resource", "kms:TagResource", {"Tags": [{"TagKey": "a", "TagValue": "1"}]}),
        ("untag_resource", "kms:UntagResource", {"TagKeys": ["a"]}),
    ],
)
def test_aws_managed_key_refuses_changes(
    client: KMSClient,
    aws_managed_key: dict[str, Any],
    operation: str,
    action: str,
    arguments: dict[str, Any],
) -> None:
    arn = aws_managed_key["Arn"]
    with pytest.raises(ClientError) as excinfo:
        getattr(client, operation)(KeyId=aws_managed_key["KeyId"], **arguments)
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::123456789012:root is not authorized to perform: {action} on "
        f"resource: {arn} because no resource-based policy allows the {action} action",
        400,
    )


def test_aws_managed_key_tags_can_be_listed(
    client: KMSClient, aws_managed_key: dict[str, Any]
) -> None:
    response = client.list_resource_tags(KeyId=aws_managed_key["Arn"])
    assert _members(response) == {"Tags": [], "Truncated": False}


def test_untag_removes_only_named_keys(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(("a", "1"), ("b", "2"), ("c", "3")))
    client.untag_resource(KeyId=key_id, TagKeys=["b", "absent", "A"])
    assert _listed(client, key_id) == [("a", "1"), ("c", "3")]


def test_untag_of_absent_keys_is_a_no_op(client: KMSClient, key_id: str) -> None:
    client.untag_resource(KeyId=key_id, TagKeys=["never-set"])
    client.untag_resource(KeyId=key_id, TagKeys=[])
    assert _listed(client, key_id) == []


def test_untag_then_tag_again_appends(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(("a", "1"), ("b", "2")))
    client.untag_resource(KeyId=key_id, TagKeys=["a"])
    client.tag_resource(KeyId=key_id, Tags=_tags(("a", "again")))
    assert _listed(client, key_id) == [("b", "2"), ("a", "again")]


@pytest.mark.parametrize("reserved", ["aws:owner", "AWS:owner"])
def test_untag_of_reserved_key(client: KMSClient, key_id: str, reserved: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(("a", "1")))
    with pytest.raises(ClientError) as excinfo:
        client.untag_resource(KeyId=key_id, TagKeys=["a", reserved])
    assert error_of(excinfo) == ("TagException", "Tags beginning with aws: are reserved", 400)
    assert _listed(client, key_id) == [("a", "1")]


def test_untag_key_too_long(client: KMSClient, key_id: str) -> None:
    long_key = "a" * 129
    with pytest.raises(ClientError) as excinfo:
        client.untag_resource(KeyId=key_id, TagKeys=["ok", long_key])
    assert error_of(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '{long_key}' at 'tagKeys.2.member' failed to "
        "satisfy constraint: Member must have length less than or equal to 128",
        400,
    )


def test_list_default_limit_is_fifty(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(*[(f"k{i:02}", "v") for i in range(50)]))
    response = client.list_resource_tags(KeyId=key_id)
    assert len(response["Tags"]) == 50
    assert response["Truncated"] is False
    assert "NextMarker" not in _members(response)


def test_list_pages_with_limit_and_marker(client: KMSClient, key_id: str) -> None:
    pairs = [(f"k{i}", str(i)) for i in range(5)]
    client.tag_resource(KeyId=key_id, Tags=_tags(*pairs))
    seen: list[tuple[str, str]] = []
    pages = 0
    arguments: dict[str, Any] = {"KeyId": key_id, "Limit": 2}
    while True:
        response = client.list_resource_tags(**arguments)
        pages += 1
        seen += [(tag["TagKey"], tag["TagValue"]) for tag in response["Tags"]]
        if not response["Truncated"]:
            assert "NextMarker" not in _members(response)
            break
        arguments["Marker"] = response["NextMarker"]
    assert pages == 3
    assert seen == pairs


def test_list_paginator(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(*[(f"k{i}", "v") for i in range(7)]))
    paginator = client.get_paginator("list_resource_tags")
    pages = list(paginator.paginate(KeyId=key_id, PaginationConfig={"PageSize": 3}))
    assert [len(page["Tags"]) for page in pages] == [3, 3, 1]


def test_list_limit_above_fifty_is_capped(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(*[(f"k{i}", "v") for i in range(50)]))
    response = client.list_resource_tags(KeyId=key_id, Limit=1000)
    assert len(response["Tags"]) == 50
    assert response["Truncated"] is False


def test_list_invalid_marker(client: KMSClient, key_id: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.list_resource_tags(KeyId=key_id, Marker="not-a-marker")
    assert error_of(excinfo) == ("InvalidMarkerException", "Invalid marker", 400)


def test_list_limit_above_model_maximum(client: KMSClient, key_id: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.list_resource_tags(KeyId=key_id, Limit=1001)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
        400,
    )


def test_list_response_matches_output_shape(client: KMSClient, key_id: str) -> None:
    client.tag_resource(KeyId=key_id, Tags=_tags(*[(f"k{i}", "v") for i in range(3)]))
    first = client.list_resource_tags(KeyId=key_id, Limit=2)
    assert first["Truncated"] is True
    assert check_response("ListResourceTags", _members(first)) == []
    last = client.list_resource_tags(KeyId=key_id, Marker=first["NextMarker"])
    assert check_response("ListResourceTags", _members(last)) == []
    assert [tag["TagKey"] for tag in last["Tags"]] == ["k2"]
