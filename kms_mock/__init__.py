"""kms_mock: an in-process mock of AWS KMS with versioned key material and
rotation that happens on schedule under a test-controlled clock.

The names in ``__all__`` are the whole public contract.
"""

from __future__ import annotations

from . import _operations  # noqa: F401  (registers every served operation)
from ._clock import Clock, FrozenClock, SystemClock
from ._errors import KmsMockError, UsageError
from ._inspect import CiphertextInfo, KeyMaterialInfo
from ._mock import MockKMS, mock_kms

__version__ = "0.1.0.dev0"

__all__ = [
    "CiphertextInfo",
    "Clock",
    "FrozenClock",
    "KeyMaterialInfo",
    "KmsMockError",
    "MockKMS",
    "SystemClock",
    "UsageError",
    "__version__",
    "mock_kms",
]
