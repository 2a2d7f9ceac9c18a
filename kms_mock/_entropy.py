"""Randomness for key ids, key material and nonces: OS entropy, or seeded.

With a seed, the same calls give the same ids, material and ciphertexts, so a
failing test can be replayed byte for byte. Without one, the OS supplies it.
"""

from __future__ import annotations

import os
import random
import uuid


class Entropy:
    """A source of random bytes; reproducible when ``seed`` is an int."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = None if seed is None else random.Random(seed)

    def token_bytes(self, n: int) -> bytes:
        """``n`` random bytes."""
        if self._rng is None:
            return os.urandom(n)
        return self._rng.randbytes(n)

    def uuid4(self) -> str:
        """A random version-4 UUID in its lowercase 36-character form."""
        return str(uuid.UUID(bytes=self.token_bytes(16), version=4))
