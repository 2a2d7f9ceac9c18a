"""Ed25519ph (signing algorithm ED25519_PH_SHA_512), which the cryptography package lacks.

Written from RFC 8032 section 5.1 (https://www.rfc-editor.org/rfc/rfc8032#section-5.1):
Ed25519 over the SHA-512 of the message, with the dom2 prefix that keeps its
signatures apart from plain Ed25519's. The private and public keys are the
ordinary Ed25519 ones, so cryptography's key objects carry them.
"""

from __future__ import annotations

import hashlib
from typing import Final, TypeAlias

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
