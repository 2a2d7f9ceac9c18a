"""Symmetric cryptography: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
GenerateDataKeyWithoutPlaintext (spec §4.6 to §4.8).

Encrypt uses the key's CURRENT material; Decrypt finds the material that made
the ciphertext by the id in its header — one dict lookup, however many
rotations happened since.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import _ciphertext
from .._dispatch import Params, Request, Response, operation
from .._errors import (
    AccessDeniedException,
    DryRunOperationException,
    IncorrectKeyException,
    InvalidCiphertextException,
    InvalidKeyUsageException,
    NotImplementedByMock,
    ValidationException,
)
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
_DRY_RUN = "The request would have succeeded, but the DryRun option is set."


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
    if not is_symmetric_encryption(key.key_spec):
        raise NotImplementedByMock(f"{request.operation} with an asymmetric key ({key.key_spec})")


def _require_data_key_key(request: Request, key: Key) -> None:
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


def _dry_run_stop(params: Params) -> None:
    if params.get("DryRun"):
        raise DryRunOperationException(_DRY_RUN)


def _track(request: Request, key: Key) -> None:
    """GetKeyLastUsage: this key was just used by this request."""
    key.last_usage = KeyUsage(request.operation, request.now, request.request_id, request.event_id)


def _seal(request: Request, key: Key, plaintext: bytes, context: Mapping[str, str] | None) -> bytes:
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
) -> tuple[Key, bytes]:
    key = find_key(request, key_id, aliases=True)
    _require_encryption_key(request, key, params.get("EncryptionAlgorithm", SYMMETRIC_DEFAULT))
    _dry_run_stop(params)
    return key, _seal(request, key, plaintext, params.get("EncryptionContext"))


@operation("Encrypt")
def encrypt(request: Request, params: Params) -> Response:
    """Seal up to 4096 bytes under the key's current material."""
    key, blob = _encrypt_to(request, params["KeyId"], params["Plaintext"], params)
    _track(request, key)
    return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": SYMMETRIC_DEFAULT}


def _open(
    request: Request,
    blob: bytes,
    key_id: str | None,
    algorithm: str,
    context: Mapping[str, str] | None,
    *,
    dry_run: bool,
) -> tuple[Key, KeyMaterial, bytes]:
    """Decrypt ``blob`` as Decrypt (or ReEncrypt's source side) does, with AWS's errors."""
    try:
        envelope = _ciphertext.parse(blob)
    except _ciphertext.MalformedCiphertext:
        raise InvalidCiphertextException(None) from None
    if key_id is not None:
        named = find_key(request, key_id, aliases=True)
        if (named.key_id, named.account_id, named.region) != (
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
    request.touch(key.arn)
    _require_encryption_key(request, key, algorithm)
    material = key.materials.get(envelope.material_id)
    if material is None:
        raise InvalidCiphertextException(None)
    try:
        plaintext = _ciphertext.open_sealed(envelope, material.secret, context)
    except _ciphertext.MalformedCiphertext:
        raise InvalidCiphertextException(None) from None
    if dry_run:
        raise DryRunOperationException(_DRY_RUN)
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


@operation("Decrypt")
def decrypt(request: Request, params: Params) -> Response:
    """Open a ciphertext with whichever material made it (KeyId optional)."""
    if _ignores_ciphertext(params):
        _check_named_source(request, params, "KeyId", "EncryptionAlgorithm")
        raise DryRunOperationException(_DRY_RUN)
    if "CiphertextBlob" not in params:
        # Only DryRun with IGNORE_CIPHERTEXT may omit it (the model cannot say so).
        raise ValidationException("CiphertextBlob is required.")
    key, material, plaintext = _open(
        request,
        params["CiphertextBlob"],
        params.get("KeyId"),
        params.get("EncryptionAlgorithm", SYMMETRIC_DEFAULT),
        params.get("EncryptionContext"),
        dry_run=params.get("DryRun", False),
    )
    request.key_material_id = material.material_id
    _track(request, key)
    return {
        "KeyId": key.arn,
        "Plaintext": plaintext,
        "EncryptionAlgorithm": SYMMETRIC_DEFAULT,
        "KeyMaterialId": material.material_id,
    }


@operation("ReEncrypt")
def re_encrypt(request: Request, params: Params) -> Response:
    """Decrypt, then encrypt under the destination key's current material."""
    if _ignores_ciphertext(params):
        _check_named_source(request, params, "SourceKeyId", "SourceEncryptionAlgorithm")
        destination = find_key(request, params["DestinationKeyId"], aliases=True)
        algorithm = params.get("DestinationEncryptionAlgorithm", SYMMETRIC_DEFAULT)
        _require_encryption_key(request, destination, algorithm)
        raise DryRunOperationException(_DRY_RUN)
    if "CiphertextBlob" not in params:
        raise ValidationException("CiphertextBlob is required.")
    source, source_material, plaintext = _open(
        request,
        params["CiphertextBlob"],
        params.get("SourceKeyId"),
        params.get("SourceEncryptionAlgorithm", SYMMETRIC_DEFAULT),
        params.get("SourceEncryptionContext"),
        dry_run=False,
    )
    destination_params = {
        "EncryptionAlgorithm": params.get("DestinationEncryptionAlgorithm", SYMMETRIC_DEFAULT),
        "EncryptionContext": params.get("DestinationEncryptionContext"),
        "DryRun": params.get("DryRun", False),
    }
    destination, blob = _encrypt_to(
        request, params["DestinationKeyId"], plaintext, destination_params
    )
    _track(request, source)
    _track(request, destination)
    assert destination.current_material_id is not None
    return {
        "CiphertextBlob": blob,
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": SYMMETRIC_DEFAULT,
        "DestinationEncryptionAlgorithm": SYMMETRIC_DEFAULT,
        "SourceKeyMaterialId": source_material.material_id,
        "DestinationKeyMaterialId": destination.current_material_id,
    }


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
    _require_data_key_key(request, key)
    _dry_run_stop(params)
    plaintext = request.backend.entropy.token_bytes(size)
    blob = _seal(request, key, plaintext, params.get("EncryptionContext"))
    _track(request, key)
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
