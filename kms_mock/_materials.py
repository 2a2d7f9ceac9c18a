"""Key material: its versions, and the set of them a key owns (replicas share it).

Every KMS key with material holds a :class:`MaterialSet`: its material
versions by id (Decrypt finds the one a ciphertext names in O(1)), the current
one, and the automatic rotation settings and schedule. AWS keeps exactly these
in sync across the keys of a multi-Region key ("they have the same key
material ... and automatic key rotation status", ReplicateKey in botocore's
model), so replicas hold the primary's set by reference: a version added once
is there for every key that holds the set. Key spec, key usage and origin are
shared too, but never change after CreateKey, so each key keeps its own copy.

A version's secret is AES-256 bytes for symmetric encryption keys, and for
asymmetric and HMAC keys a :class:`KeySecret` (a seed now, the key on first use;
imported ones are ready at once). Imported material is imported into each key of
a multi-Region key on its own: each key keeps an :class:`Import` per version (its
import state, expiration and expiry event), while the version stays shared. A
version no key holds imported keeps its place, without a secret, until the same
material is imported again.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from ._schedule import ScheduledEvent

# Where material comes from: Origin in botocore's model (KeyMetadata, CreateKeyRequest).
AWS_KMS: Final = "AWS_KMS"
EXTERNAL: Final = "EXTERNAL"
AWS_CLOUDHSM: Final = "AWS_CLOUDHSM"
EXTERNAL_KEY_STORE: Final = "EXTERNAL_KEY_STORE"

# KeyMaterialState in botocore's model (ListKeyRotations' entries).
CURRENT: Final = "CURRENT"
NON_CURRENT: Final = "NON_CURRENT"
PENDING_ROTATION: Final = "PENDING_ROTATION"
PENDING_MULTI_REGION_IMPORT_AND_ROTATION: Final = "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"

# ImportState in botocore's model: None for material KMS made. (Not the key state
# PendingImport, which a key is in while it lacks material.)
IMPORTED: Final = "IMPORTED"
MATERIAL_PENDING_IMPORT: Final = "PENDING_IMPORT"

# ExpirationModelType in botocore's model: None for material KMS made.
KEY_MATERIAL_EXPIRES: Final = "KEY_MATERIAL_EXPIRES"
KEY_MATERIAL_DOES_NOT_EXPIRE: Final = "KEY_MATERIAL_DOES_NOT_EXPIRE"

# RotationType in botocore's model: how a version that is not the first came.
AUTOMATIC: Final = "AUTOMATIC"
ON_DEMAND: Final = "ON_DEMAND"


class KeySecret(Protocol):
    """An asymmetric or HMAC key's secret: ``_keypairs.LazySecret``, or ``ReadySecret`` (imported).

    A protocol, so that the models import nothing of the key-material modules;
    values are a key pair or HMAC bytes, which callers tell apart with isinstance.
    """

    @property
    def key_spec(self) -> str:
        """The key spec the secret is made for."""

    @property
    def reproducible(self) -> bool:
        """Whether it comes from a seeded mock (so that signatures may repeat too)."""

    def peek(self) -> Any:
        """The secret if it has been derived, else None (never derives)."""

    def derive(self) -> Any:
        """The secret, derived now if no one has yet."""


@dataclass(eq=False, slots=True)
class KeyMaterial:
    """One version of a key's material (what a RotationsListEntry of ListKeyRotations shows).

    ``rotated_at`` and ``rotation_type`` are None for the first material and
    for material pending rotation: AWS shows neither for them. ``secret`` is None
    while imported material is imported into no key that holds the version.
    """

    material_id: str
    secret: bytes | KeySecret | None
    created_at: _dt.datetime
    rotation_type: str | None
    origin: str = AWS_KMS
    state: str = CURRENT
    rotated_at: _dt.datetime | None = None

    @property
    def aes_key(self) -> bytes:
        """The 256-bit AES key of a symmetric encryption key's material."""
        secret = self.secret
        if not isinstance(secret, bytes):
            held = "no secret" if secret is None else f"a {secret.key_spec} secret"
            raise TypeError(f"material {self.material_id} holds {held}")
        return secret

    @property
    def is_pending(self) -> bool:
        """Imported for a rotation that has not happened: not associated with the key for good."""
        return self.state in (PENDING_ROTATION, PENDING_MULTI_REGION_IMPORT_AND_ROTATION)

    def reimport(self, again: KeyMaterial) -> None:
        """This material, imported again as ``again`` (the same bytes: the same id)."""
        if self.secret is None:
            self.secret = again.secret

    def forget_secret(self) -> None:
        """No key holds this imported version any more: the version stays, its secret goes."""
        self.secret = None


@dataclass(eq=False, slots=True)
class Import:
    """One key's import of one version of imported material (``Key.imports``).

    The keys of a multi-Region key import the same material each on its own, so
    what ListKeyRotations shows of an import (ImportState, ExpirationModel, ValidTo,
    KeyMaterialDescription) and the clock's deletion of it at ``valid_to``
    (``expiry_event``) are each key's. ``present`` is False once deleted or expired.
    """

    expiration_model: str
    valid_to: _dt.datetime | None
    description: str | None
    present: bool = True
    expiry_event: ScheduledEvent | None = None


@dataclass(eq=False, slots=True)
class MaterialSet:
    """A key's material versions and automatic rotation: what replicas share by reference.

    ``by_id`` holds the versions oldest first (ListKeyRotations' order). The
    rotation anchor is the last automatic rotation (or the enable date): "On-demand
    rotations do not change existing automatic rotation schedules" (RotateKeyOnDemand
    in botocore's model). ``rotation_event`` is the set's one scheduled rotation,
    so a rotation costs the same however many keys hold the set.
    """

    by_id: dict[str, KeyMaterial] = field(default_factory=dict)
    current_id: str | None = None
    rotation_enabled: bool = False
    rotation_period_days: int | None = None
    rotation_anchor: _dt.datetime | None = None
    next_rotation_at: _dt.datetime | None = None
    rotation_event: ScheduledEvent | None = None
    on_demand_rotations: int = 0

    @property
    def current(self) -> KeyMaterial | None:
        """The version Encrypt uses now (None while the key has no material)."""
        if self.current_id is None:
            return None
        return self.by_id[self.current_id]

    @property
    def key_secret(self) -> KeySecret | None:
        """An asymmetric or HMAC key's secret (its current version's); None for AES material."""
        current = self.current
        if current is None or current.secret is None or isinstance(current.secret, bytes):
            return None
        return current.secret

    @property
    def pending(self) -> KeyMaterial | None:
        """The imported version waiting for RotateKeyOnDemand, if any.

        Always the newest: nothing is added while one waits (ImportKeyMaterial refuses
        a second), and the rotation makes it CURRENT.
        """
        newest = next(reversed(self.by_id.values()), None)
        return newest if newest is not None and newest.is_pending else None

    def add_current(self, material: KeyMaterial) -> None:
        """Add ``material`` as CURRENT; the previous current version becomes NON_CURRENT."""
        previous = self.current
        if previous is not None:
            previous.state = NON_CURRENT
        material.state = CURRENT
        self.by_id[material.material_id] = material
        self.current_id = material.material_id

    def add_pending(self, material: KeyMaterial) -> None:
        """Add imported ``material`` as pending: RotateKeyOnDemand makes it current."""
        material.state = PENDING_ROTATION
        self.by_id[material.material_id] = material

    def mark_pending(self, *, imported_everywhere: bool) -> None:
        """The pending version is PENDING_ROTATION once every key of a multi-Region key has
        imported it, PENDING_MULTI_REGION_IMPORT_AND_ROTATION until then (RotationsListEntry's
        KeyMaterialState in botocore's model)."""
        material = self.pending
        if material is not None:
            material.state = (
                PENDING_ROTATION
                if imported_everywhere
                else PENDING_MULTI_REGION_IMPORT_AND_ROTATION
            )

    def promote_pending(self, rotation_type: str, when: _dt.datetime) -> None:
        """The pending version becomes CURRENT, rotated at ``when``; the current one NON_CURRENT."""
        material = self.pending
        if material is None or material.state != PENDING_ROTATION:
            raise ValueError("no key material is pending rotation")
        material.rotation_type, material.rotated_at = rotation_type, when
        self.add_current(material)

    def discard(self, material_id: str) -> None:
        """Drop a pending version: not associated for good, so nothing remembers it."""
        material = self.by_id[material_id]
        if not material.is_pending:
            raise ValueError(f"material {material_id} is {material.state}, not pending")
        del self.by_id[material_id]
