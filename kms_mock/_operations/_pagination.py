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


def positional(items: Sequence[Any]) -> list[str]:
    """Tokens for lists whose items are never removed mid-listing: their positions."""
    return [f"{index:010d}" for index in range(len(items))]


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

    ``items`` must be in ascending ``token`` order (default: by position).
    ``Limit`` above the documented maximum is capped to it (the model allows up
    to 1000 everywhere, AWS's documentation less for some operations).
    """
    tokens = positional(items) if token is None else [token(item) for item in items]
    limit = min(params.get("Limit", default_limit), max_limit)
    marker = params.get("Marker")
    start = 0 if marker is None else bisect.bisect_right(tokens, _decode_marker(operation, marker))
    end = start + limit
    members: dict[str, Any] = {"Truncated": end < len(items)}
    if members["Truncated"]:
        members["NextMarker"] = _encode_marker(operation, tokens[end - 1])
    return items[start:end], members
