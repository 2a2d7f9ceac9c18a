"""The private half of asymmetric and HMAC keys: derived on first use, outside the lock.

A KMS key that is not a symmetric encryption key gets no key material at
CreateKey, only a 32-byte **per-key seed** drawn from the backend's entropy
(:class:`LazySecret`). Its private key (or HMAC secret) is derived from that
seed the first time an operation needs it — GetPublicKey, Sign, Verify,
Encrypt, Decrypt, GenerateMac, DeriveSharedSecret — and kept. So creating a
hundred RSA_4096 keys that are never used costs what creating symmetric keys
costs, and the first Sign on a key pays for its generation once.

**Seeding.** Derivation is a pure function of (key spec, per-key seed): EC
scalars, Ed25519 private bytes, ML-DSA seeds and HMAC secrets are read from a
deterministic byte stream (HMAC-SHA256 in counter mode) keyed by the seed. RSA
keys are the exception where speed matters: in an unseeded mock they come from
``cryptography``'s ``generate_private_key`` (OpenSSL, fast); under
``mock_kms(seed=...)`` their primes are searched for deterministically in that
same stream (:func:`deterministic_rsa`). Because each key's seed is drawn when
the key is created, the pairs of a seeded mock are the same whatever order the
keys are first used in.

**Locking.** Dispatch runs every handler holding the backend's lock, and
generating an RSA_4096 key can take a second: no other request should wait on
that. Handlers that need a secret are wrapped in :func:`lazy_secrets` and ask
for it with :func:`key_pair` / :func:`hmac_secret`. If it is not derived yet,
those raise :class:`SecretPending`; the wrapper then steps out of the backend's
lock (releasing the one level dispatch holds), derives the secret under the
key's own lock, steps back in and **runs the handler again from the start**.
So every check a call makes (key state, usage, algorithm) and everything it
changes happen in one pass under the backend lock, with the secret ready;
handlers ask for secrets before they change anything. Concurrent first uses
of one key wait on that key's lock, and only the first derives. The key's
lock is a leaf: nothing else is ever acquired while it is held, so waiting on
it can never deadlock, even in the odd case where the caller holds the backend
lock more than once and the step out does not free it (the secret is then
derived under the backend lock — correct, only not concurrent). A call that
stepped out keeps the timestamp it started with.

GenerateDataKeyPair makes a fresh pair per call from a seed drawn from the
backend's entropy; it uses :func:`derive_outside_lock` the same way.

**What the installed cryptography cannot do** is refused where the key spec is
named (:func:`unsupported_reason`): SM2 always (the cryptography package has no
SM2), ML-DSA and Ed25519 only on builds without them. Ed25519ph (signing
algorithm ED25519_PH_SHA_512), which cryptography lacks, is implemented here
from RFC 8032 §5.1 (:func:`ed25519ph_sign`, :func:`ed25519ph_verify`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

import cryptography
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, rsa

# Imported where first needed, not here: ``serialization`` (with its SSH
# support) and the OpenSSL backend would add a fifth to ``import kms_mock``.

if TYPE_CHECKING:
    from ._dispatch import Handler, Params, Request, Response
    from ._models import Key
    from ._store import Backend

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

SEED_SIZE: Final = 32
RSA_PUBLIC_EXPONENT: Final = 65537

RSA_BITS: Final = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
HMAC_BYTES: Final = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}
CURVES: Final[dict[str, ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1(),
    "ECC_NIST_P384": ec.SECP384R1(),
    "ECC_NIST_P521": ec.SECP521R1(),
    "ECC_SECG_P256K1": ec.SECP256K1(),
}
ED25519: Final = "ECC_NIST_EDWARDS25519"
ML_DSA: Final[
    dict[str, type[mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey]]
] = {
    "ML_DSA_44": mldsa.MLDSA44PrivateKey,
    "ML_DSA_65": mldsa.MLDSA65PrivateKey,
    "ML_DSA_87": mldsa.MLDSA87PrivateKey,
}


def unsupported_reason(key_spec: str) -> str | None:
    """Why kms_mock cannot make keys of ``key_spec`` here, or None if it can."""
    if key_spec == "SM2":
        return "the cryptography package has no SM2"
    if key_spec not in ML_DSA and key_spec != ED25519:
        return None
    from cryptography.hazmat.backends.openssl.backend import backend

    build = f"cryptography {cryptography.__version__} with {backend.openssl_version_text()}"
    if key_spec in ML_DSA and not backend.mldsa_supported():
        return f"{build} cannot do ML-DSA"
    if key_spec == ED25519 and not backend.ed25519_supported():
        return f"{build} cannot do Ed25519"
    return None


# --- Key pairs and their lazy derivation -------------------------------------------------


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
        self._lock = threading.Lock()  # a leaf: nothing is acquired while it is held

    def __repr__(self) -> str:
        state = "derived" if self._value is not None else "pending"
        return f"LazySecret({self.key_spec}, {state})"

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


class SecretPending(Exception):
    """Raised in a handler: ``secret`` must be derived (outside the lock) before it goes on.

    Control flow between :func:`key_pair` and :func:`lazy_secrets`, never seen outside.
    """

    def __init__(self, secret: LazySecret) -> None:
        super().__init__(secret.key_spec)
        self.secret = secret


def _ready(key: Key) -> Secret:
    secret = key.secret
    if secret is None:
        raise RuntimeError(f"{key.arn} ({key.key_spec}, {key.origin}) has no derived secret")
    value = secret.peek()
    if value is None:
        raise SecretPending(secret)
    return value


def key_pair(key: Key) -> KeyPair:
    """The key pair of asymmetric ``key``; raises SecretPending until it is derived."""
    value = _ready(key)
    if not isinstance(value, KeyPair):
        raise TypeError(f"{key.arn} is an HMAC key: it has a secret, not a key pair")
    return value


def hmac_secret(key: Key) -> bytes:
    """The secret of HMAC ``key``; raises SecretPending until it is derived."""
    value = _ready(key)
    if not isinstance(value, bytes):
        raise TypeError(f"{key.arn} is an asymmetric key: it has a key pair, not a secret")
    return value


def derive_outside_lock(backend: Backend, secret: LazySecret) -> None:
    """Derive ``secret`` with the backend's lock let go (one level), then take it back."""
    if secret.peek() is not None:
        return
    lock = backend.lock
    try:
        lock.release()
    except RuntimeError:  # not held by this thread (a handler called directly)
        secret.derive()
        return
    try:
        secret.derive()
    finally:
        lock.acquire()


def lazy_secrets(handler: Handler) -> Handler:
    """Run ``handler``; whenever it needs a secret not derived yet, derive it and rerun."""

    @functools.wraps(handler)
    def serve(request: Request, params: Params) -> Response:
        while True:
            try:
                return handler(request, params)
            except SecretPending as pending:
                derive_outside_lock(request.backend, pending.secret)

    return serve


# --- Derivation from a seed --------------------------------------------------------------


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


def derive_secret(key_spec: str, seed: bytes, *, reproducible: bool) -> Secret:
    """The private key (or HMAC secret) of a key of ``key_spec`` whose seed is ``seed``.

    A pure function of its arguments, except for RSA keys when ``reproducible``
    is false, which OpenSSL generates from the OS's randomness.
    """
    if reproducible and key_spec in RSA_BITS:
        return _seeded_rsa(key_spec, seed)
    stream = ByteStream(seed, key_spec.encode())
    if key_spec in HMAC_BYTES:
        return stream.read(HMAC_BYTES[key_spec])
    return KeyPair.of(private_key_from(key_spec, stream, reproducible=reproducible))


@functools.lru_cache(maxsize=64)
def _seeded_rsa(key_spec: str, seed: bytes) -> KeyPair:
    # The prime search in Python takes a while (about 0.2 s for RSA_2048, a few
    # seconds for RSA_4096): a suite that replays the same seed pays it once.
    stream = ByteStream(seed, key_spec.encode())
    return KeyPair.of(private_key_from(key_spec, stream, reproducible=True))


def private_key_from(key_spec: str, stream: ByteStream, *, reproducible: bool) -> PrivateKey:
    """A private key of ``key_spec`` whose randomness comes from ``stream``."""
    if key_spec in RSA_BITS:
        bits = RSA_BITS[key_spec]
        if not reproducible:
            return rsa.generate_private_key(RSA_PUBLIC_EXPONENT, bits)
        return deterministic_rsa(bits, stream)
    if key_spec in CURVES:
        curve = CURVES[key_spec]
        while True:  # uniform in [1, order - 1]: redraw the rare values out of range
            try:
                return ec.derive_private_key(stream.integer(curve.key_size), curve)
            except ValueError:
                continue
    if key_spec == ED25519:
        return ed25519.Ed25519PrivateKey.from_private_bytes(stream.read(32))
    if key_spec in ML_DSA:
        return ML_DSA[key_spec].from_seed_bytes(stream.read(32))
    raise ValueError(f"kms_mock makes no key pairs of key spec {key_spec}")


# --- Deterministic RSA (seeded mocks only) ------------------------------------------------

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


# --- Ed25519ph (RFC 8032 §5.1), which the cryptography package lacks ---------------------

_P: Final = 2**255 - 19
_L: Final = 2**252 + 27742317777372353535851937790883648493
_D: Final = -121665 * pow(121666, -1, _P) % _P
_SQRT_MINUS_ONE: Final = pow(2, (_P - 1) // 4, _P)
# dom2(phflag=1, context=""): the prefix that separates Ed25519ph from Ed25519.
_DOM2_PH: Final = b"SigEd25519 no Ed25519 collisions\x01\x00"

_Point: TypeAlias = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T)
_NEUTRAL: Final[_Point] = (0, 1, 1, 0)


def _add(a: _Point, b: _Point) -> _Point:
    """a + b on edwards25519 (unified: doubles too)."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    pa = (y1 - x1) * (y2 - x2) % _P
    pb = (y1 + x1) * (y2 + x2) % _P
    pc = 2 * t1 * t2 * _D % _P
    pd = 2 * z1 * z2 % _P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar: int, point: _Point) -> _Point:
    result = _NEUTRAL
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _x_of(y: int, sign: int) -> int | None:
    """The x with the given parity on the curve at y, if there is one."""
    if y >= _P:
        return None
    u = (y * y - 1) * pow(_D * y * y + 1, -1, _P) % _P
    x = pow(u, (_P + 3) // 8, _P)
    if (x * x - u) % _P:
        x = x * _SQRT_MINUS_ONE % _P
        if (x * x - u) % _P:
            return None
    if x == 0 and sign:
        return None
    return _P - x if x & 1 != sign else x


def _encode(point: _Point) -> bytes:
    x, y, z, _ = point
    inverse = pow(z, -1, _P)
    x, y = x * inverse % _P, y * inverse % _P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _decode(data: bytes) -> _Point | None:
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _x_of(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_BASE_Y: Final = 4 * pow(5, -1, _P) % _P
_BASE: Final[_Point] = _decode(_BASE_Y.to_bytes(32, "little")) or _NEUTRAL


def _scalar(digest: bytes) -> int:
    return int.from_bytes(digest, "little") % _L


def _sha512(*parts: bytes) -> bytes:
    return hashlib.sha512(b"".join(parts)).digest()


def ed25519ph_sign(private_bytes: bytes, message: bytes) -> bytes:
    """Ed25519ph signature (empty context) of ``message`` by the 32-byte private key."""
    digest = _sha512(private_bytes)
    secret = int.from_bytes(digest[:32], "little") & ((1 << 254) - 8) | (1 << 254)
    public = _encode(_multiply(secret, _BASE))
    prehash = _sha512(message)
    r = _scalar(_sha512(_DOM2_PH, digest[32:], prehash))
    big_r = _encode(_multiply(r, _BASE))
    k = _scalar(_sha512(_DOM2_PH, big_r, public, prehash))
    return big_r + ((r + k * secret) % _L).to_bytes(32, "little")


def ed25519ph_verify(public_bytes: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519ph signature (empty context) of ``message``."""
    if len(signature) != 64 or len(public_bytes) != 32:
        return False
    public, big_r = _decode(public_bytes), _decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if public is None or big_r is None or s >= _L:
        return False
    k = _scalar(_sha512(_DOM2_PH, signature[:32], public_bytes, _sha512(message)))
    # The cofactored equation of RFC 8032 §5.1.7: [8][S]B = [8]R + [8][k]A.
    left = _multiply(8 * s, _BASE)
    right = _add(_multiply(8, big_r), _multiply(8 * k, public))
    return all((left[i] * right[2] - right[i] * left[2]) % _P == 0 for i in (0, 1))
