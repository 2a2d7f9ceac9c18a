"""Contract: every served operation's response is valid against botocore's output shape.

A spy on dispatch records each successful response as the service layer
produced it (bytes and datetimes, before the wire), and the model-driven
validator checks it — types, required members, lengths, enums and patterns.
The scenario must exercise every registered operation, so a new operation
cannot land without being checked here.
"""

from __future__ import annotations

import datetime as _dt
import time
from typing import TYPE_CHECKING, Any

import boto3
import freezegun
import pytest
from botocore.utils import parse_timestamp

from kms_mock import FrozenClock, MockKMS, _dispatch
from kms_mock._interceptor import _botocore_timestamp, _http_response, parse, parse_success
from kms_mock._shapes import operation_model
from kms_mock._validation import check_response
from kms_mock._wire import CONTENT_TYPE, WireResponse, encode_body
from tests._helpers import START, import_key_material

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    serve = _dispatch._serve

    def spy(request: _dispatch.Request, params: Any) -> dict[str, Any]:
        response = serve(request, params)
        seen.append((request.operation, response))
        return response

    monkeypatch.setattr(_dispatch, "_serve", spy)
    return seen


def _exercise_every_operation(client: KMSClient, clock: FrozenClock) -> None:
    key = client.create_key(Description="contract", Tags=[{"TagKey": "team", "TagValue": "kms"}])[
        "KeyMetadata"
    ]
    key_id = key["KeyId"]
    client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", MultiRegion=True)
    client.describe_key(KeyId="alias/aws/s3")
    client.describe_key(KeyId=key_id)
    client.list_keys(Limit=1)
    client.update_key_description(KeyId=key_id, Description="changed")
    client.disable_key(KeyId=key_id)
    client.enable_key(KeyId=key_id)
    client.create_alias(AliasName="alias/contract", TargetKeyId=key_id)
    other = client.create_key()["KeyMetadata"]["KeyId"]
    client.update_alias(AliasName="alias/contract", TargetKeyId=other)
    client.list_aliases()
    client.list_aliases(KeyId=other)
    client.delete_alias(AliasName="alias/contract")
    client.tag_resource(KeyId=key_id, Tags=[{"TagKey": "env", "TagValue": "test"}])
    client.untag_resource(KeyId=key_id, TagKeys=["env"])
    client.list_resource_tags(KeyId=key_id)
    policy = client.get_key_policy(KeyId=key_id)["Policy"]
    client.put_key_policy(KeyId=key_id, Policy=policy)
    client.list_key_policies(KeyId=key_id)
    client.generate_random(NumberOfBytes=16)
    blob = client.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"a": "b"})[
        "CiphertextBlob"
    ]
    client.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})
    client.re_encrypt(
        CiphertextBlob=blob, SourceEncryptionContext={"a": "b"}, DestinationKeyId=other
    )
    client.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    client.generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=64)
    client.generate_data_key_pair(KeyId=key_id, KeyPairSpec="ECC_NIST_P256")
    client.generate_data_key_pair_without_plaintext(KeyId=key_id, KeyPairSpec="RSA_2048")
    _exercise_asymmetric_and_hmac_keys(client)
    client.get_key_last_usage(KeyId=key_id)
    client.get_key_rotation_status(KeyId=key_id)
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    client.get_key_rotation_status(KeyId=key_id)
    client.rotate_key_on_demand(KeyId=key_id)
    clock.advance(days=91)
    client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    client.disable_key_rotation(KeyId=key_id)
    client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    client.cancel_key_deletion(KeyId=key_id)
    _exercise_custom_key_stores(client, clock)
    _exercise_multi_region_keys(client)
    _exercise_imported_material(client)
    _exercise_grants(client)


def _exercise_grants(client: KMSClient) -> None:
    key = client.create_key()["KeyMetadata"]["KeyId"]
    role = "arn:aws:iam::123456789012:role/app"
    created = client.create_grant(
        KeyId=key,
        GranteePrincipal=role,
        RetiringPrincipal=role,
        Operations=["Decrypt", "RetireGrant"],
        Constraints={"EncryptionContextEquals": {"purpose": "contract"}},
        Name="contract",
    )
    second = client.create_grant(KeyId=key, GranteePrincipal=role, Operations=["Encrypt"])
    client.list_grants(KeyId=key, Limit=1)
    client.list_retirable_grants(RetiringPrincipal=role)
    client.retire_grant(GrantToken=created["GrantToken"])
    client.revoke_grant(KeyId=key, GrantId=second["GrantId"])


def _exercise_multi_region_keys(client: KMSClient) -> None:
    primary = client.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]["KeyId"]
    client.replicate_key(
        KeyId=primary, ReplicaRegion="eu-west-1", Tags=[{"TagKey": "k", "TagValue": "v"}]
    )
    client.update_primary_region(KeyId=primary, PrimaryRegion="eu-west-1")
    client.describe_key(KeyId=primary)  # now a replica, listing the new primary
    client.schedule_key_deletion(KeyId=primary, PendingWindowInDays=7)
    europe = boto3.client("kms", region_name="eu-west-1")
    europe.schedule_key_deletion(KeyId=primary)  # PendingReplicaDeletion: no DeletionDate
    europe.describe_key(KeyId=primary)  # PendingDeletionWindowInDays


def _exercise_imported_material(client: KMSClient) -> None:
    key_id = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_key_material(client, key_id, bytes(32), KeyMaterialDescription="first")
    import_key_material(
        client,
        key_id,
        bytes(range(32)),
        wrapping_algorithm="RSA_AES_KEY_WRAP_SHA_256",
        ImportType="NEW_KEY_MATERIAL",
        ValidTo=_dt.datetime(2026, 1, 1, tzinfo=_dt.UTC),
    )
    client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    client.rotate_key_on_demand(KeyId=key_id)
    client.describe_key(KeyId=key_id)
    client.delete_imported_key_material(KeyId=key_id)
    hmac_key = client.create_key(
        KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL"
    )["KeyMetadata"]["KeyId"]
    client.delete_imported_key_material(KeyId=hmac_key)  # none yet: no KeyMaterialId
    import_key_material(client, hmac_key, bytes(32))
    # A multi-Region key with imported material: the replica imports its own, and
    # ListKeyRotations shows material waiting for every Region's import.
    mrk = client.create_key(MultiRegion=True, Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_key_material(client, mrk, bytes(32))
    client.replicate_key(KeyId=mrk, ReplicaRegion="eu-west-1")
    europe = boto3.client("kms", region_name="eu-west-1")
    import_key_material(europe, mrk, bytes(32))
    import_key_material(client, mrk, bytes(range(32)), ImportType="NEW_KEY_MATERIAL")
    europe.list_key_rotations(KeyId=mrk, IncludeKeyMaterial="ALL_KEY_MATERIAL")


def _exercise_custom_key_stores(client: KMSClient, clock: FrozenClock) -> None:
    hsm = client.create_custom_key_store(
        CustomKeyStoreName="hsm",
        CloudHsmClusterId="cluster-234abcdefgh",
        TrustAnchorCertificate="-----BEGIN CERTIFICATE-----",
        KeyStorePassword="kmsuser-password",
    )["CustomKeyStoreId"]
    xks = client.create_custom_key_store(
        CustomKeyStoreName="xks",
        CustomKeyStoreType="EXTERNAL_KEY_STORE",
        XksProxyConnectivity="VPC_ENDPOINT_SERVICE",
        XksProxyUriEndpoint="https://xks.example.com",
        XksProxyUriPath="/kms/xks/v1",
        XksProxyVpcEndpointServiceName="com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0",
        XksProxyAuthenticationCredential={
            "AccessKeyId": "ABCDEFGHIJKLMNOPQRST",
            "RawSecretAccessKey": "s" * 43,
        },
    )["CustomKeyStoreId"]
    client.update_custom_key_store(CustomKeyStoreId=xks, NewCustomKeyStoreName="external")
    for store_id in (hsm, xks):
        client.connect_custom_key_store(CustomKeyStoreId=store_id)
    clock.advance(seconds=5)
    client.describe_custom_key_stores(Limit=1)
    client.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=hsm)
    external = client.create_key(
        Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=xks, XksKeyId="external-key-1"
    )["KeyMetadata"]
    client.describe_key(KeyId=external["KeyId"])
    client.generate_random(NumberOfBytes=8, CustomKeyStoreId=hsm)
    client.disconnect_custom_key_store(CustomKeyStoreId=xks)
    client.schedule_key_deletion(KeyId=external["KeyId"], PendingWindowInDays=7)
    clock.advance(days=7)
    client.describe_custom_key_stores(CustomKeyStoreId=xks)
    client.delete_custom_key_store(CustomKeyStoreId=xks)


def _exercise_asymmetric_and_hmac_keys(client: KMSClient) -> None:
    signing = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    signed = client.sign(KeyId=signing["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    client.verify(
        KeyId=signing["Arn"],
        Message=b"m",
        Signature=signed["Signature"],
        SigningAlgorithm="ECDSA_SHA_256",
    )
    client.get_public_key(KeyId=signing["KeyId"])
    rsa = client.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    client.get_public_key(KeyId=rsa["KeyId"])
    blob = client.encrypt(
        KeyId=rsa["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1"
    )["CiphertextBlob"]
    client.decrypt(CiphertextBlob=blob, KeyId=rsa["KeyId"], EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    mac_key = client.create_key(KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    mac = client.generate_mac(KeyId=mac_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_384")
    client.verify_mac(
        KeyId=mac_key["KeyId"], Message=b"m", Mac=mac["Mac"], MacAlgorithm="HMAC_SHA_384"
    )
    ours, theirs = (
        client.create_key(KeySpec="ECC_NIST_P384", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
        for _ in range(2)
    )
    client.derive_shared_secret(
        KeyId=ours,
        KeyAgreementAlgorithm="ECDH",
        PublicKey=client.get_public_key(KeyId=theirs)["PublicKey"],
    )


def test_every_served_operation_answers_in_its_output_shape(
    kms: MockKMS,
    client: KMSClient,
    clock: FrozenClock,
    responses: list[tuple[str, dict[str, Any]]],
) -> None:
    _exercise_every_operation(client, clock)
    violations = {
        operation: problems
        for operation, response in responses
        if (problems := check_response(operation, response))
    }
    assert violations == {}
    assert {operation for operation, _ in responses} == set(_dispatch.OPERATIONS)


def test_the_direct_success_path_equals_botocores_parser_for_every_operation(
    kms: MockKMS,
    client: KMSClient,
    clock: FrozenClock,
    responses: list[tuple[str, dict[str, Any]]],
) -> None:
    _exercise_every_operation(client, clock)
    for operation, members in responses:
        body = encode_body(members)
        headers = {
            "x-amzn-RequestId": "req-1",
            "Content-Type": CONTENT_TYPE,
            "Content-Length": str(len(body)),
        }
        answer = WireResponse(200, headers, body, members)
        http_response = _http_response("https://kms.us-east-1.amazonaws.com/", answer)
        via_parser = parse(http_response, operation_model(operation))
        direct = parse_success(answer)
        assert direct == via_parser, operation
        assert _same_types(direct, via_parser), operation


def _same_types(left: Any, right: Any) -> bool:
    """Equal values of equal types, tzinfo included, at every depth."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same_types(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_same_types, left, right))
    if isinstance(left, _dt.datetime):
        return left == right and type(left.tzinfo) is type(right.tzinfo)
    return bool(left == right)


def test_the_checker_catches_a_malformed_response() -> None:
    assert check_response("ListKeys", {"Keys": [{"KeyId": ""}], "Truncated": "no"}) != []
    assert check_response("DescribeKey", {"KeyMetadata": {"KeyId": "k", "KeyState": "Odd"}}) != []
    assert check_response("GenerateRandom", {"Unknown": 1}) != []


def test_timestamps_follow_a_timezone_change_as_botocore_does(
    client: KMSClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        created = client.describe_key(KeyId=key_id)["KeyMetadata"]["CreationDate"]
        expected = parse_timestamp(created.timestamp())  # type: ignore[arg-type]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert created.utcoffset() == expected.utcoffset() == _dt.timedelta(hours=9)
    assert type(created.tzinfo) is type(expected.tzinfo)


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York"])
def test_timestamps_under_freezegun_are_the_instants_botocore_gives(
    client: KMSClient, zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # freezegun's datetime reads a naive fromtimestamp in its own offset (UTC by
    # default), not in the local zone: a zone without daylight saving time showed it.
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        with freezegun.freeze_time("2030-05-06T07:08:09Z"):
            created = client.describe_key(KeyId=key_id)["KeyMetadata"]["CreationDate"]
            expected = parse_timestamp(created.timestamp())  # type: ignore[arg-type]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert created.timestamp() == _dt.datetime.fromisoformat(START).timestamp()
    assert (created, created.utcoffset()) == (expected, expected.utcoffset())
    assert type(created) is type(expected)


def test_timestamps_of_a_zone_whose_offset_changed_equal_botocores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # botocore's tzlocal gives a zone without daylight saving time its offset of
    # today at every instant; the C library's local time knows that Kolkata's
    # offset in 1900 was another (+05:21:10).
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        instant = _dt.datetime(1900, 1, 1, tzinfo=_dt.UTC)
        ours = _botocore_timestamp(instant)
        theirs = parse_timestamp(instant.timestamp())  # type: ignore[arg-type]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert ours.isoformat() == theirs.isoformat() == "1900-01-01T05:30:00+05:30"


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/New_York", "Europe/London"])
def test_timestamps_equal_botocores_around_daylight_saving_changes(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        start = _dt.datetime(2024, 10, 26, tzinfo=_dt.UTC)  # both DST ends are near
        for quarter_hour in range(4 * 24 * 10):
            instant = start + _dt.timedelta(minutes=15 * quarter_hour, microseconds=123)
            ours = _botocore_timestamp(instant)
            theirs = parse_timestamp(instant.timestamp())  # type: ignore[arg-type]
            # (== between two tzlocal instances is False in an ambiguous hour,
            # even for two of botocore's own results: compare what they say.)
            assert (ours.timestamp(), ours.fold, ours.utcoffset()) == (
                theirs.timestamp(),
                theirs.fold,
                theirs.utcoffset(),
            ), instant
            assert type(ours.tzinfo) is type(theirs.tzinfo)
            assert ours.isoformat() == theirs.isoformat()
    finally:
        monkeypatch.undo()
        time.tzset()
