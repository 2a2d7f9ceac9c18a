"""A backend's state as rows of a state file, and a backend rebuilt from them.

Rows, not pickles: each is plain values and JSON text that a newer kms_mock can
read and migrate. The unit of writing is what changes together. A key is one
``keys`` row, a JSON document holding every key of its multi-Region key (they
share one material set); each material version is a ``materials`` row whose
secret is a BLOB, so a rotation writes the new version and the one it
replaced, not the whole history again. Aliases, custom key stores and each
Region's creation counter are rows of their own, audit records too.

Scheduled events are stored as the due dates of the objects that hold them
(a key's rotation, deletion, transition and imports' expiry; a custom key
store's connection change) and put back in the schedule on loading.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
from collections.abc import Callable, Iterable
from typing import Any, Final

from . import _key_stores, _lifecycle, _rotation
from ._arns import alias_arn, key_arn
from ._audit import AuditRecord
from ._callers import Principal
from ._grants import Grant, KeyGrants
from ._key_stores import CustomKeyStore, XksProxy
from ._keyfactory import default_key_policy
from ._keypairs import KeyPair, LazySecret, ReadySecret, drawn_at_random
from ._materials import Import, KeyMaterial, MaterialSet
from ._models import NO_TAGS, Alias, Key, KeyUsage, RelatedKeys, Tag, Tags
from ._schedule import ScheduledEvent, live_due
from ._store import Backend, RegionStore

#: A row's identity: its table and primary key.
RowId = tuple[str, tuple[Any, ...]]
Rows = dict[RowId, tuple[Any, ...]]

#: Every table, its primary key columns first (the order rows' values follow).
SCHEMA: Final = {
    "meta": ("name TEXT", "value TEXT NOT NULL"),
    "regions": (
        "account_id TEXT",
        "region TEXT",
        "position INTEGER NOT NULL",
        "next_sequence INTEGER NOT NULL",
    ),
    "keys": ("account_id TEXT", "key_id TEXT", "document TEXT NOT NULL"),
    "materials": (
        "account_id TEXT",
        "key_id TEXT",
        "material_id TEXT",
        "position INTEGER NOT NULL",
        "document TEXT NOT NULL",
        "secret BLOB",
        "derived BLOB",
    ),
    "aliases": (
        "account_id TEXT",
        "region TEXT",
        "name TEXT",
        "target_key_id TEXT NOT NULL",
        "created_at TEXT NOT NULL",
        "last_updated_at TEXT NOT NULL",
    ),
    "key_stores": ("account_id TEXT", "region TEXT", "store_id TEXT", "document TEXT NOT NULL"),
}
#: How many leading columns of each table are its primary key.
PRIMARY_KEYS: Final = {
    "meta": 1,
    "regions": 2,
    "keys": 2,
    "materials": 3,
    "aliases": 3,
    "key_stores": 3,
}


def _text(document: Any) -> str:
    # Compact and in a fixed order: an unchanged object encodes to the same text,
    # which is how a write finds what did not change.
    return json.dumps(document, separators=(",", ":"))


def _when(value: _dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _instant(text: str | None) -> _dt.datetime | None:
    return None if text is None else _dt.datetime.fromisoformat(text)


def _instant_of(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text)


def _event(event: ScheduledEvent | None) -> list[Any] | None:
    """A live event as [due, order]: events due at once are put back in their order."""
    if live_due(event) is None:
        return None
    assert event is not None
    return [event.due.isoformat(), event.order]


# -- writing ---------------------------------------------------------------------------------


class SecretCodec:
    """Secrets as BLOBs; each secret object is encoded once (an RSA key's DER costs)."""

    def __init__(self) -> None:
        self._encoded: dict[
            RowId, tuple[object, bool, tuple[str | None, bytes | None, bytes | None]]
        ]
        self._encoded = {}

    def encode(
        self, row: RowId, material: KeyMaterial
    ) -> tuple[str | None, bytes | None, bytes | None]:
        """(kind, secret, derived) of ``material``'s secret."""
        secret = material.secret
        derived = isinstance(secret, LazySecret) and secret.peek() is not None
        held = self._encoded.get(row)
        if held is not None and held[0] is secret and held[1] == derived:
            return held[2]
        encoded = _encode_secret(secret)
        self._encoded[row] = (secret, derived, encoded)
        return encoded

    def forget(self, row: RowId) -> None:
        """The row is gone."""
        self._encoded.pop(row, None)


def _encode_secret(secret: object) -> tuple[str | None, bytes | None, bytes | None]:
    if secret is None:
        return None, None, None
    if isinstance(secret, bytes):
        return "aes", secret, None
    if isinstance(secret, LazySecret):
        derived = None
        if drawn_at_random(secret.key_spec, reproducible=secret.reproducible):
            # OpenSSL drew it: the seed cannot make it again, so the file keeps the key
            # itself (derived now if no call needed it yet).
            pair = secret.derive()
            assert isinstance(pair, KeyPair)
            derived = pair.private_pkcs8()
        return "seed", secret.seed, derived
    assert isinstance(secret, ReadySecret)
    value = secret.peek()
    if isinstance(value, KeyPair):
        return "pair", value.private_pkcs8(), None
    return "hmac", value, None


def family_rows(members: list[Key], secrets: SecretCodec) -> Rows:
    """The rows of one key and, for a multi-Region key, its every key (primary first)."""
    first = members[0]
    account, key_id = first.account_id, first.key_id
    materials = first.materials
    document = {
        "multi_region": first.related is not None,
        "key_spec": first.key_spec,
        "key_usage": first.key_usage,
        "origin": first.origin,
        "current_material_id": materials.current_id,
        "rotation": _rotation_document(materials),
        "members": [_member_document(key) for key in members],
    }
    rows: Rows = {("keys", (account, key_id)): (_text(document),)}
    for position, material in enumerate(materials.by_id.values()):
        row: RowId = ("materials", (account, key_id, material.material_id))
        kind, secret, derived = secrets.encode(row, material)
        metadata = {
            "created_at": _when(material.created_at),
            "rotation_type": material.rotation_type,
            "origin": material.origin,
            "state": material.state,
            "rotated_at": _when(material.rotated_at),
            "secret": kind,
            "reproducible": getattr(material.secret, "reproducible", False),
        }
        rows[row] = (position, _text(metadata), secret, derived)
    return rows


def _rotation_document(materials: MaterialSet) -> dict[str, Any]:
    return {
        "enabled": materials.rotation_enabled,
        "period_days": materials.rotation_period_days,
        "anchor": _when(materials.rotation_anchor),
        "next_at": _when(materials.next_rotation_at),
        "due": _event(materials.rotation_event),
        "on_demand": materials.on_demand_rotations,
    }


def _member_document(key: Key) -> dict[str, Any]:
    return {
        "region": key.region,
        "created_at": _when(key.created_at),
        # Most keys have the default policy: the file names it rather than repeat it.
        "policy": None
        if key.policy == default_key_policy(key.account_id, key.region)
        else key.policy,
        "description": key.description,
        "sequence": key.sequence,
        "key_manager": key.key_manager,
        "state": key.state,
        "tags": [[name, tag.serial, tag.value] for name, tag in key.tags.by_key.items()],
        "next_tag_serial": key.tags.next_serial,
        "imports": [
            [
                material_id,
                held.expiration_model,
                _when(held.valid_to),
                held.description,
                held.present,
                _event(held.expiry_event),
            ]
            for material_id, held in key.imports.items()
        ],
        "deletion_date": _when(key.deletion_date),
        "pending_window_days": key.pending_window_days,
        "deletion_due": _event(key.deletion_event),
        "transition_due": _event(key.transition),
        "last_usage": None if key.last_usage is None else _usage_document(key.last_usage),
        "custom_key_store_id": None
        if key.custom_key_store is None
        else key.custom_key_store.store_id,
        "xks_key_id": key.xks_key_id,
        "grants": None if key.grants is None else _grants_document(key.grants),
    }


def _usage_document(usage: KeyUsage) -> list[str]:
    return [usage.operation, usage.timestamp.isoformat(), usage.request_id, usage.event_id]


def _grants_document(grants: KeyGrants) -> dict[str, Any]:
    return {
        "next_serial": grants.next_serial,
        "grants": [
            {
                "grant_id": grant.grant_id,
                "key_arn": grant.key_arn,
                "grantee_principal": grant.grantee_principal,
                "operations": sorted(grant.operations),
                "issuing_account": grant.issuing_account,
                "created_at": grant.created_at.isoformat(),
                "name": grant.name,
                "retiring_principal": grant.retiring_principal,
                "encryption_context_subset": _dict_or_none(grant.encryption_context_subset),
                "encryption_context_equals": _dict_or_none(grant.encryption_context_equals),
                "serial": grant.serial,
            }
            for grant in grants.by_id.values()
        ],
    }


def _dict_or_none(pairs: Any) -> dict[str, str] | None:
    return None if pairs is None else dict(pairs)


def alias_rows(account_id: str, region: str, alias: Alias) -> Rows:
    """The row of one alias."""
    return {
        ("aliases", (account_id, region, alias.name)): (
            alias.target_key_id,
            alias.created_at.isoformat(),
            alias.last_updated_at.isoformat(),
        )
    }


def region_rows(store: RegionStore, position: int) -> Rows:
    """A Region store's own rows: its place among the stores, its creation counter and its
    custom key stores."""
    account, region = store.account_id, store.region
    rows: Rows = {("regions", (account, region)): (position, store.next_sequence)}
    for key_store in store.key_stores.values():
        rows[("key_stores", (account, region, key_store.store_id))] = (
            _text(_key_store_document(key_store)),
        )
    return rows


def _key_store_document(store: CustomKeyStore) -> dict[str, Any]:
    return {
        "name": store.name,
        "store_type": store.store_type,
        "created_at": store.created_at.isoformat(),
        "sequence": store.sequence,
        "cloud_hsm_cluster_id": store.cloud_hsm_cluster_id,
        "trust_anchor_certificate": store.trust_anchor_certificate,
        "key_store_password": store.key_store_password,
        "xks_proxy": None if store.xks_proxy is None else dataclasses.asdict(store.xks_proxy),
        "connection_state": store.connection_state,
        "connection_error_code": store.connection_error_code,
        "failure": store.failure,
        "transition_due": _event(store.transition),
    }


def audit_text(record: AuditRecord) -> str:
    """One audit record as JSON text."""
    document: dict[str, Any] = {}
    for field in dataclasses.fields(AuditRecord):
        value = getattr(record, field.name)
        if isinstance(value, _dt.datetime):
            value = value.isoformat()
        elif isinstance(value, Principal):
            value = dataclasses.asdict(value)
        document[field.name] = value
    return _text(document)


# -- reading ---------------------------------------------------------------------------------


def audit_record(text: str) -> AuditRecord:
    """The audit record :func:`audit_text` wrote."""
    document = json.loads(text)
    document["when"] = _instant_of(document["when"])
    if document["principal"] is not None:
        document["principal"] = Principal(**document["principal"])
    if document["error"] is not None:
        document["error"] = tuple(document["error"])
    document["resources"] = tuple(document["resources"])
    return AuditRecord(**document)


Rearm = tuple[_dt.datetime, int, Callable[[_dt.datetime], None]]


class Loader:
    """Rebuilds a backend's keys, aliases and custom key stores from a state file's rows.

    Events go back in the schedule last, in order of their due dates, once every
    object they act on exists.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._stores: dict[tuple[str, str], RegionStore] = {}
        self._keys: dict[tuple[str, str], list[Key]] = {}
        self._aliases: dict[tuple[str, str], list[Alias]] = {}
        self._sequences: dict[tuple[str, str], int] = {}
        self._key_stores: dict[tuple[str, str], dict[str, CustomKeyStore]] = {}
        self._events: list[Rearm] = []

    def region(self, account_id: str, region: str, next_sequence: int) -> None:
        """A ``regions`` row."""
        self._store(account_id, region)
        self._sequences[(account_id, region)] = next_sequence

    def _store(self, account_id: str, region: str) -> RegionStore:
        store = self._stores.get((account_id, region))
        if store is None:
            # With the Region's index of retirable grants, which ``restore`` fills.
            retirable = self.backend.retirable_grants(region)
            store = RegionStore(account_id, region, retirable=retirable)
            self._stores[(account_id, region)] = store
        return store

    def key_store(self, account_id: str, region: str, store_id: str, text: str) -> None:
        """A ``key_stores`` row."""
        document = json.loads(text)
        proxy = document["xks_proxy"]
        store = CustomKeyStore(
            store_id=store_id,
            name=document["name"],
            store_type=document["store_type"],
            created_at=_instant_of(document["created_at"]),
            sequence=document["sequence"],
            cloud_hsm_cluster_id=document["cloud_hsm_cluster_id"],
            trust_anchor_certificate=document["trust_anchor_certificate"],
            key_store_password=document["key_store_password"],
            xks_proxy=None if proxy is None else XksProxy(**proxy),
            connection_state=document["connection_state"],
            connection_error_code=document["connection_error_code"],
            failure=document["failure"],
        )
        self._store(account_id, region)
        self._key_stores.setdefault((account_id, region), {})[store_id] = store
        schedule = self.backend.schedule
        self._later(
            document["transition_due"], lambda due: _key_stores.resume(schedule, store, due)
        )

    def alias(
        self, account_id: str, region: str, name: str, target: str, created: str, updated: str
    ) -> None:
        """An ``aliases`` row."""
        alias = Alias(
            name=name,
            arn=alias_arn(region, account_id, name),
            target_key_id=target,
            created_at=_instant_of(created),
            last_updated_at=_instant_of(updated),
        )
        self._aliases.setdefault((account_id, region), []).append(alias)

    def family(
        self, account_id: str, key_id: str, text: str, materials: Iterable[Any]
    ) -> list[str]:
        """A ``keys`` row and its ``materials`` rows (position, document, secret, derived);
        the Regions of its keys."""
        document = json.loads(text)
        material_set = self._material_set(document, materials)
        members = [
            self._member(account_id, key_id, document, member, material_set)
            for member in document["members"]
        ]
        if document["multi_region"]:
            related = RelatedKeys(primary=members[0])
            for replica in members[1:]:
                related.replicas[replica.region] = replica
            for member in members:
                member.related = related
        for member in members:
            self._store(account_id, member.region)
            self._keys.setdefault((account_id, member.region), []).append(member)
        ruling = members[0]
        self._later(
            document["rotation"]["due"], lambda due: _rotation.resume(self.backend, ruling, due)
        )
        return [member.region for member in members]

    def _material_set(self, document: dict[str, Any], rows: Iterable[Any]) -> MaterialSet:
        rotation = document["rotation"]
        materials = MaterialSet(
            current_id=document["current_material_id"],
            rotation_enabled=rotation["enabled"],
            rotation_period_days=rotation["period_days"],
            rotation_anchor=_instant(rotation["anchor"]),
            next_rotation_at=_instant(rotation["next_at"]),
            on_demand_rotations=rotation["on_demand"],
        )
        for material_id, _, metadata_text, secret, derived in sorted(rows, key=lambda row: row[1]):
            metadata = json.loads(metadata_text)
            materials.by_id[material_id] = KeyMaterial(
                material_id=material_id,
                secret=_decode_secret(document["key_spec"], metadata, secret, derived),
                created_at=_instant_of(metadata["created_at"]),
                rotation_type=metadata["rotation_type"],
                origin=metadata["origin"],
                state=metadata["state"],
                rotated_at=_instant(metadata["rotated_at"]),
            )
        return materials

    def _member(
        self,
        account_id: str,
        key_id: str,
        family: dict[str, Any],
        document: dict[str, Any],
        materials: MaterialSet,
    ) -> Key:
        region = document["region"]
        key = Key(
            key_id=key_id,
            arn=key_arn(region, account_id, key_id),
            account_id=account_id,
            region=region,
            created_at=_instant_of(document["created_at"]),
            key_spec=family["key_spec"],
            key_usage=family["key_usage"],
            origin=family["origin"],
            policy=document["policy"] or default_key_policy(account_id, region),
            description=document["description"],
            sequence=document["sequence"],
            key_manager=document["key_manager"],
            state=document["state"],
            tags=_tags(document),
            materials=materials,
            deletion_date=_instant(document["deletion_date"]),
            pending_window_days=document["pending_window_days"],
            xks_key_id=document["xks_key_id"],
        )
        usage = document["last_usage"]
        if usage is not None:
            key.last_usage = KeyUsage(usage[0], _instant_of(usage[1]), usage[2], usage[3])
        if document["grants"] is not None:
            key.grants = _grants(document["grants"])
        store_id = document["custom_key_store_id"]
        if store_id is not None:
            key.custom_key_store = self._key_stores[(account_id, region)][store_id]
        self._imports(key, document["imports"])
        self._key_events(key, document)
        return key

    def _imports(self, key: Key, imports: list[list[Any]]) -> None:
        for material_id, model, valid_to, description, present, expiry in imports:
            key.imports[material_id] = Import(model, _instant(valid_to), description, present)
            material = key.materials.by_id[material_id]
            self._later(
                expiry, functools.partial(_lifecycle.resume_expiry, self.backend, key, material)
            )

    def _key_events(self, key: Key, document: dict[str, Any]) -> None:
        backend = self.backend
        self._later(
            document["deletion_due"], functools.partial(_lifecycle.resume_deletion, backend, key)
        )
        self._later(
            document["transition_due"],
            functools.partial(_lifecycle.resume_transition, backend, key),
        )

    def _later(self, event: list[Any] | None, rearm: Callable[[_dt.datetime], None]) -> None:
        """Put the event ``[due, order]`` (if any) back in the schedule once all is loaded."""
        if event is not None:
            self._events.append((_instant_of(event[0]), event[1], rearm))

    def finish(self) -> list[RegionStore]:
        """The Region stores, holding what was read; the events back in the schedule."""
        for place, store in self._stores.items():
            store.restore(
                self._keys.get(place, ()),
                self._aliases.get(place, ()),
                self._key_stores.get(place, {}).values(),
                self._sequences.get(place, 1),
            )
        # Each with its number: events due at the same instant keep their order.
        schedule = self.backend.schedule
        for due, order, rearm in sorted(self._events, key=lambda event: event[:2]):
            schedule.number_next(order)
            rearm(due)
        schedule.number_next(max((order for _, order, _ in self._events), default=-1) + 1)
        return list(self._stores.values())


def _tags(document: dict[str, Any]) -> Tags:
    if not document["tags"] and not document["next_tag_serial"]:
        return NO_TAGS
    by_key = {name: Tag(serial, value) for name, serial, value in document["tags"]}
    return Tags(by_key, document["next_tag_serial"])


def _grants(document: dict[str, Any]) -> KeyGrants:
    grants = KeyGrants()
    for fields in document["grants"]:
        grant = Grant(
            **{
                **fields,
                "operations": frozenset(fields["operations"]),
                "created_at": _instant_of(fields["created_at"]),
            }
        )
        grants.by_id[grant.grant_id] = grant
        grants.by_grantee.setdefault(grant.grantee_principal, []).append(grant)
    grants.next_serial = document["next_serial"]
    return grants


def _decode_secret(
    key_spec: str, metadata: dict[str, Any], secret: bytes | None, derived: bytes | None
) -> bytes | LazySecret | ReadySecret | None:
    kind, reproducible = metadata["secret"], metadata["reproducible"]
    if kind is None:
        return None
    assert secret is not None
    if kind == "aes":
        return bytes(secret)
    if kind == "seed":
        if derived is None:
            return LazySecret(key_spec, bytes(secret), reproducible=reproducible)
        return LazySecret.derived(
            key_spec, bytes(secret), _key_pair(derived), reproducible=reproducible
        )
    if kind == "pair":
        return ReadySecret(key_spec, _key_pair(secret), reproducible=reproducible)
    if kind == "hmac":
        return ReadySecret(key_spec, bytes(secret), reproducible=reproducible)
    raise ValueError(f"unknown kind of secret {kind!r}")


def _key_pair(der: bytes) -> KeyPair:
    from cryptography.hazmat.primitives import serialization

    private_key = serialization.load_der_private_key(der, password=None)
    return KeyPair.of(private_key)  # type: ignore[arg-type]
