"""Markers resume after the last item returned, whatever happened in between."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from kms_mock import FrozenClock
from tests.conftest import error_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


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
