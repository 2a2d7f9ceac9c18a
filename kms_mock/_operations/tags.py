"""Tags: TagResource, UntagResource, ListResourceTags.

All three take a key id or key ARN only (no aliases). Changing tags is refused
for AWS managed keys and for keys pending deletion; listing works in every
state. A failed call leaves the key's tags unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from .._dispatch import Params, Request, Response, operation
from .._models import Tags
from .._resolve import find_key, require_not_pending_deletion
from ._pagination import paginate
from ._rules import key_to_change
from ._tag_rules import merged_tags, tag_list, without_tags

# ListResourceTags: documented Limit 1..50, default 50 (the model allows 1000).
_DEFAULT_LIMIT = _MAX_LIMIT = 50


def _retag(request: Request, params: Params, change: Callable[[Tags], Tags]) -> Response:
    key = key_to_change(request, params["KeyId"])
    require_not_pending_deletion(key)
    key.tags = change(key.tags)
    return {}


@operation("TagResource")
def tag_resource(request: Request, params: Params) -> Response:
    """Add tags, or replace the value of a tag key the key already has."""
    return _retag(request, params, lambda tags: merged_tags(tags, params["Tags"]))


@operation("UntagResource")
def untag_resource(request: Request, params: Params) -> Response:
    """Remove tags by key; keys the key does not have are silently ignored."""
    return _retag(request, params, lambda tags: without_tags(tags, params["TagKeys"]))


@operation("ListResourceTags")
def list_resource_tags(request: Request, params: Params) -> Response:
    """A key's tags in insertion order, paged; ``Truncated`` is always present.

    A page resumes after the serial of the last tag returned, so a tag removed
    (or given a new value) between pages moves no other tag across the marker.
    """
    key = find_key(request, params["KeyId"])
    page, paging = paginate(
        request.operation,
        list(key.tags.by_key.items()),
        params,
        default_limit=_DEFAULT_LIMIT,
        max_limit=_MAX_LIMIT,
        token=lambda entry: f"{entry[1].serial:012d}",
    )
    return {"Tags": tag_list(page), **paging}
