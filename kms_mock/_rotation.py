"""Rotation mechanics: new material on schedule, on demand, and on re-enable.

The one rule that keeps the schedule right is :func:`refresh`: whenever a
key's state or rotation settings change, it makes the schedule agree with
them — an event at ``next_rotation_at`` while the key is Enabled with
rotation on, no event otherwise (idle and disabled keys cost nothing), and
an immediate rotation when the key is found overdue (re-enabled after its
date, or a period shortened into the past). AWS's guide leaves those overdue
cases open ("Rotate AWS KMS keys",
https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html), and a
next date past the end of ``datetime`` too: kms_mock takes it for no date at
all, so rotation stays enabled and never happens.
"""

from __future__ import annotations

import datetime as _dt

from ._keyfactory import new_material
from ._materials import AUTOMATIC, ON_DEMAND, MaterialSet
from ._models import ENABLED, UPDATING, Key
from ._schedule import EventAction, date_after
from ._store import Backend

DEFAULT_PERIOD_DAYS = 365
AWS_MANAGED_PERIOD_DAYS = 365
# An Updating key is an Enabled one changing its primary Region: it keeps rotating
# ("The original key state is restored when the update is complete", UpdatePrimaryRegion).
_ROTATING_STATES = frozenset({ENABLED, UPDATING})


def rotate(backend: Backend, key: Key, rotation_type: str, when: _dt.datetime) -> None:
    """Give ``key``'s material set new CURRENT material dated ``when``; log a RotateKey event."""
    materials = key.materials
    previous = materials.current_id
    materials.add_current(new_material(backend, key, rotation_type, when))
    _log_rotation(backend, key, rotation_type, previous, when)


def rotate_to_pending(backend: Backend, key: Key, when: _dt.datetime) -> None:
    """RotateKeyOnDemand of imported material: the version pending rotation becomes CURRENT."""
    materials = key.materials
    previous = materials.current_id
    materials.promote_pending(ON_DEMAND, when)
    _log_rotation(backend, key, ON_DEMAND, previous, when)


def _log_rotation(
    backend: Backend, key: Key, rotation_type: str, previous: str | None, when: _dt.datetime
) -> None:
    backend.audit.service_event(
        "RotateKey",
        when,
        region=key.region,
        account_id=key.account_id,
        key_arn=key.arn,
        details={
            "keyId": key.key_id,
            "rotationType": rotation_type,
            "keyOrigin": key.origin,
            "previousKeyMaterialId": previous,
            "currentKeyMaterialId": key.materials.current_id,
        },
    )


def _count_from(materials: MaterialSet, anchor: _dt.datetime) -> None:
    """Next automatic rotation one period after ``anchor`` (None: past year 9999, never)."""
    assert materials.rotation_period_days is not None
    materials.rotation_anchor = anchor
    period = _dt.timedelta(days=materials.rotation_period_days)
    materials.next_rotation_at = date_after(anchor, period)


def _rotate_automatically(backend: Backend, key: Key, when: _dt.datetime) -> None:
    rotate(backend, key, AUTOMATIC, when)
    _count_from(key.materials, when)


def _on_due(backend: Backend, key: Key) -> EventAction:
    def due(when: _dt.datetime) -> None:
        key.materials.rotation_event = None
        _rotate_automatically(backend, key, when)
        refresh(backend, key, when)

    return due


def ruling_key(key: Key) -> Key:
    """The key whose state and rotation settings rule ``key``'s material set.

    "The primary key ... is the source for properties that are always shared by
    primary and replica keys, including ... automatic key rotation"
    (UpdatePrimaryRegion in botocore's model).
    """
    related = key.related
    return key if related is None else related.primary


def refresh(backend: Backend, key: Key, now: _dt.datetime) -> None:
    """Make the schedule agree with ``key``'s state and rotation settings at ``now``.

    The schedule is its material set's, and the set's rotation follows the state
    of the key that rules it: for a multi-Region key its primary, whichever key
    changed (a replica disabled leaves its primary rotating for all).
    """
    key = ruling_key(key)
    materials = key.materials
    if materials.rotation_event is not None:
        backend.schedule.cancel(materials.rotation_event)
        materials.rotation_event = None
    if not (materials.rotation_enabled and key.state in _ROTATING_STATES):
        return
    if materials.next_rotation_at is None:
        return
    if materials.next_rotation_at <= now:
        # Overdue when it becomes rotatable again: one rotation now, then
        # every period from now — no catch-up for the time it could not rotate.
        _rotate_automatically(backend, key, now)
    _schedule_next(backend, key)


def _schedule_next(backend: Backend, key: Key) -> None:
    materials = key.materials
    if materials.next_rotation_at is not None:  # None: past year 9999, it never comes
        resume(backend, key, materials.next_rotation_at)


def resume(backend: Backend, key: Key, due: _dt.datetime) -> None:
    """Schedule the automatic rotation of ``key`` (the ruling key of its set) at ``due``.

    Also how a state file that is loaded puts a stored rotation back in the schedule.
    """
    key.materials.rotation_event = backend.schedule.add(due, _on_due(backend, key), key)


def enable(backend: Backend, key: Key, period_days: int | None, now: _dt.datetime) -> None:
    """EnableKeyRotation: start from now, or change the period of a rotating key."""
    materials = key.materials
    if not materials.rotation_enabled:
        materials.rotation_enabled = True
        materials.rotation_anchor = now
        materials.rotation_period_days = period_days or DEFAULT_PERIOD_DAYS
    elif period_days is not None:
        materials.rotation_period_days = period_days
    assert materials.rotation_anchor is not None
    _count_from(materials, materials.rotation_anchor)
    refresh(backend, key, now)


def disable(backend: Backend, key: Key, now: _dt.datetime) -> None:
    """DisableKeyRotation: no more automatic rotation until enabled again."""
    materials = key.materials
    materials.rotation_enabled = False
    materials.rotation_period_days = None
    materials.rotation_anchor = materials.next_rotation_at = None
    refresh(backend, key, now)


def start_aws_managed(backend: Backend, key: Key) -> None:
    """AWS managed keys rotate every year from their creation, always."""
    materials = key.materials
    materials.rotation_enabled = True
    materials.rotation_period_days = AWS_MANAGED_PERIOD_DAYS
    _count_from(materials, key.created_at)
    refresh(backend, key, key.created_at)
