"""Randomness for key ids, key material and nonces: OS entropy, or seeded.

With a seed, the same calls give the same ids, material and ciphertexts, so a
failing test can be replayed byte for byte. Without one, the OS supplies it.
"""

from __future__ import annotations

import os
import random


class Entropy:
    """A source of random bytes; reproducible when ``seed`` is an int."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = None if seed is None else random.Random(seed)

    @property
    def seeded(self) -> bool:
        """Whether this source is reproducible (a seed was given)."""
        return self._rng is not None

    def position(self) -> object:
        """Where a seeded stream stands (restore it with :meth:`move_to`); None unseeded."""
        return None if self._rng is None else self._rng.getstate()

    def move_to(self, position: object) -> None:
        """Go on from ``position``, which :meth:`position` gave (of the same seed)."""
        if self._rng is not None:
            self._rng.setstate(position)  # type: ignore[arg-type]

    def token_bytes(self, n: int) -> bytes:
        """``n`` random bytes."""
        if self._rng is None:
            return os.urandom(n)
        return self._rng.randbytes(n)

    def uuid4(self) -> str:
        """A random version-4 UUID in its lowercase 36-character form.

        Formatted by hand (as ``uuid.UUID(bytes=..., version=4)`` would): every
        request makes two, so this sits on the hot path. The version and variant
        bits are set on the hex digits, which is cheaper than on the bytes and
        gives the same text for the same bytes (seeded ids stay as they were).
        """
        h = self.token_bytes(16).hex()
        # Version 4: the high nibble of byte 6; RFC 4122 variant: the top bits of byte 8.
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:]}"


# The hex digit of byte 8's high nibble once its top two bits are set to 10.
_VARIANT_DIGIT = {digit: "89ab"[int(digit, 16) & 0b11] for digit in "0123456789abcdef"}
