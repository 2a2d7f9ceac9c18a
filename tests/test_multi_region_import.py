"""Multi-Region keys with imported material, through boto3 in several Regions.

A replica of an EXTERNAL primary starts with no material of its own: each Region
imports the primary's material with its own GetParametersForImport, and the same
material has the same KeyMaterialId everywhere. Import state and expiry are each
Region's; new material enters through the primary, waits
(PENDING_MULTI_REGION_IMPORT_AND_ROTATION) until every replica has imported it,
and RotateKeyOnDemand on the primary makes it current in every Region at once.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

import pytest

from kms_mock import FrozenClock, MockKMS
from tests._helpers import (
    ASIA,
    EUROPE,
    audit_of,
    dump,
    error_of,
    import_key_material,
    raises,
    schedule_of,
    wrap_key_material,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

NOW = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
FIRST = bytes(range(32))
SECOND = bytes(range(1, 33))
THIRD = bytes(range(2, 34))
NEW: dict[str, Any] = {"ImportType": "NEW_KEY_MATERIAL"}
EXISTING: dict[str, Any] = {"ImportType": "EXISTING_KEY_MATERIAL"}


@pytest.fixture
def key_id(client: KMSClient) -> str:
    """A multi-Region EXTERNAL primary in us-east-1 with FIRST imported (never expires)."""
    made: str = client.create_key(MultiRegion=True, Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_key_material(client, made, FIRST)
    return made


def _state(client: KMSClient, key_id: str) -> str:
    return client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


def _rotations(client: KMSClient, key_id: str) -> list[dict[str, Any]]:
    listed = client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    return [dict(entry) for entry in listed["Rotations"]]


def _states(client: KMSClient, key_id: str) -> list[tuple[str, str, str]]:
    """(KeyMaterialId, KeyMaterialState, ImportState) of every version, oldest first."""
    return [
        (entry["KeyMaterialId"], entry["KeyMaterialState"], entry["ImportState"])
        for entry in _rotations(client, key_id)
    ]


def _replicate(client: KMSClient, key_id: str, region: str) -> dict[str, Any]:
    return dict(client.replicate_key(KeyId=key_id, ReplicaRegion=region)["ReplicaKeyMetadata"])


def _encrypt(client: KMSClient, key_id: str, plaintext: bytes) -> bytes:
    blob: bytes = client.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
    return blob


def _arn(region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:123456789012:key/{key_id}"


# --- a replica imports the primary's material itself ------------------------------------------


def test_a_replica_of_an_external_primary_waits_for_its_own_import(
    client: KMSClient, europe: KMSClient, key_id: str
) -> None:
    shown = _replicate(client, key_id, EUROPE)
    assert (shown["KeyState"], shown["Origin"]) == ("Creating", "EXTERNAL")
    replica = europe.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (replica["KeyState"], replica["Enabled"]) == ("PendingImport", False)
    assert "ExpirationModel" not in replica
    excinfo = raises(lambda: europe.encrypt(KeyId=key_id, Plaintext=b"x"))
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{_arn(EUROPE, key_id)} is pending import.",
        400,
    )
    [(material_id, state, import_state)] = _states(europe, key_id)
    assert (state, import_state) == ("CURRENT", "PENDING_IMPORT")
    assert _states(client, key_id) == [(material_id, "CURRENT", "IMPORTED")]


def test_the_same_material_has_the_same_id_and_decrypts_in_every_region(
    client: KMSClient, europe: KMSClient, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    from_america = _encrypt(client, key_id, b"from America")
    imported = import_key_material(europe, key_id, FIRST)
    assert imported["KeyId"] == _arn(EUROPE, key_id)
    assert (
        imported["KeyMaterialId"]
        == client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    )
    assert _state(europe, key_id) == "Enabled"
    from_europe = _encrypt(europe, key_id, b"from Europe")
    assert europe.decrypt(CiphertextBlob=from_america)["Plaintext"] == b"from America"
    assert client.decrypt(CiphertextBlob=from_europe)["Plaintext"] == b"from Europe"


def test_an_hmac_replica_imports_the_same_secret_and_its_macs_verify_outside(
    client: KMSClient, europe: KMSClient
) -> None:
    secret = bytes(range(64))
    key_id = client.create_key(
        MultiRegion=True, Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC"
    )["KeyMetadata"]["KeyId"]
    import_key_material(client, key_id, secret)
    _replicate(client, key_id, EUROPE)
    import_key_material(europe, key_id, secret)
    mac = europe.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(secret, b"m", hashlib.sha256).digest()
    assert client.verify_mac(KeyId=key_id, Message=b"m", Mac=mac, MacAlgorithm="HMAC_SHA_256")[
        "MacValid"
    ]


def test_a_replica_of_a_rotated_primary_needs_every_version_imported(
    client: KMSClient, europe: KMSClient, key_id: str
) -> None:
    old_blob = _encrypt(client, key_id, b"old")
    import_key_material(client, key_id, SECOND, **NEW)
    client.rotate_key_on_demand(KeyId=key_id)
    _replicate(client, key_id, EUROPE)
    import_key_material(europe, key_id, SECOND)
    assert _state(europe, key_id) == "PendingImport"  # FIRST is still missing here
    import_key_material(europe, key_id, FIRST)
    assert _state(europe, key_id) == "Enabled"
    assert europe.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"


def test_a_replica_refuses_new_key_material(
    client: KMSClient, europe: KMSClient, kms: MockKMS, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    before = dump(kms)
    excinfo = raises(lambda: import_key_material(europe, key_id, SECOND, **NEW))
    assert error_of(excinfo) == (
        "UnsupportedOperationException",
        f"{_arn(EUROPE, key_id)} is not a multi-region primary key.",
        400,
    )
    assert dump(kms) == before


def test_a_replica_refuses_material_its_primary_does_not_have(
    client: KMSClient, europe: KMSClient, kms: MockKMS, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    before = dump(kms)
    kwargs: dict[str, Any]
    for kwargs in ({}, EXISTING):
        # raises() calls the lambda at once: the loop variable cannot change under it.
        excinfo = raises(lambda: import_key_material(europe, key_id, SECOND, **kwargs))  # noqa: B023
        assert error_of(excinfo) == (
            "IncorrectKeyMaterialException",
            "The key material being imported is not the same key material that was previously "
            "imported into this KMS key.",
            400,
        )
    assert dump(kms) == before


def test_each_region_imports_with_its_own_parameters(
    client: KMSClient, europe: KMSClient, kms: MockKMS, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    parameters = client.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    before = dump(kms)
    excinfo = raises(
        lambda: europe.import_key_material(
            KeyId=key_id,
            ImportToken=parameters["ImportToken"],
            EncryptedKeyMaterial=wrap_key_material(
                FIRST, parameters["PublicKey"], "RSAES_OAEP_SHA_256"
            ),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
    )
    assert error_of(excinfo)[0] == "InvalidImportTokenException"
    assert dump(kms) == before


# --- import state and expiry are each Region's ------------------------------------------------


def test_expiry_deletes_only_that_regions_copy(
    client: KMSClient, europe: KMSClient, kms: MockKMS, clock: FrozenClock, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    valid_to = NOW + _dt.timedelta(days=10)
    import_key_material(europe, key_id, FIRST, ValidTo=valid_to)
    blob = _encrypt(client, key_id, b"kept")
    replica = europe.describe_key(KeyId=key_id)["KeyMetadata"]
    primary = client.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (replica["ExpirationModel"], replica["ValidTo"]) == ("KEY_MATERIAL_EXPIRES", valid_to)
    assert (primary["ExpirationModel"], "ValidTo" in primary) == (
        "KEY_MATERIAL_DOES_NOT_EXPIRE",
        False,
    )
    clock.move_to(valid_to - _dt.timedelta(seconds=1))
    assert europe.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    clock.move_to(valid_to)
    assert (_state(europe, key_id), _state(client, key_id)) == ("PendingImport", "Enabled")
    [(_, _, europe_import)] = _states(europe, key_id)
    [(_, _, america_import)] = _states(client, key_id)
    assert (europe_import, america_import) == ("PENDING_IMPORT", "IMPORTED")
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    [expired] = [e for e in audit_of(kms).events() if e["eventName"] == "DeleteExpiredKeyMaterial"]
    assert (expired["awsRegion"], expired["resources"][0]["ARN"]) == (EUROPE, _arn(EUROPE, key_id))
    import_key_material(europe, key_id, FIRST)  # again, without expiry
    assert europe.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"


def test_deleting_a_replicas_material_leaves_the_others_unchanged(
    client: KMSClient, europe: KMSClient, asia: KMSClient, key_id: str
) -> None:
    for region, replica_client in ((EUROPE, europe), (ASIA, asia)):
        _replicate(client, key_id, region)
        import_key_material(replica_client, key_id, FIRST)
    europe.delete_imported_key_material(KeyId=key_id)
    assert [_state(c, key_id) for c in (client, europe, asia)] == [
        "Enabled",
        "PendingImport",
        "Enabled",
    ]
    client.delete_imported_key_material(KeyId=key_id)
    assert [_state(c, key_id) for c in (client, europe, asia)] == [
        "PendingImport",
        "PendingImport",
        "Enabled",
    ]
    blob = _encrypt(asia, key_id, b"still")
    import_key_material(europe, key_id, FIRST)  # only Asia held it: it is imported again
    assert europe.decrypt(CiphertextBlob=blob)["Plaintext"] == b"still"


def test_a_primary_waiting_for_its_replicas_stays_so_when_its_material_expires(
    client: KMSClient, europe: KMSClient, clock: FrozenClock
) -> None:
    key_id = client.create_key(MultiRegion=True, Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_key_material(client, key_id, FIRST, ValidTo=NOW + _dt.timedelta(days=3))
    _replicate(client, key_id, EUROPE)
    client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    clock.advance(days=3)
    assert _state(client, key_id) == "PendingReplicaDeletion"
    client.cancel_key_deletion(KeyId=key_id)
    assert _state(client, key_id) == "PendingImport"  # its material is gone: nothing to enable


# --- the 2025 multi-Region on-demand rotation flow --------------------------------------------


def test_new_material_waits_for_every_replica_then_rotates_every_region_at_once(
    client: KMSClient, europe: KMSClient, kms: MockKMS, clock: FrozenClock, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    first = import_key_material(europe, key_id, FIRST)["KeyMaterialId"]
    old_blob = _encrypt(europe, key_id, b"old")
    second = import_key_material(client, key_id, SECOND, **NEW)["KeyMaterialId"]
    waiting = "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
    assert _states(client, key_id) == [
        (first, "CURRENT", "IMPORTED"),
        (second, waiting, "IMPORTED"),
    ]
    assert _states(europe, key_id) == [
        (first, "CURRENT", "IMPORTED"),
        (second, waiting, "PENDING_IMPORT"),
    ]
    excinfo = raises(lambda: client.rotate_key_on_demand(KeyId=key_id))
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"No available key material pending rotation for the key: {_arn('us-east-1', key_id)}.",
        400,
    )
    assert import_key_material(europe, key_id, SECOND, **EXISTING)["KeyMaterialId"] == second
    for region_client in (client, europe):
        assert _states(region_client, key_id)[1] == (second, "PENDING_ROTATION", "IMPORTED")
    clock.advance(hours=1)
    client.rotate_key_on_demand(KeyId=key_id)
    for region_client in (client, europe):
        [_, rotated] = _rotations(region_client, key_id)
        assert (rotated["KeyMaterialState"], rotated["RotationType"]) == ("CURRENT", "ON_DEMAND")
        assert rotated["RotationDate"] == NOW + _dt.timedelta(hours=1)
        shown = region_client.describe_key(KeyId=key_id)["KeyMetadata"]
        assert shown["CurrentKeyMaterialId"] == second
        assert region_client.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"
    assert kms.inspect_ciphertext(_encrypt(europe, key_id, b"new")).key_material_id == second


def test_a_replica_cannot_rotate_its_primarys_material(
    client: KMSClient, europe: KMSClient, kms: MockKMS, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    import_key_material(europe, key_id, FIRST)
    import_key_material(client, key_id, SECOND, **NEW)
    import_key_material(europe, key_id, SECOND)
    before = dump(kms)
    excinfo = raises(lambda: europe.rotate_key_on_demand(KeyId=key_id))
    assert error_of(excinfo) == (
        "UnsupportedOperationException",
        f"{_arn(EUROPE, key_id)} is not a multi-region primary key.",
        400,
    )
    assert dump(kms) == before


def test_a_second_new_material_is_refused_while_one_waits_for_the_replicas(
    client: KMSClient, europe: KMSClient, kms: MockKMS, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    second = import_key_material(client, key_id, SECOND, **NEW)["KeyMaterialId"]
    before = dump(kms)
    excinfo = raises(lambda: import_key_material(client, key_id, THIRD, **NEW))
    code, message, _ = error_of(excinfo)
    assert code == "KMSInvalidStateException"
    assert message.endswith(f"because another key material (id: {second}) is pending rotation.")
    assert dump(kms) == before


def test_deleting_the_primarys_pending_material_deletes_every_replicas_copy(
    client: KMSClient, europe: KMSClient, kms: MockKMS, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    first = import_key_material(europe, key_id, FIRST)["KeyMaterialId"]
    second = import_key_material(client, key_id, SECOND, **NEW)["KeyMaterialId"]
    import_key_material(europe, key_id, SECOND, ValidTo=NOW + _dt.timedelta(days=5))
    assert len(schedule_of(kms)) == 1  # Europe's copy expires
    client.delete_imported_key_material(KeyId=key_id, KeyMaterialId=second)
    for region_client in (client, europe):
        assert _states(region_client, key_id) == [(first, "CURRENT", "IMPORTED")]
        assert _state(region_client, key_id) == "Enabled"
    assert len(schedule_of(kms)) == 0
    # Gone whole: the primary may take other new material in its place.
    import_key_material(client, key_id, THIRD, **NEW)


def test_deleting_a_replicas_pending_copy_makes_the_material_wait_for_it_again(
    client: KMSClient, europe: KMSClient, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    import_key_material(europe, key_id, FIRST)
    second = import_key_material(client, key_id, SECOND, **NEW)["KeyMaterialId"]
    import_key_material(europe, key_id, SECOND)
    deleted = europe.delete_imported_key_material(KeyId=key_id, KeyMaterialId=second)
    assert deleted["KeyMaterialId"] == second
    waiting = "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
    assert _states(client, key_id)[1] == (second, waiting, "IMPORTED")
    assert _states(europe, key_id)[1] == (second, waiting, "PENDING_IMPORT")
    assert [_state(c, key_id) for c in (client, europe)] == ["Enabled", "Enabled"]


def test_a_new_replica_holds_the_rotation_back_until_it_imports_or_is_deleted(
    client: KMSClient, europe: KMSClient, clock: FrozenClock, key_id: str
) -> None:
    second = import_key_material(client, key_id, SECOND, **NEW)["KeyMaterialId"]
    assert _states(client, key_id)[1][1] == "PENDING_ROTATION"  # no replica yet
    _replicate(client, key_id, EUROPE)
    assert _states(client, key_id)[1][1] == "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
    europe.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    clock.advance(days=7)  # the replica is deleted: every replica left has imported it
    assert _states(client, key_id)[1] == (second, "PENDING_ROTATION", "IMPORTED")
    client.rotate_key_on_demand(KeyId=key_id)
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == second


def test_after_update_primary_region_new_material_enters_through_the_new_primary(
    client: KMSClient, europe: KMSClient, kms: MockKMS, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    import_key_material(europe, key_id, FIRST)
    client.update_primary_region(KeyId=key_id, PrimaryRegion=EUROPE)
    excinfo = raises(lambda: import_key_material(client, key_id, SECOND, **NEW))
    assert error_of(excinfo)[0] == "UnsupportedOperationException"
    second = import_key_material(europe, key_id, SECOND, **NEW)["KeyMaterialId"]
    import_key_material(client, key_id, SECOND)
    europe.rotate_key_on_demand(KeyId=key_id)
    assert kms.inspect_ciphertext(_encrypt(client, key_id, b"x")).key_material_id == second


def test_the_handle_reports_the_import_of_the_key_its_arn_names(
    client: KMSClient, europe: KMSClient, kms: MockKMS, key_id: str
) -> None:
    _replicate(client, key_id, EUROPE)
    valid_to = NOW + _dt.timedelta(days=30)
    import_key_material(europe, key_id, FIRST, ValidTo=valid_to, KeyMaterialDescription="eu")
    [america] = kms.key_materials(_arn("us-east-1", key_id))
    [europe_info] = kms.key_materials(_arn(EUROPE, key_id))
    assert (america.import_state, america.valid_to, america.description) == ("IMPORTED", None, None)
    assert (europe_info.import_state, europe_info.valid_to, europe_info.description) == (
        "IMPORTED",
        valid_to,
        "eu",
    )
    assert europe_info.key_material_id == america.key_material_id
