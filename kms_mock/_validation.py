"""Model-driven validation, with AWS's (Coral) message grammar.

botocore checks only required members, types and ``min`` on the client; AWS
checks ``max``, enums and patterns on the server. This walks the operation's
shape in botocore's own KMS model, decodes the wire forms (base64 blobs, epoch
timestamps) into Python values, and collects every violation into one
``ValidationException`` worded as AWS words it::

    1 validation error detected: Value '1025' at 'numberOfBytes' failed to
    satisfy constraint: Member must have value less than or equal to 1024

Enum lists are AWS's, as ``_enum_lists`` forms them for the request's Region.
The same walker checks our responses against the output shapes in tests.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from ._arns import partition_for
from ._enum_lists import EnumRule, enum_rule
from ._errors import SerializationException, ValidationException
from ._shapes import (
    ShapeWalker,
    blob_from_wire,
    operation_model,
    service_model,
    timestamp_from_wire,
)


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    # AWS matches with Java regexes, whose \w, \d and \s are ASCII-only: so
    # 'é' is not a word character and an Arabic-Indic digit is not a digit.
    return re.compile(pattern, re.ASCII)


@functools.cache
def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


@functools.cache
def _in_china(region: str) -> bool:
    # Cached: every request asks, on the hot path.
    return partition_for(region) == "aws-cn"


@functools.cache
def _enum_rule(shape_name: str, china: bool) -> EnumRule:
    return enum_rule(service_model(), shape_name, china=china)


def _java_text(value: Any) -> str:
    """``value`` as AWS's (Java) messages print it: a list as ``[a, b]``, not ``['a', 'b']``."""
    if isinstance(value, list | tuple):
        return f"[{', '.join(_java_text(item) for item in value)}]"
    return str(value)


@dataclass(frozen=True, slots=True)
class _Violation:
    """One failed constraint, put into words only when the pass is over.

    By then every value has the type its shape says (else SerializationException
    ended the pass), so printing one cannot recurse deeper than the model does.
    """

    value: Any
    path: str
    constraint: str
    show_value: bool

    def __str__(self) -> str:
        if self.value is None:
            shown = "Value null at"
        else:
            shown = f"Value '{_java_text(self.value)}' at" if self.show_value else "Value at"
        return f"{shown} '{self.path}' failed to satisfy constraint: {self.constraint}"


class _Walk(ShapeWalker[[Any, str], Any]):
    """One validation pass: collects violations while decoding values.

    It walks the value, not a plan compiled from the shape as the audit log
    does: the value decides the path of each violation and where a wrong type
    ends the pass. ``china``: enum members offered only in the China Regions
    are accepted.
    """

    def __init__(self, *, decode: bool, china: bool) -> None:
        self.decode = decode
        self.china = china
        self.errors: list[_Violation | str] = []

    def fail(self, value: Any, path: str, constraint: str, *, show_value: bool = True) -> None:
        self.errors.append(_Violation(value, path, constraint, show_value))

    def structure(self, shape: StructureShape, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise SerializationException(None)
        members = shape.members
        out: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        for name in shape.required_members:
            if value.get(name) is None:
                self.fail(None, prefix + _lower_camel(name), "Member must not be null")
        for name, item in value.items():
            member = members.get(name)
            if member is None and not self.decode:
                self.errors.append(f"'{prefix}{name}' is not a member of {shape.name}")
            if member is None or item is None:
                continue  # AWS ignores request members it does not know
            out[name] = self.handler(member)(member, item, prefix + _lower_camel(name))
        return out

    def length(self, shape: Shape, value: Any, size: int, path: str, *, show: bool) -> None:
        meta = shape.metadata
        low, high = meta.get("min"), meta.get("max")
        if high is not None and size > high:
            constraint = f"Member must have length less than or equal to {high}"
            self.fail(value, path, constraint, show_value=show)
        elif low is not None and size < low:
            constraint = f"Member must have length greater than or equal to {low}"
            self.fail(value, path, constraint, show_value=show)

    def list(self, shape: ListShape, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise SerializationException(None)
        self.length(shape, value, len(value), path, show=True)
        member = shape.member
        walk = self.handler(member)  # looked up once, not per item
        return [walk(member, item, f"{path}.{i}.member") for i, item in enumerate(value, 1)]

    def map(self, shape: MapShape, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise SerializationException(None)
        key_shape, value_shape = shape.key, shape.value
        walk_key, walk_value = self.handler(key_shape), self.handler(value_shape)
        return {
            walk_key(key_shape, k, f"{path}.key"): walk_value(value_shape, v, f"{path}.value")
            for k, v in value.items()
        }

    def string(self, shape: Shape, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise SerializationException(None)
        # AWS leaves a sensitive member's value out of the message, as it does a blob's
        # ("Value at 'password' ...", as Cognito answers): a password never comes back.
        show = not shape.metadata.get("sensitive")
        self.length(shape, value, len(value), path, show=show)
        pattern = shape.metadata.get("pattern")
        if pattern is not None and _pattern(pattern).fullmatch(value) is None:
            constraint = f"Member must satisfy regular expression pattern: {pattern}"
            self.fail(value, path, constraint, show_value=show)
        if "enum" in shape.metadata:
            rule = _enum_rule(shape.name, self.china)
            if value not in rule.allowed:
                listed = _java_text(rule.listed)
                self.fail(value, path, f"Member must satisfy enum value set: {listed}")
        return value

    def blob(self, shape: Shape, value: Any, path: str) -> bytes:
        if self.decode:
            value = blob_from_wire(value)
        if not isinstance(value, bytes):
            raise SerializationException(None)
        self.length(shape, value, len(value), path, show=False)
        return value

    def integer(self, shape: Shape, value: Any, path: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise SerializationException(None)
        meta = shape.metadata
        low, high = meta.get("min"), meta.get("max")
        if high is not None and value > high:
            self.fail(value, path, f"Member must have value less than or equal to {high}")
        elif low is not None and value < low:
            self.fail(value, path, f"Member must have value greater than or equal to {low}")
        return value

    def timestamp(self, shape: Shape, value: Any, path: str) -> _dt.datetime:
        if self.decode:
            value = timestamp_from_wire(value)
        if not isinstance(value, _dt.datetime):
            raise SerializationException(None)
        return value

    def boolean(self, shape: Shape, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise SerializationException(None)
        return value

    def scalar(self, shape: Shape, value: Any, path: str) -> Any:
        return value

    def raise_if_failed(self) -> None:
        if self.errors:
            count = len(self.errors)
            noun = "error" if count == 1 else "errors"
            detail = "; ".join(map(str, self.errors))
            raise ValidationException(f"{count} validation {noun} detected: {detail}")


def decode_request(operation: str, params: Any, region: str) -> dict[str, Any]:
    """The validated request of ``operation`` in ``region``, blobs and timestamps decoded.

    Raises ``ValidationException`` (AWS wording) listing every violation.
    """
    shape = operation_model(operation).input_shape
    if shape is None:
        return {}
    walk = _Walk(decode=True, china=_in_china(region))
    decoded = walk.structure(shape, params, "")
    walk.raise_if_failed()
    return decoded


def check_response(operation: str, response: dict[str, Any]) -> list[str]:
    """Every way ``response`` violates the operation's output shape (tests use it)."""
    shape = operation_model(operation).output_shape
    # As in the China Regions, every enum member of the model is accepted.
    walk = _Walk(decode=False, china=True)
    if shape is None:
        return [] if not response else [f"unexpected members {sorted(response)}"]
    try:
        walk.structure(shape, response, "")
    except SerializationException:
        walk.errors.append("a value has the wrong type")
    return [str(error) for error in walk.errors]
