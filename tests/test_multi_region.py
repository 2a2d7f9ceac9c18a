"""Multi-Region keys through boto3: ReplicateKey, UpdatePrimaryRegion, shared material and
rotation across Regions, independent key states, and a primary's deletion waiting for its
replicas (ReplicateKey, UpdatePrimaryRegion and ScheduleKeyDeletion in botocore's model)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, _lifecycle, _rotation
from kms_mock._keyfactory import default_key_policy, new_key, new_replica
from kms_mock._models import NO_TAGS, Key
from kms_mock._store import Backend
from tests._helpers import ACCOUNT, ASIA, EUROPE, dump, error_of, raises, stored_key_ids

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
DAY = _dt.timedelta(days=1)


def arn_in(region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"


def not_primary(region: str, key_id: str) -> tuple[str, str, int]:
    return (
        "UnsupportedOperationException",
        f"{arn_in(region, key_id)} is not a multi-region primary key.",
        400,
    )


@pytest.fixture
def primary(client: KMSClient) -> str:
    """A multi-Region primary key in us-east-1 (its id)."""
    metadata = client.create_key(MultiRegion=True, Description="the primary")["KeyMetadata"]
    return metadata["KeyId"]


@pytest.fixture
def replicated(client: KMSClient, primary: str, europe: KMSClient) -> str:
    """``primary``, replicated into eu-west-1."""
    client.replicate_key(KeyId=primary, ReplicaRegion=EUROPE)
    return primary


def configuration(client: KMSClient, key_id: str) -> dict[str, Any]:
    return dict(client.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"])


def key_state(client: KMSClient, key_id: str) -> str:
    return client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


def material_ids(client: KMSClient, key_id: str) -> list[str]:
    pages = client.get_paginator("list_key_rotations").paginate(
        KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL"
    )
    return [entry["KeyMaterialId"] for page in pages for entry in page["Rotations"]]


# -- ReplicateKey ---------------------------------------------------------------------------


def test_replicate_key_answers_with_the_replica_creating(client: KMSClient, primary: str) -> None:
    response = client.replicate_key(
        KeyId=primary, ReplicaRegion=EUROPE, Tags=[{"TagKey": "team", "TagValue": "eu"}]
    )
    replica = response["ReplicaKeyMetadata"]
    assert (replica["KeyId"], replica["Arn"]) == (primary, arn_in(EUROPE, primary))
    assert (replica["KeyState"], replica["Enabled"]) == ("Creating", False)
    assert "CurrentKeyMaterialId" not in replica
    assert replica["Description"] == ""  # not copied from the primary
    assert replica["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "REPLICA",
        "PrimaryKey": {"Arn": arn_in("us-east-1", primary), "Region": "us-east-1"},
        "ReplicaKeys": [{"Arn": arn_in(EUROPE, primary), "Region": EUROPE}],
    }
    assert response["ReplicaPolicy"] == default_key_policy(ACCOUNT, EUROPE)
    assert response["ReplicaTags"] == [{"TagKey": "team", "TagValue": "eu"}]


def test_the_replica_is_enabled_with_the_primarys_shared_properties(
    client: KMSClient, europe: KMSClient, replicated: str
) -> None:
    primary = dict(client.describe_key(KeyId=replicated)["KeyMetadata"])
    replica = dict(europe.describe_key(KeyId=replicated)["KeyMetadata"])
    assert (replica["KeyState"], replica["Enabled"]) == ("Enabled", True)
    shared = ("KeyId", "KeySpec", "KeyUsage", "Origin", "CurrentKeyMaterialId", "MultiRegion")
    assert {name: replica[name] for name in shared} == {name: primary[name] for name in shared}
    assert replica["Arn"] == arn_in(EUROPE, replicated)
    assert europe.list_keys()["Keys"] == [{"KeyId": replicated, "KeyArn": replica["Arn"]}]


def test_every_member_shows_the_primary_and_every_replica(
    client: KMSClient, europe: KMSClient, asia: KMSClient, replicated: str
) -> None:
    client.replicate_key(KeyId=replicated, ReplicaRegion=ASIA)
    replicas = [
        {"Arn": arn_in(EUROPE, replicated), "Region": EUROPE},
        {"Arn": arn_in(ASIA, replicated), "Region": ASIA},
    ]
    primary = {"Arn": arn_in("us-east-1", replicated), "Region": "us-east-1"}
    for member, kind in ((client, "PRIMARY"), (europe, "REPLICA"), (asia, "REPLICA")):
        assert configuration(member, replicated) == {
            "MultiRegionKeyType": kind,
            "PrimaryKey": primary,
            "ReplicaKeys": replicas,
        }


def test_policy_description_and_tags_are_the_replicas_own(
    client: KMSClient, europe: KMSClient, primary: str
) -> None:
    policy = client.get_key_policy(KeyId=primary)["Policy"]
    client.replicate_key(
        KeyId=primary, ReplicaRegion=EUROPE, Policy=policy, Description="the replica"
    )
    europe.tag_resource(KeyId=primary, Tags=[{"TagKey": "where", "TagValue": "eu"}])
    europe.create_alias(AliasName="alias/eu", TargetKeyId=primary)
    assert europe.get_key_policy(KeyId=primary)["Policy"] == policy
    assert europe.describe_key(KeyId=primary)["KeyMetadata"]["Description"] == "the replica"
    assert client.describe_key(KeyId=primary)["KeyMetadata"]["Description"] == "the primary"
    assert client.list_resource_tags(KeyId=primary)["Tags"] == []
    assert client.list_aliases(KeyId=primary)["Aliases"] == []
    assert europe.describe_key(KeyId="alias/eu")["KeyMetadata"]["KeyId"] == primary


def test_a_rotated_primary_replicates_with_every_version(
    kms: MockKMS, client: KMSClient, europe: KMSClient, primary: str
) -> None:
    client.rotate_key_on_demand(KeyId=primary)
    client.rotate_key_on_demand(KeyId=primary)
    client.replicate_key(KeyId=primary, ReplicaRegion=EUROPE)
    assert len(material_ids(europe, primary)) == 3
    assert material_ids(europe, primary) == material_ids(client, primary)
    assert kms.key_materials(arn_in(EUROPE, primary)) == kms.key_materials(primary)


def test_replicate_key_is_audited_in_both_regions(
    kms: MockKMS, client: KMSClient, replicated: str
) -> None:
    events = {(e["eventName"], e["awsRegion"]): e for e in kms.audit_log}
    replicate = events["ReplicateKey", "us-east-1"]
    create = events["CreateKey", EUROPE]
    assert [r["ARN"] for r in replicate["resources"]] == [arn_in("us-east-1", replicated)]
    assert [r["ARN"] for r in create["resources"]] == [arn_in(EUROPE, replicated)]
    assert create["requestID"] == replicate["requestID"]
    assert create["eventID"] != replicate["eventID"]
    assert create["responseElements"]["keyMetadata"]["arn"] == arn_in(EUROPE, replicated)


# -- ReplicateKey refused ---------------------------------------------------------------------


def test_replicating_a_replica_is_refused(europe: KMSClient, replicated: str) -> None:
    excinfo = raises(lambda: europe.replicate_key(KeyId=replicated, ReplicaRegion=ASIA))
    assert error_of(excinfo) == not_primary(EUROPE, replicated)


def test_replicating_a_single_region_key_is_refused(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    excinfo = raises(lambda: client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE))
    assert error_of(excinfo) == not_primary("us-east-1", key_id)


@pytest.mark.parametrize("region", [EUROPE, "us-east-1"])
def test_a_region_that_has_the_key_already_is_refused(
    client: KMSClient, replicated: str, region: str
) -> None:
    excinfo = raises(lambda: client.replicate_key(KeyId=replicated, ReplicaRegion=region))
    assert error_of(excinfo) == (
        "AlreadyExistsException",
        f"{arn_in(region, replicated)} already exists.",
        400,
    )


def test_a_replica_pending_deletion_is_in_the_way_until_it_is_deleted(
    client: KMSClient, europe: KMSClient, clock: FrozenClock, replicated: str
) -> None:
    europe.schedule_key_deletion(KeyId=replicated, PendingWindowInDays=7)
    excinfo = raises(lambda: client.replicate_key(KeyId=replicated, ReplicaRegion=EUROPE))
    assert error_of(excinfo)[0] == "AlreadyExistsException"
    clock.advance(days=7)
    client.replicate_key(KeyId=replicated, ReplicaRegion=EUROPE)  # deleting it was recoverable
    assert key_state(europe, replicated) == "Enabled"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("disable_key", ("DisabledException", "{arn} is disabled.")),
        ("schedule_key_deletion", ("KMSInvalidStateException", "{arn} is pending deletion.")),
    ],
)
def test_a_primary_that_is_not_enabled_is_not_replicated(
    client: KMSClient, primary: str, change: str, expected: tuple[str, str]
) -> None:
    getattr(client, change)(KeyId=primary)
    excinfo = raises(lambda: client.replicate_key(KeyId=primary, ReplicaRegion=EUROPE))
    code, message = expected
    assert error_of(excinfo) == (code, message.format(arn=arn_in("us-east-1", primary)), 400)


def test_a_replica_in_another_partition_is_refused(client: KMSClient, primary: str) -> None:
    excinfo = raises(lambda: client.replicate_key(KeyId=primary, ReplicaRegion="cn-north-1"))
    assert error_of(excinfo) == (
        "UnsupportedOperationException",
        f"cn-north-1 is not in the partition of {arn_in('us-east-1', primary)}: a replica must be.",
        400,
    )


def test_a_primary_pending_import_is_not_replicated(
    client: KMSClient,
) -> None:
    key_id = client.create_key(MultiRegion=True, Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    excinfo = raises(lambda: client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE))
    # PendingImport first, as the key-state table says for ReplicateKey.
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{arn_in('us-east-1', key_id)} is pending import.",
        400,
    )


def test_a_malformed_replica_policy_is_refused(client: KMSClient, primary: str) -> None:
    excinfo = raises(
        lambda: client.replicate_key(KeyId=primary, ReplicaRegion=EUROPE, Policy="{not json")
    )
    assert error_of(excinfo)[0] == "MalformedPolicyDocumentException"


def test_a_refused_replication_changes_nothing(
    kms: MockKMS, client: KMSClient, replicated: str
) -> None:
    before = dump(kms)
    refused: list[dict[str, Any]] = [
        {"ReplicaRegion": EUROPE},
        {"ReplicaRegion": ASIA, "Policy": "{not json"},
        {"ReplicaRegion": ASIA, "Tags": [{"TagKey": "aws:reserved", "TagValue": ""}]},
        {"ReplicaRegion": "cn-north-1"},
    ]
    for kwargs in refused:
        with pytest.raises(ClientError):
            client.replicate_key(KeyId=replicated, **kwargs)
    assert dump(kms) == before
    assert stored_key_ids(kms, region=ASIA) == []


# -- Shared material: encrypt in one Region, decrypt in another -------------------------------


def test_encrypt_in_us_east_1_decrypt_in_eu_west_1(
    client: KMSClient, europe: KMSClient, replicated: str
) -> None:
    blob = client.encrypt(KeyId=replicated, Plaintext=b"across", EncryptionContext={"a": "b"})[
        "CiphertextBlob"
    ]
    for key_id in (None, replicated, arn_in(EUROPE, replicated)):
        kwargs: dict[str, Any] = {} if key_id is None else {"KeyId": key_id}
        response = europe.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"}, **kwargs)
        assert response["Plaintext"] == b"across"
        assert response["KeyId"] == arn_in(EUROPE, replicated)
    back = europe.encrypt(KeyId=replicated, Plaintext=b"back")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=back)["Plaintext"] == b"back"


def test_a_region_without_a_related_key_cannot_decrypt(
    client: KMSClient, asia: KMSClient, replicated: str
) -> None:
    blob = client.encrypt(KeyId=replicated, Plaintext=b"x")["CiphertextBlob"]
    code, message, _ = error_of(raises(lambda: asia.decrypt(CiphertextBlob=blob)))
    assert (code, message.startswith("The ciphertext refers to")) == ("AccessDeniedException", True)


def test_another_key_named_for_a_multi_region_ciphertext_is_incorrect(
    client: KMSClient, europe: KMSClient, replicated: str
) -> None:
    blob = client.encrypt(KeyId=replicated, Plaintext=b"x")["CiphertextBlob"]
    other = europe.create_key()["KeyMetadata"]["KeyId"]
    excinfo = raises(lambda: europe.decrypt(CiphertextBlob=blob, KeyId=other))
    assert error_of(excinfo)[0] == "IncorrectKeyException"


def test_a_disabled_replica_refuses_what_its_primary_still_decrypts(
    client: KMSClient, europe: KMSClient, replicated: str
) -> None:
    blob = client.encrypt(KeyId=replicated, Plaintext=b"x")["CiphertextBlob"]
    europe.disable_key(KeyId=replicated)
    assert key_state(client, replicated) == "Enabled"  # key state is not shared
    assert error_of(raises(lambda: europe.decrypt(CiphertextBlob=blob)))[0] == "DisabledException"
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


# -- Rotation: ruled by the primary, seen everywhere at once ----------------------------------


def test_ten_years_of_rotation_with_two_replicas(
    kms: MockKMS, client: KMSClient, europe: KMSClient, asia: KMSClient, clock: FrozenClock
) -> None:
    key_id = client.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    client.replicate_key(KeyId=key_id, ReplicaRegion=ASIA)
    regions = (client, europe, asia)
    blobs: list[tuple[bytes, bytes]] = []
    for quarter in range(40):
        member = regions[quarter % 3]
        plaintext = f"quarter {quarter}".encode()
        blobs.append(
            (member.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"], plaintext)
        )
        clock.advance(days=91)
    listed = material_ids(client, key_id)
    assert len(listed) == 1 + 40 * 91 // 90
    handle = [info.key_material_id for info in kms.key_materials(key_id)]
    for member, region in zip(regions, ("us-east-1", EUROPE, ASIA), strict=True):
        assert material_ids(member, key_id) == listed
        assert [i.key_material_id for i in kms.key_materials(arn_in(region, key_id))] == handle
        for blob, plaintext in blobs:
            assert member.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
    assert handle == listed


def test_a_rotation_of_the_primary_is_every_replicas_at_the_same_instant(
    client: KMSClient, europe: KMSClient, clock: FrozenClock, replicated: str
) -> None:
    client.enable_key_rotation(KeyId=replicated, RotationPeriodInDays=90)
    before = europe.describe_key(KeyId=replicated)["KeyMetadata"]["CurrentKeyMaterialId"]
    clock.advance(days=90)
    current = client.describe_key(KeyId=replicated)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert europe.describe_key(KeyId=replicated)["KeyMetadata"]["CurrentKeyMaterialId"] == current
    assert current != before
    [rotation] = europe.list_key_rotations(KeyId=replicated)["Rotations"]
    assert rotation["RotationDate"] == START + 90 * DAY
    assert rotation["KeyId"] == arn_in(EUROPE, replicated)


def test_a_replica_mirrors_the_rotation_status(
    client: KMSClient, europe: KMSClient, replicated: str
) -> None:
    client.enable_key_rotation(KeyId=replicated, RotationPeriodInDays=180)
    status = dict(europe.get_key_rotation_status(KeyId=replicated))
    del status["ResponseMetadata"]
    assert status == {
        "KeyId": arn_in(EUROPE, replicated),
        "KeyRotationEnabled": True,
        "RotationPeriodInDays": 180,
        "NextRotationDate": START + 180 * DAY,
    }


@pytest.mark.parametrize(
    ("operation", "kwargs"),
    [
        ("enable_key_rotation", {}),
        ("enable_key_rotation", {"RotationPeriodInDays": 90}),
        ("disable_key_rotation", {}),
        ("rotate_key_on_demand", {}),
    ],
)
def test_rotation_is_changed_on_the_primary_only(
    europe: KMSClient, replicated: str, operation: str, kwargs: dict[str, Any]
) -> None:
    excinfo = raises(lambda: getattr(europe, operation)(KeyId=replicated, **kwargs))
    assert error_of(excinfo) == not_primary(EUROPE, replicated)


def test_a_disabled_replica_keeps_receiving_material(
    client: KMSClient, europe: KMSClient, clock: FrozenClock, replicated: str
) -> None:
    client.enable_key_rotation(KeyId=replicated, RotationPeriodInDays=90)
    europe.disable_key(KeyId=replicated)
    clock.advance(days=180)
    assert len(material_ids(europe, replicated)) == 3
    europe.enable_key(KeyId=replicated)  # nothing overdue: the primary kept rotating
    assert len(material_ids(client, replicated)) == 3


def test_a_disabled_primary_stops_rotation_for_every_replica(
    client: KMSClient, europe: KMSClient, clock: FrozenClock, replicated: str
) -> None:
    client.enable_key_rotation(KeyId=replicated, RotationPeriodInDays=90)
    client.disable_key(KeyId=replicated)
    clock.advance(days=180)
    assert len(material_ids(europe, replicated)) == 1
    client.enable_key(KeyId=replicated)  # overdue: one rotation now
    assert len(material_ids(europe, replicated)) == 2


# -- UpdatePrimaryRegion ----------------------------------------------------------------------


def test_update_primary_region_swaps_the_roles(
    client: KMSClient, europe: KMSClient, asia: KMSClient, replicated: str
) -> None:
    client.replicate_key(KeyId=replicated, ReplicaRegion=ASIA)
    response = dict(client.update_primary_region(KeyId=replicated, PrimaryRegion=EUROPE))
    del response["ResponseMetadata"]
    assert response == {}
    for member in (client, europe, asia):
        shown = configuration(member, replicated)
        assert shown["PrimaryKey"] == {"Arn": arn_in(EUROPE, replicated), "Region": EUROPE}
        assert shown["ReplicaKeys"] == [
            {"Arn": arn_in(ASIA, replicated), "Region": ASIA},
            {"Arn": arn_in("us-east-1", replicated), "Region": "us-east-1"},
        ]
    assert configuration(europe, replicated)["MultiRegionKeyType"] == "PRIMARY"
    assert configuration(client, replicated)["MultiRegionKeyType"] == "REPLICA"
    assert {key_state(member, replicated) for member in (client, europe, asia)} == {"Enabled"}


def test_after_update_primary_region_the_new_primary_drives_rotation(
    kms: MockKMS, client: KMSClient, europe: KMSClient, clock: FrozenClock, replicated: str
) -> None:
    client.enable_key_rotation(KeyId=replicated, RotationPeriodInDays=90)
    client.update_primary_region(KeyId=replicated, PrimaryRegion=EUROPE)
    client.disable_key(KeyId=replicated)  # the former primary: a replica now
    clock.advance(days=90)
    assert len(material_ids(client, replicated)) == 2
    rotations = [e for e in kms.audit_log if e["eventName"] == "RotateKey"]
    assert [e["awsRegion"] for e in rotations] == [EUROPE]
    # Its settings are the new primary's to change, not the former primary's.
    error = error_of(raises(lambda: client.disable_key_rotation(KeyId=replicated)))
    assert error == not_primary("us-east-1", replicated)
    europe.enable_key_rotation(KeyId=replicated, RotationPeriodInDays=180)
    europe.disable_key(KeyId=replicated)
    clock.advance(days=365)
    assert len(material_ids(client, replicated)) == 2  # the new primary is disabled
    assert europe.get_key_rotation_status(KeyId=replicated)["RotationPeriodInDays"] == 180


def test_update_primary_region_on_a_replica_is_refused(europe: KMSClient, replicated: str) -> None:
    excinfo = raises(lambda: europe.update_primary_region(KeyId=replicated, PrimaryRegion=ASIA))
    assert error_of(excinfo) == not_primary(EUROPE, replicated)


def test_update_primary_region_needs_a_replica_there(
    kms: MockKMS, client: KMSClient, replicated: str
) -> None:
    before = dump(kms)
    for region in (ASIA, "us-east-1"):
        with pytest.raises(ClientError) as excinfo:
            client.update_primary_region(KeyId=replicated, PrimaryRegion=region)
        assert error_of(excinfo) == (
            "NotFoundException",
            f"{arn_in('us-east-1', replicated)} has no replica in {region}.",
            400,
        )
    assert dump(kms) == before


def test_update_primary_region_needs_both_keys_enabled(
    kms: MockKMS, client: KMSClient, europe: KMSClient, replicated: str
) -> None:
    europe.disable_key(KeyId=replicated)
    excinfo = raises(lambda: client.update_primary_region(KeyId=replicated, PrimaryRegion=EUROPE))
    assert error_of(excinfo) == (
        "DisabledException",
        f"{arn_in(EUROPE, replicated)} is disabled.",
        400,
    )
    europe.enable_key(KeyId=replicated)
    client.disable_key(KeyId=replicated)
    excinfo = raises(lambda: client.update_primary_region(KeyId=replicated, PrimaryRegion=EUROPE))
    assert error_of(excinfo) == (
        "DisabledException",
        f"{arn_in('us-east-1', replicated)} is disabled.",
        400,
    )
    assert configuration(client, replicated)["MultiRegionKeyType"] == "PRIMARY"


def test_update_primary_region_of_a_single_region_key_is_refused(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    excinfo = raises(lambda: client.update_primary_region(KeyId=key_id, PrimaryRegion=EUROPE))
    assert error_of(excinfo) == not_primary("us-east-1", key_id)


# -- Deletion: the primary waits for its replicas ---------------------------------------------


def test_a_primary_with_replicas_waits_in_pending_replica_deletion(
    client: KMSClient, replicated: str
) -> None:
    response = dict(client.schedule_key_deletion(KeyId=replicated, PendingWindowInDays=7))
    del response["ResponseMetadata"]
    assert response == {
        "KeyId": arn_in("us-east-1", replicated),
        "KeyState": "PendingReplicaDeletion",
        "PendingWindowInDays": 7,
    }
    metadata = client.describe_key(KeyId=replicated)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Enabled"]) == ("PendingReplicaDeletion", False)
    assert metadata["PendingDeletionWindowInDays"] == 7
    assert "DeletionDate" not in metadata


def test_the_primarys_window_starts_when_its_last_replica_is_deleted(
    kms: MockKMS,
    client: KMSClient,
    europe: KMSClient,
    asia: KMSClient,
    clock: FrozenClock,
    replicated: str,
) -> None:
    client.replicate_key(KeyId=replicated, ReplicaRegion=ASIA)
    client.schedule_key_deletion(KeyId=replicated, PendingWindowInDays=7)
    europe.schedule_key_deletion(KeyId=replicated, PendingWindowInDays=7)
    clock.advance(days=3)
    asia.schedule_key_deletion(KeyId=replicated, PendingWindowInDays=10)
    clock.advance(days=7)  # day 10: the European replica is gone, the Asian one is not
    assert stored_key_ids(kms, region=EUROPE) == []
    assert key_state(client, replicated) == "PendingReplicaDeletion"
    assert configuration(client, replicated)["ReplicaKeys"] == [
        {"Arn": arn_in(ASIA, replicated), "Region": ASIA}
    ]
    clock.advance(days=3)  # day 13: the last replica is deleted, the primary's 7 days begin
    metadata = client.describe_key(KeyId=replicated)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["DeletionDate"]) == (
        "PendingDeletion",
        START + 20 * DAY,
    )
    assert "PendingDeletionWindowInDays" not in metadata
    clock.advance(days=7, seconds=-1)
    assert key_state(client, replicated) == "PendingDeletion"
    clock.advance(seconds=1)
    assert stored_key_ids(kms) == []
    deleted = [
        (e["awsRegion"], e["eventTime"]) for e in kms.audit_log if e["eventName"] == "DeleteKey"
    ]
    assert deleted == [
        (EUROPE, "2025-01-08T00:00:00Z"),
        (ASIA, "2025-01-14T00:00:00Z"),
        ("us-east-1", "2025-01-21T00:00:00Z"),
    ]


def test_deleting_a_primary_with_replicas_takes_at_least_14_days(
    kms: MockKMS, client: KMSClient, europe: KMSClient, clock: FrozenClock, replicated: str
) -> None:
    europe.schedule_key_deletion(KeyId=replicated, PendingWindowInDays=7)
    client.schedule_key_deletion(KeyId=replicated, PendingWindowInDays=7)
    clock.advance(days=14, seconds=-1)
    assert key_state(client, replicated) == "PendingDeletion"
    clock.advance(seconds=1)
    assert stored_key_ids(kms) == []


def test_cancelling_a_pending_replica_deletion_disables_the_primary(
    client: KMSClient, europe: KMSClient, clock: FrozenClock, replicated: str
) -> None:
    client.schedule_key_deletion(KeyId=replicated)
    response = client.cancel_key_deletion(KeyId=replicated)
    assert response["KeyId"] == arn_in("us-east-1", replicated)
    metadata = client.describe_key(KeyId=replicated)["KeyMetadata"]
    assert metadata["KeyState"] == "Disabled"
    assert "PendingDeletionWindowInDays" not in metadata
    europe.schedule_key_deletion(KeyId=replicated, PendingWindowInDays=7)
    clock.advance(days=60)  # the replica goes; the primary, no longer waiting, stays
    assert key_state(client, replicated) == "Disabled"


@pytest.mark.parametrize(
    ("operation", "kwargs"),
    [
        ("schedule_key_deletion", {}),
        ("encrypt", {"Plaintext": b"x"}),
        ("enable_key", {}),
        ("update_key_description", {"Description": "d"}),
        ("replicate_key", {"ReplicaRegion": ASIA}),
        ("update_primary_region", {"PrimaryRegion": EUROPE}),
    ],
)
def test_a_key_pending_replica_deletion_says_so(
    client: KMSClient, replicated: str, operation: str, kwargs: dict[str, Any]
) -> None:
    client.schedule_key_deletion(KeyId=replicated)
    excinfo = raises(lambda: getattr(client, operation)(KeyId=replicated, **kwargs))
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{arn_in('us-east-1', replicated)} is pending replica deletion.",
        400,
    )


def test_a_key_pending_replica_deletion_does_not_rotate(
    client: KMSClient, europe: KMSClient, clock: FrozenClock, replicated: str
) -> None:
    client.enable_key_rotation(KeyId=replicated, RotationPeriodInDays=90)
    client.schedule_key_deletion(KeyId=replicated)
    clock.advance(days=200)
    assert len(material_ids(europe, replicated)) == 1
    assert europe.get_key_rotation_status(KeyId=replicated)["KeyRotationEnabled"] is True
    assert client.get_key_rotation_status(KeyId=replicated)["KeyRotationEnabled"] is False


# -- The backend: the lifecycle and rotation of related keys ----------------------------------


def _related_keys(backend: Backend) -> tuple[Key, Key]:
    """A multi-Region primary in us-east-1 and its replica in eu-west-1, stored."""
    primary = new_key(
        backend,
        ACCOUNT,
        "us-east-1",
        START,
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        origin="AWS_KMS",
        policy=None,
        multi_region=True,
    )
    replica = new_replica(primary, EUROPE, START, policy=None, description="", tags=NO_TAGS)
    assert primary.related is not None
    primary.related.replicas[EUROPE] = replica
    for key in (primary, replica):
        store = backend.region_store(ACCOUNT, key.region)
        store.add_key(key)
        backend.keep(store)
    return primary, replica


def test_a_replicas_state_change_refreshes_the_schedule_through_its_primary() -> None:
    backend = Backend(
        clock=FrozenClock(START), default_region="us-east-1", account_id=ACCOUNT, seed=1
    )
    primary, replica = _related_keys(backend)
    assert replica.materials is primary.materials
    _rotation.enable(backend, primary, 90, START)
    _lifecycle.set_state(backend, replica, "Disabled", START)
    assert len(backend.schedule) == 1  # still the primary's rotation
    _lifecycle.set_state(backend, primary, "Disabled", START)
    assert len(backend.schedule) == 0


def test_the_last_replicas_deletion_starts_the_primarys_window() -> None:
    backend = Backend(
        clock=FrozenClock(START), default_region="us-east-1", account_id=ACCOUNT, seed=1
    )
    primary, replica = _related_keys(backend)
    _lifecycle.schedule_deletion(backend, primary, 7, START)
    assert (primary.state, primary.deletion_event) == ("PendingReplicaDeletion", None)
    _lifecycle.delete(backend, replica, START + 3 * DAY)
    assert primary.related is not None
    assert primary.related.replicas == {}
    assert (primary.state, primary.deletion_date) == ("PendingDeletion", START + 10 * DAY)
