"""Encryption: Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext.

Symmetric keys: Encrypt uses the key's CURRENT material; Decrypt finds the
material that made the ciphertext by the id in its header — one dict lookup,
however many rotations happened since.

RSA keys (ENCRYPT_DECRYPT): the ciphertext is raw RSAES-OAEP under the key's
public key, exactly what AWS returns, so ciphertexts made outside with the
public key from GetPublicKey decrypt here. Having no header, it names no key:
Decrypt and ReEncrypt need the KeyId (SourceKeyId) and the algorithm, as in
AWS. The key pair is derived on first use (``_secrets``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, TypeAlias

from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .. import _ciphertext
from .._dispatch import Params, Request, Response, operation
from .._errors import (
    AccessDeniedException,
    DryRunOperationException,
    IncorrectKeyException,
    InvalidCiphertextException,
    ValidationException,
)
from .._keyfactory import MULTI_REGION_PREFIX
from .._keypairs import HASHES, HashClass
from .._keyspecs import ALGORITHMS, ENCRYPT_DECRYPT, KEY_SPECS, RSA, SYMMETRIC_DEFAULT
from .._materials import KeyMaterial
from .._models import Key
from .._permissions import authorize
from .._resolve import find_key
from ._rules import (
    DRY_RUN_MESSAGE,
    also_without_plaintext,
    dry_run_stop,
    note_material,
    require_data_key_key,
    require_usage,
    track_usage,
)
from ._sealing import seal, seal_data_key
from ._secrets import key_pair, lazy_secrets

DATA_KEY_BYTES = {"AES_256": 32, "AES_128": 16}
_NO_SUCH_KEY = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in "
    "this region, or you are not allowed to access."
)
_INCORRECT_KEY = (
    "The key ID in the request does not identify a CMK that can perform this operation."
)
_OAEP_HASHES: dict[str, HashClass] = {
    algorithm.name: HASHES[algorithm.hash]
    for algorithm in ALGORITHMS.values()
    if algorithm.family == "OAEP" and algorithm.hash is not None
}
# Not recorded from AWS: the model says asymmetric keys take no context.
_NO_CONTEXT = "EncryptionContext is not supported with asymmetric KMS keys."


def _is_rsa_encryption_key(key: Key) -> bool:
    return key.key_usage == ENCRYPT_DECRYPT and KEY_SPECS[key.key_spec].kind == RSA


def _oaep(algorithm: str) -> padding.OAEP:
    digest = _OAEP_HASHES[algorithm]()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def _refuse_context(context: Mapping[str, str] | None) -> None:
    if context:
        raise ValidationException(_NO_CONTEXT)


def _rsa_encrypt(key: Key, algorithm: str, plaintext: bytes, params: Params) -> bytes:
    """RSAES-OAEP under ``key``'s public key, after AWS's size limit (recorded message)."""
    _refuse_context(params.get("EncryptionContext"))
    limit = KEY_SPECS[key.key_spec].bits // 8 - 2 * _OAEP_HASHES[algorithm].digest_size - 2
    if len(plaintext) > limit:
        raise ValidationException(
            f"Algorithm {algorithm} and key spec {key.key_spec} cannot encrypt data larger "
            f"than {limit} bytes."
        )
    dry_run_stop(params)
    public_key = key_pair(key).public_key
    assert isinstance(public_key, rsa.RSAPublicKey)
    return public_key.encrypt(plaintext, _oaep(algorithm))


def _rsa_decrypt(
    request: Request, key: Key, blob: bytes, algorithm: str, context: Mapping[str, str] | None
) -> bytes:
    """Decrypt raw RSAES-OAEP ``blob`` with ``key``, as Decrypt (or ReEncrypt's source) does."""
    require_usage(request, key, ENCRYPT_DECRYPT, algorithm)
    _refuse_context(context)
    private_key = key_pair(key).private_key
    assert isinstance(private_key, rsa.RSAPrivateKey)
    try:
        return private_key.decrypt(blob, _oaep(algorithm))
    except ValueError:  # wrong length, wrong key, wrong algorithm, tampered
        raise InvalidCiphertextException(None) from None


# (key, ciphertext or plaintext, algorithm, material or None for RSA-OAEP): a plain
# tuple, not a named one, as Encrypt and Decrypt are the hot path.
_Outcome: TypeAlias = tuple[Key, bytes, str, KeyMaterial | None]


def _encrypt_to(
    request: Request, key_id: str, plaintext: bytes, params: Params, permission: str | None = None
) -> _Outcome:
    """(key, ciphertext, algorithm, material): sealed under a symmetric key's current
    material, or RSA-OAEP-encrypted (no material). ``permission``: ReEncrypt's
    ``kms:ReEncryptTo`` (default: the call's own)."""
    key = find_key(request, key_id, aliases=True, permission=permission)
    algorithm: str = params.get("EncryptionAlgorithm") or SYMMETRIC_DEFAULT
    require_usage(request, key, ENCRYPT_DECRYPT, algorithm)
    if _is_rsa_encryption_key(key):
        return key, _rsa_encrypt(key, algorithm, plaintext, params), algorithm, None
    dry_run_stop(params)
    blob, material = seal(request, key, plaintext, params.get("EncryptionContext"))
    return key, blob, algorithm, material


@operation("Encrypt")
@lazy_secrets
def encrypt(request: Request, params: Params) -> Response:
    """Seal up to 4096 bytes under the key's current material, or RSA-OAEP-encrypt them."""
    key, blob, algorithm, material = _encrypt_to(
        request, params["KeyId"], params["Plaintext"], params
    )
    note_material(request, material)
    track_usage(request, key)
    return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}


def _opening_region(request: Request, envelope: _ciphertext.Envelope) -> str:
    """The Region of the key that opens ``envelope``: the one that sealed it, or for a
    multi-Region key the caller's, whose related key shares every material version.

    Related multi-Region keys "have the same key ID and key material" (ReplicateKey in
    botocore's model): data encrypted in one Region decrypts in another.
    """
    if envelope.key_id.startswith(MULTI_REGION_PREFIX):
        return request.region
    return envelope.region


def _open(
    request: Request,
    blob: bytes,
    named: Key | None,
    source: _Source,
) -> tuple[Key, KeyMaterial, bytes]:
    """Decrypt symmetric ``blob`` as Decrypt (or ReEncrypt's source side) does.

    Without a ``named`` key (authorized when it was found), the ciphertext's key
    is the one the caller needs ``source.permission`` on.
    """
    params = request.params
    algorithm: str = params.get(source.algorithm, SYMMETRIC_DEFAULT)
    try:
        envelope = _ciphertext.parse(blob)
    except _ciphertext.MalformedCiphertext:
        raise InvalidCiphertextException(None) from None
    region = _opening_region(request, envelope)
    if named is not None and (named.key_id, named.account_id, named.region) != (
        envelope.key_id,
        envelope.account_id,
        region,
    ):
        raise IncorrectKeyException(_INCORRECT_KEY)
    if region != request.region:
        raise AccessDeniedException(_NO_SUCH_KEY)
    key = request.backend.key(envelope.account_id, region, envelope.key_id)
    if key is None:
        raise AccessDeniedException(_NO_SUCH_KEY)
    request.note_audit_resource(key.arn)
    if named is None:
        authorize(request, key, source.permission, by_ciphertext=True)
    require_usage(request, key, ENCRYPT_DECRYPT, algorithm)
    material = key.materials.by_id.get(envelope.material_id)
    if material is None:
        raise InvalidCiphertextException(None)
    try:
        plaintext = _ciphertext.open_sealed(envelope, material.aes_key, params.get(source.context))
    except _ciphertext.MalformedCiphertext:
        raise InvalidCiphertextException(None) from None
    return key, material, plaintext


class _Source(NamedTuple):
    """The request members that name the ciphertext's key, algorithm and context, and
    the permission its key must give (ReEncrypt in botocore's model: ``kms:ReEncryptFrom``)."""

    key_id: str
    algorithm: str
    context: str
    permission: str


_DECRYPT = _Source("KeyId", "EncryptionAlgorithm", "EncryptionContext", "kms:Decrypt")
_REENCRYPT = _Source(
    "SourceKeyId", "SourceEncryptionAlgorithm", "SourceEncryptionContext", "kms:ReEncryptFrom"
)
# ReEncrypt's permission on its destination key.
_REENCRYPT_TO = "kms:ReEncryptTo"


def _decrypt_source(request: Request, params: Params, source: _Source) -> _Outcome:
    """Decrypt the CiphertextBlob as Decrypt, or ReEncrypt's source side, does:
    (key, plaintext, algorithm, material)."""
    if "CiphertextBlob" not in params:
        # Only DryRun with IGNORE_CIPHERTEXT may omit it (the model cannot say so).
        raise ValidationException("CiphertextBlob is required.")
    blob: bytes = params["CiphertextBlob"]
    key_id = params.get(source.key_id)
    named = (
        None
        if key_id is None
        else find_key(request, key_id, aliases=True, permission=source.permission)
    )
    algorithm: str = params.get(source.algorithm, SYMMETRIC_DEFAULT)
    if named is not None and _is_rsa_encryption_key(named):
        context = params.get(source.context)
        return named, _rsa_decrypt(request, named, blob, algorithm, context), algorithm, None
    key, material, plaintext = _open(request, blob, named, source)
    return key, plaintext, algorithm, material


def _ignores_ciphertext(params: Params) -> bool:
    """DryRun with IGNORE_CIPHERTEXT: authorize the key only, never read the blob."""
    return bool(params.get("DryRun")) and "IGNORE_CIPHERTEXT" in params.get("DryRunModifiers", [])


def _check_named_source(request: Request, params: Params, source: _Source) -> None:
    """IGNORE_CIPHERTEXT: the key the request names must be able to decrypt."""
    if source.key_id not in params:
        raise ValidationException(
            f"{source.key_id} is required when DryRunModifiers includes IGNORE_CIPHERTEXT."
        )
    key = find_key(request, params[source.key_id], aliases=True, permission=source.permission)
    algorithm = params.get(source.algorithm, SYMMETRIC_DEFAULT)
    require_usage(request, key, ENCRYPT_DECRYPT, algorithm)


@operation("Decrypt")
@lazy_secrets
def decrypt(request: Request, params: Params) -> Response:
    """Open a ciphertext with whichever material made it (KeyId optional), or RSA-OAEP."""
    if _ignores_ciphertext(params):
        _check_named_source(request, params, _DECRYPT)
        raise DryRunOperationException(DRY_RUN_MESSAGE)
    key, plaintext, algorithm, material = _decrypt_source(request, params, _DECRYPT)
    dry_run_stop(params)
    note_material(request, material)
    track_usage(request, key)
    response = {"KeyId": key.arn, "Plaintext": plaintext, "EncryptionAlgorithm": algorithm}
    if material is not None:
        response["KeyMaterialId"] = material.material_id
    return response


@operation("ReEncrypt")
@lazy_secrets
def re_encrypt(request: Request, params: Params) -> Response:
    """Decrypt, then encrypt under the destination key (its current material, or RSA-OAEP)."""
    if _ignores_ciphertext(params):
        _check_named_source(request, params, _REENCRYPT)
        destination = find_key(
            request, params["DestinationKeyId"], aliases=True, permission=_REENCRYPT_TO
        )
        algorithm = params.get("DestinationEncryptionAlgorithm", SYMMETRIC_DEFAULT)
        require_usage(request, destination, ENCRYPT_DECRYPT, algorithm)
        raise DryRunOperationException(DRY_RUN_MESSAGE)
    source, plaintext, source_algorithm, source_material = _decrypt_source(
        request, params, _REENCRYPT
    )
    destination_params = {
        "EncryptionAlgorithm": params.get("DestinationEncryptionAlgorithm", SYMMETRIC_DEFAULT),
        "EncryptionContext": params.get("DestinationEncryptionContext"),
        "DryRun": params.get("DryRun", False),
    }
    destination, blob, destination_algorithm, destination_material = _encrypt_to(
        request, params["DestinationKeyId"], plaintext, destination_params, _REENCRYPT_TO
    )
    note_material(request, destination_material)
    track_usage(request, source)
    track_usage(request, destination)
    response = {
        "CiphertextBlob": blob,
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": source_algorithm,
        "DestinationEncryptionAlgorithm": destination_algorithm,
    }
    # Each side's material id only where that side is symmetric (ReEncryptResponse in
    # botocore's model).
    if source_material is not None:
        response["SourceKeyMaterialId"] = source_material.material_id
    if destination_material is not None:
        response["DestinationKeyMaterialId"] = destination_material.material_id
    return response


def _data_key_size(params: Params) -> int:
    if ("KeySpec" in params) == ("NumberOfBytes" in params):
        # Not recorded from AWS for GenerateDataKey; AWS's text for GenerateRandom (2019).
        raise ValidationException("Please specify either number of bytes or key spec.")
    if "KeySpec" in params:
        return DATA_KEY_BYTES[params["KeySpec"]]
    size: int = params["NumberOfBytes"]
    return size


@operation("GenerateDataKey")
@also_without_plaintext("GenerateDataKeyWithoutPlaintext", "Plaintext")
def generate_data_key(request: Request, params: Params) -> Response:
    """A fresh data key, sealed under the key and (except WithoutPlaintext) in plaintext."""
    size = _data_key_size(params)
    key = find_key(request, params["KeyId"], aliases=True)
    require_data_key_key(request, key)
    dry_run_stop(params)
    plaintext = request.backend.entropy.token_bytes(size)
    blob, material_id = seal_data_key(request, key, plaintext, params)
    return {
        "CiphertextBlob": blob,
        "Plaintext": plaintext,
        "KeyId": key.arn,
        "KeyMaterialId": material_id,
    }
