"""The material set: every key type's material versions, and keys that share one set.

``_materials`` holds what AWS keeps in sync across the keys of a multi-Region key
(material versions, rotation status and schedule); these tests pin its rules,
where each key type keeps its material, that users see none of the reshape,
and that ``dump`` (the failed-call guard) sees every field of it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from kms_mock import FrozenClock, MockKMS, _materials, _rotation
from kms_mock._inspect import key_materials
from kms_mock._keyfactory import new_key as make_key
from kms_mock._keypairs import LazySecret
from kms_mock._materials import (
    CURRENT,
    NON_CURRENT,
    Import,
    KeyMaterial,
    MaterialSet,
)
from kms_mock._models import Key
from kms_mock._schedule import ScheduledEvent
from kms_mock._shapes import service_model
from kms_mock._store import Backend
from tests._helpers import (
    ACCOUNT,
    REGION,
    dump,
    error_of,
    exactly,
    import_key_material,
    new_key,
    raises,
    stored_key,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
DAY = _dt.timedelta(days=1)


def material(material_id: str, secret: bytes | LazySecret = bytes(32)) -> KeyMaterial:
    return KeyMaterial(material_id, secret, START, None)


# --- The vocabulary is botocore's ------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "names"),
    [
        (
            "KeyMaterialState",
            [
                "CURRENT",
                "NON_CURRENT",
                "PENDING_ROTATION",
                "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
            ],
        ),
        ("ImportState", ["IMPORTED", "MATERIAL_PENDING_IMPORT"]),
        ("ExpirationModelType", ["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"]),
        ("OriginType", ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]),
        ("RotationType", ["AUTOMATIC", "ON_DEMAND"]),
    ],
)
def test_each_value_set_is_botocores_enum(shape: str, names: list[str]) -> None:
    values = {getattr(_materials, name) for name in names}
    assert values == set(service_model().shape_for(shape).metadata["enum"])


# --- MaterialSet -------------------------------------------------------------------------------


def test_an_empty_set_has_no_current_version_and_no_secret() -> None:
    materials = MaterialSet()
    assert (materials.current, materials.current_id, materials.key_secret) == (None, None, None)


def test_a_new_current_version_makes_the_previous_one_non_current() -> None:
    materials = MaterialSet()
    first, second, third = material("a"), material("b"), material("c")
    for version in (first, second, third):
        materials.add_current(version)
    assert list(materials.by_id) == ["a", "b", "c"]  # oldest first: ListKeyRotations' order
    assert [version.state for version in materials.by_id.values()] == [
        NON_CURRENT,
        NON_CURRENT,
        CURRENT,
    ]
    assert materials.current is third
    assert materials.current_id == "c"


def test_aes_material_has_an_aes_key_and_no_key_secret() -> None:
    materials = MaterialSet()
    materials.add_current(material("a", b"k" * 32))
    assert materials.current is not None
    assert materials.current.aes_key == b"k" * 32
    assert materials.key_secret is None


def test_a_key_secret_is_no_aes_key() -> None:
    secret = LazySecret("HMAC_256", bytes(32), reproducible=True)
    materials = MaterialSet()
    materials.add_current(material("m", secret))
    assert materials.key_secret is secret
    with pytest.raises(TypeError, match=exactly("material m holds a HMAC_256 secret")):
        _ = material("m", secret).aes_key


# --- Where each key type keeps its material ----------------------------------------------------


def test_a_symmetric_key_starts_with_one_aes_version_made_by_kms(
    client: KMSClient, kms: MockKMS
) -> None:
    key = new_key(client)
    stored = stored_key(kms, key["KeyId"])
    [version] = stored.materials.by_id.values()
    assert version.material_id == key["CurrentKeyMaterialId"]
    assert len(version.aes_key) == 32
    assert (version.origin, version.state, version.created_at) == ("AWS_KMS", CURRENT, START)
    assert stored.imports == {}  # nothing imported: KMS made it
    assert (version.rotation_type, version.rotated_at) == (None, None)


@pytest.mark.parametrize(
    ("spec", "usage"),
    [
        ("RSA_2048", "SIGN_VERIFY"),
        ("ECC_NIST_P256", "KEY_AGREEMENT"),
        ("HMAC_256", "GENERATE_VERIFY_MAC"),
        ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY"),
    ],
)
def test_an_asymmetric_or_hmac_key_holds_its_lazy_secret_as_its_one_version(
    client: KMSClient, kms: MockKMS, spec: str, usage: str
) -> None:
    key = new_key(client, KeySpec=spec, KeyUsage=usage)
    materials = stored_key(kms, key["KeyId"]).materials
    [version] = materials.by_id.values()
    assert isinstance(version.secret, LazySecret)
    assert version.secret.key_spec == spec
    assert version.secret.peek() is None  # still a seed: derived on first use
    assert materials.key_secret is version.secret
    assert (version.origin, version.state, version.created_at) == ("AWS_KMS", CURRENT, START)
    assert re.fullmatch("[0-9a-f]{64}", version.material_id)  # BackingKeyIdType's form


def test_lazy_versions_of_different_keys_have_different_ids(
    client: KMSClient, kms: MockKMS
) -> None:
    ids = {
        stored_key(
            kms, new_key(client, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
        ).materials.current_id
        for _ in range(3)
    }
    assert len(ids) == 3


def test_an_external_key_starts_with_an_empty_set(client: KMSClient, kms: MockKMS) -> None:
    key = new_key(client, Origin="EXTERNAL")
    materials = stored_key(kms, key["KeyId"]).materials
    assert (materials.by_id, materials.current_id) == ({}, None)


@pytest.mark.parametrize(
    "create",
    [
        {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"},
        {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
    ],
    ids=["RSA_2048", "HMAC_256"],
)
def test_the_version_of_an_asymmetric_or_hmac_key_stays_out_of_sight(
    client: KMSClient, kms: MockKMS, create: dict[str, Any]
) -> None:
    key = new_key(client, **create)
    assert "CurrentKeyMaterialId" not in key
    assert "CurrentKeyMaterialId" not in client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert kms.key_materials(key["KeyId"]) == []
    excinfo = raises(lambda: client.list_key_rotations(KeyId=key["KeyId"]))
    assert error_of(excinfo) == ("UnsupportedOperationException", "", 400)


# --- Keys that hold one set (as replicas of a multi-Region key will) ---------------------------


def _key(backend: Backend, region: str = REGION) -> Key:
    key = make_key(
        backend,
        ACCOUNT,
        region,
        START,
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        origin="AWS_KMS",
        policy=None,
        multi_region=True,
    )
    _store(backend, key)
    return key


def _store(backend: Backend, key: Key) -> None:
    store = backend.region_store(key.account_id, key.region)
    store.add_key(key)
    backend.keep(store)


def _sharing(backend: Backend, primary: Key, region: str) -> Key:
    """A key in ``region`` with ``primary``'s id and material set."""
    arn = primary.arn.replace(primary.region, region)
    replica = dataclasses.replace(primary, arn=arn, region=region)
    assert replica.materials is primary.materials
    _store(backend, replica)
    return replica


def test_keys_sharing_a_set_see_each_rotation_once_at_one_event_a_period() -> None:
    clock = FrozenClock(START)
    backend = Backend(clock=clock, default_region=REGION, account_id=ACCOUNT, seed=5)
    primary = _key(backend)
    replicas = [_sharing(backend, primary, region) for region in ("eu-west-1", "ap-south-1")]
    _rotation.enable(backend, primary, 90, START)
    for period in range(1, 11):
        assert len(backend.schedule) == 1  # one event for the set, not one per key
        clock.advance(days=90)
        listed = [
            [info.key_material_id for info in key_materials(backend, key.arn)]
            for key in (primary, *replicas)
        ]
        assert len(listed[0]) == period + 1
        assert listed == [listed[0]] * 3
    assert len(backend.schedule) == 1


# --- dump sees every field ---------------------------------------------------------------------

LATER = START + DAY
MATERIAL_CHANGES: dict[str, Any] = {
    "material_id": "0" * 64,
    "secret": bytes(32),
    "created_at": LATER,
    "rotation_type": "ON_DEMAND",
    "origin": "EXTERNAL",
    "state": "PENDING_ROTATION",
    "rotated_at": LATER,
}
IMPORT_CHANGES: dict[str, Any] = {
    "expiration_model": "KEY_MATERIAL_EXPIRES",
    "valid_to": LATER,
    "description": "imported",
    "present": False,
    "expiry_event": ScheduledEvent(LATER, lambda when: None),
}
SET_CHANGES: dict[str, Callable[[], Any]] = {
    "by_id": dict,
    "current_id": lambda: None,
    "rotation_enabled": lambda: True,
    "rotation_period_days": lambda: 90,
    "rotation_anchor": lambda: LATER,
    "next_rotation_at": lambda: LATER,
    "rotation_event": lambda: ScheduledEvent(LATER, lambda when: None),
    "on_demand_rotations": lambda: 1,
}


def test_the_changes_below_name_every_field() -> None:
    assert set(MATERIAL_CHANGES) == {field.name for field in dataclasses.fields(KeyMaterial)}
    assert set(SET_CHANGES) == {field.name for field in dataclasses.fields(MaterialSet)}
    assert set(IMPORT_CHANGES) == {field.name for field in dataclasses.fields(Import)}


@pytest.mark.parametrize("name", MATERIAL_CHANGES)
def test_dump_sees_each_field_of_a_version(client: KMSClient, kms: MockKMS, name: str) -> None:
    materials = stored_key(kms, new_key(client)["KeyId"]).materials
    before = dump(kms)
    assert materials.current is not None
    setattr(materials.current, name, MATERIAL_CHANGES[name])
    assert dump(kms) != before


@pytest.mark.parametrize("name", SET_CHANGES)
def test_dump_sees_each_field_of_a_set(client: KMSClient, kms: MockKMS, name: str) -> None:
    materials = stored_key(kms, new_key(client)["KeyId"]).materials
    before = dump(kms)
    setattr(materials, name, SET_CHANGES[name]())
    assert dump(kms) != before


@pytest.mark.parametrize("name", IMPORT_CHANGES)
def test_dump_sees_each_field_of_a_keys_import(client: KMSClient, kms: MockKMS, name: str) -> None:
    key_id = new_key(client, Origin="EXTERNAL")["KeyId"]
    import_key_material(client, key_id, bytes(32))
    [held] = stored_key(kms, key_id).imports.values()
    before = dump(kms)
    setattr(held, name, IMPORT_CHANGES[name])
    assert dump(kms) != before
