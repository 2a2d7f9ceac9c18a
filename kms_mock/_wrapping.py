"""Importing key material: wrapping keys, import tokens, unwrapping, and what material fits a key.

GetParametersForImport hands out an RSA public key and an import token; the
token carries, sealed with AES-GCM under a per-backend key and bound to the KMS
key's ARN, the private half of that wrapping key, the wrapping algorithm and
the token's expiry. So nothing is stored per request, and ImportKeyMaterial
learns from the token alone whether it is this key's, whether it is still
valid, and how to unwrap the material. Wrapping is as AWS describes it in
"Encrypt the key material"
(https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-encrypt-key-material.html):
RSAES-OAEP of the material itself, or RSAES-OAEP of an ephemeral AES key
followed by AES key wrap with padding (RFC 5649) of the material under it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import struct
from typing import Final, NamedTuple, TypeGuard

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import keywrap
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ._keypairs import HASHES, MLDSA_CLASSES, KeyPair, PrivateKey, Secret
from ._keyspecs import ALGORITHMS, ECC, ED25519, HMAC, KEY_SPECS, ML_DSA, RSA, SYMMETRIC

# WrappingAlgorithm values kms_mock unwraps (AlgorithmSpec in botocore's model),
# in the order their index is written into tokens: the hash of each one's OAEP.
WRAPPING_ALGORITHMS: Final = {
    "RSAES_OAEP_SHA_1": "sha1",
    "RSAES_OAEP_SHA_256": "sha256",
    "RSA_AES_KEY_WRAP_SHA_1": "sha1",
    "RSA_AES_KEY_WRAP_SHA_256": "sha256",
}
_ALGORITHM_NAMES: Final = tuple(WRAPPING_ALGORITHMS)
_TOKEN_VERSION: Final = b"\x01"
_NONCE_SIZE: Final = 12
_HEADER: Final = struct.Struct(">qB")  # valid-to in microseconds (-1: never), algorithm index
_EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


class InvalidToken(ValueError):
    """Not an import token of this KMS key (another key's, or no token at all)."""


class UnwrapFailed(ValueError):
    """The encrypted key material does not decrypt with the token's wrapping key."""


class MaterialMismatch(ValueError):
    """The unwrapped material does not fit the key spec; the message ends "it <reason>"."""


class ImportParameters(NamedTuple):
    """What an import token says: until when it is valid, how to unwrap, and with which key."""

    valid_to: _dt.datetime | None  # None: after the end of datetime, never expires
    wrapping_algorithm: str
    wrapping_key: rsa.RSAPrivateKey


def token_key(salt: bytes) -> bytes:
    """The AES-256 key that seals a backend's import tokens, derived from its secret salt."""
    return hmac.new(salt, b"kms_mock import token", hashlib.sha256).digest()


def new_token(
    sealing_key: bytes,
    key_arn: str,
    wrapping_algorithm: str,
    wrapping_key: KeyPair,
    valid_to: _dt.datetime | None,
    nonce: bytes,
) -> bytes:
    """An import token for the KMS key ``key_arn``, carrying ``wrapping_key``'s private half."""
    micros = -1 if valid_to is None else (valid_to - _EPOCH) // _dt.timedelta(microseconds=1)
    payload = (
        _HEADER.pack(micros, _ALGORITHM_NAMES.index(wrapping_algorithm))
        + wrapping_key.private_pkcs8()
    )
    sealed = AESGCM(sealing_key).encrypt(nonce, payload, key_arn.encode())
    return _TOKEN_VERSION + nonce + sealed


def open_token(sealing_key: bytes, key_arn: str, token: bytes) -> ImportParameters:
    """What ``token`` says, if it is an import token of ``key_arn``; else InvalidToken."""
    from cryptography.hazmat.primitives import serialization

    nonce, sealed = token[1 : 1 + _NONCE_SIZE], token[1 + _NONCE_SIZE :]
    if token[:1] != _TOKEN_VERSION or len(nonce) != _NONCE_SIZE:
        raise InvalidToken("not an import token")
    try:
        payload = AESGCM(sealing_key).decrypt(nonce, sealed, key_arn.encode())
    except InvalidTag:
        raise InvalidToken("not an import token of this key") from None
    micros, index = _HEADER.unpack_from(payload)
    # kms_mock made this key: checking its consistency again costs time and tells nothing.
    private_key = serialization.load_der_private_key(
        payload[_HEADER.size :], None, unsafe_skip_rsa_key_validation=True
    )
    assert isinstance(private_key, rsa.RSAPrivateKey)
    valid_to = None if micros < 0 else _EPOCH + _dt.timedelta(microseconds=micros)
    return ImportParameters(valid_to, _ALGORITHM_NAMES[index], private_key)


def unwrap(parameters: ImportParameters, encrypted: bytes) -> bytes:
    """The key material in ``encrypted``, unwrapped as the token's algorithm says."""
    digest = HASHES[WRAPPING_ALGORITHMS[parameters.wrapping_algorithm]]()
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    private_key = parameters.wrapping_key
    try:
        if parameters.wrapping_algorithm.startswith("RSAES_OAEP"):
            return private_key.decrypt(encrypted, oaep)
        split = private_key.key_size // 8
        aes_key = private_key.decrypt(encrypted[:split], oaep)
        return keywrap.aes_key_unwrap_with_padding(aes_key, encrypted[split:])
    except (ValueError, keywrap.InvalidUnwrap):  # wrong key, algorithm or length, tampered
        raise UnwrapFailed("the key material does not unwrap") from None


def wrapping_refusal(key_spec: str, wrapping_algorithm: str, wrapping_key_spec: str) -> str | None:
    """Why ``wrapping_algorithm`` with ``wrapping_key_spec`` cannot carry ``key_spec`` material.

    The combinations GetParametersForImportRequest's WrappingAlgorithm in botocore's
    model rules out: RSA private keys are too long for RSAES-OAEP, and so are
    ECC_NIST_P521 ones under an RSA_2048 wrapping key.
    """
    if not wrapping_algorithm.startswith("RSAES_OAEP"):
        return None
    if KEY_SPECS[key_spec].kind == RSA:
        return (
            f"Wrapping algorithm {wrapping_algorithm} cannot wrap {key_spec} key material: "
            "use an RSA_AES wrapping algorithm."
        )
    if key_spec == "ECC_NIST_P521" and wrapping_key_spec == "RSA_2048":
        return (
            f"Wrapping algorithm {wrapping_algorithm} with wrapping key spec RSA_2048 cannot "
            f"wrap {key_spec} key material: use a longer wrapping key or an RSA_AES wrapping "
            "algorithm."
        )
    return None


def imported_secret(key_spec: str, material: bytes) -> tuple[Secret, bytes]:
    """(the secret, its canonical bytes) of ``material`` imported into a key of ``key_spec``.

    As "Requirements for imported key material"
    (https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-conceptual.html)
    lists them: 256 bits for symmetric encryption keys; for HMAC keys, from the key
    spec's length to the hash's block size; for asymmetric keys a DER-encoded PKCS #8
    private key of the key spec's type and size (or curve). MaterialMismatch otherwise.
    """
    spec = KEY_SPECS[key_spec]
    if spec.kind == SYMMETRIC:
        if len(material) != 32:
            raise MaterialMismatch("must be 256 bits (32 bytes) of symmetric key material")
        return material, material
    if spec.kind == HMAC:
        digest = ALGORITHMS[f"HMAC_SHA_{spec.bits}"].hash
        assert digest is not None
        shortest, longest = spec.bits // 8, hashlib.new(digest).block_size
        if not shortest <= len(material) <= longest:
            raise MaterialMismatch(f"must be {shortest} to {longest} bytes of HMAC key material")
        return material, material
    private_key = _private_key(material)
    if _fits(private_key, key_spec):
        pair = KeyPair.of(private_key)
        return pair, pair.private_pkcs8()
    raise MaterialMismatch(f"must be a DER-encoded PKCS #8 private key of key spec {key_spec}")


def _private_key(material: bytes) -> object:
    """The private key DER PKCS #8 ``material`` holds, or None."""
    from cryptography.hazmat.primitives import serialization

    if not _is_pkcs8(material):
        return None
    try:
        return serialization.load_der_private_key(material, None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None


def _is_pkcs8(der: bytes) -> bool:
    """Whether ``der`` starts as a PrivateKeyInfo (RFC 5208): SEQUENCE { INTEGER, SEQUENCE ...

    The traditional encodings (PKCS #1 RSAPrivateKey, SEC 1 ECPrivateKey) follow the
    version with an INTEGER or an OCTET STRING instead.
    """
    if len(der) < 2 or der[0] != 0x30:
        return False
    length_octets = der[1] - 0x80 if der[1] & 0x80 else 0
    version = 2 + length_octets  # where the version INTEGER starts
    if der[version : version + 1] != b"\x02" or len(der) <= version + 1:
        return False
    algorithm = version + 2 + der[version + 1]
    return der[algorithm : algorithm + 1] == b"\x30"


def _fits(private_key: object, key_spec: str) -> TypeGuard[PrivateKey]:
    spec = KEY_SPECS[key_spec]
    if spec.kind == RSA:
        return isinstance(private_key, rsa.RSAPrivateKey) and private_key.key_size == spec.bits
    if spec.kind == ECC:
        return (
            isinstance(private_key, ec.EllipticCurvePrivateKey)
            and private_key.curve.name == spec.curve
        )
    if spec.kind == ED25519:
        return isinstance(private_key, ed25519.Ed25519PrivateKey)
    return spec.kind == ML_DSA and isinstance(private_key, MLDSA_CLASSES[spec.parameter_set])
