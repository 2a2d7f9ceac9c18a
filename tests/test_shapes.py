"""The shared walk over botocore's shapes (``_shapes``) and the wire forms of values."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pytest

from kms_mock._errors import SerializationException
from kms_mock._validation import decode_request

IMPORT = {"KeyId": "k", "ImportToken": "AAAA", "EncryptedKeyMaterial": "AAAA"}


@pytest.mark.parametrize("epoch", [float("nan"), float("inf"), 1e300, 10**30])
def test_a_timestamp_no_datetime_holds_is_a_serialization_error(epoch: Any) -> None:
    # Python's JSON decoder reads NaN and Infinity; neither is an instant.
    with pytest.raises(SerializationException):
        decode_request("ImportKeyMaterial", {**IMPORT, "ValidTo": epoch}, "us-east-1")


def test_a_timestamp_is_decoded_from_epoch_seconds() -> None:
    decoded = decode_request("ImportKeyMaterial", {**IMPORT, "ValidTo": 1.5}, "us-east-1")
    assert decoded["ValidTo"] == _dt.datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=_dt.UTC)
