"""The backend of one mock activation: accounts -> regions -> keys and aliases.

One re-entrant lock guards everything (requests from many threads are safe);
the schedule of time-driven events lives here too, so that catching up with
the clock and serving a request never interleave.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ._arns import arn, partition_for
from ._audit import AuditLog
from ._clock import Clock
from ._entropy import Entropy
from ._models import Alias, Key
from ._schedule import Schedule
from ._settings import DEFAULT_AUDIT_LOG_LIMIT

DEFAULT_ON_DEMAND_ROTATION_LIMIT = 25


@dataclass(slots=True)
class RegionStore:
    """What one account holds in one region; dicts keep creation order."""

    account_id: str
    region: str
    keys: dict[str, Key] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)

    def aliases_of(self, key_id: str) -> list[Alias]:
        """Every alias that points at ``key_id``."""
        return [alias for alias in self.aliases.values() if alias.target_key_id == key_id]


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
    ) -> None:
        self.clock = clock
        self.default_region = default_region
        self.account_id = account_id
        self.entropy = Entropy(seed)
        # Salt of KeyMaterialIds: ids reveal nothing about the material.
        self.material_id_salt = self.entropy.token_bytes(32)
        self.schedule = Schedule()
        self.audit = AuditLog(self.entropy, audit_log_limit)
        # AWS allows 25 on-demand rotations per key (10 until 2025): a setting.
        self.on_demand_rotation_limit = on_demand_rotation_limit
        self.lock = threading.RLock()
        self._regions: dict[tuple[str, str], RegionStore] = {}
        self._key_sequence = itertools.count(1)
        # Set when the activation ends: the state is final from then on.
        self._closed_at: _dt.datetime | None = None

    def region(self, account_id: str, region: str) -> RegionStore:
        """The store of ``account_id`` in ``region`` (made empty on first use)."""
        store = self._regions.get((account_id, region))
        if store is None:
            store = self._regions[(account_id, region)] = RegionStore(account_id, region)
        return store

    def next_key_sequence(self) -> int:
        """The creation number of the next key (ListKeys pages in this order)."""
        return next(self._key_sequence)

    def key(self, account_id: str, region: str, key_id: str) -> Key | None:
        """The key, if it exists (a lookup never creates an account/region store)."""
        store = self._regions.get((account_id, region))
        return None if store is None else store.keys.get(key_id)

    def regions(self) -> list[RegionStore]:
        """Every account/region store that has been touched."""
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

    def on_time_moved(self, now: _dt.datetime) -> None:
        """Clock listener: the clock was moved to ``now``; apply what fell due."""
        self.catch_up(now)

    @contextmanager
    def transaction(self) -> Iterator[_dt.datetime]:
        """Hold the lock with the store caught up to the clock; yields now."""
        with self.lock:
            yield self.catch_up()


__all__ = ["Backend", "RegionStore", "arn", "partition_for"]
