"""RSA keys whose primes come from a seed: how a seeded mock's RSA pairs repeat.

OpenSSL (``rsa.generate_private_key``) is fast but cannot be seeded, so under
``mock_kms(seed=...)`` the primes are searched for here, in a
:class:`~kms_mock._bytestream.ByteStream`, with the checks of FIPS 186-5
(appendix A.1.3): e = 65537, |p - q| > 2**(bits/2 - 100), d > 2**(bits/2).
"""

from __future__ import annotations

import functools
import math
from typing import Final

from cryptography.hazmat.primitives.asymmetric import rsa

from ._bytestream import ByteStream

RSA_PUBLIC_EXPONENT: Final = 65537

_SIEVE_LIMIT = 1 << 16
_WINDOW = 4096  # odd candidates sieved at a time


@functools.cache
def _sieve_primes() -> tuple[int, ...]:
    """The odd primes below _SIEVE_LIMIT (trial division, done by a sieve)."""
    flags = bytearray([1]) * _SIEVE_LIMIT
    flags[0:2] = b"\x00\x00"
    for n in range(2, math.isqrt(_SIEVE_LIMIT) + 1):
        if flags[n]:
            flags[n * n :: n] = bytes(len(range(n * n, _SIEVE_LIMIT, n)))
    return tuple(n for n in range(3, _SIEVE_LIMIT) if flags[n])


def _miller_rabin_rounds(bits: int) -> int:
    # FIPS 186-5 Table B.1 (error probability at most 2**-100 for random candidates).
    return 5 if bits <= 1024 else 4


def _probably_prime(n: int, stream: ByteStream) -> bool:
    """Miller-Rabin: base 2 (which rejects almost every composite), then random bases."""
    s = ((n - 1) & -(n - 1)).bit_length() - 1
    d = (n - 1) >> s
    for round_ in range(_miller_rabin_rounds(n.bit_length()) + 1):
        base = 2 if round_ == 0 else 2 + stream.integer(n.bit_length()) % (n - 3)
        x = pow(base, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(bits: int, stream: ByteStream) -> int:
    """A probable prime of exactly ``bits`` bits (top two set), with gcd(e, p - 1) = 1."""
    while True:
        start = stream.integer(bits) | (3 << (bits - 2)) | 1
        composite = bytearray(_WINDOW)  # index i stands for start + 2i
        for p in _sieve_primes():
            first = (-(start % p) * ((p + 1) // 2)) % p  # start + 2i = 0 (mod p)
            composite[first::p] = b"\x01" * len(range(first, _WINDOW, p))
        i = composite.find(0)
        while i != -1:
            candidate = start + 2 * i
            if candidate.bit_length() != bits:
                break
            if (candidate - 1) % RSA_PUBLIC_EXPONENT and _probably_prime(candidate, stream):
                return candidate
            i = composite.find(0, i + 1)


def deterministic_rsa(bits: int, stream: ByteStream) -> rsa.RSAPrivateKey:
    """An RSA key with e = 65537 whose primes come from ``stream`` (FIPS 186-5 checks)."""
    half = bits // 2
    e = RSA_PUBLIC_EXPONENT
    while True:
        p, q = random_prime(half, stream), random_prime(half, stream)
        d = pow(e, -1, math.lcm(p - 1, q - 1))
        # |p - q| must exceed 2**(half - 100), and d must exceed 2**half.
        if abs(p - q) >> (half - 100) == 0 or d.bit_length() <= half:
            continue
        p, q = max(p, q), min(p, q)
        numbers = rsa.RSAPrivateNumbers(
            p=p,
            q=q,
            d=d,
            dmp1=rsa.rsa_crt_dmp1(d, p),
            dmq1=rsa.rsa_crt_dmq1(d, q),
            iqmp=rsa.rsa_crt_iqmp(p, q),
            public_numbers=rsa.RSAPublicNumbers(e, p * q),
        )
        return numbers.private_key()
