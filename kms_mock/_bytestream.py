"""A deterministic stream of bytes from a seed, for everything derived rather than drawn.

Key pairs and HMAC secrets (``_keypairs``), seeded RSA primes (``_seeded_rsa``)
and the ids of AWS managed keys (``_aws_managed``) read their randomness from
one of these, so the same seed gives the same keys whatever else the mock did.
"""

from __future__ import annotations

import hashlib
import hmac


class ByteStream:
    """A deterministic stream of bytes from a seed: HMAC-SHA256 in counter mode."""

    def __init__(self, seed: bytes, label: bytes) -> None:
        self._key = hmac.new(seed, label, hashlib.sha256).digest()
        self._counter = 0

    def read(self, n: int) -> bytes:
        """The next ``n`` bytes."""
        blocks = []
        for _ in range(-(-n // 32)):
            self._counter += 1
            counter = self._counter.to_bytes(8, "big")
            blocks.append(hmac.new(self._key, counter, hashlib.sha256).digest())
        return b"".join(blocks)[:n]

    def integer(self, bits: int) -> int:
        """A uniformly random integer of at most ``bits`` bits."""
        size = -(-bits // 8)
        return int.from_bytes(self.read(size), "big") >> (size * 8 - bits)
