"""Key agreement: DeriveSharedSecret.

ECDH between the private key of a KEY_AGREEMENT key (NIST curves; SM2 keys
are refused at CreateKey) and the peer's public key, given as DER
SubjectPublicKeyInfo on the same curve. The answer is the raw shared secret
(the x coordinate), exactly what the cryptography package's own exchange
gives. The key pair is derived on first use (``_secrets``).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from .._dispatch import Params, Request, Response, operation
from .._errors import ValidationException
from .._keypairs import CURVES
from .._keyspecs import KEY_AGREEMENT
from .._models import Key
from .._resolve import find_key
from ._rules import dry_run_stop, require_usage, track_usage
from ._secrets import key_pair, lazy_secrets


def _agreement_key(request: Request, params: Params) -> Key:
    key = find_key(request, params["KeyId"], aliases=True)
    # KeyAgreementAlgorithm: the model's enum has ECDH only, which every
    # KEY_AGREEMENT key spec offers; the validator already refused anything else.
    require_usage(request, key, KEY_AGREEMENT)
    return key


def _peer_public_key(key: Key, der: bytes) -> ec.EllipticCurvePublicKey:
    """The peer's key: DER SPKI of a point on the key's curve, else ValidationException."""
    # Here, not at the top: importing serialization (and its SSH support) is slow.
    from cryptography.hazmat.primitives import serialization

    try:
        peer = serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        peer = None
    curve = CURVES[key.key_spec]
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != curve.name:
        raise ValidationException(None)  # AWS sends an empty message (recorded)
    return peer


@operation("DeriveSharedSecret")
@lazy_secrets
def derive_shared_secret(request: Request, params: Params) -> Response:
    """The raw ECDH shared secret of the key's private key and the peer's public key."""
    key = _agreement_key(request, params)
    peer = _peer_public_key(key, params["PublicKey"])
    dry_run_stop(params)
    private_key = key_pair(key).private_key
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    secret = private_key.exchange(ec.ECDH(), peer)
    track_usage(request, key)
    return {
        "KeyId": key.arn,
        "SharedSecret": secret,
        "KeyAgreementAlgorithm": params["KeyAgreementAlgorithm"],
        "KeyOrigin": key.origin,
    }
