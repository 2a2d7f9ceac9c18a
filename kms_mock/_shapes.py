"""botocore's KMS model, the walk over its shapes, and the wire forms of its values.

Three places turn values of the model's shapes into something else:

* ``_validation`` walks a request's value down its input shape on every call;
* ``_audit`` walks each operation's shapes once, into converters that render
  what CloudTrail shows of a call;
* ``_interceptor``'s fast path walks no shape at all (its comment says why).

The first two start from :class:`ShapeWalker`, which picks the method for a
shape's kind. They, the fast path and the wire layer take the JSON 1.1 forms of
blobs and timestamps from here.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from botocore.loaders import create_loader
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def service_model() -> ServiceModel:
    """botocore's KMS service model (loaded once, on first use)."""
    loader = create_loader()
    return ServiceModel(loader.load_service_model("kms", "service-2"), "kms")


@functools.cache
def operation_model(name: str) -> OperationModel:
    """The model of one KMS operation, by its AWS name."""
    return service_model().operation_model(name)


class ShapeWalker(ABC, Generic[P, R]):
    """Picks the method for a shape's kind; each concern overrides the kinds it treats.

    Every method takes the shape, then what the concern walks with (``P``: a
    value and its path, or nothing when compiling). The scalar kinds a concern
    does not override go to :meth:`scalar`.
    """

    def handler(self, shape: Shape) -> Callable[Concatenate[Any, P], R]:
        """The method for ``shape``'s kind (returned, not called: no argument repacking)."""
        kind = shape.type_name
        if kind == "structure":
            return self.structure
        if kind == "list":
            return self.list
        if kind == "map":
            return self.map
        if kind == "string":
            return self.string
        if kind == "blob":
            return self.blob
        if kind in ("integer", "long"):
            return self.integer
        if kind == "timestamp":
            return self.timestamp
        if kind == "boolean":
            return self.boolean
        return self.scalar

    @abstractmethod
    def structure(self, shape: StructureShape, /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @abstractmethod
    def list(self, shape: ListShape, /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @abstractmethod
    def map(self, shape: MapShape, /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @abstractmethod
    def scalar(self, shape: Shape, /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def string(self, shape: Shape, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.scalar(shape, *args, **kwargs)

    def blob(self, shape: Shape, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.scalar(shape, *args, **kwargs)

    def integer(self, shape: Shape, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.scalar(shape, *args, **kwargs)

    def timestamp(self, shape: Shape, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.scalar(shape, *args, **kwargs)

    def boolean(self, shape: Shape, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.scalar(shape, *args, **kwargs)


def is_opaque(shape: Shape) -> bool:
    """Whether values of ``shape`` are raw bytes or secrets (a list or map: what it holds).

    That is a blob, or a shape with the model's ``sensitive`` trait
    (PlaintextType, KeyStorePasswordType, ...).
    """
    if isinstance(shape, ListShape):
        return is_opaque(shape.member)
    if isinstance(shape, MapShape):
        return is_opaque(shape.value)
    return shape.type_name == "blob" or bool(shape.metadata.get("sensitive"))


# -- JSON 1.1 wire forms: blobs are base64 text, timestamps epoch seconds -----------------


def blob_to_wire(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def blob_from_wire(value: object) -> bytes | None:
    """The bytes of base64 text; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


# The end of datetime in epoch seconds rounds up, as a float, to year 10000, which
# no client can read: the float just below it is the last instant the wire says.
_LAST_WIRE_INSTANT = math.nextafter(_dt.datetime.max.replace(tzinfo=_dt.UTC).timestamp(), 0)


def timestamp_to_wire(value: _dt.datetime) -> float:
    epoch = value.timestamp()
    return epoch if epoch < _LAST_WIRE_INSTANT else _LAST_WIRE_INSTANT


def timestamp_from_wire(value: object) -> _dt.datetime | None:
    """The UTC instant of epoch seconds; None for anything else, or one no datetime holds."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return _dt.datetime.fromtimestamp(value, _dt.UTC)
    except (OverflowError, OSError, ValueError):  # JSON's NaN and Infinity too
        return None
