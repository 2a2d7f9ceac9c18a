"""Key lifecycle: every change of a key's state, and the deletions the clock carries out.

Operations change a key's state only through here, so that what follows from
a state is written once: rotation stops and resumes with it (each change goes
through ``_rotation.refresh``), a key pending deletion holds the event that
deletes it, and that event removes the key when its waiting period ends.
Each key's import of imported material holds the event that deletes it at its
ValidTo; a key whose material is deleted waits in PendingImport until it is all
imported into it again. A key in a transient state of a multi-Region key
(Creating, Updating) holds the event that ends it, the backend's transient key
state delay later. The transitions are AWS's "Key states of AWS KMS keys"
(https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).
"""

from __future__ import annotations

import datetime as _dt

from . import _rotation
from ._materials import EXTERNAL, Import, KeyMaterial
from ._models import (
    CREATING,
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    PENDING_DELETION_STATES,
    PENDING_IMPORT,
    PENDING_REPLICA_DELETION,
    UNAVAILABLE,
    UPDATING,
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
    """Change ``key``'s state at ``now``; its rotation schedule follows.

    A transient state under way ends with any change: a replica scheduled for
    deletion while Creating stays PendingDeletion, a key whose material expires
    while Updating stays PendingImport.
    """
    if key.transition is not None:
        backend.schedule.cancel(key.transition)
        key.transition = None
    key.state = state
    _rotation.refresh(backend, key, now)


def _pass_through(backend: Backend, key: Key, state: str, now: _dt.datetime) -> None:
    """``key`` is in the transient ``state`` for the backend's transient key state delay.

    Then it settles: "This key state changes to Enabled (or PendingImport)"
    (ReplicateKey in botocore's model); "The original key state is restored when
    the update is complete" (UpdatePrimaryRegion): Enabled, which an update
    starts from. A zero delay ends it before the next call.
    """
    set_state(backend, key, state, now)
    due = date_after(now, backend.transient_key_state_delay)
    if due is not None:  # None: past year 9999, it never ends
        resume_transition(backend, key, due)


def resume_transition(backend: Backend, key: Key, due: _dt.datetime) -> None:
    """The transient state ``key`` is in ends at ``due`` (also: a loaded state file's)."""
    key.transition = backend.schedule.add(due, lambda when: _settle(backend, key, when), key)


def _settle(backend: Backend, key: Key, when: _dt.datetime) -> None:
    key.transition = None
    set_state(backend, key, _unless_missing_material(key, ENABLED), when)


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
        resume_deletion(backend, key, key.deletion_date)


def resume_deletion(backend: Backend, key: Key, due: _dt.datetime) -> None:
    """The clock deletes ``key`` at ``due`` (also: a loaded state file's scheduled deletion)."""
    key.deletion_event = backend.schedule.add(due, lambda when: delete(backend, key, when), key)


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
    # AWS documents Disabled; a key missing imported material returns to PendingImport
    # instead (kms_mock's inference: otherwise EnableKey would make it Enabled).
    set_state(backend, key, _unless_missing_material(key, DISABLED), now)
    key.deletion_date = key.deletion_event = key.pending_window_days = None


def _unless_missing_material(key: Key, state: str) -> str:
    """``state``, except PendingImport for an EXTERNAL key whose material was never
    imported into it, or was deleted or expired."""
    if key.origin == EXTERNAL and not has_all_material(key):
        return PENDING_IMPORT
    return state


def delete(backend: Backend, key: Key, when: _dt.datetime) -> None:
    """What the clock does when a key's waiting period ends: the key and its aliases go.

    ``when`` is the scheduled deletion date, however late the clock got there:
    the date the deletion is recorded with, as CloudTrail records it
    (https://docs.aws.amazon.com/kms/latest/developerguide/ct-delete-key.html).
    """
    backend.region_store(key.account_id, key.region).remove_key(key.key_id)
    for held in key.imports.values():
        _cancel_expiry(backend, held)
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
    _release_imports(primary, key)
    if primary.state == PENDING_REPLICA_DELETION and not related.replicas:
        assert primary.pending_window_days is not None
        schedule_deletion(backend, primary, primary.pending_window_days, when)


def _release_imports(primary: Key, deleted: Key) -> None:
    """What a deleted replica had imported is held by the keys left, or by none."""
    holders = primary.material_holders
    for material_id in deleted.imports:
        material = primary.materials.by_id.get(material_id)
        if material is not None:
            _forget_if_unheld(material, holders)
    _settle_pending(primary)


def add_replica(backend: Backend, primary: Key, replica: Key, now: _dt.datetime) -> None:
    """ReplicateKey: ``replica`` joins ``primary``'s multi-Region key, Creating for a while.

    A replica of a primary with imported material has none imported ("the replica
    key is created with no key material", ReplicateKey in botocore's model): it
    ends PendingImport, and material pending rotation now waits for its import too.
    """
    related = primary.related
    assert related is not None
    related.replicas[replica.region] = replica
    _settle_pending(primary)
    _pass_through(backend, replica, CREATING, now)


def make_primary(backend: Backend, replica: Key, now: _dt.datetime) -> None:
    """UpdatePrimaryRegion: ``replica`` becomes the primary, the primary one of its replicas.

    The roles swap at once: "the primary key is now the key in eu-west-2", and
    while Updating "you cannot replicate the new primary key" (UpdatePrimaryRegion
    in botocore's model). Both keys are Updating for a while, and rotation, which
    goes on while Updating, is ruled by the new primary from now on.
    """
    related = replica.related
    assert related is not None
    former = related.primary
    del related.replicas[replica.region]
    related.replicas[former.region] = former
    related.primary = replica
    for key in (replica, former):
        _pass_through(backend, key, UPDATING, now)


def has_all_material(key: Key) -> bool:
    """Whether ``key`` has material and every version associated for good is imported into it.

    A key with imported material is Enabled only then ("you will need to import all
    of the key materials associated with the KMS key", ImportKeyMaterial in botocore's
    model); each key of a multi-Region key imports them on its own.
    """
    materials = key.materials
    return materials.current_id is not None and all(
        key.has_imported(material.material_id)
        for material in materials.by_id.values()
        if not material.is_pending
    )


def material_imported(
    backend: Backend, key: Key, material: KeyMaterial, imported: Import, now: _dt.datetime
) -> None:
    """ImportKeyMaterial put ``material`` in ``key``'s set, or imported it again, as ``imported``.

    This import replaces the key's earlier one of the same material (and its expiry);
    its description stays unless a new one is given ("KMS retains the value you
    specified when you last imported the same key material into this KMS key",
    ImportKeyMaterialRequest's KeyMaterialDescription in botocore's model). The clock
    deletes it at its ValidTo, and a key pending import that now has all its material
    is Enabled ("When this operation is successful, the state of the KMS key changes
    to Enabled", ImportKeyMaterial in botocore's model). A Disabled key stays Disabled.
    """
    earlier = key.imports.get(material.material_id)
    if earlier is not None:
        _cancel_expiry(backend, earlier)
        if imported.description is None:
            imported.description = earlier.description
    key.imports[material.material_id] = imported
    if imported.valid_to is not None:
        resume_expiry(backend, key, material, imported.valid_to)
    _settle_pending(key)
    if key.state == PENDING_IMPORT and has_all_material(key):
        set_state(backend, key, ENABLED, now)


def resume_expiry(backend: Backend, key: Key, material: KeyMaterial, due: _dt.datetime) -> None:
    """``key``'s import of ``material`` expires at ``due`` (also: a loaded state file's)."""
    key.imports[material.material_id].expiry_event = backend.schedule.add(
        due, lambda when: _expire(backend, key, material, when), key
    )


def delete_material(backend: Backend, key: Key, material: KeyMaterial, now: _dt.datetime) -> None:
    """DeleteImportedKeyMaterial, or expiry: ``material`` is no longer imported into ``key``.

    The key waits in PendingImport, unless it is pending deletion: then it stays so
    (DeleteImportedKeyMaterial in botocore's model). Other keys of a multi-Region
    key keep their imports ("If you delete any key material of a replica Region key,
    the primary Region key and other replica Region keys remain unchanged"), except
    for pending material (:func:`_delete_pending`).
    """
    if material.is_pending:
        _delete_pending(backend, key, material)
        return
    held = key.imports.get(material.material_id)
    if held is not None:
        _cancel_expiry(backend, held)
        held.present = False
    _forget_if_unheld(material, key.material_holders)
    if key.state not in PENDING_DELETION_STATES and key.state != PENDING_IMPORT:
        set_state(backend, key, PENDING_IMPORT, now)


def _delete_pending(backend: Backend, key: Key, material: KeyMaterial) -> None:
    """Pending material is not associated with the key for good: its import goes, no state changes.

    Deleted from a primary (or a single-Region key) it goes whole: "you'll also be
    deleting the key materials for the replica Region keys" (DeleteImportedKeyMaterial
    in botocore's model). Deleted from a replica, it waits for that replica's import again.
    """
    if key.is_replica:
        _drop_import(backend, key, material)
        _forget_if_unheld(material, key.material_holders)
    else:
        key.materials.discard(material.material_id)
        for holder in key.material_holders:
            _drop_import(backend, holder, material)
    _settle_pending(key)


def _drop_import(backend: Backend, key: Key, material: KeyMaterial) -> None:
    held = key.imports.pop(material.material_id, None)
    if held is not None:
        _cancel_expiry(backend, held)


def _forget_if_unheld(material: KeyMaterial, holders: list[Key]) -> None:
    """Imported material that no key holds imported is gone: only its version stays."""
    if not any(holder.has_imported(material.material_id) for holder in holders):
        material.forget_secret()


def _settle_pending(key: Key) -> None:
    """The pending version's state follows whether every key holding the set imported it."""
    pending = key.materials.pending
    if pending is not None:
        everywhere = all(
            holder.has_imported(pending.material_id) for holder in key.material_holders
        )
        key.materials.mark_pending(imported_everywhere=everywhere)


def _expire(backend: Backend, key: Key, material: KeyMaterial, when: _dt.datetime) -> None:
    """What the clock does at the ValidTo of ``key``'s import, logged as CloudTrail logs it.

    https://docs.aws.amazon.com/kms/latest/developerguide/ct-deleteexpiredkeymaterial.html
    shows the key id; the material id is kms_mock's addition (keys now have several).
    """
    key.imports[material.material_id].expiry_event = None
    delete_material(backend, key, material, when)
    backend.audit.service_event(
        "DeleteExpiredKeyMaterial",
        when,
        region=key.region,
        account_id=key.account_id,
        key_arn=key.arn,
        details={"keyId": key.key_id, "keyMaterialId": material.material_id},
    )


def _cancel_expiry(backend: Backend, held: Import) -> None:
    if held.expiry_event is not None:
        backend.schedule.cancel(held.expiry_event)
        held.expiry_event = None
