"""Property: a call that fails changes nothing in the store (hypothesis).

For every operation in botocore's KMS model (the unserved ones answer
NotImplementedByKmsMock, which counts as failing), calls with parameters drawn
from the operation's input shape — identifiers mostly from a varied population
of keys and aliases, values within and outside the model's limits — go through
a boto3 client that does not validate parameters, so out-of-range values reach
the mock as AWS would receive them. Whenever a call fails, the canonical dump
of the backend is the same before and after it.

Each call is made by the account's root, by a user with no permissions at all
(denied everything, AWS managed keys included) or by a user that only grants
allow (its calls carry grant tokens or not); and some attempts are failed by
fault rules before the service sees them (an injected error or a reset
connection), which must change nothing either.
"""

from __future__ import annotations

import collections
import datetime as _dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from botocore.model import Shape, StructureShape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._shapes import service_model
from tests._helpers import START, dump, import_key_material, wrap_key_material

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

SEED = 11
ACCOUNT = "123456789012"
REGION = "us-east-1"
OTHER_REGION = "eu-west-3"
OTHER_ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
# A user no policy names: denied everything.
NOBODY = f"arn:aws:iam::{ACCOUNT}:user/nobody"
# A user only grants allow (and retire: it is their retiring principal too).
GRANTEE = f"arn:aws:iam::{ACCOUNT}:user/grantee"
INJECTED = "injected by the property test"
CALLS_PER_EXAMPLE = 5
EXAMPLES_PER_OPERATION = 8
# Parameter validation off: out-of-range values reach the mock, as they reach AWS.
UNVALIDATED = Config(parameter_validation=False, retries={"total_max_attempts": 1})
MODEL = service_model()
SLOW_KEY_PAIRS = {"RSA_3072", "RSA_4096"}


@dataclass(frozen=True)
class Population:
    """What a fresh seeded mock holds after :func:`populate`: names to draw parameters from."""

    key_ids: tuple[str, ...]
    key_arns: tuple[str, ...]
    aliases: tuple[str, ...]
    ciphertexts: tuple[bytes, ...]
    signatures: tuple[bytes, ...]
    public_keys: tuple[bytes, ...]
    key_store_ids: tuple[str, ...]
    import_tokens: tuple[bytes, ...]
    wrapped_materials: tuple[bytes, ...]
    key_material_ids: tuple[str, ...]
    grant_ids: tuple[str, ...]
    grant_tokens: tuple[str, ...]


def _key(client: KMSClient, **kwargs: Any) -> str:
    return client.create_key(**kwargs)["KeyMetadata"]["KeyId"]


def populate(kms: MockKMS, client: KMSClient, clock: FrozenClock) -> Population:
    """Symmetric, RSA, ECC, HMAC, imported and multi-Region keys in every state, with aliases.

    Imported: a key pending import and a key with material (which expires, and new
    material pending rotation), with import tokens and wrapped material for both.

    Also an AWS managed key (``alias/aws/s3``), while ``alias/aws/ebs`` is not created yet,
    custom key stores: a connected CloudHSM one with a key, and an external one
    (disconnected, so its key is Unavailable), and grants to ``GRANTEE`` (see
    :func:`_grants`); ``NOBODY`` and ``GRANTEE`` are registered callers.
    """
    for arn in (NOBODY, GRANTEE):
        kms.principals.register(arn)
    rotating = _key(client, Description="rotating", Tags=[{"TagKey": "team", "TagValue": "a"}])
    client.enable_key_rotation(KeyId=rotating, RotationPeriodInDays=90)
    old_blob = client.encrypt(KeyId=rotating, Plaintext=b"old", EncryptionContext={"a": "b"})
    client.rotate_key_on_demand(KeyId=rotating)
    disabled = _key(client)
    client.disable_key(KeyId=disabled)
    doomed = _key(client)
    rsa = _key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    ecc = _key(client, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    agreement = _key(client, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")
    hmac = _key(client, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    imported = _key(client, Origin="EXTERNAL")
    multi_region = _key(client, MultiRegion=True)
    for name, target in (("alias/app", rotating), ("alias/app-2", rotating)):
        client.create_alias(AliasName=name, TargetKeyId=target)
    client.create_alias(AliasName="alias/doomed", TargetKeyId=doomed)
    client.create_alias(AliasName="alias/rsa", TargetKeyId=rsa)
    client.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    managed = client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    key_store_ids, in_stores = _key_stores(client, clock)
    with_material, tokens, wrapped, material_ids = _imported_material(client, imported)
    ids = (
        *(rotating, disabled, doomed, rsa, ecc, agreement, hmac, imported, multi_region, managed),
        *in_stores,
        with_material,
    )
    with kms.via_service("s3"):  # AWS managed keys encrypt for their service only
        s3_blob = client.encrypt(KeyId="alias/aws/s3", Plaintext=b"s3")["CiphertextBlob"]
    blobs = (
        old_blob["CiphertextBlob"],
        s3_blob,
        client.encrypt(KeyId=rsa, Plaintext=b"r", EncryptionAlgorithm="RSAES_OAEP_SHA_256")[
            "CiphertextBlob"
        ],
    )
    signature = client.sign(KeyId=ecc, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    grant_ids, grant_tokens = _grants(client, rotating, hmac)
    mac = client.generate_mac(KeyId=hmac, Message=b"m", MacAlgorithm="HMAC_SHA_256")
    return Population(
        key_ids=ids,
        key_arns=tuple(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}" for key_id in ids),
        aliases=("alias/app", "alias/app-2", "alias/doomed", "alias/rsa", "alias/aws/s3"),
        ciphertexts=blobs,
        signatures=(signature["Signature"], mac["Mac"]),
        public_keys=(client.get_public_key(KeyId=agreement)["PublicKey"],),
        key_store_ids=key_store_ids,
        import_tokens=tokens,
        wrapped_materials=wrapped,
        key_material_ids=material_ids,
        grant_ids=grant_ids,
        grant_tokens=grant_tokens,
    )


def _grants(
    client: KMSClient, symmetric: str, hmac: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(GrantIds, GrantTokens) of grants to ``GRANTEE``: one constrained to an encryption
    context, one that lets it grant again, one on an HMAC key."""
    grants = (
        client.create_grant(
            KeyId=symmetric,
            GranteePrincipal=GRANTEE,
            RetiringPrincipal=GRANTEE,
            Operations=["Encrypt", "Decrypt", "GenerateDataKey", "RetireGrant"],
            Constraints={"EncryptionContextSubset": {"a": "b"}},
            Name="constrained",
        ),
        client.create_grant(
            KeyId=symmetric,
            GranteePrincipal=GRANTEE,
            Operations=["CreateGrant", "DescribeKey", "Decrypt", "ReEncryptFrom"],
        ),
        client.create_grant(
            KeyId=hmac, GranteePrincipal=GRANTEE, Operations=["GenerateMac", "VerifyMac"]
        ),
    )
    return (
        tuple(grant["GrantId"] for grant in grants),
        tuple(grant["GrantToken"] for grant in grants),
    )


def _imported_material(
    client: KMSClient, pending_import: str
) -> tuple[str, tuple[bytes, ...], tuple[bytes, ...], tuple[str, ...]]:
    """(a key with imported material, expiring, and more pending rotation; import tokens of it
    and of ``pending_import``; material wrapped for each token; the key's material ids)."""
    key_id = _key(client, Origin="EXTERNAL")
    tokens, wrapped = [], []
    for target, material in ((key_id, bytes(32)), (pending_import, bytes(range(32)))):
        parameters = client.get_parameters_for_import(
            KeyId=target, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
        tokens.append(parameters["ImportToken"])
        wrapped.append(wrap_key_material(material, parameters["PublicKey"], "RSAES_OAEP_SHA_256"))
    imports = (
        import_key_material(
            client, key_id, bytes(32), ValidTo=_dt.datetime(2025, 6, 1, tzinfo=_dt.UTC)
        ),
        import_key_material(client, key_id, bytes(range(1, 33)), ImportType="NEW_KEY_MATERIAL"),
    )
    material_ids = tuple(imported["KeyMaterialId"] for imported in imports)
    return key_id, tuple(tokens), tuple(wrapped), material_ids


def _key_stores(client: KMSClient, clock: FrozenClock) -> tuple[tuple[str, str], tuple[str, str]]:
    """(CustomKeyStoreIds, keys in them): CloudHSM connected, external disconnected."""
    hsm = client.create_custom_key_store(
        CustomKeyStoreName="hsm",
        CloudHsmClusterId="cluster-234abcdefgh",
        TrustAnchorCertificate="certificate",
        KeyStorePassword="kmsuser-password",
    )["CustomKeyStoreId"]
    xks = client.create_custom_key_store(
        CustomKeyStoreName="xks",
        CustomKeyStoreType="EXTERNAL_KEY_STORE",
        XksProxyConnectivity="PUBLIC_ENDPOINT",
        XksProxyUriEndpoint="https://xks.example.com",
        XksProxyUriPath="/kms/xks/v1",
        XksProxyAuthenticationCredential={
            "AccessKeyId": "ABCDEFGHIJKLMNOPQRST",
            "RawSecretAccessKey": "s" * 43,
        },
    )["CustomKeyStoreId"]
    for store_id in (hsm, xks):
        client.connect_custom_key_store(CustomKeyStoreId=store_id)
    clock.advance(seconds=5)
    in_hsm = _key(client, Origin="AWS_CLOUDHSM", CustomKeyStoreId=hsm)
    in_xks = _key(client, Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=xks, XksKeyId="ext-1")
    client.disconnect_custom_key_store(CustomKeyStoreId=xks)
    clock.advance(seconds=5)
    return (hsm, xks), (in_hsm, in_xks)


def _fresh_mock(clock: FrozenClock) -> MockKMS:
    return mock_kms(clock=clock, seed=SEED)


def _faulty(kms: MockKMS) -> None:
    """Fault rules that fail some attempts of every operation before the service sees them."""
    kms.faults.error("KMSInternalException", message=INJECTED, probability=0.1)
    kms.faults.connection_error(probability=0.05)
    kms.faults.error("ThrottlingException", message=INJECTED, key="alias/aws/ebs", probability=0.2)


# Made once (a client costs milliseconds); every mock serves clients made before it, and
# registering an ARN again gives the same credentials.
HOME = boto3.client("kms", region_name=REGION)
_REGISTRY = mock_kms().principals
CLIENTS = {
    (arn, region): boto3.client("kms", region_name=region, config=UNVALIDATED)
    if arn == ROOT
    else boto3.client("kms", region_name=region, config=UNVALIDATED, **_REGISTRY.register(arn))
    for arn in (ROOT, NOBODY, GRANTEE)
    for region in (REGION, OTHER_REGION)
}


def _population() -> Population:
    clock = FrozenClock(START)
    with _fresh_mock(clock) as kms:
        return populate(kms, HOME, clock)


POPULATION = _population()


# -- parameters drawn from the input shapes -------------------------------------------------


def _identifiers(population: Population) -> st.SearchStrategy[str]:
    """Key identifiers: mostly the population's, also other Regions/accounts and malformed."""
    some_id = population.key_ids[0]
    elsewhere = [
        f"arn:aws:kms:{OTHER_REGION}:{ACCOUNT}:key/{some_id}",
        f"arn:aws:kms:{REGION}:{OTHER_ACCOUNT}:key/{some_id}",
        f"arn:aws:kms:{REGION}:{OTHER_ACCOUNT}:alias/aws/ebs",
        f"arn:aws:kms:{OTHER_REGION}:{ACCOUNT}:alias/aws/ebs",
    ]
    aliases = [
        *population.aliases,
        "alias/aws/ebs",
        "alias/aws/not-a-service",
        "alias/missing",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/app",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/ebs",
    ]
    malformed = [
        "",
        "not-a-key",
        "0c9d9a8e-1b2c-4d5e-8f90-123456789abc",  # well formed, no such key
        "mrk-" + "0" * 32,
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/",
        "arn:aws:s3:::bucket",
        "key/" + some_id,
        "alias/",
    ]
    # Not created yet: a call naming one derives its AWS managed key, kept only if it succeeds.
    aws_managed = [
        "alias/aws/ebs",
        "alias/aws/lambda",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/lambda",
    ]
    return st.one_of(
        st.sampled_from(population.key_ids + population.key_arns),
        st.sampled_from(aliases),
        st.sampled_from(aws_managed),
        st.sampled_from(elsewhere + malformed),
        st.text(max_size=20),
    )


def _alias_names(population: Population) -> st.SearchStrategy[str]:
    fresh = st.from_regex(r"alias/[a-z0-9/_-]{1,12}", fullmatch=True)
    odd = ["alias/aws/mine", "no-prefix", "alias/", "alias/bad name", "alias/" + "x" * 251]
    return st.one_of(
        st.sampled_from(population.aliases), fresh, st.sampled_from(odd), st.text(max_size=10)
    )


_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
)
_POLICIES = [
    _POLICY,
    "{}",
    "not json",
    '{"Statement": []}',
    _POLICY.replace("root", "nobody"),
    "[" * 1000 + "]" * 1000,  # deeper than the JSON parser goes
]


def _bytes_around(low: int, high: int) -> st.SearchStrategy[bytes]:
    """Blobs within the model's length limits and just outside them."""
    short = max(min(high, 64), low)
    lengths = st.sampled_from(sorted({max(low - 1, 0), low, short, high, high + 1}))
    return st.one_of(st.binary(min_size=low, max_size=short), lengths.map(bytes))


def _int_around(low: int | None, high: int | None) -> st.SearchStrategy[int]:
    edges = {0, -1, 1}
    if low is not None:
        edges |= {low - 1, low}
    if high is not None:
        edges |= {high, high + 1}
    inside = st.integers(low if low is not None else -5, high if high is not None else 5000)
    return st.one_of(inside, st.sampled_from(sorted(edges)))


def _text_around(shape: Shape) -> st.SearchStrategy[str]:
    low = shape.metadata.get("min", 0)
    high = shape.metadata.get("max", 64)
    short = max(min(high, 32), low)
    lengths = sorted({max(low - 1, 0), low, short, high, high + 1})
    return st.one_of(
        st.text(min_size=low, max_size=short),
        st.sampled_from(lengths).map(lambda n: "a" * n),
    )


def _blob(name: str, shape: Shape, population: Population) -> st.SearchStrategy[bytes]:
    generic = _bytes_around(shape.metadata.get("min", 0), shape.metadata.get("max", 64))
    pools = {
        "CiphertextBlob": population.ciphertexts,
        "Signature": population.signatures,
        "Mac": population.signatures,
        "PublicKey": population.public_keys,
        "ImportToken": population.import_tokens,
        "EncryptedKeyMaterial": population.wrapped_materials,
    }
    if name in pools:
        pool = pools[name]
        tampered = st.sampled_from(pool).map(lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]))
        return st.one_of(st.sampled_from(pool), tampered, generic)
    return generic


def _string(name: str, shape: Shape, population: Population) -> st.SearchStrategy[str]:
    enum: list[str] = shape.metadata.get("enum", [])
    if name == "KeyPairSpec":
        # A seeded mock makes RSA pairs by a prime search in Python: seconds for 3072+ bits.
        enum = [spec for spec in enum if spec not in SLOW_KEY_PAIRS]
    if enum:
        return st.one_of(st.sampled_from(enum), st.just("NOT_IN_THE_ENUM"))
    if name in {"KeyId", "TargetKeyId", "SourceKeyId", "DestinationKeyId"}:
        return _identifiers(population)
    if name == "AliasName":
        return _alias_names(population)
    if name == "Policy":
        return st.one_of(st.sampled_from(_POLICIES), _text_around(shape))
    if name == "KeyMaterialId":
        return st.one_of(st.sampled_from(population.key_material_ids), _text_around(shape))
    if name == "KeyMaterialDescription":
        return st.one_of(st.sampled_from(["first", "next material"]), _text_around(shape))
    if name == "GrantId":
        return st.one_of(st.sampled_from(population.grant_ids), _text_around(shape))
    if name in {"GrantToken", "GrantTokens"}:  # GrantTokens: a member of the list
        return st.one_of(st.sampled_from(population.grant_tokens), _text_around(shape))
    if name in {"GranteePrincipal", "RetiringPrincipal"}:
        principals = [ROOT, NOBODY, GRANTEE, f"arn:aws:iam::{OTHER_ACCOUNT}:root"]
        return st.one_of(st.sampled_from(principals), _text_around(shape))
    if name == "CustomKeyStoreId":
        return st.one_of(st.sampled_from(population.key_store_ids), _text_around(shape))
    if name in {"NewCustomKeyStoreName", "CustomKeyStoreName"}:
        return st.one_of(st.sampled_from(["hsm", "xks"]), _text_around(shape))
    if name in {"ReplicaRegion", "PrimaryRegion"}:
        return st.sampled_from([REGION, OTHER_REGION, "nowhere", ""])
    if name == "TagKey":
        return st.one_of(st.sampled_from(["team", "env", "aws:x", "AWS:y"]), _text_around(shape))
    return _text_around(shape)


def _list(name: str, shape: Any, population: Population) -> st.SearchStrategy[list[Any]]:
    member = _value(name, shape.member, population)
    if name in {"Tags", "TagKeys"}:
        return st.one_of(st.lists(member, max_size=4), st.lists(member, min_size=51, max_size=51))
    return st.lists(member, max_size=4)


def _value(name: str, shape: Any, population: Population) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        return _members(shape, population)
    if kind == "list":
        return _list(name, shape, population)
    if kind == "map":
        key, value = _text_around(shape.key), _text_around(shape.value)
        return st.dictionaries(key, value, max_size=3)
    if kind == "string":
        return _string(name, shape, population)
    if kind == "blob":
        return _blob(name, shape, population)
    if kind == "integer":
        return _int_around(shape.metadata.get("min"), shape.metadata.get("max"))
    if kind == "boolean":
        return st.booleans()
    assert kind == "timestamp", kind
    return st.datetimes(_dt.datetime(2024, 1, 1), _dt.datetime(2027, 1, 1)).map(
        lambda when: when.replace(tzinfo=_dt.UTC)
    )


def _members(shape: StructureShape, population: Population) -> st.SearchStrategy[Any]:
    # Every member's strategy built once, not at every draw.
    strategies = {name: _value(name, member, population) for name, member in shape.members.items()}
    required = set(shape.required_members)

    @st.composite
    def members(draw: st.DrawFn) -> dict[str, Any]:
        drawn: dict[str, Any] = {}
        for name, strategy in strategies.items():
            # Required members are usually there, optional ones half of the time.
            if draw(st.integers(0, 9)) < (9 if name in required else 5):
                drawn[name] = draw(strategy)
        return drawn

    return members()


Call = tuple[str, str, Any]


def calls(operation: str, population: Population) -> st.SearchStrategy[list[Call]]:
    """A few calls of ``operation``: (caller ARN, client Region, parameters)."""
    shape = MODEL.operation_model(operation).input_shape
    params = _members(shape, population) if shape is not None else st.just({})
    caller = st.sampled_from([ROOT, ROOT, NOBODY, GRANTEE])
    region = st.sampled_from([REGION, REGION, REGION, OTHER_REGION])
    return st.lists(st.tuples(caller, region, params), min_size=1, max_size=CALLS_PER_EXAMPLE)


def _outcome(error: ClientError | ConnectionClosedError) -> str:
    """How a call failed: in the service, or by a fault rule before it."""
    if isinstance(error, ConnectionClosedError):
        return "reset"
    return "injected" if error.response["Error"].get("Message") == INJECTED else "failed"


# -- the property ---------------------------------------------------------------------------


@pytest.mark.parametrize("operation", MODEL.operation_names)
def test_a_failed_call_changes_nothing(operation: str) -> None:
    outcomes: collections.Counter[str] = collections.Counter()

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(calls(operation, POPULATION))
    def check(drawn: list[Call]) -> None:
        clock = FrozenClock(START)
        with _fresh_mock(clock) as kms:
            population = populate(kms, HOME, clock)
            # The seed makes them the same.
            assert population.key_ids == POPULATION.key_ids
            assert population.grant_tokens == POPULATION.grant_tokens
            _faulty(kms)
            for caller, region, params in drawn:
                before = dump(kms)
                try:
                    getattr(CLIENTS[caller, region], xform_name(operation))(**params)
                except (ClientError, ConnectionClosedError) as error:
                    outcomes[_outcome(error)] += 1
                    outcomes[f"failed for {caller}"] += 1
                    assert dump(kms) == before, (operation, caller, region, params)
                else:
                    outcomes["succeeded"] += 1

    check()
    assert outcomes["failed"] > 0, f"no {operation} call failed: the property was never tested"
    denied = outcomes[f"failed for {NOBODY}"] + outcomes[f"failed for {GRANTEE}"]
    assert denied > 0, f"no {operation} call by a user failed: {outcomes}"
