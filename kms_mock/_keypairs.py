"""The private half of asymmetric and HMAC keys: a seed at CreateKey, the key on first use.

A KMS key that is not a symmetric encryption key gets no key material at
CreateKey, only a 32-byte per-key seed (:class:`LazySecret`). Its private key
(or HMAC secret) is derived from that seed the first time an operation needs
it, and kept: a hundred RSA_4096 keys that are never used cost what symmetric
keys cost. Operations ask for it through ``_operations/_secrets``, which
derives it with the backend's lock let go.

Derivation is a pure function of (key spec, seed): EC scalars, Ed25519 and
ML-DSA seeds and HMAC secrets are read from a :class:`ByteStream` of the seed.
RSA is the exception where speed matters: OpenSSL generates it in an unseeded
mock, ``_seeded_rsa`` searches the seed's stream for primes in a seeded one.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Final, TypeAlias

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, rsa

from ._bytestream import ByteStream
from ._keyspecs import ECC, ED25519, HMAC, KEY_SPECS, ML_DSA, RSA
from ._seeded_rsa import RSA_PUBLIC_EXPONENT, deterministic_rsa

# Imported where first needed, not here: ``serialization`` (with its SSH
# support) and the OpenSSL backend would add a fifth to ``import kms_mock``.

PrivateKey: TypeAlias = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | mldsa.MLDSA44PrivateKey
    | mldsa.MLDSA65PrivateKey
    | mldsa.MLDSA87PrivateKey
)
PublicKey: TypeAlias = (
    rsa.RSAPublicKey
    | ec.EllipticCurvePublicKey
    | ed25519.Ed25519PublicKey
    | mldsa.MLDSA44PublicKey
    | mldsa.MLDSA65PublicKey
    | mldsa.MLDSA87PublicKey
)
_MLDSAPrivateKey: TypeAlias = type[
    mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey
]
HashClass: TypeAlias = type[hashes.SHA1 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512]

SEED_SIZE: Final = 32

# The cryptography objects of the key specs and algorithms, by the facts of _keyspecs.
HASHES: Final[dict[str, HashClass]] = {
    digest.name: digest for digest in (hashes.SHA1, hashes.SHA256, hashes.SHA384, hashes.SHA512)
}
_CURVE_CLASSES: Final = {
    curve.name: curve for curve in (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1, ec.SECP256K1)
}
MLDSA_CLASSES: Final[dict[int, _MLDSAPrivateKey]] = {
    44: mldsa.MLDSA44PrivateKey,
    65: mldsa.MLDSA65PrivateKey,
    87: mldsa.MLDSA87PrivateKey,
}
CURVES: Final[dict[str, ec.EllipticCurve]] = {
    spec.name: _CURVE_CLASSES[spec.curve]() for spec in KEY_SPECS.values() if spec.kind == ECC
}
_MLDSA: Final[dict[str, _MLDSAPrivateKey]] = {
    spec.name: MLDSA_CLASSES[spec.parameter_set]
    for spec in KEY_SPECS.values()
    if spec.kind == ML_DSA
}


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A private key and the DER SubjectPublicKeyInfo of its public half."""

    private_key: PrivateKey
    public_der: bytes

    @classmethod
    def of(cls, private_key: PrivateKey) -> KeyPair:
        """The pair of ``private_key``, its public key encoded once."""
        from cryptography.hazmat.primitives import serialization

        public_der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(private_key, public_der)

    @property
    def public_key(self) -> PublicKey:
        """The public half."""
        return self.private_key.public_key()

    def private_pkcs8(self) -> bytes:
        """The private key as DER PKCS#8 PrivateKeyInfo (RFC 5958), unencrypted."""
        from cryptography.hazmat.primitives import serialization

        return self.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


Secret: TypeAlias = KeyPair | bytes  # bytes: an HMAC key's secret


class LazySecret:
    """One key's private key or HMAC secret: a seed from creation, the key on first need."""

    __slots__ = ("_lock", "_value", "key_spec", "reproducible", "seed")

    def __init__(self, key_spec: str, seed: bytes, *, reproducible: bool) -> None:
        self.key_spec = key_spec
        self.seed = seed
        # Seeded mock: RSA primes come from the seed too (slower than OpenSSL).
        self.reproducible = reproducible
        self._value: Secret | None = None
        # A leaf: nothing is acquired while it is held, so waiting on it cannot
        # deadlock, even under the backend's lock.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "derived" if self._value is not None else "pending"
        return f"LazySecret({self.key_spec}, {state})"

    @classmethod
    def derived(
        cls, key_spec: str, seed: bytes, value: Secret, *, reproducible: bool
    ) -> LazySecret:
        """One whose secret is ``value`` already: one that a state file kept, as
        :func:`drawn_at_random` secrets cannot be derived again."""
        secret = cls(key_spec, seed, reproducible=reproducible)
        secret._value = value
        return secret

    def peek(self) -> Secret | None:
        """The secret if it has been derived, else None (never derives)."""
        return self._value

    def derive(self) -> Secret:
        """The secret, derived now if no one has yet (concurrent callers wait)."""
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    value = derive_secret(self.key_spec, self.seed, reproducible=self.reproducible)
                    self._value = value
        return value


class ReadySecret:
    """Imported material's private key or HMAC secret: there from the start, nothing to derive."""

    __slots__ = ("_value", "key_spec", "reproducible")

    def __init__(self, key_spec: str, value: Secret, *, reproducible: bool) -> None:
        self.key_spec = key_spec
        self._value = value
        self.reproducible = reproducible

    def __repr__(self) -> str:
        return f"ReadySecret({self.key_spec})"

    def peek(self) -> Secret:
        """The secret (always there)."""
        return self._value

    def derive(self) -> Secret:
        """The secret (always there)."""
        return self._value


def derive_secret(key_spec: str, seed: bytes, *, reproducible: bool) -> Secret:
    """The private key (or HMAC secret) of a key of ``key_spec`` whose seed is ``seed``.

    A pure function of its arguments, except for RSA keys when ``reproducible``
    is false, which OpenSSL generates from the OS's randomness.
    """
    spec = KEY_SPECS[key_spec]
    if spec.kind == RSA and reproducible:
        return _seeded_rsa(key_spec, seed)
    stream = ByteStream(seed, key_spec.encode())
    if spec.kind == HMAC:
        return stream.read(spec.bits // 8)
    return KeyPair.of(private_key_from(key_spec, stream, reproducible=reproducible))


@functools.lru_cache(maxsize=64)
def _seeded_rsa(key_spec: str, seed: bytes) -> KeyPair:
    # The prime search in Python takes a while (about 0.2 s for RSA_2048, a few
    # seconds for RSA_4096): a suite that replays the same seed pays it once.
    stream = ByteStream(seed, key_spec.encode())
    return KeyPair.of(private_key_from(key_spec, stream, reproducible=True))


def drawn_at_random(key_spec: str, *, reproducible: bool) -> bool:
    """Whether the secret of a key of ``key_spec`` comes from the OS, not from its seed."""
    return KEY_SPECS[key_spec].kind == RSA and not reproducible


def private_key_from(key_spec: str, stream: ByteStream, *, reproducible: bool) -> PrivateKey:
    """A private key of ``key_spec`` whose randomness comes from ``stream``."""
    spec = KEY_SPECS[key_spec]
    if spec.kind == RSA:
        if drawn_at_random(key_spec, reproducible=reproducible):
            return rsa.generate_private_key(RSA_PUBLIC_EXPONENT, spec.bits)
        return deterministic_rsa(spec.bits, stream)
    if spec.kind == ECC:
        curve = CURVES[key_spec]
        while True:  # uniform in [1, order - 1]: redraw the rare values out of range
            try:
                return ec.derive_private_key(stream.integer(curve.key_size), curve)
            except ValueError:
                continue
    if spec.kind == ED25519:
        return ed25519.Ed25519PrivateKey.from_private_bytes(stream.read(32))
    if spec.kind == ML_DSA:
        return _MLDSA[key_spec].from_seed_bytes(stream.read(32))
    raise ValueError(f"kms_mock makes no key pairs of key spec {key_spec}")
