"""Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
RotateKeyOnDemand, ListKeyRotations.

https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .. import _rotation
from .._dispatch import Params, Request, Response, operation
from .._errors import (
    ConflictException,
    KMSInvalidStateException,
    LimitExceededException,
    UnsupportedOperationException,
)
from .._keyspecs import is_symmetric_encryption
from .._materials import EXTERNAL, ON_DEMAND, PENDING_ROTATION, KeyMaterial
from .._models import PENDING_DELETION_STATES, PENDING_IMPORT, UPDATING, Key
from .._resolve import find_key, refuse_states, require_usable
from ._pagination import paginate
from ._rules import key_to_change, origin_error, refuse_replica

# "an automatic rotation ... is scheduled to begin within the next 20 minutes"
CONFLICT_WINDOW = _dt.timedelta(minutes=20)


def _require_symmetric(key: Key) -> None:
    # AWS sends no message for asymmetric and HMAC keys (recorded).
    if not is_symmetric_encryption(key.key_spec):
        raise UnsupportedOperationException(None)


def _key_to_rotate_automatically(request: Request, params: Params) -> Key:
    """Enable/DisableKeyRotation: access, imported material, state, then key type."""
    key = key_to_change(request, params["KeyId"])
    refuse_replica(key)
    if key.origin == EXTERNAL or key.custom_key_store is not None:
        raise origin_error(key)
    require_usable(key)
    _require_symmetric(key)
    return key


@operation("EnableKeyRotation")
def enable_key_rotation(request: Request, params: Params) -> Response:
    """Rotate automatically every RotationPeriodInDays (90-2560, default 365)."""
    key = _key_to_rotate_automatically(request, params)
    _rotation.enable(request.backend, key, params.get("RotationPeriodInDays"), request.now)
    return {}


@operation("DisableKeyRotation")
def disable_key_rotation(request: Request, params: Params) -> Response:
    """Stop automatic rotation (on-demand rotation still works)."""
    key = _key_to_rotate_automatically(request, params)
    _rotation.disable(request.backend, key, request.now)
    return {}


@operation("GetKeyRotationStatus")
def get_key_rotation_status(request: Request, params: Params) -> Response:
    """Whether the key rotates automatically and, if so, when next.

    A multi-Region replica shows its primary's settings: they are one material set's.
    """
    key = find_key(request, params["KeyId"])
    if key.state == PENDING_IMPORT or key.custom_key_store is not None:
        raise origin_error(key)
    materials = key.materials
    status: dict[str, Any] = {"KeyId": key.arn, "KeyRotationEnabled": False}
    if materials.rotation_enabled and key.state not in PENDING_DELETION_STATES:
        status["KeyRotationEnabled"] = True
        status["RotationPeriodInDays"] = materials.rotation_period_days
        if materials.next_rotation_at is not None:  # None: it would fall after year 9999
            status["NextRotationDate"] = materials.next_rotation_at
    return status


@operation("RotateKeyOnDemand")
def rotate_key_on_demand(request: Request, params: Params) -> Response:
    """New material now; the automatic schedule does not move."""
    key = key_to_change(request, params["KeyId"])
    refuse_replica(key)
    require_usable(key)  # before the key type: a disabled RSA key is "disabled" (recorded)
    # Not while Updating: kms_mock's inference (the key-state table has no row for it).
    refuse_states(key, UPDATING)
    _require_symmetric(key)
    if key.custom_key_store is not None:
        raise origin_error(key)
    materials = key.materials
    if materials.on_demand_rotations >= request.backend.on_demand_rotation_limit:
        raise LimitExceededException(
            "The on-demand rotations limit has been reached for the given keyId. "
            f"No more on-demand rotations can be performed for this key: {key.arn}"
        )
    if key.origin == EXTERNAL:
        return _rotate_to_imported_material(request, key)
    due = materials.next_rotation_at
    # due - now, not now + window: near year 9999 the window reaches past its end.
    if materials.rotation_enabled and due is not None and due - request.now < CONFLICT_WINDOW:
        raise ConflictException(
            "The request was rejected because an automatic rotation of this key is currently "
            "in progress or scheduled to begin within the next 20 minutes."
        )
    materials.on_demand_rotations += 1
    _rotation.rotate(request.backend, key, ON_DEMAND, request.now)
    return {"KeyId": key.arn}


def _rotate_to_imported_material(request: Request, key: Key) -> Response:
    """Keys with imported material rotate to the material imported for it (NEW_KEY_MATERIAL).

    "you must have already imported new key material and that key material's state
    should be PENDING_ROTATION" (RotateKeyOnDemand in botocore's model): of a
    multi-Region key, imported into every replica too. The rotation is the set's,
    so every Region's key rotates at the same instant.
    """
    pending = key.materials.pending
    # Recorded without pending material; kms_mock's inference for material that
    # still waits for a replica's import (PENDING_MULTI_REGION_IMPORT_AND_ROTATION).
    if pending is None or pending.state != PENDING_ROTATION:
        raise KMSInvalidStateException(
            f"No available key material pending rotation for the key: {key.arn}."
        )
    key.materials.on_demand_rotations += 1
    _rotation.rotate_to_pending(request.backend, key, request.now)
    return {"KeyId": key.arn}


def _rotation_entry(key: Key, material: KeyMaterial) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "KeyId": key.arn,
        "KeyMaterialId": material.material_id,
        "KeyMaterialState": material.state,
    }
    if material.rotated_at is not None:
        entry["RotationDate"] = material.rotated_at
        entry["RotationType"] = material.rotation_type
    if material.origin == EXTERNAL:
        entry.update(_import_members(key, material))
    return entry


def _import_members(key: Key, material: KeyMaterial) -> dict[str, Any]:
    """What a RotationsListEntry shows of ``key``'s import of ``material`` (EXTERNAL keys only).

    Each key of a multi-Region key shows its own import: PENDING_IMPORT where it
    has none.
    """
    members: dict[str, Any] = {"ImportState": key.import_state(material.material_id)}
    held = key.imports.get(material.material_id)
    if held is not None:
        members.update(
            KeyMaterialDescription=held.description,
            ExpirationModel=held.expiration_model,
            ValidTo=held.valid_to,
        )
    return {name: value for name, value in members.items() if value is not None}


@operation("ListKeyRotations")
def list_key_rotations(request: Request, params: Params) -> Response:
    """Key materials oldest first: rotations only, or every material (ALL_KEY_MATERIAL)."""
    key = find_key(request, params["KeyId"])
    if not is_symmetric_encryption(key.key_spec):
        raise UnsupportedOperationException(None)
    materials = list(key.materials.by_id.values())
    if params.get("IncludeKeyMaterial", "ROTATIONS_ONLY") == "ROTATIONS_ONLY":
        materials = [material for material in materials if material.rotated_at is not None]
    page, paging = paginate(request.operation, materials, params, default_limit=100, max_limit=1000)
    return {"Rotations": [_rotation_entry(key, material) for material in page], **paging}
