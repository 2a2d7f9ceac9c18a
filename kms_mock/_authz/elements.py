"""Values of policy elements: one value or a list, and IAM's wildcards.

Wildcards as Action, Resource and the ``...Like`` operators use them: ``*``
matches any run of characters (``:`` and ``/`` included) and ``?`` exactly one
(IAM JSON policy reference, "Action" and "Resource" elements).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


def as_list(value: Any) -> list[Any]:
    """An element's values: an element may hold one value or a list of them."""
    return value if isinstance(value, list) else [value]


def wildcard_regex(pattern: str) -> str:
    """The regular expression (for ``fullmatch``) of an IAM wildcard pattern."""
    return "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )


class Patterns:
    """A list of wildcard patterns, compiled once: exact ones in a set, the rest in one regex."""

    __slots__ = ("_everything", "_exact", "_regex")

    def __init__(self, patterns: Iterable[str]) -> None:
        listed = set(patterns)
        self._everything = "*" in listed
        self._exact = frozenset(p for p in listed if "*" not in p and "?" not in p)
        wild = sorted(listed - self._exact)
        self._regex = (
            re.compile("|".join(wildcard_regex(p) for p in wild), re.DOTALL) if wild else None
        )

    def match(self, value: str) -> bool:
        """Whether any pattern matches all of ``value``."""
        if self._everything or value in self._exact:
            return True
        return self._regex is not None and self._regex.fullmatch(value) is not None
