"""Tag rules shared by CreateKey and TagResource (spec §4.12, messages recorded).

Lengths are checked by the model-driven validator (``tags.1.member.tagKey``);
these are the TagException rules AWS applies after it.
"""

from __future__ import annotations

from typing import Any

from .._errors import TagException

MAX_TAGS_PER_KEY = 50


def merged_tags(existing: dict[str, str], new_tags: list[dict[str, Any]]) -> dict[str, str]:
    """``existing`` updated with ``new_tags`` (a new dict), or the TagException AWS gives."""
    keys = [tag["TagKey"] for tag in new_tags]
    if any(key.lower().startswith("aws:") for key in keys):
        raise TagException("Tags beginning with aws: are reserved")
    if len(set(keys)) != len(keys):
        raise TagException("Duplicate tag keys")
    merged = dict(existing)
    merged.update((tag["TagKey"], tag["TagValue"]) for tag in new_tags)
    if len(merged) > MAX_TAGS_PER_KEY:
        raise TagException("Too many tags")
    return merged
