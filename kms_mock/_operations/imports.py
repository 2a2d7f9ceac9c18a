"""Imported key material: GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial.

A key created with Origin EXTERNAL waits in PendingImport until material is
imported into it: wrapped by the caller with a real RSA public key that
GetParametersForImport generates per request, unwrapped here with the private
half its import token carries (``_wrapping``). Symmetric encryption keys can
take new material for on-demand rotation; asymmetric and HMAC keys take one
material ever. Each key of a multi-Region key imports on its own, with its own
parameters; new material enters through the primary only. Expiry at ValidTo, and
what deleting material does to the key's state and to the other keys of a
multi-Region key, are ``_lifecycle``'s.
https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys.html
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final

from .._arns import partition_for
from .._dispatch import Params, Request, Response, operation
from .._errors import (
    ExpiredImportTokenException,
    IncorrectKeyMaterialException,
    InvalidCiphertextException,
    InvalidImportTokenException,
    KMSInvalidStateException,
    NotFoundException,
    NotImplementedByMock,
    ValidationException,
)
from .._keyfactory import imported_material
from .._keypairs import ReadySecret
from .._keyspecs import is_symmetric_encryption, unsupported_reason
from .._lifecycle import delete_material, material_imported
from .._materials import EXTERNAL, KEY_MATERIAL_EXPIRES, Import, KeyMaterial
from .._models import CREATING, UPDATING, Key
from .._resolve import find_key, refuse_states, require_not_pending_deletion
from .._schedule import date_after
from .._wrapping import (
    ImportParameters,
    InvalidToken,
    MaterialMismatch,
    UnwrapFailed,
    imported_secret,
    new_token,
    open_token,
    token_key,
    unwrap,
    wrapping_refusal,
)
from ._rules import origin_error, refuse_replica
from ._secrets import fresh_key_pair

# "Each public key and import token set is valid for 24 hours" (GetParametersForImport).
PARAMETERS_LIFETIME: Final = _dt.timedelta(hours=24)
# "The maximum value is 365 days from the request date" (ImportKeyMaterialRequest's ValidTo).
LONGEST_VALIDITY: Final = _dt.timedelta(days=365)
NEW_KEY_MATERIAL: Final = "NEW_KEY_MATERIAL"
EXISTING_KEY_MATERIAL: Final = "EXISTING_KEY_MATERIAL"
# "This parameter is optional and only usable with symmetric encryption keys"
# (ImportKeyMaterialRequest in botocore's model).
SYMMETRIC_ONLY_MEMBERS: Final = ("ImportType", "KeyMaterialId", "KeyMaterialDescription")
_NONCE_SIZE: Final = 12

# Not recorded from AWS: these messages follow the text of botocore's model.
_PKCS1_GONE = "KMS does not support the RSAES_PKCS1_V1_5 wrapping algorithm."
_SM2_IN_CHINA_ONLY = (
    "The SM2 wrapping key spec and the SM2PKE wrapping algorithm are supported only in "
    "China Regions."
)
_INVALID_TOKEN = "The import token is invalid or is associated with a different KMS key."
_EXPIRED_TOKEN = (
    "The import token is expired. Use GetParametersForImport to get a new import token and "
    "public key."
)
_NOT_THE_SAME = (
    "The key material being imported is not the same key material that was previously "
    "imported into this KMS key."
)
_ALREADY_ASSOCIATED = (
    "KMS expected new key material but the key material being imported is already "
    "associated with the KMS key."
)


def _external_key(request: Request, key_id: str) -> Key:
    """The key an import operation names (key id or ARN), which must be EXTERNAL."""
    key = find_key(request, key_id)
    if key.origin != EXTERNAL:
        raise origin_error(key)
    return key


# -- GetParametersForImport -----------------------------------------------------------------


def _check_wrapping(request: Request, params: Params) -> None:
    """The wrapping algorithm and key spec can be had here at all."""
    algorithm, spec = params["WrappingAlgorithm"], params["WrappingKeySpec"]
    if algorithm == "RSAES_PKCS1_V1_5":
        raise ValidationException(_PKCS1_GONE)
    sm2_algorithm, sm2_spec = algorithm == "SM2PKE", spec == "SM2"
    if (sm2_algorithm or sm2_spec) and partition_for(request.region) != "aws-cn":
        raise ValidationException(_SM2_IN_CHINA_ONLY)
    if sm2_algorithm != sm2_spec:
        raise ValidationException(
            f"Wrapping algorithm {algorithm} is not compatible with wrapping key spec {spec}."
        )
    if sm2_spec:
        raise NotImplementedByMock(
            f"{request.operation} with WrappingKeySpec SM2: {unsupported_reason('SM2')}"
        )


def _key_for_parameters(request: Request, params: Params) -> Key:
    _check_wrapping(request, params)
    key = _external_key(request, params["KeyId"])
    require_not_pending_deletion(key)
    refuse_states(key, CREATING, UPDATING)
    refusal = wrapping_refusal(key.key_spec, params["WrappingAlgorithm"], params["WrappingKeySpec"])
    if refusal is not None:
        raise ValidationException(refusal)  # not recorded: the model's words for the combination
    return key


@operation("GetParametersForImport")
def get_parameters_for_import(request: Request, params: Params) -> Response:
    """A fresh RSA wrapping key's public half, and a token valid 24 hours that carries the rest."""
    _key_for_parameters(request, params)
    pair = fresh_key_pair(request, params["WrappingKeySpec"])
    key = _key_for_parameters(request, params)  # again: it may have changed while unlocked
    valid_to = date_after(request.now, PARAMETERS_LIFETIME)
    token = new_token(
        token_key(request.backend.material_id_salt),
        key.arn,
        params["WrappingAlgorithm"],
        pair,
        valid_to,
        request.backend.entropy.token_bytes(_NONCE_SIZE),
    )
    response: dict[str, Any] = {
        "KeyId": key.arn,
        "ImportToken": token,
        "PublicKey": pair.public_der,
    }
    if valid_to is not None:  # None: after the end of datetime, the set never expires
        response["ParametersValidTo"] = valid_to
    return response


# -- ImportKeyMaterial ----------------------------------------------------------------------


def _expiration(request: Request, params: Params) -> tuple[str, _dt.datetime | None]:
    """(ExpirationModel, ValidTo): KEY_MATERIAL_EXPIRES unless told, then with a ValidTo."""
    model: str = params.get("ExpirationModel", KEY_MATERIAL_EXPIRES)
    valid_to: _dt.datetime | None = params.get("ValidTo")
    if model != KEY_MATERIAL_EXPIRES:
        if valid_to is not None:  # not recorded: the recorded message's converse
            raise ValidationException(
                f"A validTo date must not be set if the ExpirationModel is {model}"
            )
        return model, None
    if valid_to is None:  # recorded
        raise ValidationException(
            "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
        )
    # Not recorded: "must be a future date and time. The maximum value is 365 days
    # from the request date" (ImportKeyMaterialRequest's ValidTo).
    if valid_to <= request.now:
        raise ValidationException("The validTo date must be in the future.")
    if valid_to - request.now > LONGEST_VALIDITY:
        raise ValidationException("The validTo date must be no more than 365 days from now.")
    return model, valid_to


def _check_symmetric_only_members(key: Key, params: Params) -> None:
    if is_symmetric_encryption(key.key_spec):
        return
    for member in SYMMETRIC_ONLY_MEMBERS:
        if member in params:  # not recorded: AWS "will reject" them (its guide says only that)
            raise ValidationException(f"{member} is valid only for symmetric encryption KMS keys.")


def _parameters(request: Request, key: Key, token: bytes) -> ImportParameters:
    """What ``key``'s import token says, if it is one and still valid."""
    try:
        parameters = open_token(token_key(request.backend.material_id_salt), key.arn, token)
    except InvalidToken:
        raise InvalidImportTokenException(_INVALID_TOKEN) from None
    if parameters.valid_to is not None and request.now >= parameters.valid_to:
        raise ExpiredImportTokenException(_EXPIRED_TOKEN)
    return parameters


def _unwrapped(
    request: Request, key: Key, parameters: ImportParameters, params: Params
) -> tuple[bytes | ReadySecret, bytes]:
    """(the secret, its canonical bytes) of the material the request carries for ``key``."""
    try:
        unwrapped = unwrap(parameters, params["EncryptedKeyMaterial"])
    except UnwrapFailed:
        raise InvalidCiphertextException(None) from None  # AWS sends no message for this error
    try:
        secret, id_bits = imported_secret(key.key_spec, unwrapped)
    except MaterialMismatch as mismatch:  # not recorded: the reason is the AWS guide's rule
        raise IncorrectKeyMaterialException(
            f"The key material does not fit {key.arn} ({key.key_spec}): it {mismatch}."
        ) from None
    if is_symmetric_encryption(key.key_spec):
        assert isinstance(secret, bytes)
        return secret, id_bits
    return ReadySecret(key.key_spec, secret, reproducible=request.backend.entropy.seeded), id_bits


def _import_type(key: Key, params: Params) -> str:
    """NEW_KEY_MATERIAL for a key that never had material, else EXISTING_KEY_MATERIAL by default.

    Asymmetric and HMAC keys take one material ever: after it, only it again. A
    replica shares its primary's versions, so it only ever takes them again.
    """
    default = EXISTING_KEY_MATERIAL if key.materials.by_id else NEW_KEY_MATERIAL
    if not is_symmetric_encryption(key.key_spec):
        return default
    import_type: str = params.get("ImportType", default)
    return import_type


def _associate(key: Key, material: KeyMaterial, params: Params) -> KeyMaterial:
    """Put imported ``material`` in ``key``'s set as its ImportType says; the version stored."""
    materials = key.materials
    known = materials.by_id.get(material.material_id)
    if _import_type(key, params) == EXISTING_KEY_MATERIAL:
        named = params.get("KeyMaterialId")
        if named is not None and named != material.material_id:
            raise IncorrectKeyMaterialException(
                f"The key material being imported does not match key material ID {named}."
            )
        if known is None:
            raise IncorrectKeyMaterialException(_NOT_THE_SAME)
        known.reimport(material)
        return known
    if known is not None:
        raise IncorrectKeyMaterialException(_ALREADY_ASSOCIATED)
    if materials.current_id is None:
        # "the first key material imported into it becomes current and permanently
        # associated with it" (https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-import-key-material.html)
        materials.add_current(material)
        return material
    pending = materials.pending
    if pending is not None:
        # Recorded, with the bare key id where the other messages have the ARN.
        raise KMSInvalidStateException(
            f"New key material (id: {material.material_id}) cannot be imported into KMS key "
            f"{key.key_id}, because another key material (id: {pending.material_id}) is "
            "pending rotation."
        )
    materials.add_pending(material)
    return material


@operation("ImportKeyMaterial")
def import_key_material(request: Request, params: Params) -> Response:
    """Unwrap the material, check that it fits the key, store it (first, again or pending)."""
    expiration_model, valid_to = _expiration(request, params)
    if params.get("ImportType") == NEW_KEY_MATERIAL and "KeyMaterialId" in params:
        raise ValidationException(  # not recorded: the model's words
            "You cannot specify a key material ID with ImportType set to NEW_KEY_MATERIAL."
        )
    key = _external_key(request, params["KeyId"])
    require_not_pending_deletion(key)
    refuse_states(key, CREATING)  # Updating keys import (the key-state table)
    _check_symmetric_only_members(key, params)
    if params.get("ImportType") == NEW_KEY_MATERIAL:
        # "You cannot directly import new key material into the replica Region keys"
        # (ImportKeyMaterial in botocore's model).
        refuse_replica(key)
    parameters = _parameters(request, key, params["ImportToken"])
    secret, id_bits = _unwrapped(request, key, parameters, params)
    imported = imported_material(request.backend, key, secret, id_bits, request.now)
    material = _associate(key, imported, params)
    this_import = Import(expiration_model, valid_to, params.get("KeyMaterialDescription"))
    material_imported(request.backend, key, material, this_import, request.now)
    response = {"KeyId": key.arn}
    if is_symmetric_encryption(key.key_spec):
        response["KeyMaterialId"] = material.material_id
    return response


# -- DeleteImportedKeyMaterial --------------------------------------------------------------


def _material_to_delete(key: Key, material_id: str | None) -> KeyMaterial | None:
    """The named version, or the current one (None: the key never had material)."""
    if material_id is None:
        return key.materials.current
    material = key.materials.by_id.get(material_id)
    if material is None:  # not recorded (the model lists NotFoundException)
        raise NotFoundException(f"Key material {material_id} is not associated with {key.arn}.")
    return material


@operation("DeleteImportedKeyMaterial")
def delete_imported_key_material(request: Request, params: Params) -> Response:
    """The material's secret goes (pending material goes whole); the key waits for its import."""
    key = _external_key(request, params["KeyId"])
    refuse_states(key, CREATING, UPDATING)
    material = _material_to_delete(key, params.get("KeyMaterialId"))
    response = {"KeyId": key.arn}
    if material is not None:
        delete_material(request.backend, key, material, request.now)
        response["KeyMaterialId"] = material.material_id
    return response
