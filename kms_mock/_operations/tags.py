"""Tags: TagResource, UntagResource, ListResourceTags (spec §4.12, §2.3).

All three take a key id or key ARN only (no aliases). Changing tags is refused
for AWS managed keys and for keys pending deletion; listing works in every
state. A failed call leaves the key's tags unchanged.
"""

from __future__ import annotations

from .._dispatch import Params, Request, Response, operation
from .._resolve import find_key, require_not_pending_deletion
from ._pagination import paginate
from ._tag_rules import merged_tags, without_tags
from .keys import deny_aws_managed

# ListResourceTags: documented Limit 1..50, default 50 (the model allows 1000).
_DEFAULT_LIMIT = _MAX_LIMIT = 50


@operation("TagResource")
def tag_resource(request: Request, params: Params) -> Response:
    """Add tags, or replace the value of a tag key the key already has."""
    key = find_key(request, params["KeyId"])
    deny_aws_managed(request, key)
    require_not_pending_deletion(key)
    key.tags = merged_tags(key.tags, params["Tags"])
    return {}


@operation("UntagResource")
def untag_resource(request: Request, params: Params) -> Response:
    """Remove tags by key; keys the key does not have are silently ignored."""
    key = find_key(request, params["KeyId"])
    deny_aws_managed(request, key)
    require_not_pending_deletion(key)
    key.tags = without_tags(key.tags, params["TagKeys"])
    return {}


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
    return {"Tags": [{"TagKey": name, "TagValue": tag.value} for name, tag in page], **paging}
