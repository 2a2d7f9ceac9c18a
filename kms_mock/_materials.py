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
asymmetric and HMAC keys a :class:`KeySecret` (a seed now, the key on first use).
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
    """An asymmetric or HMAC key's secret, derived on first use (``_keypairs.LazySecret``).

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
    for material pending rotation: AWS shows neither for them. ``import_state``,
    ``expiration_model``, ``valid_to`` and ``description`` belong to imported
    material (None for material KMS made).
    """

    material_id: str
    secret: bytes | KeySecret
    created_at: _dt.datetime
    rotation_type: str | None
    origin: str = AWS_KMS
    state: str = CURRENT
    rotated_at: _dt.datetime | None = None
    import_state: str | None = None
    expiration_model: str | None = None
    valid_to: _dt.datetime | None = None
    description: str | None = None

    @property
    def aes_key(self) -> bytes:
        """The 256-bit AES key of a symmetric encryption key's material."""
        secret = self.secret
        if not isinstance(secret, bytes):
            raise TypeError(f"material {self.material_id} holds a {secret.key_spec} secret")
        return secret


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
        if current is None or isinstance(current.secret, bytes):
            return None
        return current.secret

    def add_current(self, material: KeyMaterial) -> None:
        """Add ``material`` as CURRENT; the previous current version becomes NON_CURRENT."""
        previous = self.current
        if previous is not None:
            previous.state = NON_CURRENT
        material.state = CURRENT
        self.by_id[material.material_id] = material
        self.current_id = material.material_id
