"""``kms.key_materials``: each material's rotation type in AWS's terms; ``how`` deprecated."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from kms_mock import FrozenClock, KeyMaterialInfo, MockKMS

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

HOW_DEPRECATED = (
    r"^KeyMaterialInfo\.how is deprecated: use rotation_type, which is None where how is "
    r"'ORIGINAL' \(the key's first material\)\.$"
)


@pytest.fixture
def materials(kms: MockKMS, client: KMSClient, clock: FrozenClock) -> list[KeyMaterialInfo]:
    """A key's first material, one automatic rotation, then one on demand."""
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    clock.advance(days=100)
    client.rotate_key_on_demand(KeyId=key_id)
    return kms.key_materials(key_id)


def test_rotation_type_is_none_for_the_first_material(
    materials: list[KeyMaterialInfo],
) -> None:
    assert [m.rotation_type for m in materials] == [None, "AUTOMATIC", "ON_DEMAND"]


def test_rotation_type_is_what_list_key_rotations_shows(
    kms: MockKMS, client: KMSClient, materials: list[KeyMaterialInfo]
) -> None:
    [key] = client.list_keys()["Keys"]
    entries = client.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")
    assert [entry.get("RotationType") for entry in entries["Rotations"]] == [
        m.rotation_type for m in materials
    ]


def test_how_is_deprecated_and_keeps_its_old_values(materials: list[KeyMaterialInfo]) -> None:
    with pytest.warns(DeprecationWarning, match=HOW_DEPRECATED) as warned:
        hows = [m.how for m in materials]
    assert hows == ["ORIGINAL", "AUTOMATIC", "ON_DEMAND"]
    assert len(warned) == 3
    assert {record.filename for record in warned} == {__file__}  # points at the caller


@pytest.mark.parametrize("name", ["how", "rotation_type"])
def test_neither_name_can_be_set(materials: list[KeyMaterialInfo], name: str) -> None:
    # A frozen dataclass with slots: FrozenInstanceError (an AttributeError),
    # or TypeError on Python 3.11, where its __setattr__ trips over the slots.
    with pytest.raises((AttributeError, TypeError)):
        setattr(materials[0], name, "AUTOMATIC")
    assert materials[0].rotation_type is None


def test_how_is_no_field(materials: list[KeyMaterialInfo]) -> None:
    # Comparisons, copies and reprs carry rotation_type only, and warn about nothing.
    assert [f.name for f in dataclasses.fields(KeyMaterialInfo)] == [
        "key_material_id",
        "date",
        "rotation_type",
        "state",
        "origin",
        "import_state",
        "expiration_model",
        "valid_to",
        "description",
    ]
    assert "how" not in repr(materials[0])
