"""The backend of one mock activation: accounts -> regions -> keys and aliases.

One re-entrant lock guards everything (requests from many threads are safe);
the schedule of time-driven events lives here too, so that catching up with
the clock and serving a request never interleave.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, Protocol

from ._arns import parse_kms_arn
from ._audit import AuditedCall, AuditLog
from ._callers import IdentityPolicies, Principals
from ._clock import Clock
from ._entropy import Entropy
from ._grants import Grant, KeyGrants, RetirableGrants
from ._key_stores import DEFAULT_CONNECTION_DELAY, CustomKeyStore
from ._models import Alias, Key
from ._schedule import Schedule
from ._settings import DEFAULT_AUDIT_LOG_LIMIT

DEFAULT_ON_DEMAND_ROTATION_LIMIT = 25
# AWS's "few seconds" of Creating and Updating take no mock time unless a test asks.
DEFAULT_TRANSIENT_KEY_STATE_DELAY = _dt.timedelta(0)


class Gate(Protocol):
    """What screens calls before they run (fault rules, request quotas): ``_faults.Faults``."""

    def screens(self, operation: str) -> bool:
        """Whether calls of ``operation`` may be failed or delayed (so must be retryable)."""
        ...

    def screen(self, request: AuditedCall, params: Any) -> None:
        """Let the call go on, delay it, or raise (a KMS error or a transport failure)."""
        ...


class StateSink(Protocol):
    """Where a persistent backend writes its changes: ``_state_file.StateFile``."""

    def commit(self, backend: Backend) -> None:
        """Write ``backend.changes`` in one transaction, then forget them."""
        ...


class Changes:
    """What changed since a state file last wrote: the units it writes again.

    Keys (by account, Region and id: the file writes a multi-Region key whole),
    aliases, and Region stores (their custom key stores and counters). A change
    that the answer to a call depends on is ``due``: written before the answer.
    Others (what reads touch: a key's last use) wait for the next write.
    """

    __slots__ = ("aliases", "arns", "events", "keys", "regions", "urgent")

    def __init__(self) -> None:
        self.keys: set[tuple[str, str, str]] = set()
        self.arns: set[str] = set()  # of keys calls acted on
        self.aliases: set[tuple[str, str, str]] = set()
        self.regions: set[tuple[str, str]] = set()
        # The subjects of the scheduled events applied (the schedule appends them).
        self.events: list[object] = []
        self.urgent = False

    @property
    def due(self) -> bool:
        """Whether something must be written before the answer."""
        return self.urgent or bool(self.events)

    def note_call(
        self, resources: Iterable[str], store: RegionStore | None, *, writes: bool
    ) -> None:
        """A call succeeded: it touched the keys ``resources`` names, and ``store``.

        ``writes``: the operation changes state (its changes are due now).
        """
        self.arns.update(resources)  # read when written: a read costs a set update
        if store is not None:
            self.regions.add((store.account_id, store.region))
        self.urgent = self.urgent or writes

    def touched_keys(self) -> set[tuple[str, str, str]]:
        """(account, Region, key id) of every key noted, by the store or by a call."""
        keys = set(self.keys)
        for arn in self.arns:
            parsed = parse_kms_arn(arn)  # a key's ARN: its resource is key/<key id>
            if parsed is not None:
                keys.add((parsed.account_id, parsed.region, parsed.resource[4:]))
        return keys

    def clear(self) -> None:
        """Everything was written."""
        self.keys.clear()
        self.arns.clear()
        self.aliases.clear()
        self.regions.clear()
        self.events.clear()
        self.urgent = False


class RegionStore:
    """What one account holds in one region.

    ``keys`` (in creation order), ``aliases`` and ``key_stores`` (custom key stores,
    in creation order) are for reading; every change (to a key's grants too)
    goes through the methods, which keep the index of aliases by key, the
    Region's index of grants by retiring principal (``retirable``, which the
    Region's stores share) and the ordered views that List operations page through.
    """

    __slots__ = (
        "_aliases_by_key",
        "_aliases_by_name",
        "_changes",
        "_keys_by_creation",
        "_next_sequence",
        "account_id",
        "aliases",
        "key_stores",
        "keys",
        "region",
        "retirable",
    )

    def __init__(
        self,
        account_id: str,
        region: str,
        changes: Changes | None = None,
        retirable: RetirableGrants | None = None,
    ) -> None:
        self.account_id = account_id
        self.region = region
        # ListRetirableGrants lists every account's grants in the Region: the backend
        # gives each store of a Region the same index (a store made alone, its own).
        self.retirable = RetirableGrants() if retirable is None else retirable
        # A persistent backend's journal: every change below is noted in it, due.
        self._changes = changes
        self.keys: dict[str, Key] = {}
        self.aliases: dict[str, Alias] = {}
        self.key_stores: dict[str, CustomKeyStore] = {}
        # Key id -> its aliases by name: the per-key quota and ListAliases with a
        # KeyId cost what that key has, not what the region has.
        self._aliases_by_key: dict[str, dict[str, Alias]] = {}
        # Ordered views for paging, None when a change broke their order: built
        # again on the next listing, so that a page costs O(log n + page size).
        self._keys_by_creation: list[Key] | None = []
        self._aliases_by_name: list[Alias] | None = []
        self._next_sequence = 1

    def add_key(self, key: Key) -> None:
        """Store ``key``, the newest of the region (its ``sequence`` says so)."""
        key.sequence = self._next_sequence
        self._next_sequence += 1
        self.keys[key.key_id] = key
        if self._keys_by_creation is not None:
            self._keys_by_creation.append(key)
        self._key_changed(key.key_id)

    def remove_key(self, key_id: str) -> None:
        """Delete the key, its grants and every alias that points at it."""
        for name in list(self._aliases_by_key.get(key_id, ())):
            self.remove_alias(name)
        key = self.keys.pop(key_id)
        if key.grants is not None:
            self.retirable.remove_key(key.arn, key.grants)
        self._keys_by_creation = None
        self._key_changed(key_id)

    def add_grant(self, key: Key, grant: Grant) -> None:
        """Give ``key`` (stored here) ``grant``, its newest."""
        if key.grants is None:
            key.grants = KeyGrants()
        key.grants.add(grant)
        self.retirable.add(grant)

    def remove_grant(self, key: Key, grant: Grant) -> None:
        """Take ``grant`` (retired or revoked) from ``key``, which holds it."""
        assert key.grants is not None
        key.grants.remove(grant)
        self.retirable.remove(grant)

    def add_key_store(self, key_store: CustomKeyStore) -> None:
        """Store a new custom key store, the newest of the region."""
        key_store.sequence = self._next_sequence
        self._next_sequence += 1
        self.key_stores[key_store.store_id] = key_store
        self._region_changed()

    def remove_key_store(self, store_id: str) -> None:
        """Delete the custom key store ``store_id`` (it holds no keys)."""
        del self.key_stores[store_id]
        self._region_changed()

    def add_alias(self, alias: Alias) -> None:
        """Store a new alias (its name is not taken)."""
        self._alias_changed(alias.name)
        self.aliases[alias.name] = alias
        self._aliases_by_key.setdefault(alias.target_key_id, {})[alias.name] = alias
        ordered = self._aliases_by_name
        if ordered is not None:
            if not ordered or ordered[-1].name < alias.name:
                ordered.append(alias)  # names made in order (as a loop makes them) stay sorted
            else:
                self._aliases_by_name = None

    def remove_alias(self, name: str) -> None:
        """Delete the alias ``name`` (it exists)."""
        alias = self.aliases.pop(name)
        self._unindex(alias)
        self._aliases_by_name = None
        self._alias_changed(name)

    def retarget_alias(self, alias: Alias, key_id: str) -> None:
        """Point ``alias`` at the key ``key_id``."""
        self._alias_changed(alias.name)
        self._unindex(alias)
        alias.target_key_id = key_id
        self._aliases_by_key.setdefault(key_id, {})[alias.name] = alias

    def restore(
        self,
        keys: Iterable[Key],
        aliases: Iterable[Alias],
        key_stores: Iterable[CustomKeyStore],
        next_sequence: int,
    ) -> None:
        """Hold what a state file saved, each with the ``sequence`` it was saved with."""
        restored = sorted(keys, key=attrgetter("sequence"))
        for key in restored:
            self.keys[key.key_id] = key
        self.retirable.add_all(
            grant
            for key in restored
            if key.grants is not None
            for grant in key.grants.by_id.values()
        )
        for key_store in sorted(key_stores, key=attrgetter("sequence")):
            self.key_stores[key_store.store_id] = key_store
        for alias in aliases:
            self.aliases[alias.name] = alias
            self._aliases_by_key.setdefault(alias.target_key_id, {})[alias.name] = alias
        self._keys_by_creation = self._aliases_by_name = None
        self._next_sequence = next_sequence

    @property
    def next_sequence(self) -> int:
        """The ``sequence`` the next key or custom key store gets."""
        return self._next_sequence

    def _key_changed(self, key_id: str) -> None:
        if self._changes is not None:
            self._changes.keys.add((self.account_id, self.region, key_id))
            self._region_changed()

    def _alias_changed(self, name: str) -> None:
        if self._changes is not None:
            self._changes.aliases.add((self.account_id, self.region, name))
            self._changes.urgent = True

    def _region_changed(self) -> None:
        if self._changes is not None:
            self._changes.regions.add((self.account_id, self.region))
            self._changes.urgent = True

    def _unindex(self, alias: Alias) -> None:
        of_key = self._aliases_by_key[alias.target_key_id]
        del of_key[alias.name]
        if not of_key:
            del self._aliases_by_key[alias.target_key_id]

    def aliases_of(self, key_id: str) -> list[Alias]:
        """Every alias that points at ``key_id``, oldest first."""
        return list(self._aliases_by_key.get(key_id, {}).values())

    def keys_by_creation(self) -> list[Key]:
        """Every key, oldest first (ascending ``sequence``); do not modify."""
        if self._keys_by_creation is None:
            self._keys_by_creation = list(self.keys.values())
        return self._keys_by_creation

    def aliases_by_name(self) -> list[Alias]:
        """Every alias, sorted by name; do not modify."""
        if self._aliases_by_name is None:
            self._aliases_by_name = sorted(self.aliases.values(), key=attrgetter("name"))
        return self._aliases_by_name


class Backend:
    """All state of one activation of the mock, plus its clock and schedule."""

    def __init__(
        self,
        *,
        clock: Clock,
        default_region: str,
        account_id: str,
        seed: int | None,
        on_demand_rotation_limit: int = DEFAULT_ON_DEMAND_ROTATION_LIMIT,
        audit_log_limit: int | None = DEFAULT_AUDIT_LOG_LIMIT,
        key_store_connection_delay: _dt.timedelta = DEFAULT_CONNECTION_DELAY,
        principals: Principals | None = None,
        identity_policies: IdentityPolicies | None = None,
        enforce_permissions: bool = True,
        transient_key_state_delay: _dt.timedelta = DEFAULT_TRANSIENT_KEY_STATE_DELAY,
    ) -> None:
        self.clock = clock
        self.default_region = default_region
        self.account_id = account_id
        self.seed = seed
        self.entropy = Entropy(seed)
        # Salt of KeyMaterialIds: ids reveal nothing about the material.
        self.material_id_salt = self.entropy.token_bytes(32)
        self.schedule = Schedule()
        self.audit = AuditLog(self.entropy, audit_log_limit)
        # AWS allows 25 on-demand rotations per key (10 until 2025): a setting.
        self.on_demand_rotation_limit = on_demand_rotation_limit
        # How long a custom key store stays CONNECTING or DISCONNECTING: a setting.
        self.key_store_connection_delay = key_store_connection_delay
        # The principals a test registered, by access key id (the handle's registry).
        self.principals = Principals() if principals is None else principals
        # The identity policies a test attached, by principal ARN (the handle's registry).
        self.identity_policies = (
            IdentityPolicies() if identity_policies is None else identity_policies
        )
        # Whether key policies, identity policies and grants decide each call: a setting.
        self.enforce_permissions = enforce_permissions
        # How long a multi-Region key stays Creating or Updating: a setting.
        self.transient_key_state_delay = transient_key_state_delay
        # Set while fault rules or request quotas are in force (see _faults.Faults).
        self.gate: Gate | None = None
        # Set while a state file keeps this backend (``persist_to``): what changed, and where
        # it goes.
        self.changes: Changes | None = None
        self.state_file: StateSink | None = None
        self.lock = threading.RLock()
        self._regions: dict[tuple[str, str], RegionStore] = {}
        # Each Region's index of grants by retiring principal, shared by its stores.
        self._retirable: dict[str, RetirableGrants] = {}
        # Set when the activation ends: the state is final from then on.
        self._closed_at: _dt.datetime | None = None

    def region_store(self, account_id: str, region: str) -> RegionStore:
        """The store of ``account_id`` in ``region``; a new empty one, not kept, if none is.

        A lookup never leaves a trace: only :meth:`keep` makes a store part of the backend.
        """
        store = self._regions.get((account_id, region))
        if store is None:
            return RegionStore(account_id, region, self.changes, self.retirable_grants(region))
        return store

    def retirable_grants(self, region: str) -> RetirableGrants:
        """The index of ``region``'s grants by retiring principal, which its stores keep."""
        return self._retirable.setdefault(region, RetirableGrants())

    def keep(self, store: RegionStore) -> None:
        """Make ``store`` part of the backend, if anything was written to it."""
        if store.keys or store.aliases or store.key_stores:
            self._regions.setdefault((store.account_id, store.region), store)

    def restore(self, stores: Iterable[RegionStore]) -> None:
        """Hold the Region stores a state file was loaded into (this backend is empty)."""
        for store in stores:
            self._regions[(store.account_id, store.region)] = store

    def persist_to(self, state: StateSink) -> Changes:
        """From now on, note every change and let ``state`` write them (see :meth:`commit`)."""
        self.changes = Changes()
        self.schedule.applied = self.changes.events
        self.audit.journal = []
        for store in self._regions.values():
            store._changes = self.changes
        self.state_file = state
        return self.changes

    def commit(self, *, everything: bool = False) -> None:
        """Write the changes that are due (``everything``: all noted) to the state file, if any.

        Called, holding the lock, before a call is answered and after the clock moved.
        """
        changes = self.changes
        if self.state_file is not None and changes is not None and (everything or changes.due):
            self.state_file.commit(self)

    def key(self, account_id: str, region: str, key_id: str) -> Key | None:
        """The key, if it exists (a lookup never creates an account/region store)."""
        store = self._regions.get((account_id, region))
        return None if store is None else store.keys.get(key_id)

    def region_stores(self) -> list[RegionStore]:
        """Every account/region store that has been written to."""
        return list(self._regions.values())

    def catch_up(self, now: _dt.datetime | None = None) -> _dt.datetime:
        """Apply every scheduled event due by ``now`` (default: the clock); return now."""
        with self.lock:
            if self._closed_at is not None:
                return self._closed_at
            if now is None:
                now = self.clock.now()
            self.schedule.run_until(now)
            return now

    def close(self) -> None:
        """The activation ended: apply what fell due by now, then stay as it is.

        The handle can still be read (audit log, key materials) until the mock
        starts again, and nothing moves the state any more, whatever the clock does.
        """
        with self.lock:
            self._closed_at = self.catch_up()
            self.commit(everything=True)
            # Nothing changes from now on: no more notes, and no state file to write to.
            self.state_file = self.changes = self.schedule.applied = self.audit.journal = None

    def on_time_moved(self, now: _dt.datetime) -> None:
        """Clock listener: the clock was moved to ``now``; apply what fell due."""
        with self.lock:
            self.catch_up(now)
            if self.changes is not None:
                self.changes.urgent = True  # the clock's new position is state too
            self.commit()

    @contextmanager
    def transaction(self) -> Iterator[_dt.datetime]:
        """Hold the lock with the store caught up to the clock; yields now.

        What fell due, or what the block changed and noted as due, is written at its end.
        """
        with self.lock:
            yield self.catch_up()
            self.commit()


__all__ = ["Backend", "RegionStore"]
