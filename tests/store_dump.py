"""A canonical dump of a Backend's state as bytes: equal dumps, equal stores.

Every account/region store the backend keeps, every field of every key (its
materials, a lazy secret by its seed rather than by what was derived from it,
tags in their order), every alias, and the schedule's live events with their
due dates. Tests compare a dump taken before a call with one taken after.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any

from kms_mock._keypairs import LazySecret
from kms_mock._schedule import ScheduledEvent
from kms_mock._store import Backend


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, LazySecret):
        # What the key holds, not when its secret happened to be derived.
        return {"key_spec": value.key_spec, "seed": value.seed.hex()}
    if isinstance(value, ScheduledEvent):
        return {"due": value.due.isoformat(), "cancelled": value.cancelled}
    if isinstance(value, dict):
        # Insertion order is kept: listings show it.
        return [[_canonical(k), _canonical(v)] for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _owners(backend: Backend) -> dict[int, str]:
    """Which key holds each scheduled event, and as what."""
    owners: dict[int, str] = {}
    for store in backend.regions():
        for key in store.keys.values():
            if key.rotation_event is not None:
                owners[id(key.rotation_event)] = f"rotation of {key.arn}"
            if key.deletion_event is not None:
                owners[id(key.deletion_event)] = f"deletion of {key.arn}"
    return owners


def dump(backend: Backend) -> bytes:
    """The backend's state (stores, keys, aliases, live scheduled events) as bytes."""
    owners = _owners(backend)
    lines = []
    for store in backend.regions():
        lines.append(f"store {store.account_id} {store.region}")
        for key in store.keys.values():
            lines.append(f"  key {_canonical(key)}")
        for alias in store.aliases.values():
            lines.append(f"  alias {_canonical(alias)}")
        for key_id in store.keys:  # the per-key index agrees with the aliases
            lines.append(f"  aliases of {key_id} {[a.name for a in store.aliases_of(key_id)]}")
    for event in backend.schedule.pending():
        lines.append(f"event {event.due.isoformat()} {owners.get(id(event), 'owned by no key')}")
    return "\n".join(lines).encode()
