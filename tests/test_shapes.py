"""The shared walk over botocore's shapes (``_shapes``) and the wire forms of values."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pytest
from botocore.model import ListShape, MapShape, Shape, ShapeResolver, StructureShape

from kms_mock._errors import SerializationException
from kms_mock._shapes import (
    ShapeWalker,
    blob_from_wire,
    blob_to_wire,
    is_opaque,
    service_model,
    timestamp_from_wire,
    timestamp_to_wire,
)
from kms_mock._validation import decode_request

IMPORT = {"KeyId": "k", "ImportToken": "AAAA", "EncryptedKeyMaterial": "AAAA"}


class _Kinds(ShapeWalker[[], str]):
    """Names the method each shape goes to; leaves every scalar kind to ``scalar``."""

    def structure(self, shape: StructureShape) -> str:
        return "structure"

    def list(self, shape: ListShape) -> str:
        return "list"

    def map(self, shape: MapShape) -> str:
        return "map"

    def scalar(self, shape: Shape) -> str:
        return f"scalar {shape.type_name}"


class _EveryKind(_Kinds):
    """Overrides every scalar kind, so that each can be told apart."""

    def string(self, shape: Shape) -> str:
        return "string"

    def blob(self, shape: Shape) -> str:
        return "blob"

    def integer(self, shape: Shape) -> str:
        return "integer"

    def timestamp(self, shape: Shape) -> str:
        return "timestamp"

    def boolean(self, shape: Shape) -> str:
        return "boolean"


# Shapes KMS's model lacks: kinds it does not use, and lists and maps of secrets.
# (botocore-stubs type the definitions as Shape objects; botocore reads JSON.)
_DEFINITIONS: dict[str, Any] = {
    "Long": {"type": "long"},
    "Double": {"type": "double"},
    "Blob": {"type": "blob"},
    "Text": {"type": "string"},
    "Secret": {"type": "string", "sensitive": True},
    "Blobs": {"type": "list", "member": {"shape": "Blob"}},
    "Texts": {"type": "list", "member": {"shape": "Text"}},
    "Secrets": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Secret"}},
    "SecretLists": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Blobs"}},
}
MADE_UP = ShapeResolver(_DEFINITIONS)


MODEL_SHAPES = {
    "EncryptRequest": "structure",
    "EncryptionAlgorithmSpecList": "list",
    "EncryptionContextType": "map",
    "KeyIdType": "string",
    "CiphertextType": "blob",
    "NumberOfBytesType": "integer",
    "DateType": "timestamp",
    "BooleanType": "boolean",
}


@pytest.mark.parametrize(("name", "method"), MODEL_SHAPES.items())
def test_each_kind_goes_to_its_method(name: str, method: str) -> None:
    shape = service_model().shape_for(name)
    assert _EveryKind().handler(shape)(shape) == method


@pytest.mark.parametrize(("name", "method"), MODEL_SHAPES.items())
def test_scalar_kinds_not_overridden_go_to_scalar(name: str, method: str) -> None:
    shape = service_model().shape_for(name)
    expected = method if method in ("structure", "list", "map") else f"scalar {method}"
    assert _Kinds().handler(shape)(shape) == expected


def test_a_long_is_an_integer_and_a_double_a_scalar() -> None:
    long, double = MADE_UP.get_shape_by_name("Long"), MADE_UP.get_shape_by_name("Double")
    assert _EveryKind().handler(long)(long) == "integer"
    assert _EveryKind().handler(double)(double) == "scalar double"


@pytest.mark.parametrize(
    "name", ["PlaintextType", "CiphertextType", "KeyStorePasswordType", "PublicKeyType"]
)
def test_blobs_and_sensitive_shapes_of_the_model_are_opaque(name: str) -> None:
    assert is_opaque(service_model().shape_for(name))


@pytest.mark.parametrize(
    "name", ["KeyIdType", "EncryptionContextType", "TagList", "DateType", "NumberOfBytesType"]
)
def test_other_shapes_of_the_model_are_not(name: str) -> None:
    assert not is_opaque(service_model().shape_for(name))


@pytest.mark.parametrize(
    ("name", "opaque"),
    [("Blobs", True), ("Secrets", True), ("SecretLists", True), ("Texts", False)],
)
def test_a_list_or_map_is_opaque_by_what_it_holds(name: str, opaque: bool) -> None:
    assert is_opaque(MADE_UP.get_shape_by_name(name)) is opaque


def test_a_blob_goes_to_the_wire_as_base64_and_back() -> None:
    assert blob_to_wire(b"\x00\xffkms") == "AP9rbXM="
    assert blob_from_wire("AP9rbXM=") == b"\x00\xffkms"


@pytest.mark.parametrize("text", ["AP9rbXM", "not base64!", 42, None, b"AP9rbXM="])
def test_anything_but_base64_text_is_no_blob(text: object) -> None:
    assert blob_from_wire(text) is None


def test_a_timestamp_goes_to_the_wire_as_epoch_seconds_and_back() -> None:
    instant = _dt.datetime(2025, 1, 1, 12, 30, 15, 250000, tzinfo=_dt.UTC)
    assert timestamp_to_wire(instant) == 1735734615.25
    decoded = timestamp_from_wire(1735734615.25)
    assert decoded == instant
    assert decoded is not None
    assert decoded.tzinfo is _dt.UTC
    assert timestamp_from_wire(1735734615) == instant.replace(microsecond=0)


@pytest.mark.parametrize("value", [True, "1735734615", None, float("nan"), float("-inf"), 1e300])
def test_anything_but_an_epoch_a_datetime_holds_is_no_timestamp(value: object) -> None:
    assert timestamp_from_wire(value) is None


@pytest.mark.parametrize("epoch", [float("nan"), float("inf"), 1e300, 10**30])
def test_a_timestamp_no_datetime_holds_is_a_serialization_error(epoch: Any) -> None:
    # Python's JSON decoder reads NaN and Infinity; neither is an instant.
    with pytest.raises(SerializationException):
        decode_request("ImportKeyMaterial", {**IMPORT, "ValidTo": epoch}, "us-east-1")


def test_a_timestamp_is_decoded_from_epoch_seconds() -> None:
    decoded = decode_request("ImportKeyMaterial", {**IMPORT, "ValidTo": 1.5}, "us-east-1")
    assert decoded["ValidTo"] == _dt.datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=_dt.UTC)
