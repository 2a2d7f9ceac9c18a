"""Condition elements: IAM's condition operators, set operators and absent keys.

Semantics of the IAM User Guide ("IAM JSON policy elements: Condition operators"
and "Set operators for multivalued context keys"): operators in a block AND,
keys within an operator AND, the values of one key OR. Key names ignore case
(the ``<k>`` of ``kms:EncryptionContext:<k>`` too). An absent key fails a
condition, except for the negated operators, ``...IfExists``, ``ForAllValues``
and ``Null``. Unknown keys are absent. A request key with several values and no
set operator holds for a positive operator when any value matches, and for a
negated one when none does (so one value behaves as a single-valued key).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from .._errors import MalformedPolicyDocumentException
from .elements import as_list, wildcard_regex

Scalar: TypeAlias = str | bool | int | float | _dt.datetime
# A request's value for a condition key: one value, or several (list, tuple, set).
ContextValue: TypeAlias = Scalar | Sequence[Scalar] | frozenset[Scalar] | set[Scalar]

_MULTI = (list, tuple, set, frozenset)

# KMS refuses ForAllValues with these single-valued keys when a policy is written
# (AWS KMS Developer Guide, "Using set operators with condition keys"). Only the
# encryption-context text is recorded; the tag one follows its grammar (inferred).
_OVERLY_PERMISSIVE = {
    "kms:encryptioncontext:": (
        "OverlyPermissiveCondition:EncryptionContext: Using the ForAllValues set operator with "
        "a single-valued condition key matches requests without the specified encryption "
        "context or with an unspecified encryption context. To fix, remove ForAllValues."
    ),
    "aws:requesttag/": (
        "OverlyPermissiveCondition:RequestTag: Using the ForAllValues set operator with a "
        "single-valued condition key matches requests without the specified tag or with an "
        "unspecified tag. To fix, remove ForAllValues."
    ),
}


class LowerCaseContext(ABC):
    """A request context asked one lower-case key at a time, never listed.

    So a context that computes a value when first asked computes only the
    keys the policies' conditions name.
    """

    @abstractmethod
    def get(self, key: str) -> ContextValue | None:
        """The request's value for the lower-case ``key``; None when it has none."""


class Context:
    """A request's condition keys, found whatever the case of their names.

    ``defaults`` hold what every request has (the caller's global keys); the
    request's own keys win. Lowered once, on the first lookup, so a policy
    without conditions costs nothing here; a :class:`LowerCaseContext` is not
    lowered (nor listed) at all.
    """

    __slots__ = ("_defaults", "_given", "_lowered")

    def __init__(
        self, given: Mapping[str, ContextValue] | LowerCaseContext, defaults: Mapping[str, Scalar]
    ) -> None:
        self._given = given
        self._defaults = defaults
        self._lowered: dict[str, ContextValue] | None = None

    def _lookup(self, key: str) -> ContextValue | None:
        given = self._given
        if self._lowered is None:
            self._lowered = {name.lower(): value for name, value in self._defaults.items()}
            if not isinstance(given, LowerCaseContext):
                self._lowered.update((name.lower(), value) for name, value in given.items())
        if isinstance(given, LowerCaseContext):
            value = given.get(key)
            if value is not None:
                return value
        return self._lowered.get(key)

    def values(self, key: str) -> tuple[Scalar, ...] | None:
        """The values of the lower-case ``key``; None when absent (or an empty set)."""
        value = self._lookup(key)
        if value is None:
            return None
        if isinstance(value, _MULTI):
            return tuple(value) or None
        return (value,)  # type: ignore[return-value]  # a str is a Sequence, but one value here


# -- values of each operator family; None when a value is not of the family's type ----


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, int | float):
        return str(value)
    return None


def _folded(value: Any) -> str | None:
    text = _text(value)
    return None if text is None else text.casefold()


def _like(value: Any) -> re.Pattern[str] | None:
    text = _text(value)
    return None if text is None else re.compile(wildcard_regex(text), re.DOTALL)


def _like_match(text: str, pattern: re.Pattern[str]) -> bool:
    return pattern.fullmatch(text) is not None


def _arn_pattern(value: Any) -> tuple[re.Pattern[str], ...] | None:
    text = _text(value)
    parts = None if text is None else text.split(":", 5)
    if parts is None or len(parts) != 6:
        return None
    return tuple(re.compile(wildcard_regex(part), re.DOTALL) for part in parts)


def _arn_match(text: str, pattern: tuple[re.Pattern[str], ...]) -> bool:
    # Each of the six colon-separated parts is matched on its own (ArnLike).
    parts = text.split(":", 5)
    return len(parts) == 6 and all(
        p.fullmatch(part) for p, part in zip(pattern, parts, strict=True)
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _date(value: Any) -> _dt.datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return _dt.datetime.fromtimestamp(float(value), _dt.UTC)  # epoch seconds
    moment = value if isinstance(value, _dt.datetime) else None
    if isinstance(value, str):
        try:
            moment = _dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.UTC)


def _boolean(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text is not None and text.lower() in {"true", "false"} else None


def _address(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value, strict=False) if isinstance(value, str) else None
    except ValueError:
        return None


def _in_network(address: Any, network: Any) -> bool:
    return bool(address.version == network.version and address in network)


@dataclass(frozen=True, slots=True)
class _Operator:
    """A base operator: how request and policy values compare, and whether it is negated."""

    convert: Callable[[Any], Any]  # a request value -> comparable (None: no match)
    prepare: Callable[[Any], Any]  # a policy value -> what ``compare`` takes (None: dropped)
    compare: Callable[[Any, Any], bool]
    negated: bool = False


def _family(convert: Callable[[Any], Any], prefix: str) -> dict[str, _Operator]:
    comparisons = {"LessThan": operator.lt, "LessThanEquals": operator.le}
    comparisons |= {"GreaterThan": operator.gt, "GreaterThanEquals": operator.ge}
    ordered = {f"{prefix}{name}": _Operator(convert, convert, c) for name, c in comparisons.items()}
    return {
        f"{prefix}Equals": _Operator(convert, convert, operator.eq),
        f"{prefix}NotEquals": _Operator(convert, convert, operator.eq, negated=True),
        **ordered,
    }


_OPERATORS: dict[str, _Operator] = {
    "StringEquals": _Operator(_text, _text, operator.eq),
    "StringNotEquals": _Operator(_text, _text, operator.eq, negated=True),
    "StringEqualsIgnoreCase": _Operator(_folded, _folded, operator.eq),
    "StringNotEqualsIgnoreCase": _Operator(_folded, _folded, operator.eq, negated=True),
    "StringLike": _Operator(_text, _like, _like_match),
    "StringNotLike": _Operator(_text, _like, _like_match, negated=True),
    **_family(_number, "Numeric"),
    **_family(_date, "Date"),
    "Bool": _Operator(_boolean, _boolean, operator.eq),
    # ArnEquals and ArnLike are the same operator (IAM User Guide, ARN condition operators).
    "ArnEquals": _Operator(_text, _arn_pattern, _arn_match),
    "ArnLike": _Operator(_text, _arn_pattern, _arn_match),
    "ArnNotEquals": _Operator(_text, _arn_pattern, _arn_match, negated=True),
    "ArnNotLike": _Operator(_text, _arn_pattern, _arn_match, negated=True),
    "IpAddress": _Operator(_address, _network, _in_network),
    "NotIpAddress": _Operator(_address, _network, _in_network, negated=True),
}

_ANY_VALUE = "ForAnyValue"
_ALL_VALUES = "ForAllValues"


@dataclass(frozen=True, slots=True)
class Condition:
    """One key under one operator of a Condition block."""

    key: str  # lower case
    base: _Operator | None  # None: the Null operator
    values: tuple[Any, ...]  # prepared policy values (Null: whether the key must be absent)
    set_operator: str | None = None
    if_exists: bool = False

    def holds(self, context: Context) -> bool:
        """Whether the request's values for the key satisfy the condition."""
        found = context.values(self.key)
        if self.base is None:
            return (found is None) in self.values
        if found is None:
            if self.if_exists or self.set_operator == _ALL_VALUES:
                return True
            return self.set_operator is None and self.base.negated
        if len(found) == 1:  # the usual single-valued key: no set to combine
            return self._holds_for(found[0], self.base)
        each = (self._holds_for(value, self.base) for value in found)
        if self.set_operator == _ALL_VALUES or (self.set_operator is None and self.base.negated):
            return all(each)
        return any(each)

    def _holds_for(self, value: Scalar, base: _Operator) -> bool:
        converted = base.convert(value)
        hit = converted is not None and any(base.compare(converted, p) for p in self.values)
        return hit != base.negated


def _refuse_overly_permissive(set_operator: str | None, key: str) -> None:
    if set_operator != _ALL_VALUES:
        return
    for prefix, message in _OVERLY_PERMISSIVE.items():
        if key.startswith(prefix):
            raise MalformedPolicyDocumentException(message)


def _condition(name: str, key: str, policy_values: Any) -> Condition | None:
    set_operator, _, base_name = name.rpartition(":")
    if set_operator not in {"", _ANY_VALUE, _ALL_VALUES}:
        return None
    _refuse_overly_permissive(set_operator or None, key)
    values = as_list(policy_values)
    if base_name == "Null":
        expected = {_boolean(value) for value in values} - {None}
        return Condition(key, None, tuple(value == "true" for value in expected))
    if_exists = base_name.endswith("IfExists")
    base = _OPERATORS.get(base_name.removesuffix("IfExists"))
    if base is None:
        return None
    prepared = tuple(p for p in map(base.prepare, values) if p is not None)
    return Condition(key, base, prepared, set_operator or None, if_exists)


def compile_conditions(block: Any) -> tuple[Condition, ...] | None:
    """The conditions of a Condition element; None when one can never hold (an unknown operator).

    Raises MalformedPolicyDocumentException for what KMS refuses when a policy is written.
    """
    if block is None:
        return ()
    if not isinstance(block, dict):
        return None
    conditions: list[Condition] = []
    usable = True
    for name, keys in block.items():
        if not isinstance(keys, dict):
            usable = False
            continue
        for key, policy_values in keys.items():
            condition = _condition(str(name), str(key).lower(), policy_values)
            usable = usable and condition is not None
            if condition is not None:
                conditions.append(condition)
    return tuple(conditions) if usable else None
