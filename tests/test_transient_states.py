"""The transient key states of multi-Region keys on the mock clock: Creating and Updating.

ReplicateKey leaves the new replica Creating "after a few seconds", UpdatePrimaryRegion
both keys Updating (botocore's model); ``kms.transient_key_state_delay`` says how long
in mock time (default zero: over by the next call). Each operation answers as the
key-state table's Creating and Updating columns say (footnotes 14 and 15 of
https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html), and works once
the state is over.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import pytest

from kms_mock import FrozenClock, MockKMS, UsageError, _lifecycle, mock_kms
from kms_mock._models import CREATING, ENABLED, UPDATING
from tests._helpers import (
    ACCOUNT,
    EUROPE,
    backend_of,
    dump,
    error_of,
    import_key_material,
    new_client,
    raises,
    schedule_of,
    stored_key,
    wrap_key_material,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
DELAY = _dt.timedelta(seconds=30)
TICK = _dt.timedelta(microseconds=1)
US = "us-east-1"
MATERIAL = bytes(range(32))
MESSAGE = b"message"
ECDSA: Final = "ECDSA_SHA_256"
HMAC: Final = "HMAC_SHA_256"
NEVER_EXPIRES: dict[str, Any] = {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}


def arn_in(region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"


def creating(region: str, key_id: str) -> tuple[str, str, int]:
    """Footnote 14 of the key-state table."""
    return ("KMSInvalidStateException", f"{arn_in(region, key_id)} is creating.", 400)


def updating(region: str, key_id: str) -> tuple[str, str, int]:
    """Footnote 15 of the key-state table."""
    return ("KMSInvalidStateException", f"{arn_in(region, key_id)} is updating.", 400)


def shown(client: KMSClient, key_id: str) -> dict[str, Any]:
    return dict(client.describe_key(KeyId=key_id)["KeyMetadata"])


@pytest.fixture
def delayed(kms: MockKMS) -> MockKMS:
    kms.transient_key_state_delay = DELAY
    return kms


# -- Kinds of multi-Region keys, and the calls each operation makes ------------------------------


@dataclass
class Subject:
    """A multi-Region key: its id, a client in each Region, and what the primary made with it."""

    key_id: str
    us: KMSClient
    europe: KMSClient
    blob: bytes = b""  # a ciphertext, a signature or a MAC of MESSAGE


def make_primary(client: KMSClient, kind: str) -> str:
    """A multi-Region primary in us-east-1 of ``kind`` (EXTERNAL ones with MATERIAL imported)."""
    create: dict[str, Any] = {
        "symmetric": {},
        "external": {"Origin": "EXTERNAL"},
        "sign": {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
        "agreement": {"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"},
        "hmac": {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
    }[kind]
    key_id: str = client.create_key(MultiRegion=True, **create)["KeyMetadata"]["KeyId"]
    if kind == "external":
        import_key_material(client, key_id, MATERIAL)
    return key_id


def subject(client: KMSClient, europe: KMSClient, kind: str) -> Subject:
    key_id = make_primary(client, kind)
    made = Subject(key_id, client, europe)
    if kind in ("symmetric", "external"):
        made.blob = client.encrypt(KeyId=key_id, Plaintext=MESSAGE)["CiphertextBlob"]
    elif kind == "sign":
        made.blob = client.sign(KeyId=key_id, Message=MESSAGE, SigningAlgorithm=ECDSA)["Signature"]
    elif kind == "agreement":
        made.blob = client.get_public_key(KeyId=key_id)["PublicKey"]
    elif kind == "hmac":
        made.blob = client.generate_mac(KeyId=key_id, Message=MESSAGE, MacAlgorithm=HMAC)["Mac"]
    return made


# Operation -> (kind of key, the call on the key in eu-west-1).
Call = Callable[[Subject], object]
CRYPTOGRAPHIC: dict[str, tuple[str, Call]] = {
    "Encrypt": ("symmetric", lambda s: s.europe.encrypt(KeyId=s.key_id, Plaintext=b"x")),
    "Decrypt": ("symmetric", lambda s: s.europe.decrypt(CiphertextBlob=s.blob)),
    "ReEncrypt": (
        "symmetric",
        lambda s: s.europe.re_encrypt(CiphertextBlob=s.blob, DestinationKeyId=s.key_id),
    ),
    "GenerateDataKey": (
        "symmetric",
        lambda s: s.europe.generate_data_key(KeyId=s.key_id, KeySpec="AES_256"),
    ),
    "GenerateDataKeyWithoutPlaintext": (
        "symmetric",
        lambda s: s.europe.generate_data_key_without_plaintext(KeyId=s.key_id, NumberOfBytes=16),
    ),
    "GenerateDataKeyPair": (
        "symmetric",
        lambda s: s.europe.generate_data_key_pair(KeyId=s.key_id, KeyPairSpec="ECC_NIST_P256"),
    ),
    "GenerateDataKeyPairWithoutPlaintext": (
        "symmetric",
        lambda s: s.europe.generate_data_key_pair_without_plaintext(
            KeyId=s.key_id, KeyPairSpec="ECC_NIST_P256"
        ),
    ),
    "Sign": (
        "sign",
        lambda s: s.europe.sign(KeyId=s.key_id, Message=MESSAGE, SigningAlgorithm=ECDSA),
    ),
    "Verify": (
        "sign",
        lambda s: s.europe.verify(
            KeyId=s.key_id, Message=MESSAGE, Signature=s.blob, SigningAlgorithm=ECDSA
        ),
    ),
    "GetPublicKey": ("sign", lambda s: s.europe.get_public_key(KeyId=s.key_id)),
    "DeriveSharedSecret": (
        "agreement",
        lambda s: s.europe.derive_shared_secret(
            KeyId=s.key_id, KeyAgreementAlgorithm="ECDH", PublicKey=s.blob
        ),
    ),
    "GenerateMac": (
        "hmac",
        lambda s: s.europe.generate_mac(KeyId=s.key_id, Message=MESSAGE, MacAlgorithm=HMAC),
    ),
    "VerifyMac": (
        "hmac",
        lambda s: s.europe.verify_mac(
            KeyId=s.key_id, Message=MESSAGE, MacAlgorithm=HMAC, Mac=s.blob
        ),
    ),
}

# Management operations the Creating column refuses (X [14]), on the replica in eu-west-1.
CREATING_REFUSES: dict[str, tuple[str, Call]] = {
    **CRYPTOGRAPHIC,
    "EnableKey": ("symmetric", lambda s: s.europe.enable_key(KeyId=s.key_id)),
    "DisableKey": ("symmetric", lambda s: s.europe.disable_key(KeyId=s.key_id)),
    "UpdatePrimaryRegion": (
        "symmetric",
        lambda s: s.us.update_primary_region(KeyId=s.key_id, PrimaryRegion=EUROPE),
    ),
    "GetParametersForImport": (
        "external",
        lambda s: s.europe.get_parameters_for_import(
            KeyId=s.key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        ),
    ),
    "ImportKeyMaterial": (
        "external",
        lambda s: import_key_material(s.europe, s.key_id, MATERIAL),
    ),
    "DeleteImportedKeyMaterial": (
        "external",
        lambda s: s.europe.delete_imported_key_material(KeyId=s.key_id),
    ),
}

# Operations the Creating column allows (OK, or ? [7] for GetKeyRotationStatus).
CREATING_ALLOWS: dict[str, Call] = {
    "DescribeKey": lambda s: s.europe.describe_key(KeyId=s.key_id),
    "CreateAlias": lambda s: s.europe.create_alias(AliasName="alias/new", TargetKeyId=s.key_id),
    "TagResource": lambda s: s.europe.tag_resource(
        KeyId=s.key_id, Tags=[{"TagKey": "k", "TagValue": "v"}]
    ),
    "UntagResource": lambda s: s.europe.untag_resource(KeyId=s.key_id, TagKeys=["k"]),
    "ListResourceTags": lambda s: s.europe.list_resource_tags(KeyId=s.key_id),
    "UpdateKeyDescription": lambda s: s.europe.update_key_description(
        KeyId=s.key_id, Description="changed"
    ),
    "GetKeyPolicy": lambda s: s.europe.get_key_policy(KeyId=s.key_id),
    "PutKeyPolicy": lambda s: s.europe.put_key_policy(
        KeyId=s.key_id, Policy=s.europe.get_key_policy(KeyId=s.key_id)["Policy"]
    ),
    "ListKeyPolicies": lambda s: s.europe.list_key_policies(KeyId=s.key_id),
    "GetKeyRotationStatus": lambda s: s.europe.get_key_rotation_status(KeyId=s.key_id),
    "ListKeyRotations": lambda s: s.europe.list_key_rotations(KeyId=s.key_id),
    "GetKeyLastUsage": lambda s: s.europe.get_key_last_usage(KeyId=s.key_id),
}


# -- The default: over by the next call ---------------------------------------------------------


def test_the_delay_is_zero_by_default(kms: MockKMS) -> None:
    assert kms.transient_key_state_delay == _dt.timedelta(0)


def test_by_default_a_replica_is_creating_in_the_response_only(
    client: KMSClient, europe: KMSClient
) -> None:
    key_id = make_primary(client, "symmetric")
    response = client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)["ReplicaKeyMetadata"]
    assert (response["KeyState"], response["Enabled"]) == (CREATING, False)
    assert "CurrentKeyMaterialId" not in response
    assert shown(europe, key_id)["KeyState"] == ENABLED
    europe.encrypt(KeyId=key_id, Plaintext=b"usable at once")


def test_by_default_update_primary_region_is_over_by_the_next_call(
    client: KMSClient, europe: KMSClient
) -> None:
    key_id = make_primary(client, "symmetric")
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    client.update_primary_region(KeyId=key_id, PrimaryRegion=EUROPE)
    assert [shown(member, key_id)["KeyState"] for member in (client, europe)] == [ENABLED] * 2
    client.disable_key(KeyId=key_id)


# -- Creating -----------------------------------------------------------------------------------


def test_a_replica_is_creating_until_the_delay_has_passed(
    delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    key_id = make_primary(client, "symmetric")
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    clock.advance(DELAY - TICK)
    during = shown(europe, key_id)
    assert (during["KeyState"], during["Enabled"]) == (CREATING, False)
    assert "CurrentKeyMaterialId" not in during  # as ReplicateKey's response (recorded)
    clock.advance(TICK)
    after = shown(europe, key_id)
    assert (after["KeyState"], after["Enabled"]) == (ENABLED, True)
    assert after["CurrentKeyMaterialId"] == shown(client, key_id)["CurrentKeyMaterialId"]


def test_a_replica_of_an_external_primary_ends_pending_import(
    delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    key_id = make_primary(client, "external")
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    assert shown(europe, key_id)["KeyState"] == CREATING
    clock.advance(DELAY)
    assert shown(europe, key_id)["KeyState"] == "PendingImport"
    import_key_material(europe, key_id, MATERIAL)
    assert shown(europe, key_id)["KeyState"] == ENABLED


@pytest.mark.parametrize("operation", sorted(CREATING_REFUSES))
def test_a_creating_replica_refuses_then_serves(
    operation: str,
    delayed: MockKMS,
    clock: FrozenClock,
    client: KMSClient,
    europe: KMSClient,
) -> None:
    kind, call = CREATING_REFUSES[operation]
    made = subject(client, europe, kind)
    client.replicate_key(KeyId=made.key_id, ReplicaRegion=EUROPE)
    before = dump(delayed)
    assert error_of(raises(lambda: call(made))) == creating(EUROPE, made.key_id)
    assert dump(delayed) == before
    clock.advance(DELAY)
    call(made)


def test_a_creating_replica_refuses_an_import_whatever_its_token(
    delayed: MockKMS, client: KMSClient, europe: KMSClient
) -> None:
    key_id = make_primary(client, "external")
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    excinfo = raises(
        lambda: europe.import_key_material(
            KeyId=key_id, ImportToken=b"token", EncryptedKeyMaterial=b"material", **NEVER_EXPIRES
        )
    )
    assert error_of(excinfo) == creating(EUROPE, key_id)


@pytest.mark.parametrize("operation", sorted(CREATING_ALLOWS))
def test_a_creating_replica_can_be_managed(
    operation: str, delayed: MockKMS, client: KMSClient, europe: KMSClient
) -> None:
    made = subject(client, europe, "symmetric")
    client.replicate_key(KeyId=made.key_id, ReplicaRegion=EUROPE)
    CREATING_ALLOWS[operation](made)
    assert shown(europe, made.key_id)["KeyState"] == CREATING


def test_a_creating_replica_is_not_pending_deletion(
    delayed: MockKMS, client: KMSClient, europe: KMSClient
) -> None:
    key_id = make_primary(client, "symmetric")
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    excinfo = raises(lambda: europe.cancel_key_deletion(KeyId=key_id))  # footnote 4
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{arn_in(EUROPE, key_id)} is not pending deletion.",
        400,
    )


def test_a_creating_replica_scheduled_for_deletion_stays_pending_deletion(
    delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    key_id = make_primary(client, "symmetric")
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    europe.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert len(schedule_of(delayed)) == 1  # the deletion: the creation's end is cancelled
    clock.advance(DELAY)
    assert shown(europe, key_id)["KeyState"] == "PendingDeletion"
    europe.cancel_key_deletion(KeyId=key_id)
    assert shown(europe, key_id)["KeyState"] == "Disabled"


def test_rotation_of_a_creating_replica_is_refused_as_a_replicas(
    delayed: MockKMS, client: KMSClient, europe: KMSClient
) -> None:
    # The replica's role is checked before its state (as for a Disabled replica).
    key_id = make_primary(client, "symmetric")
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    excinfo = raises(lambda: europe.rotate_key_on_demand(KeyId=key_id))
    assert error_of(excinfo) == (
        "UnsupportedOperationException",
        f"{arn_in(EUROPE, key_id)} is not a multi-region primary key.",
        400,
    )


# -- Updating -----------------------------------------------------------------------------------


def update_to_europe(client: KMSClient, europe: KMSClient, kind: str = "symmetric") -> Subject:
    made = subject(client, europe, kind)
    client.replicate_key(KeyId=made.key_id, ReplicaRegion=EUROPE)
    return made


def test_both_keys_are_updating_until_the_delay_has_passed(
    delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    made = update_to_europe(client, europe)
    clock.advance(DELAY)  # the replica is Enabled
    client.update_primary_region(KeyId=made.key_id, PrimaryRegion=EUROPE)
    clock.advance(DELAY - TICK)
    for member in (client, europe):
        during = shown(member, made.key_id)
        assert (during["KeyState"], during["Enabled"]) == (UPDATING, True)
    # The roles swap at once: "the primary key is now the key in eu-west-2"
    # (UpdatePrimaryRegion in botocore's model).
    config = shown(client, made.key_id)["MultiRegionConfiguration"]
    assert (config["MultiRegionKeyType"], config["PrimaryKey"]["Region"]) == ("REPLICA", EUROPE)
    clock.advance(TICK)
    assert [shown(member, made.key_id)["KeyState"] for member in (client, europe)] == [ENABLED] * 2


@pytest.mark.parametrize("operation", sorted(CRYPTOGRAPHIC))
def test_updating_keys_serve_cryptographic_operations(
    operation: str, delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    kind, call = CRYPTOGRAPHIC[operation]
    made = update_to_europe(client, europe, kind)
    clock.advance(DELAY)
    client.update_primary_region(KeyId=made.key_id, PrimaryRegion=EUROPE)
    call(made)  # on the new primary
    swapped = Subject(made.key_id, us=made.europe, europe=made.us, blob=made.blob)
    call(swapped)  # on the former primary
    assert shown(client, made.key_id)["KeyState"] == UPDATING


# Operation -> (kind, the call, the Region of the key it names): the Updating column's X [15].
UPDATING_REFUSES: dict[str, tuple[str, Call, str]] = {
    "EnableKey (new primary)": (
        "symmetric",
        lambda s: s.europe.enable_key(KeyId=s.key_id),
        EUROPE,
    ),
    "DisableKey (former primary)": (
        "symmetric",
        lambda s: s.us.disable_key(KeyId=s.key_id),
        US,
    ),
    "ScheduleKeyDeletion": (
        "symmetric",
        lambda s: s.us.schedule_key_deletion(KeyId=s.key_id, PendingWindowInDays=7),
        US,
    ),
    "ReplicateKey": (
        "symmetric",
        lambda s: s.europe.replicate_key(KeyId=s.key_id, ReplicaRegion="ap-southeast-2"),
        EUROPE,
    ),
    "RotateKeyOnDemand": (
        "symmetric",
        lambda s: s.europe.rotate_key_on_demand(KeyId=s.key_id),
        EUROPE,
    ),
    "GetParametersForImport": (
        "external",
        lambda s: s.us.get_parameters_for_import(
            KeyId=s.key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        ),
        US,
    ),
    "DeleteImportedKeyMaterial": (
        "external",
        lambda s: s.europe.delete_imported_key_material(KeyId=s.key_id),
        EUROPE,
    ),
}


@pytest.mark.parametrize("operation", sorted(UPDATING_REFUSES))
def test_updating_keys_refuse_then_serve(
    operation: str, delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    kind, call, region = UPDATING_REFUSES[operation]
    made = update_to_europe(client, europe, kind)
    clock.advance(DELAY)
    if kind == "external":
        import_key_material(europe, made.key_id, MATERIAL)
    client.update_primary_region(KeyId=made.key_id, PrimaryRegion=EUROPE)
    before = dump(delayed)
    assert error_of(raises(lambda: call(made))) == updating(region, made.key_id)
    assert dump(delayed) == before
    clock.advance(DELAY)
    call(made)


def test_updating_keys_import_and_change_rotation(
    delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    made = update_to_europe(client, europe, "external")
    clock.advance(DELAY)
    import_key_material(europe, made.key_id, MATERIAL)
    parameters = europe.get_parameters_for_import(
        KeyId=made.key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    symmetric = update_to_europe(client, europe)
    clock.advance(DELAY)
    for key_id in (made.key_id, symmetric.key_id):
        client.update_primary_region(KeyId=key_id, PrimaryRegion=EUROPE)
    # ImportKeyMaterial is OK while Updating, with parameters got before.
    europe.import_key_material(
        KeyId=made.key_id,
        ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrap_key_material(
            MATERIAL, parameters["PublicKey"], "RSAES_OAEP_SHA_256"
        ),
        **NEVER_EXPIRES,
    )
    europe.enable_key_rotation(KeyId=symmetric.key_id, RotationPeriodInDays=90)  # ? [7]: OK
    europe.disable_key_rotation(KeyId=symmetric.key_id)
    assert shown(europe, made.key_id)["KeyState"] == UPDATING
    assert shown(europe, symmetric.key_id)["KeyState"] == UPDATING


def test_update_primary_region_again_while_updating_restarts_the_wait(
    delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    made = update_to_europe(client, europe)
    clock.advance(DELAY)
    client.update_primary_region(KeyId=made.key_id, PrimaryRegion=EUROPE)
    clock.advance(DELAY / 2)
    europe.update_primary_region(KeyId=made.key_id, PrimaryRegion=US)  # OK while Updating
    clock.advance(DELAY / 2)  # the first update's end: no longer the end
    assert [shown(member, made.key_id)["KeyState"] for member in (client, europe)] == [UPDATING] * 2
    assert shown(client, made.key_id)["MultiRegionConfiguration"]["MultiRegionKeyType"] == (
        "PRIMARY"
    )
    clock.advance(DELAY / 2)
    assert [shown(member, made.key_id)["KeyState"] for member in (client, europe)] == [ENABLED] * 2


def test_a_key_keeps_rotating_while_updating(
    delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    delayed.transient_key_state_delay = _dt.timedelta(days=2)
    made = update_to_europe(client, europe)
    client.enable_key_rotation(KeyId=made.key_id, RotationPeriodInDays=90)
    clock.advance(days=89)
    client.update_primary_region(KeyId=made.key_id, PrimaryRegion=EUROPE)
    clock.advance(days=1)  # the 90 days are up while both keys are Updating
    rotations = europe.list_key_rotations(KeyId=made.key_id)["Rotations"]
    assert [entry["RotationDate"] for entry in rotations] == [START + _dt.timedelta(days=90)]
    clock.advance(days=1)
    status = europe.get_key_rotation_status(KeyId=made.key_id)
    assert status["NextRotationDate"] == START + _dt.timedelta(days=180)


def test_material_that_expires_while_updating_leaves_the_key_pending_import(
    delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    made = update_to_europe(client, europe, "external")
    clock.advance(DELAY)
    import_key_material(europe, made.key_id, MATERIAL, ValidTo=START + DELAY + DELAY)
    client.update_primary_region(KeyId=made.key_id, PrimaryRegion=EUROPE)
    clock.advance(DELAY)  # the expiry, then the update's end
    assert shown(europe, made.key_id)["KeyState"] == "PendingImport"
    assert shown(client, made.key_id)["KeyState"] == ENABLED


# -- Audit --------------------------------------------------------------------------------------


def test_the_audit_log_has_the_calls_and_their_refusals_and_no_service_event(
    delayed: MockKMS, clock: FrozenClock, client: KMSClient, europe: KMSClient
) -> None:
    key_id = make_primary(client, "symmetric")
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    raises(lambda: europe.encrypt(KeyId=key_id, Plaintext=b"x"))
    clock.advance(DELAY)
    client.update_primary_region(KeyId=key_id, PrimaryRegion=EUROPE)
    raises(lambda: europe.disable_key(KeyId=key_id))
    clock.advance(DELAY)
    events = [
        (event["eventName"], event["awsRegion"], event.get("errorCode"), event.get("errorMessage"))
        for event in delayed.audit_log
    ]
    assert events == [
        ("CreateKey", US, None, None),
        ("CreateKey", EUROPE, None, None),  # recorded within ReplicateKey
        ("ReplicateKey", US, None, None),
        ("Encrypt", EUROPE, "KMSInvalidStateException", f"{arn_in(EUROPE, key_id)} is creating."),
        ("UpdatePrimaryRegion", US, None, None),
        (
            "DisableKey",
            EUROPE,
            "KMSInvalidStateException",
            f"{arn_in(EUROPE, key_id)} is updating.",
        ),
    ]


# -- The setting --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [_dt.timedelta(seconds=-1), 5, None])
def test_the_delay_must_be_a_timedelta_of_zero_or_more(kms: MockKMS, bad: Any) -> None:
    with pytest.raises(UsageError) as excinfo:
        kms.transient_key_state_delay = bad
    assert str(excinfo.value) == (
        f"transient_key_state_delay={bad!r} must be a datetime.timedelta >= 0, "
        "such as timedelta(seconds=5)."
    )
    assert kms.transient_key_state_delay == _dt.timedelta(0)


def test_a_delay_set_before_start_applies_to_the_activation() -> None:
    mock = mock_kms(clock=FrozenClock(START))
    mock.transient_key_state_delay = DELAY
    with mock:
        us, europe = new_client(US), new_client(EUROPE)
        key_id = make_primary(us, "symmetric")
        us.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
        assert shown(europe, key_id)["KeyState"] == CREATING


# -- The backend ----------------------------------------------------------------------------------


def test_a_state_change_ends_the_transient_state_under_way(
    delayed: MockKMS, client: KMSClient
) -> None:
    key_id = make_primary(client, "symmetric")
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    replica = stored_key(delayed, key_id, region=EUROPE)
    event = replica.transition
    assert event is not None
    _lifecycle.set_state(backend_of(delayed), replica, "Disabled", START)
    assert (replica.transition, event.cancelled, len(schedule_of(delayed))) == (None, True, 0)


def test_update_primary_region_holds_one_event_per_key(
    delayed: MockKMS, clock: FrozenClock, client: KMSClient
) -> None:
    key_id = make_primary(client, "symmetric")
    client.replicate_key(KeyId=key_id, ReplicaRegion=EUROPE)
    clock.advance(DELAY)
    client.update_primary_region(KeyId=key_id, PrimaryRegion=EUROPE)
    keys = [stored_key(delayed, key_id, region=region) for region in (US, EUROPE)]
    assert [key.state for key in keys] == [UPDATING] * 2
    assert [event.due for event in schedule_of(delayed).pending()] == [START + 2 * DELAY] * 2
