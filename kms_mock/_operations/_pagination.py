"""Limit / Marker / Truncated / NextMarker, as every KMS List* operation pages.

Markers are opaque to callers (AWS: "Do not attempt to construct this value"):
here a urlsafe-base64 of the sort token of the last item returned, with a
check digest of it and the operation's name. The next page starts after that
token, so deleting an item between pages skips nothing; a marker from another
operation, or one made up, is an InvalidMarkerException.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .._errors import InvalidMarkerException

_T = TypeVar("_T")


def _check(operation: str, token: str) -> str:
    return hashlib.sha256(f"{operation}:{token}".encode()).hexdigest()[:8]


def _encode_marker(operation: str, token: str) -> str:
    text = f"{_check(operation, token)}:{token}"
    return base64.urlsafe_b64encode(text.encode()).decode("ascii")


def _decode_marker(operation: str, marker: str) -> str:
    try:
        text = base64.urlsafe_b64decode(marker.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    check, _, token = text.partition(":")
    if check != _check(operation, token):
        raise InvalidMarkerException("Invalid marker")
    return token


def _position(index: int) -> str:
    return f"{index:010d}"


def _start_after(items: Sequence[_T], token: Callable[[_T], str] | None, after: str) -> int:
    """Where the page after the item with sort token ``after`` starts: O(log n)."""
    if token is not None:
        return bisect.bisect_right(items, after, key=token)
    if not (after.isascii() and after.isdigit()):
        raise InvalidMarkerException("Invalid marker")
    return int(after) + 1


def paginate(
    operation: str,
    items: Sequence[_T],
    params: dict[str, Any],
    *,
    default_limit: int,
    max_limit: int,
    token: Callable[[_T], str] | None = None,
) -> tuple[Sequence[_T], dict[str, Any]]:
    """One page of ``items`` and the Truncated/NextMarker members for the response.

    ``items`` must be in ascending ``token`` order; without ``token`` the
    position is the token, for lists whose items are never removed mid-listing.
    A page costs O(log n + page size): tokens are computed for the items the
    search visits and the last item returned only. ``Limit`` above the documented
    maximum is capped to it (the model allows up to 1000 everywhere, AWS's
    documentation less for some operations).
    """
    limit = min(params.get("Limit", default_limit), max_limit)
    marker = params.get("Marker")
    start = 0 if marker is None else _start_after(items, token, _decode_marker(operation, marker))
    end = start + limit
    members: dict[str, Any] = {"Truncated": end < len(items)}
    if members["Truncated"]:
        last = end - 1
        members["NextMarker"] = _encode_marker(
            operation, _position(last) if token is None else token(items[last])
        )
    return items[start:end], members
