"""The KMS operations, one module per family; importing this registers them all."""

from . import (
    agreement,
    aliases,
    crypto,
    data_key_pairs,
    grants,
    imports,
    key_stores,
    keys,
    mac,
    multi_region,
    policies,
    randomness,
    rotation,
    signing,
    tags,
)

__all__ = [
    "agreement",
    "aliases",
    "crypto",
    "data_key_pairs",
    "grants",
    "imports",
    "key_stores",
    "keys",
    "mac",
    "multi_region",
    "policies",
    "randomness",
    "rotation",
    "signing",
    "tags",
]
