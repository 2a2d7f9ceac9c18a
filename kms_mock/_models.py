"""The plain objects the store holds: keys, their versioned material, aliases.

snake_case inside; AWS CamelCase appears only where operations turn these
into response dicts.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, Protocol

from ._schedule import ScheduledEvent

# Key states: https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
ENABLED: Final = "Enabled"
DISABLED: Final = "Disabled"
PENDING_DELETION: Final = "PendingDeletion"
PENDING_IMPORT: Final = "PendingImport"
UNAVAILABLE: Final = "Unavailable"

# Rotation types of key material (ListKeyRotations' RotationType).
AUTOMATIC: Final = "AUTOMATIC"
ON_DEMAND: Final = "ON_DEMAND"

CURRENT: Final = "CURRENT"
NON_CURRENT: Final = "NON_CURRENT"


@dataclass(eq=False, slots=True)
class KeyMaterial:
    """One version of a symmetric key's secret bits.

    ``rotated_at`` and ``rotation_type`` (AUTOMATIC or ON_DEMAND) are None for
    the first material: AWS shows neither for it.
    """

    material_id: str
    secret: bytes
    created_at: _dt.datetime
    rotation_type: str | None
    state: str = CURRENT
    rotated_at: _dt.datetime | None = None


class Tag(NamedTuple):
    """One tag's value, and the serial number its tag key was first added under."""

    serial: int
    value: str


@dataclass(frozen=True, slots=True)
class Tags:
    """A key's tags in the order they were added; replaced whole on every change.

    Each tag keeps the serial it was added under (a new value keeps it), so
    ListResourceTags can resume after the last serial it returned: removing a
    tag between pages skips nothing.
    """

    by_key: dict[str, Tag]
    next_serial: int = 0


# Shared by every key without tags (most keys): no dict of their own.
NO_TAGS: Final = Tags({})


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


class KeyStoreLink(Protocol):
    """The custom key store a key lives in (``_key_stores.CustomKeyStore``), as keys see it.

    A protocol, so that the models import nothing of the key stores module.
    """

    @property
    def store_id(self) -> str:
        """Its CustomKeyStoreId."""

    @property
    def cloud_hsm_cluster_id(self) -> str | None:
        """The CloudHSM cluster of a CloudHSM key store (None for an external one)."""

    @property
    def connected(self) -> bool:
        """Whether its keys can be used now."""


@dataclass(slots=True)
class KeyUsage:
    """One cryptographic use of a key: which operation, when, and its ids."""

    operation: str
    timestamp: _dt.datetime
    request_id: str
    event_id: str


@dataclass(eq=False, slots=True)
class Key:
    """A KMS key: its identity, metadata, state, (symmetric) materials or (other) secret."""

    key_id: str
    arn: str
    account_id: str
    region: str
    created_at: _dt.datetime
    key_spec: str
    key_usage: str
    origin: str
    policy: str
    description: str = ""
    sequence: int = 0  # creation order in its store (set when stored): ListKeys pages by it
    key_manager: str = "CUSTOMER"
    multi_region: bool = False
    state: str = ENABLED
    tags: Tags = NO_TAGS
    # Versioned material, by id, oldest first: O(1) lookup for Decrypt.
    materials: dict[str, KeyMaterial] = field(default_factory=dict)
    current_material_id: str | None = None
    # Asymmetric and HMAC keys: a per-key seed now, the private key on first use.
    secret: KeySecret | None = None
    deletion_date: _dt.datetime | None = None
    pending_window_days: int | None = None
    deletion_event: ScheduledEvent | None = None
    # The last tracked cryptographic use: GetKeyLastUsage reports it.
    last_usage: KeyUsage | None = None
    # Automatic rotation: the anchor is the last automatic rotation (or the
    # enable date): "On-demand rotations do not change existing automatic rotation
    # schedules" (RotateKeyOnDemand in botocore's model).
    rotation_enabled: bool = False
    rotation_period_days: int | None = None
    rotation_anchor: _dt.datetime | None = None
    next_rotation_at: _dt.datetime | None = None
    rotation_event: ScheduledEvent | None = None
    on_demand_rotations: int = 0
    # Keys in a custom key store (CreateKey's CustomKeyStoreId) and, in an
    # external key store, the id of their external key (XksKeyId).
    custom_key_store: KeyStoreLink | None = None
    xks_key_id: str | None = None

    @property
    def is_aws_managed(self) -> bool:
        """Whether AWS (not the customer) manages this key."""
        return self.key_manager == "AWS"

    @property
    def current_material(self) -> KeyMaterial | None:
        """The material Encrypt uses now, if the key has versioned material."""
        if self.current_material_id is None:
            return None
        return self.materials[self.current_material_id]

    def add_material(self, material: KeyMaterial) -> None:
        """Make ``material`` CURRENT; the previous current one becomes NON_CURRENT."""
        previous = self.current_material
        if previous is not None:
            previous.state = NON_CURRENT
        material.state = CURRENT
        self.materials[material.material_id] = material
        self.current_material_id = material.material_id


@dataclass(eq=False, slots=True)
class Alias:
    """An alias name pointing at a key of the same account and region."""

    name: str
    arn: str
    target_key_id: str
    created_at: _dt.datetime
    last_updated_at: _dt.datetime
