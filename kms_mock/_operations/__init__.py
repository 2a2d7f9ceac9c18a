"""The KMS operations, one module per family; importing this registers them all."""

from . import aliases, keys, policies, randomness, tags

__all__ = ["aliases", "keys", "policies", "randomness", "tags"]
