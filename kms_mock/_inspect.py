"""What the handle shows a test beyond the API: material versions, ciphertext headers.

``kms.key_materials(key_id)`` and ``kms.inspect_ciphertext(blob)`` answer
questions real AWS cannot (which material made this blob?) without going
through a client; they read the backend under its lock, after catching up
with the clock.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from dataclasses import dataclass
from typing import Any

from . import _ciphertext
from ._arns import key_arn, parse_kms_arn
from ._errors import UsageError
from ._keyspecs import SYMMETRIC_DEFAULT, is_symmetric_encryption
from ._materials import AWS_KMS, EXTERNAL, KeyMaterial
from ._models import Key
from ._store import Backend


@dataclass(frozen=True, slots=True)
class KeyMaterialInfo:
    """One version of a key's material, as ``MockKMS.key_materials`` reports it.

    ``rotation_type`` is ``AUTOMATIC`` or ``ON_DEMAND``, and None for the key's
    first material (ListKeyRotations' ``RotationType``); ``date`` is when it was
    made or first imported (its rotation date for rotations); ``state`` is
    ``CURRENT``, ``NON_CURRENT`` or, for imported material waiting for
    RotateKeyOnDemand, ``PENDING_ROTATION`` (``PENDING_MULTI_REGION_IMPORT_AND_ROTATION``
    while a replica of a multi-Region key has yet to import it). The import fields
    are the import into the key asked about.
    """

    key_material_id: str
    date: _dt.datetime
    rotation_type: str | None
    state: str
    #: Where the material comes from: ``AWS_KMS`` (KMS made it) or ``EXTERNAL`` (imported).
    origin: str = AWS_KMS
    #: Imported material: ``IMPORTED``, or ``PENDING_IMPORT`` once deleted or expired (else None).
    import_state: str | None = None
    #: Imported material: ``KEY_MATERIAL_EXPIRES`` or ``KEY_MATERIAL_DOES_NOT_EXPIRE`` (else None).
    expiration_model: str | None = None
    #: When imported material expires (its last import's ValidTo); None if it does not.
    valid_to: _dt.datetime | None = None
    #: Imported material's KeyMaterialDescription, if one was given.
    description: str | None = None

    @property
    def how(self) -> str:
        """Deprecated: ``rotation_type``, with ``ORIGINAL`` for the first material."""
        warnings.warn(
            "KeyMaterialInfo.how is deprecated: use rotation_type, which is None where "
            "how is 'ORIGINAL' (the key's first material).",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.rotation_type or "ORIGINAL"


@dataclass(frozen=True, slots=True)
class CiphertextInfo:
    """What a kms_mock ciphertext says about itself (``MockKMS.inspect_ciphertext``)."""

    key_arn: str
    key_material_id: str
    encryption_algorithm: str
    encryption_context_digest: str


def _find(backend: Backend, key_id: str) -> Key:
    parsed = parse_kms_arn(key_id)
    if parsed is not None and parsed.resource.startswith("key/"):
        key = backend.key(parsed.account_id, parsed.region, parsed.resource[4:])
        if key is not None:
            return key
    for store in backend.region_stores():
        if key_id in store.keys:
            return store.keys[key_id]
    raise UsageError(
        f"no key {key_id!r} exists in this mock (it may never have been created, or its "
        "scheduled deletion has happened); pass a key id or key ARN returned by CreateKey."
    )


def key_materials(backend: Backend, key_id: str) -> list[KeyMaterialInfo]:
    """Every material version of ``key_id`` (id or ARN), oldest first."""
    with backend.transaction():
        key = _find(backend, key_id)
        if not is_symmetric_encryption(key.key_spec):
            return []  # an asymmetric or HMAC key's one material is its key, not a version
        return [
            KeyMaterialInfo(
                key_material_id=material.material_id,
                date=material.rotated_at or material.created_at,
                rotation_type=material.rotation_type,
                state=material.state,
                origin=material.origin,
                **_import_of(key, material),
            )
            for material in key.materials.by_id.values()
        ]


def _import_of(key: Key, material: KeyMaterial) -> dict[str, Any]:
    """What ``key``'s import of ``material`` says (nothing for material KMS made)."""
    if material.origin != EXTERNAL:
        return {}
    shown: dict[str, Any] = {"import_state": key.import_state(material.material_id)}
    held = key.imports.get(material.material_id)
    if held is not None:
        shown.update(
            expiration_model=held.expiration_model,
            valid_to=held.valid_to,
            description=held.description,
        )
    return shown


def inspect_ciphertext(blob: bytes) -> CiphertextInfo:
    """The key ARN, material id, algorithm and context digest of a kms_mock ciphertext."""
    try:
        envelope = _ciphertext.parse(blob)
    except _ciphertext.MalformedCiphertext:
        raise UsageError(
            "these bytes are not a kms_mock ciphertext: pass the CiphertextBlob returned by "
            "Encrypt, GenerateDataKey or ReEncrypt under kms_mock."
        ) from None
    return CiphertextInfo(
        key_arn=key_arn(envelope.region, envelope.account_id, envelope.key_id),
        key_material_id=envelope.material_id,
        encryption_algorithm=SYMMETRIC_DEFAULT,
        encryption_context_digest=envelope.context_digest,
    )
