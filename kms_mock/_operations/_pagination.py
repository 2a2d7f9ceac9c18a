"""Limit / Marker / Truncated / NextMarker, as every KMS List* operation pages.

Markers are opaque to callers (AWS: "Do not attempt to construct this value"):
here a urlsafe-base64 of the operation name and the offset of the next item,
so a marker from another operation, or one made up, is an InvalidMarkerException.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from .._errors import InvalidMarkerException

_T = TypeVar("_T")


def _encode_marker(operation: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{operation}:{offset}".encode()).decode("ascii")


def _decode_marker(operation: str, marker: str) -> int:
    try:
        name, _, offset = base64.urlsafe_b64decode(marker.encode("ascii")).decode().partition(":")
        if name == operation and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise InvalidMarkerException("Invalid marker")


def paginate(
    operation: str,
    items: Sequence[_T],
    params: dict[str, Any],
    *,
    default_limit: int,
    max_limit: int,
) -> tuple[Sequence[_T], dict[str, Any]]:
    """One page of ``items`` and the Truncated/NextMarker members for the response.

    ``Limit`` above the documented maximum is capped to it (the model allows up
    to 1000 everywhere, AWS's documentation less for some operations).
    """
    limit = min(params.get("Limit", default_limit), max_limit)
    marker = params.get("Marker")
    start = 0 if marker is None else _decode_marker(operation, marker)
    end = start + limit
    members: dict[str, Any] = {"Truncated": end < len(items)}
    if members["Truncated"]:
        members["NextMarker"] = _encode_marker(operation, end)
    return items[start:end], members
