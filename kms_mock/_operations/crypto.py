"""Encryption: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
GenerateDataKeyWithoutPlaintext (spec §4.6 to §4.8).

Symmetric keys: Encrypt uses the key's CURRENT material; Decrypt finds the
material that made the ciphertext by the id in its header — one dict lookup,
however many rotations happened since.

RSA keys (ENCRYPT_DECRYPT): the ciphertext is raw RSAES-OAEP under the key's
public key, exactly what AWS returns, so ciphertexts made outside with the
public key from GetPublicKey decrypt here. Having no header, it names no key:
Decrypt and ReEncrypt need the KeyId (SourceKeyId) and the algorithm, as in
AWS. The key pair is derived on first use (``_keypairs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .. import _ciphertext
from .._dispatch import Params, Request, Response, operation
from .._errors import (
    AccessDeniedException,
    DryRunOperationException,
    IncorrectKeyException,
    InvalidCiphertextException,
    InvalidKeyUsageException,
    ValidationException,
)
from .._keypairs import RSA_BITS, key_pair, lazy_secrets
from .._keyspecs import ENCRYPT_DECRYPT, KEY_SPECS, SYMMETRIC_DEFAULT, is_symmetric_encryption
from .._models import Key, KeyMaterial, KeyUsage
from .._resolve import find_key, require_usable

DATA_KEY_BYTES = {"AES_256": 32, "AES_128": 16}
_NO_SUCH_KEY = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in "
    "this region, or you are not allowed to access."
)
_INCORRECT_KEY = (
    "The key ID in the request does not identify a CMK that can perform this operation."
)
DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set."
_OAEP_HASHES: dict[str, type[hashes.SHA1 | hashes.SHA256]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
}
# Not recorded from AWS: the model says asymmetric keys take no context (⚠).
_NO_CONTEXT = "EncryptionContext is not supported with asymmetric KMS keys."


def _require_encryption_key(request: Request, key: Key, algorithm: str) -> None:
    """State, then usage, then algorithm — the order AWS checks them in."""
    require_usable(key)
    if key.key_usage != ENCRYPT_DECRYPT:
        raise InvalidKeyUsageException(
            f"{key.arn} key usage is {key.key_usage} which is not valid for {request.operation}."
        )
    if algorithm not in KEY_SPECS[key.key_spec].algorithms[ENCRYPT_DECRYPT]:
        raise InvalidKeyUsageException(
            f"Algorithm {algorithm} is incompatible with key spec {key.key_spec}."
        )


def _is_rsa_encryption_key(key: Key) -> bool:
    return key.key_usage == ENCRYPT_DECRYPT and key.key_spec in RSA_BITS


def _oaep(algorithm: str) -> padding.OAEP:
    digest = _OAEP_HASHES[algorithm]()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def _refuse_context(context: Mapping[str, str] | None) -> None:
    if context:
        raise ValidationException(_NO_CONTEXT)


def _rsa_encrypt(key: Key, algorithm: str, plaintext: bytes, params: Params) -> bytes:
    """RSAES-OAEP under ``key``'s public key, after AWS's size limit (recorded message)."""
    _refuse_context(params.get("EncryptionContext"))
    limit = RSA_BITS[key.key_spec] // 8 - 2 * _OAEP_HASHES[algorithm].digest_size - 2
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
    request: Request,
    key: Key,
    blob: bytes,
    algorithm: str,
    context: Mapping[str, str] | None,
    *,
    dry_run: bool,
) -> bytes:
    """Decrypt raw RSAES-OAEP ``blob`` with ``key``, as Decrypt (or ReEncrypt's source) does."""
    _require_encryption_key(request, key, algorithm)
    _refuse_context(context)
    private_key = key_pair(key).private_key
    assert isinstance(private_key, rsa.RSAPrivateKey)
    try:
        plaintext = private_key.decrypt(blob, _oaep(algorithm))
    except ValueError:  # wrong length, wrong key, wrong algorithm, tampered
        raise InvalidCiphertextException(None) from None
    if dry_run:
        raise DryRunOperationException(DRY_RUN_MESSAGE)
    return plaintext


def require_data_key_key(request: Request, key: Key) -> None:
    """GenerateDataKey*: only symmetric encryption keys."""
    require_usable(key)
    if key.key_usage != ENCRYPT_DECRYPT:
        raise InvalidKeyUsageException(
            f"{key.arn} key usage is {key.key_usage} which is not valid for {request.operation}."
        )
    if not is_symmetric_encryption(key.key_spec):
        # Not recorded from AWS; the form follows the usage message above.
        raise InvalidKeyUsageException(
            f"{key.arn} key KeySpec is {key.key_spec} which is not valid for {request.operation}."
        )


def dry_run_stop(params: Params) -> None:
    """DryRun: everything checked, so stop here with AWS's (recorded) message."""
    if params.get("DryRun"):
        raise DryRunOperationException(DRY_RUN_MESSAGE)


def track_usage(request: Request, key: Key) -> None:
    """GetKeyLastUsage: this key was just used by this request."""
    key.last_usage = KeyUsage(request.operation, request.now, request.request_id, request.event_id)


def seal(request: Request, key: Key, plaintext: bytes, context: Mapping[str, str] | None) -> bytes:
    """Seal ``plaintext`` under ``key``'s current material; the call notes the material id."""
    material = key.current_material
    assert material is not None  # symmetric AWS_KMS keys always have one
    request.key_material_id = material.material_id
    return _ciphertext.seal(
        secret=material.secret,
        material_id=material.material_id,
        region=key.region,
        account_id=key.account_id,
        key_id=key.key_id,
        plaintext=plaintext,
        context=context,
        nonce=request.backend.entropy.token_bytes(_ciphertext.NONCE_SIZE),
    )


def _encrypt_to(
    request: Request, key_id: str, plaintext: bytes, params: Params
) -> tuple[Key, bytes, str]:
    """(key, ciphertext, algorithm): sealed under a symmetric key, or RSA-OAEP."""
    key = find_key(request, key_id, aliases=True)
    algorithm: str = params.get("EncryptionAlgorithm") or SYMMETRIC_DEFAULT
    _require_encryption_key(request, key, algorithm)
    if _is_rsa_encryption_key(key):
        return key, _rsa_encrypt(key, algorithm, plaintext, params), algorithm
    dry_run_stop(params)
    return key, seal(request, key, plaintext, params.get("EncryptionContext")), algorithm


@operation("Encrypt")
@lazy_secrets
def encrypt(request: Request, params: Params) -> Response:
    """Seal up to 4096 bytes under the key's current material, or RSA-OAEP-encrypt them."""
    key, blob, algorithm = _encrypt_to(request, params["KeyId"], params["Plaintext"], params)
    track_usage(request, key)
    return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}


def _open(
    request: Request,
    blob: bytes,
    named: Key | None,
    algorithm: str,
    context: Mapping[str, str] | None,
    *,
    dry_run: bool,
) -> tuple[Key, KeyMaterial, bytes]:
    """Decrypt symmetric ``blob`` as Decrypt (or ReEncrypt's source side) does."""
    try:
        envelope = _ciphertext.parse(blob)
    except _ciphertext.MalformedCiphertext:
        raise InvalidCiphertextException(None) from None
    if named is not None and (named.key_id, named.account_id, named.region) != (
        envelope.key_id,
        envelope.account_id,
        envelope.region,
    ):
        raise IncorrectKeyException(_INCORRECT_KEY)
    if envelope.region != request.region:
        raise AccessDeniedException(_NO_SUCH_KEY)
    key = request.backend.key(envelope.account_id, envelope.region, envelope.key_id)
    if key is None:
        raise AccessDeniedException(_NO_SUCH_KEY)
    request.note_audit_resource(key.arn)
    _require_encryption_key(request, key, algorithm)
    material = key.materials.get(envelope.material_id)
    if material is None:
        raise InvalidCiphertextException(None)
    try:
        plaintext = _ciphertext.open_sealed(envelope, material.secret, context)
    except _ciphertext.MalformedCiphertext:
        raise InvalidCiphertextException(None) from None
    if dry_run:
        raise DryRunOperationException(DRY_RUN_MESSAGE)
    return key, material, plaintext


def _ignores_ciphertext(params: Params) -> bool:
    """DryRun with IGNORE_CIPHERTEXT: authorize the key only, never read the blob."""
    return bool(params.get("DryRun")) and "IGNORE_CIPHERTEXT" in params.get("DryRunModifiers", [])


def _check_named_source(request: Request, params: Params, key_member: str, algorithm: str) -> None:
    """IGNORE_CIPHERTEXT: the key named by ``key_member`` must be able to decrypt."""
    if key_member not in params:
        raise ValidationException(
            f"{key_member} is required when DryRunModifiers includes IGNORE_CIPHERTEXT."
        )
    key = find_key(request, params[key_member], aliases=True)
    _require_encryption_key(request, key, params.get(algorithm, SYMMETRIC_DEFAULT))


def _named(request: Request, params: Params, member: str) -> Key | None:
    key_id = params.get(member)
    return None if key_id is None else find_key(request, key_id, aliases=True)


@operation("Decrypt")
@lazy_secrets
def decrypt(request: Request, params: Params) -> Response:
    """Open a ciphertext with whichever material made it (KeyId optional), or RSA-OAEP."""
    if _ignores_ciphertext(params):
        _check_named_source(request, params, "KeyId", "EncryptionAlgorithm")
        raise DryRunOperationException(DRY_RUN_MESSAGE)
    if "CiphertextBlob" not in params:
        # Only DryRun with IGNORE_CIPHERTEXT may omit it (the model cannot say so).
        raise ValidationException("CiphertextBlob is required.")
    named = _named(request, params, "KeyId")
    algorithm = params.get("EncryptionAlgorithm", SYMMETRIC_DEFAULT)
    if named is not None and _is_rsa_encryption_key(named):
        plaintext = _rsa_decrypt(
            request,
            named,
            params["CiphertextBlob"],
            algorithm,
            params.get("EncryptionContext"),
            dry_run=params.get("DryRun", False),
        )
        track_usage(request, named)
        return {"KeyId": named.arn, "Plaintext": plaintext, "EncryptionAlgorithm": algorithm}
    key, material, plaintext = _open(
        request,
        params["CiphertextBlob"],
        named,
        algorithm,
        params.get("EncryptionContext"),
        dry_run=params.get("DryRun", False),
    )
    request.key_material_id = material.material_id
    track_usage(request, key)
    return {
        "KeyId": key.arn,
        "Plaintext": plaintext,
        "EncryptionAlgorithm": SYMMETRIC_DEFAULT,
        "KeyMaterialId": material.material_id,
    }


@operation("ReEncrypt")
@lazy_secrets
def re_encrypt(request: Request, params: Params) -> Response:
    """Decrypt, then encrypt under the destination key (its current material, or RSA-OAEP)."""
    if _ignores_ciphertext(params):
        _check_named_source(request, params, "SourceKeyId", "SourceEncryptionAlgorithm")
        destination = find_key(request, params["DestinationKeyId"], aliases=True)
        algorithm = params.get("DestinationEncryptionAlgorithm", SYMMETRIC_DEFAULT)
        _require_encryption_key(request, destination, algorithm)
        raise DryRunOperationException(DRY_RUN_MESSAGE)
    if "CiphertextBlob" not in params:
        raise ValidationException("CiphertextBlob is required.")
    named = _named(request, params, "SourceKeyId")
    source_algorithm = params.get("SourceEncryptionAlgorithm", SYMMETRIC_DEFAULT)
    source_material_id: str | None = None
    if named is not None and _is_rsa_encryption_key(named):
        source = named
        plaintext = _rsa_decrypt(
            request,
            source,
            params["CiphertextBlob"],
            source_algorithm,
            params.get("SourceEncryptionContext"),
            dry_run=False,
        )
    else:
        source, source_material, plaintext = _open(
            request,
            params["CiphertextBlob"],
            named,
            source_algorithm,
            params.get("SourceEncryptionContext"),
            dry_run=False,
        )
        source_material_id = source_material.material_id
    destination_params = {
        "EncryptionAlgorithm": params.get("DestinationEncryptionAlgorithm", SYMMETRIC_DEFAULT),
        "EncryptionContext": params.get("DestinationEncryptionContext"),
        "DryRun": params.get("DryRun", False),
    }
    destination, blob, destination_algorithm = _encrypt_to(
        request, params["DestinationKeyId"], plaintext, destination_params
    )
    track_usage(request, source)
    track_usage(request, destination)
    response = {
        "CiphertextBlob": blob,
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": source_algorithm,
        "DestinationEncryptionAlgorithm": destination_algorithm,
    }
    # Each side's material id only where that side is symmetric (spec §1.13).
    if source_material_id is not None:
        response["SourceKeyMaterialId"] = source_material_id
    if destination.current_material_id is not None:
        response["DestinationKeyMaterialId"] = destination.current_material_id
    return response


def _data_key_size(params: Params) -> int:
    if ("KeySpec" in params) == ("NumberOfBytes" in params):
        # Not recorded from AWS for GenerateDataKey; AWS's text for GenerateRandom (2019).
        raise ValidationException("Please specify either number of bytes or key spec.")
    if "KeySpec" in params:
        return DATA_KEY_BYTES[params["KeySpec"]]
    size: int = params["NumberOfBytes"]
    return size


def _generate_data_key(request: Request, params: Params) -> dict[str, Any]:
    size = _data_key_size(params)
    key = find_key(request, params["KeyId"], aliases=True)
    require_data_key_key(request, key)
    dry_run_stop(params)
    plaintext = request.backend.entropy.token_bytes(size)
    blob = seal(request, key, plaintext, params.get("EncryptionContext"))
    track_usage(request, key)
    return {
        "CiphertextBlob": blob,
        "Plaintext": plaintext,
        "KeyId": key.arn,
        "KeyMaterialId": request.key_material_id,
    }


@operation("GenerateDataKey")
def generate_data_key(request: Request, params: Params) -> Response:
    """A fresh data key, in plaintext and sealed under the key."""
    return _generate_data_key(request, params)


@operation("GenerateDataKeyWithoutPlaintext")
def generate_data_key_without_plaintext(request: Request, params: Params) -> Response:
    """A fresh data key, sealed under the key only."""
    response = _generate_data_key(request, params)
    del response["Plaintext"]
    return response
