"""Tag rules shared by CreateKey, TagResource and UntagResource.

Lengths are checked by the model-driven validator (``tags.1.member.tagKey``);
these are the TagException rules AWS applies after it. Messages are recorded
from real AWS, except that UntagResource's reserved-prefix error reuses
TagResource's text (not recorded).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._errors import TagException
from .._models import Tag, Tags

MAX_TAGS_PER_KEY = 50
RESERVED_MESSAGE = "Tags beginning with aws: are reserved"


def _require_not_reserved(keys: Iterable[str]) -> None:
    # AWS rejects the prefix in any case: "aws:" and "AWS:" alike (recorded).
    if any(key.lower().startswith("aws:") for key in keys):
        raise TagException(RESERVED_MESSAGE)


def merged_tags(existing: Tags, new_tags: list[dict[str, Any]]) -> Tags:
    """``existing`` updated with ``new_tags`` (a new Tags), or the TagException AWS gives.

    A key already present keeps its place (and serial) and takes the new value,
    so listings stay in insertion order. ``existing`` is never modified: a
    failed call leaves the key's tags as they were.
    """
    keys = [tag["TagKey"] for tag in new_tags]
    _require_not_reserved(keys)
    if len(set(keys)) != len(keys):
        raise TagException("Duplicate tag keys")
    merged = dict(existing.by_key)
    serial = existing.next_serial
    for tag in new_tags:
        present = merged.get(tag["TagKey"])
        if present is None:
            merged[tag["TagKey"]] = Tag(serial, tag["TagValue"])
            serial += 1
        else:
            merged[tag["TagKey"]] = Tag(present.serial, tag["TagValue"])
    if len(merged) > MAX_TAGS_PER_KEY:
        raise TagException("Too many tags")
    return Tags(merged, serial)


def without_tags(existing: Tags, tag_keys: list[str]) -> Tags:
    """``existing`` minus ``tag_keys`` (a new Tags); absent keys are ignored, as AWS does."""
    _require_not_reserved(tag_keys)
    removed = set(tag_keys)
    kept = {key: tag for key, tag in existing.by_key.items() if key not in removed}
    return Tags(kept, existing.next_serial)


def tag_list(tags: Iterable[tuple[str, Tag]]) -> list[dict[str, str]]:
    """Tags as AWS lists them: ``[{"TagKey": ..., "TagValue": ...}]``."""
    return [{"TagKey": name, "TagValue": tag.value} for name, tag in tags]
