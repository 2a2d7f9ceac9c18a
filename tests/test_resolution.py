"""Resolution only finds: an AWS managed key is derived, and stored by a call that succeeds.

Naming a predefined ``alias/aws/<service>`` whose key does not exist yet gives
the request a provisional key, derived purely from the backend's salt, the
account, the Region and the alias; the request stores it (key, alias, yearly
rotation) when the operation returns, and never otherwise.
"""

from __future__ import annotations

import ast
import datetime as _dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.exceptions import ClientError

import kms_mock
from kms_mock import FrozenClock, MockKMS
from kms_mock._aws_managed import derive_aws_managed_key
from kms_mock._callers import root_principal
from kms_mock._dispatch import Request
from kms_mock._store import Backend
from tests._helpers import dump, error_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
S3 = "alias/aws/s3"


def _backend(seed: int | None = 1) -> Backend:
    return Backend(clock=FrozenClock(START), default_region=REGION, account_id=ACCOUNT, seed=seed)


def _request(backend: Backend, region: str = REGION) -> Request:
    return Request(
        backend=backend,
        operation="DescribeKey",
        region=region,
        account_id=ACCOUNT,
        now=START,
        request_id="request",
        event_id="event",
        principal=root_principal(REGION, ACCOUNT),
    )


# -- the derivation -----------------------------------------------------------------------


def test_deriving_an_aws_managed_key_changes_nothing() -> None:
    backend, twin = _backend(), _backend()
    before = dump(backend)
    key = derive_aws_managed_key(backend, ACCOUNT, REGION, S3, START)
    assert key is not None
    assert key.is_aws_managed
    assert dump(backend) == before
    assert backend.region_stores() == []
    assert len(backend.schedule) == 0
    assert backend.audit.events() == []
    # It draws nothing from the backend's entropy either.
    assert backend.entropy.token_bytes(16) == twin.entropy.token_bytes(16)


def test_the_same_salt_account_region_and_alias_derive_the_same_key() -> None:
    def derived(backend: Backend, region: str = REGION, alias: str = S3) -> tuple[str, str | None]:
        key = derive_aws_managed_key(backend, ACCOUNT, region, alias, START)
        assert key is not None
        return key.key_id, key.materials.current_id

    backend = _backend(seed=None)
    assert derived(backend) == derived(backend)
    assert derived(_backend(seed=7)) == derived(_backend(seed=7))
    assert derived(backend) != derived(_backend(seed=None))  # another salt
    assert derived(backend) != derived(backend, alias="alias/aws/ebs")
    assert derived(backend) != derived(backend, region="eu-west-1")


@pytest.mark.parametrize("alias", ["alias/aws/unknown", "alias/aws/", "alias/s3", "alias/aws/S3"])
def test_only_a_predefined_alias_derives_a_key(alias: str) -> None:
    assert derive_aws_managed_key(_backend(), ACCOUNT, REGION, alias, START) is None


# -- the request applies it ---------------------------------------------------------------


def test_a_request_stores_its_provisional_key_only_when_it_succeeds() -> None:
    backend = _backend()
    failed = _request(backend)
    provisional = failed.provisional_key(S3)
    assert provisional is not None
    assert failed.provisional_key(S3) is provisional  # one object all call long
    assert backend.region_stores() == []  # the call never succeeded: nothing stored

    succeeded = _request(backend)
    key = succeeded.provisional_key(S3)
    assert key is not None
    assert key.key_id == provisional.key_id
    assert backend.region_stores() == []
    succeeded.succeed()
    [store] = backend.region_stores()
    assert store.keys == {key.key_id: key}
    assert [alias.name for alias in store.aliases_of(key.key_id)] == [S3]
    assert store.aliases[S3].arn == f"arn:aws:kms:{REGION}:{ACCOUNT}:{S3}"
    assert [event.due for event in backend.schedule.pending()] == [key.materials.next_rotation_at]
    assert key.materials.next_rotation_at == START + _dt.timedelta(days=365)


def test_a_request_stores_every_provisional_key_it_found() -> None:
    backend = _backend()
    request = _request(backend)
    keys = [request.provisional_key(alias) for alias in (S3, "alias/aws/ebs")]
    request.succeed()
    [store] = backend.region_stores()
    assert list(store.keys.values()) == keys
    assert sorted(store.aliases) == ["alias/aws/ebs", S3]
    assert len(backend.schedule) == 2


def test_a_request_that_found_no_provisional_key_stores_nothing() -> None:
    backend = _backend()
    request = _request(backend)
    assert request.provisional_key("alias/aws/unknown") is None
    request.succeed()
    assert backend.region_stores() == []


# -- through a client ---------------------------------------------------------------------

# Each names the alias, resolves it, then fails (or stops: DryRun).
_FAILING_CALLS: dict[str, Callable[[KMSClient, str, bytes], object]] = {
    "DryRun Encrypt": lambda c, k, _: c.encrypt(KeyId=k, Plaintext=b"x", DryRun=True),
    "Encrypt (RSA algorithm)": lambda c, k, _: c.encrypt(
        KeyId=k, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256"
    ),
    "Sign (key usage)": lambda c, k, _: c.sign(
        KeyId=k, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"
    ),
    "GetPublicKey (symmetric)": lambda c, k, _: c.get_public_key(KeyId=k),
    "Decrypt (another key's blob)": lambda c, k, blob: c.decrypt(CiphertextBlob=blob, KeyId=k),
}


@pytest.mark.parametrize("call", sorted(_FAILING_CALLS))
@pytest.mark.parametrize("key_id", [S3, f"arn:aws:kms:{REGION}:{ACCOUNT}:{S3}"])
def test_a_failed_call_naming_an_aws_alias_leaves_the_store_byte_identical(
    kms: MockKMS, client: KMSClient, call: str, key_id: str
) -> None:
    customer_key = client.create_key()["KeyMetadata"]["KeyId"]
    blob = client.encrypt(KeyId=customer_key, Plaintext=b"x")["CiphertextBlob"]
    before = dump(kms)
    with pytest.raises(ClientError):
        _FAILING_CALLS[call](client, key_id, blob)
    assert dump(kms) == before

    described = client.describe_key(KeyId=key_id)["KeyMetadata"]  # succeeds: stored now
    assert dump(kms) != before
    listed = {key["KeyId"] for key in client.list_keys()["Keys"]}
    assert listed == {customer_key, described["KeyId"]}


def test_the_key_a_failed_call_names_is_the_one_a_later_call_stores(
    client: KMSClient,
) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.sign(KeyId=S3, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    code, message, _ = error_of(excinfo)
    # Its key policy lets no one sign directly: AccessDenied, which names the key.
    assert code == "AccessDeniedException"
    named = message.split(" on resource: ", 1)[1].split(" ", 1)[0]
    assert client.describe_key(KeyId=S3)["KeyMetadata"]["Arn"] == named


def test_a_key_named_in_another_region_is_that_regions_own(kms: MockKMS) -> None:
    here = boto3.client("kms", region_name=REGION)
    there = boto3.client("kms", region_name="eu-west-1")
    here_key = here.describe_key(KeyId=S3)["KeyMetadata"]
    there_key = there.describe_key(KeyId=S3)["KeyMetadata"]
    assert here_key["KeyId"] != there_key["KeyId"]
    assert there_key["Arn"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/")
    assert [key["KeyId"] for key in here.list_keys()["Keys"]] == [here_key["KeyId"]]
    assert [key["KeyId"] for key in there.list_keys()["Keys"]] == [there_key["KeyId"]]


# -- nothing in the chain climbs back up --------------------------------------------------


def _imported_modules(module: str) -> set[str]:
    """kms_mock modules ``module`` imports anywhere: top level, TYPE_CHECKING, functions."""
    source = (Path(kms_mock.__file__).parent / f"{module}.py").read_text()
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is None:
                imported.update(alias.name for alias in node.names)
            else:
                imported.add(node.module.split(".")[0])
    return imported


def test_the_derivation_imports_nothing_above_it() -> None:
    assert _imported_modules("_aws_managed").isdisjoint({"_dispatch", "_store", "_resolve"})


def test_resolution_imports_nothing_that_makes_or_stores_keys() -> None:
    makers = {"_aws_managed", "_keyfactory", "_rotation", "_store"}
    assert _imported_modules("_resolve").isdisjoint(makers)
