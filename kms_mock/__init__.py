"""kms_mock: an in-process mock of AWS KMS whose keys rotate on a test's clock.

The names in ``__all__`` are the whole public contract. Importing the package
is cheap, because the pytest plugin imports it in every run: the mock and its
cryptography load on first use of a name that needs them, and the botocore
hook goes in when botocore itself is loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._clock import Clock, FrozenClock, SystemClock
from ._errors import KmsMockError, UsageError
from ._hook import install_when_loaded

if TYPE_CHECKING:
    from ._callers import Credentials, IdentityPolicies, Principals
    from ._faults import FaultRule, Faults
    from ._inspect import CiphertextInfo, KeyMaterialInfo
    from ._mock import MockKMS, mock_kms

__version__ = "0.1.0.dev0"

__all__ = [
    "CiphertextInfo",
    "Clock",
    "Credentials",
    "FaultRule",
    "Faults",
    "FrozenClock",
    "IdentityPolicies",
    "KeyMaterialInfo",
    "KmsMockError",
    "MockKMS",
    "Principals",
    "SystemClock",
    "UsageError",
    "__version__",
    "mock_kms",
]

# The names whose modules import botocore and cryptography: loaded when first used.
_LAZY = {
    "CiphertextInfo": "._inspect",
    "Credentials": "._callers",
    "FaultRule": "._faults",
    "Faults": "._faults",
    "IdentityPolicies": "._callers",
    "Principals": "._callers",
    "KeyMaterialInfo": "._inspect",
    "MockKMS": "._mock",
    "mock_kms": "._mock",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kms_mock' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


install_when_loaded()
