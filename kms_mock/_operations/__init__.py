"""The KMS operations, one module per family; importing this registers them all."""

from . import aliases, crypto, keys, policies, randomness, rotation, tags

__all__ = ["aliases", "crypto", "keys", "policies", "randomness", "rotation", "tags"]
