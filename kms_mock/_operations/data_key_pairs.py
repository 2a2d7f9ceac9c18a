"""Data key pairs: GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext.

A fresh pair per call: the public key as DER SubjectPublicKeyInfo, the private
key as DER PKCS#8 sealed under a symmetric encryption key's current material
(so Decrypt opens it, and the response names that material's KeyMaterialId),
and — for GenerateDataKeyPair — the PKCS#8 in plaintext too.

The pair comes from a seed drawn from the mock's entropy (reproducible with
``seed=``) and is generated with the backend's lock let go, as a KMS key's
pair is (``_secrets``); the key checks are then made again, since the world
may have moved meanwhile.
"""

from __future__ import annotations

from .._dispatch import Params, Request, Response, operation
from .._errors import NotImplementedByMock
from .._keyspecs import unsupported_reason
from .._models import Key
from .._resolve import find_key
from ._rules import also_without_plaintext, dry_run_stop, require_data_key_key
from ._sealing import seal_data_key
from ._secrets import fresh_key_pair


def _encrypting_key(request: Request, params: Params) -> Key:
    """The symmetric encryption key that will seal the private key, checked."""
    key = find_key(request, params["KeyId"], aliases=True)
    require_data_key_key(request, key)
    spec = params["KeyPairSpec"]
    reason = unsupported_reason(spec)
    if reason is not None:
        raise NotImplementedByMock(f"{request.operation} with KeyPairSpec {spec}: {reason}")
    dry_run_stop(params)
    return key


@operation("GenerateDataKeyPair")
@also_without_plaintext("GenerateDataKeyPairWithoutPlaintext", "PrivateKeyPlaintext")
def generate_data_key_pair(request: Request, params: Params) -> Response:
    """A fresh key pair: the public key, the private key sealed under the key and
    (except WithoutPlaintext) in plaintext."""
    _encrypting_key(request, params)
    derived = fresh_key_pair(request, params["KeyPairSpec"])
    key = _encrypting_key(request, params)  # again: it may have changed while unlocked
    private_der = derived.private_pkcs8()
    blob, material_id = seal_data_key(request, key, private_der, params)
    return {
        "PrivateKeyCiphertextBlob": blob,
        "PrivateKeyPlaintext": private_der,
        "PublicKey": derived.public_der,
        "KeyId": key.arn,
        "KeyPairSpec": params["KeyPairSpec"],
        "KeyMaterialId": material_id,
    }
