"""The KMS operations, one module per family; importing this registers them all."""

from . import keys

__all__ = ["keys"]
