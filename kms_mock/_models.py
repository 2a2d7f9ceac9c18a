"""The plain objects the store holds: keys (their material: ``_materials``), aliases.

snake_case inside; AWS CamelCase appears only where operations turn these
into response dicts.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Final, NamedTuple, Protocol

from ._grants import KeyGrants
from ._materials import IMPORTED, MATERIAL_PENDING_IMPORT, Import, MaterialSet
from ._schedule import ScheduledEvent

# Key states: https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
ENABLED: Final = "Enabled"
DISABLED: Final = "Disabled"
PENDING_DELETION: Final = "PendingDeletion"
PENDING_IMPORT: Final = "PendingImport"
UNAVAILABLE: Final = "Unavailable"
# A multi-Region primary scheduled for deletion while it still has replicas.
PENDING_REPLICA_DELETION: Final = "PendingReplicaDeletion"
# The key-state table's "pending deletion" column covers both.
PENDING_DELETION_STATES: Final = frozenset({PENDING_DELETION, PENDING_REPLICA_DELETION})
# Transient states of multi-Region keys: a replica ReplicateKey is making, and both
# keys of an UpdatePrimaryRegion, for the backend's transient key state delay.
CREATING: Final = "Creating"
UPDATING: Final = "Updating"


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
    """A KMS key: its identity, metadata, state, and the material set it holds.

    A multi-Region key's replicas hold their primary's set (``_materials``), and
    every key of a multi-Region key holds the same :class:`RelatedKeys`.
    """

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
    related: RelatedKeys | None = None  # None for single-Region keys
    state: str = ENABLED
    tags: Tags = NO_TAGS
    materials: MaterialSet = field(default_factory=MaterialSet)
    # Imported material (Origin EXTERNAL): this key's import of each version, by
    # material id. Each key of a multi-Region key imports on its own.
    imports: dict[str, Import] = field(default_factory=dict)
    deletion_date: _dt.datetime | None = None
    pending_window_days: int | None = None
    deletion_event: ScheduledEvent | None = None
    # The event that ends the transient state (Creating, Updating) the key is in.
    transition: ScheduledEvent | None = None
    # The last tracked cryptographic use: GetKeyLastUsage reports it.
    last_usage: KeyUsage | None = None
    # Keys in a custom key store (CreateKey's CustomKeyStoreId) and, in an
    # external key store, the id of their external key (XksKeyId).
    custom_key_store: KeyStoreLink | None = None
    xks_key_id: str | None = None
    # Made by the key's first CreateGrant: most keys never have one.
    grants: KeyGrants | None = None

    @property
    def is_aws_managed(self) -> bool:
        """Whether AWS (not the customer) manages this key."""
        return self.key_manager == "AWS"

    @property
    def multi_region(self) -> bool:
        """Whether this is a multi-Region key (a primary or a replica)."""
        return self.related is not None

    @property
    def is_replica(self) -> bool:
        """Whether this is a multi-Region replica key (not its primary)."""
        return self.related is not None and self.related.primary is not self

    @property
    def material_holders(self) -> list[Key]:
        """The keys that hold its material set: itself, or each key of its multi-Region key."""
        related = self.related
        if related is None:
            return [self]
        return [related.primary, *related.replicas.values()]

    def has_imported(self, material_id: str) -> bool:
        """Whether imported material ``material_id`` is imported into this key now."""
        held = self.imports.get(material_id)
        return held is not None and held.present

    def import_state(self, material_id: str) -> str:
        """ImportState (botocore's model) of imported material ``material_id`` in this key:
        PENDING_IMPORT once deleted or expired here, or never imported here."""
        return IMPORTED if self.has_imported(material_id) else MATERIAL_PENDING_IMPORT


@dataclass(eq=False, slots=True)
class RelatedKeys:
    """The keys of one multi-Region key: its primary, and its replicas by Region.

    Every member holds this one object, as it holds the one material set: a new
    replica or a new primary is seen from every Region at once.
    """

    primary: Key
    replicas: dict[str, Key] = field(default_factory=dict)  # in order of replication


@dataclass(eq=False, slots=True)
class Alias:
    """An alias name pointing at a key of the same account and region."""

    name: str
    arn: str
    target_key_id: str
    created_at: _dt.datetime
    last_updated_at: _dt.datetime
