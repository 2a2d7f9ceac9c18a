"""Key lifecycle: every change of a key's state, and the deletions the clock carries out.

Operations change a key's state only through here, so that what follows from
a state is written once: rotation stops and resumes with it (each change goes
through ``_rotation.refresh``), a key pending deletion holds the event that
deletes it, and that event removes the key when its waiting period ends.
Imported material that expires holds the event that deletes it at its ValidTo;
a key whose material is deleted waits in PendingImport until it is all imported
again. The transitions are AWS's "Key states of AWS KMS keys"
(https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).
"""

from __future__ import annotations

import datetime as _dt

from . import _rotation
from ._materials import EXTERNAL, KeyMaterial
from ._models import (
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    PENDING_IMPORT,
    PENDING_REPLICA_DELETION,
    UNAVAILABLE,
    Key,
)
from ._schedule import date_after
from ._store import Backend


def shown_state(key: Key) -> str:
    """KeyState as AWS shows it: Unavailable while the key's custom key store is not connected.

    The key keeps its own state underneath: EnableKey and DisableKey change it and it
    shows again once the store is connected, and a key pending deletion stays
    PendingDeletion (the footnotes of the key-state table).
    """
    store = key.custom_key_store
    if store is None or store.connected or key.state == PENDING_DELETION:
        return key.state
    return UNAVAILABLE


def set_state(backend: Backend, key: Key, state: str, now: _dt.datetime) -> None:
    """Change ``key``'s state at ``now``; its rotation schedule follows."""
    key.state = state
    _rotation.refresh(backend, key, now)


def schedule_deletion(backend: Backend, key: Key, days: int, now: _dt.datetime) -> None:
    """ScheduleKeyDeletion: PendingDeletion now; the clock deletes the key ``days`` later.

    A window that ends after the end of ``datetime`` never ends: the key stays
    PendingDeletion without a deletion date. A multi-Region primary with replicas
    waits for them instead (:func:`_await_replicas`).
    """
    if _has_replicas(key):
        _await_replicas(backend, key, days, now)
        return
    set_state(backend, key, PENDING_DELETION, now)
    key.pending_window_days = days
    key.deletion_date = date_after(now, _dt.timedelta(days=days))
    if key.deletion_date is not None:
        key.deletion_event = backend.schedule.add(
            key.deletion_date, lambda when: delete(backend, key, when)
        )


def _has_replicas(key: Key) -> bool:
    related = key.related
    return related is not None and related.primary is key and bool(related.replicas)


def _await_replicas(backend: Backend, key: Key, days: int, now: _dt.datetime) -> None:
    """PendingReplicaDeletion: the ``days`` of waiting start when the last replica is deleted.

    "When the last of its replicas keys is deleted (not just scheduled), the key
    state of the primary key changes to PendingDeletion and its waiting period
    (PendingWindowInDays) begins" (ScheduleKeyDeletion in botocore's model).
    """
    set_state(backend, key, PENDING_REPLICA_DELETION, now)
    key.pending_window_days = days


def cancel_deletion(backend: Backend, key: Key, now: _dt.datetime) -> None:
    """CancelKeyDeletion: the scheduled deletion never happens; the key is Disabled."""
    if key.deletion_event is not None:
        backend.schedule.cancel(key.deletion_event)
    set_state(backend, key, _state_after_cancel(key), now)
    key.deletion_date = key.deletion_event = key.pending_window_days = None


def _state_after_cancel(key: Key) -> str:
    """Disabled, except that a key missing key material has nothing to enable.

    AWS documents Disabled; an EXTERNAL key whose material was never imported, or
    was deleted or expired, returns to PendingImport instead (kms_mock's inference:
    otherwise EnableKey would make a key without material Enabled).
    """
    if key.origin == EXTERNAL and not key.materials.complete:
        return PENDING_IMPORT
    return DISABLED


def delete(backend: Backend, key: Key, when: _dt.datetime) -> None:
    """What the clock does when a key's waiting period ends: the key and its aliases go.

    ``when`` is the scheduled deletion date, however late the clock got there:
    the date the deletion is recorded with, as CloudTrail records it
    (https://docs.aws.amazon.com/kms/latest/developerguide/ct-delete-key.html).
    """
    backend.region_store(key.account_id, key.region).remove_key(key.key_id)
    for material in key.materials.by_id.values():
        _cancel_expiry(backend, material)
    backend.audit.service_event(
        "DeleteKey", when, region=key.region, account_id=key.account_id, key_arn=key.arn
    )
    if key.related is not None:
        _forget_replica(backend, key, when)


def _forget_replica(backend: Backend, key: Key, when: _dt.datetime) -> None:
    """A deleted replica leaves its multi-Region key; a primary that waited for it starts
    its own waiting period then, if it was the last."""
    related = key.related
    assert related is not None
    related.replicas.pop(key.region, None)  # absent for the primary itself
    primary = related.primary
    if primary.state == PENDING_REPLICA_DELETION and not related.replicas:
        assert primary.pending_window_days is not None
        schedule_deletion(backend, primary, primary.pending_window_days, when)


def make_primary(backend: Backend, replica: Key, now: _dt.datetime) -> None:
    """UpdatePrimaryRegion: ``replica`` becomes the primary, the primary one of its replicas.

    Rotation is then ruled by the new primary's state. AWS passes through the
    transient Updating state for a few seconds; kms_mock completes the change at once.
    """
    related = replica.related
    assert related is not None
    former = related.primary
    del related.replicas[replica.region]
    related.replicas[former.region] = former
    related.primary = replica
    _rotation.refresh(backend, replica, now)


def material_imported(backend: Backend, key: Key, material: KeyMaterial, now: _dt.datetime) -> None:
    """ImportKeyMaterial stored ``material`` in ``key``'s set, or imported it again.

    The clock deletes it at its ValidTo (an expiry set by an earlier import of it
    is replaced), and a key pending import that now has all its material is Enabled
    ("When this operation is successful, the state of the KMS key changes to
    Enabled", ImportKeyMaterial in botocore's model). A Disabled key stays Disabled.
    """
    _cancel_expiry(backend, material)
    if material.valid_to is not None:
        material.expiry_event = backend.schedule.add(
            material.valid_to, lambda when: _expire(backend, key, material, when)
        )
    if key.state == PENDING_IMPORT and key.materials.complete:
        set_state(backend, key, ENABLED, now)


def delete_material(backend: Backend, key: Key, material: KeyMaterial, now: _dt.datetime) -> None:
    """DeleteImportedKeyMaterial, or expiry: ``material``'s secret goes, the key is PendingImport.

    A key pending deletion stays so (DeleteImportedKeyMaterial in botocore's
    model). Pending material is not associated with the key for good: it goes
    whole, and the key's state does not change.
    """
    _cancel_expiry(backend, material)
    if material.is_pending:
        key.materials.discard(material.material_id)
        return
    material.delete_secret()
    if key.state not in (PENDING_DELETION, PENDING_IMPORT):
        set_state(backend, key, PENDING_IMPORT, now)


def _expire(backend: Backend, key: Key, material: KeyMaterial, when: _dt.datetime) -> None:
    """What the clock does at imported material's ValidTo, logged as CloudTrail logs it.

    https://docs.aws.amazon.com/kms/latest/developerguide/ct-deleteexpiredkeymaterial.html
    shows the key id; the material id is kms_mock's addition (keys now have several).
    """
    material.expiry_event = None
    delete_material(backend, key, material, when)
    backend.audit.service_event(
        "DeleteExpiredKeyMaterial",
        when,
        region=key.region,
        account_id=key.account_id,
        key_arn=key.arn,
        details={"keyId": key.key_id, "keyMaterialId": material.material_id},
    )


def _cancel_expiry(backend: Backend, material: KeyMaterial) -> None:
    if material.expiry_event is not None:
        backend.schedule.cancel(material.expiry_event)
        material.expiry_event = None
