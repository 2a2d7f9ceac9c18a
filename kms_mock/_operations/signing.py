"""Signatures: Sign, Verify, GetPublicKey.

Signatures are the standard ones, so they verify outside with the public key
from GetPublicKey (DER SubjectPublicKeyInfo), and signatures made outside with
the same private key verify here: RSASSA-PSS with a salt as long as the digest,
RSASSA-PKCS1-v1_5, DER-encoded ECDSA, Ed25519, Ed25519ph and ML-DSA (empty
context). MessageType DIGEST skips the hashing step (ED25519_PH_SHA_512 still
prehashes, as AWS documents); EXTERNAL_MU is accepted for ML-DSA keys up to
the signing itself, which the cryptography package cannot do from a given mu.

In a seeded mock ECDSA signs deterministically (RFC 6979), so signatures
repeat run after run; RSASSA-PSS and ML-DSA stay randomized (the cryptography
package takes no randomness source), like AWS's. The key pair is derived on
first use (``_secrets``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa, utils

from .._dispatch import Params, Request, Response, operation
from .._ed25519ph import ed25519ph_sign, ed25519ph_verify
from .._errors import (
    KMSInvalidSignatureException,
    NotImplementedByMock,
    UnsupportedOperationException,
    ValidationException,
)
from .._keypairs import HASHES, HashClass, KeyPair
from .._keyspecs import (
    ALGORITHM_MEMBER,
    ALGORITHMS,
    ASYMMETRIC,
    DIGEST,
    EXTERNAL_MU,
    KEY_SPECS,
    RAW,
    SIGN_VERIFY,
)
from .._models import Key
from .._resolve import find_key, require_usable
from ._rules import dry_run_stop, require_usage, track_usage
from ._secrets import key_pair, lazy_secrets

MU_SIZE: Final = 64  # FIPS 204 §6.2: mu is 64 bytes

_MLDSA_PRIVATE = (mldsa.MLDSA44PrivateKey, mldsa.MLDSA65PrivateKey, mldsa.MLDSA87PrivateKey)
_MLDSA_PUBLIC = (mldsa.MLDSA44PublicKey, mldsa.MLDSA65PublicKey, mldsa.MLDSA87PublicKey)


@dataclass(frozen=True, slots=True)
class Scheme:
    """How one SigningAlgorithmSpec signs: its family, hash and allowed message types."""

    family: str  # PSS, PKCS1, ECDSA, ED25519, ED25519_PH, ML_DSA
    digest: HashClass | None
    message_types: tuple[str, ...]

    @property
    def digest_size(self) -> int:
        """The length a DIGEST (or EXTERNAL_MU) message must have."""
        return MU_SIZE if self.digest is None else self.digest.digest_size


# The signing algorithms' schemes, built from their facts in _keyspecs.
SCHEMES: Final[dict[str, Scheme]] = {
    algorithm.name: Scheme(
        algorithm.family,
        None if algorithm.hash is None else HASHES[algorithm.hash],
        algorithm.message_types,
    )
    for algorithm in ALGORITHMS.values()
    if algorithm.message_types
}


def _signing_call(request: Request, params: Params) -> tuple[Key, Scheme, str]:
    """Key, scheme and message type of a Sign/Verify call, checked in AWS's order.

    The DryRun stop comes after every check, and EXTERNAL_MU is refused after it.
    """
    key = find_key(request, params["KeyId"], aliases=True)
    algorithm: str = params["SigningAlgorithm"]
    require_usage(request, key, SIGN_VERIFY, algorithm)
    scheme = SCHEMES[algorithm]
    message_type: str = params.get("MessageType", RAW)
    if message_type not in scheme.message_types:
        # Not recorded from AWS: the API reference states the rule, not its message.
        raise ValidationException(
            f"MessageType {message_type} is not supported with signing algorithm {algorithm}."
        )
    if message_type != RAW and len(params["Message"]) != scheme.digest_size:
        raise ValidationException(f"Digest is invalid length for algorithm {algorithm}.")
    dry_run_stop(params)
    _refuse_external_mu(request, message_type)
    return key, scheme, message_type


def _refuse_external_mu(request: Request, message_type: str) -> None:
    if message_type == EXTERNAL_MU:
        raise NotImplementedByMock(
            f"{request.operation} with MessageType EXTERNAL_MU: the cryptography package "
            "cannot sign or verify from a precomputed ML-DSA mu"
        )


def _hash(scheme: Scheme, message_type: str) -> Any:
    assert scheme.digest is not None
    digest = scheme.digest()
    return utils.Prehashed(digest) if message_type == DIGEST else digest


def _rsa_padding(scheme: Scheme) -> padding.AsymmetricPadding:
    if scheme.family == "PKCS1":
        return padding.PKCS1v15()
    assert scheme.digest is not None
    # AWS: the PSS salt is as long as the digest.
    return padding.PSS(mgf=padding.MGF1(scheme.digest()), salt_length=scheme.digest.digest_size)


def _ecdsa(scheme: Scheme, message_type: str, *, deterministic: bool) -> ec.ECDSA:
    if deterministic:
        try:
            return ec.ECDSA(_hash(scheme, message_type), deterministic_signing=True)
        except UnsupportedAlgorithm:  # an OpenSSL without RFC 6979: randomized, like AWS
            pass
    return ec.ECDSA(_hash(scheme, message_type))


def sign_message(
    pair: KeyPair, scheme: Scheme, message_type: str, message: bytes, *, deterministic: bool
) -> bytes:
    """The signature of ``message`` (raw or digest) under ``pair``'s private key."""
    private = pair.private_key
    if isinstance(private, rsa.RSAPrivateKey):
        return private.sign(message, _rsa_padding(scheme), _hash(scheme, message_type))
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return private.sign(message, _ecdsa(scheme, message_type, deterministic=deterministic))
    if isinstance(private, ed25519.Ed25519PrivateKey):
        if scheme.family == "ED25519_PH":
            return ed25519ph_sign(private.private_bytes_raw(), message)
        return private.sign(message)
    assert isinstance(private, _MLDSA_PRIVATE)
    return private.sign(message)


def signature_is_valid(
    pair: KeyPair, scheme: Scheme, message_type: str, message: bytes, signature: bytes
) -> bool:
    """Whether ``signature`` is ``pair``'s signature of ``message`` (raw or digest)."""
    public = pair.public_key
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, message, _rsa_padding(scheme), _hash(scheme, message_type))
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, message, ec.ECDSA(_hash(scheme, message_type)))
        elif isinstance(public, ed25519.Ed25519PublicKey):
            if scheme.family == "ED25519_PH":
                return ed25519ph_verify(public.public_bytes_raw(), signature, message)
            public.verify(signature, message)
        else:
            assert isinstance(public, _MLDSA_PUBLIC)
            public.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@operation("Sign")
@lazy_secrets
def sign(request: Request, params: Params) -> Response:
    """A signature of a message (up to 4096 bytes) or of its digest."""
    key, scheme, message_type = _signing_call(request, params)
    pair = key_pair(key)
    secret = key.materials.key_secret
    assert secret is not None  # key_pair found it
    signature = sign_message(
        pair, scheme, message_type, params["Message"], deterministic=secret.reproducible
    )
    track_usage(request, key)
    return {
        "KeyId": key.arn,
        "Signature": signature,
        "SigningAlgorithm": params["SigningAlgorithm"],
    }


@operation("Verify")
@lazy_secrets
def verify(request: Request, params: Params) -> Response:
    """SignatureValid: true, or KMSInvalidSignatureException (AWS never answers false)."""
    key, scheme, message_type = _signing_call(request, params)
    pair = key_pair(key)
    if not signature_is_valid(pair, scheme, message_type, params["Message"], params["Signature"]):
        raise KMSInvalidSignatureException(None)  # AWS sends no message (recorded)
    track_usage(request, key)
    return {
        "KeyId": key.arn,
        "SignatureValid": True,
        "SigningAlgorithm": params["SigningAlgorithm"],
    }


@operation("GetPublicKey")
@lazy_secrets
def get_public_key(request: Request, params: Params) -> Response:
    """The DER SubjectPublicKeyInfo of an asymmetric key, with what it may be used for."""
    key = find_key(request, params["KeyId"], aliases=True)
    require_usable(key)
    spec = KEY_SPECS[key.key_spec]
    if spec.key_type != ASYMMETRIC:
        # Not recorded from AWS: worded like the mock's other key-spec refusals.
        raise UnsupportedOperationException(
            f"{key.arn} key KeySpec is {key.key_spec} which is not valid for GetPublicKey."
        )
    response: dict[str, Any] = {
        "KeyId": key.arn,
        "PublicKey": key_pair(key).public_der,
        "KeySpec": key.key_spec,
        "KeyUsage": key.key_usage,
        ALGORITHM_MEMBER[key.key_usage]: list(spec.algorithms[key.key_usage]),
    }
    if spec.legacy:
        response["CustomerMasterKeySpec"] = key.key_spec
    return response
