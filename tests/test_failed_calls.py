"""A failed (or DryRun) call changes nothing; lookups only find.

Naming a predefined ``alias/aws/<service>`` creates the AWS managed key only
when the call succeeds; looking into an account or Region that holds nothing
leaves no trace there either.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, mock_kms
from tests._helpers import (
    START,
    client_as,
    dump,
    error_of,
    hidden_resource_message,
    raises,
    stores,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
EBS = "alias/aws/ebs"
DRY_RUN = "The request would have succeeded, but the DryRun option is set."


def _nothing_of_ebs(client: KMSClient) -> None:
    assert client.list_keys()["Keys"] == []
    assert client.list_aliases()["Aliases"] == []


def test_generate_mac_on_an_aws_alias_creates_no_key(kms: MockKMS, client: KMSClient) -> None:
    before = dump(kms)
    excinfo = raises(
        lambda: client.generate_mac(KeyId=EBS, Message=b"m", MacAlgorithm="HMAC_SHA_256")
    )
    code, message, status = error_of(excinfo)
    # Its key policy allows no GenerateMac: denied before the key usage is checked.
    assert (code, status) == ("AccessDeniedException", 400)
    assert message.endswith(" because no resource-based policy allows the kms:GenerateMac action")
    _nothing_of_ebs(client)
    assert dump(kms) == before


def test_get_public_key_on_an_aws_alias_creates_no_key(kms: MockKMS, client: KMSClient) -> None:
    before = dump(kms)
    excinfo = raises(lambda: client.get_public_key(KeyId=EBS))
    assert error_of(excinfo)[0] == "UnsupportedOperationException"
    _nothing_of_ebs(client)
    assert dump(kms) == before


def test_dry_run_encrypt_on_an_aws_alias_creates_no_key(kms: MockKMS, client: KMSClient) -> None:
    before = dump(kms)
    with kms.via_service("ec2"):  # EBS's key serves EBS, whose calls come from EC2
        excinfo = raises(lambda: client.encrypt(KeyId=EBS, Plaintext=b"x", DryRun=True))
    assert error_of(excinfo) == ("DryRunOperationException", DRY_RUN, 400)
    _nothing_of_ebs(client)
    assert dump(kms) == before


def test_failed_call_names_the_key_a_later_call_creates(client: KMSClient) -> None:
    # The key a failed call names in its message is the one that appears later:
    # the AWS managed key's id does not depend on which call first named its alias.
    excinfo = raises(lambda: client.sign(KeyId=EBS, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"))
    message = error_of(excinfo)[1]
    created = client.describe_key(KeyId=EBS)["KeyMetadata"]
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: kms:Sign on resource: "
        f"{created['Arn']} because no resource-based policy allows the kms:Sign action"
    )


def test_successful_encrypt_on_an_aws_alias_creates_it_and_decrypts_later(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    with kms.via_service("ec2"):
        response = client.encrypt(KeyId=EBS, Plaintext=b"volume key")
    managed = client.describe_key(KeyId=EBS)["KeyMetadata"]
    assert response["KeyId"] == managed["Arn"]
    assert managed["KeyManager"] == "AWS"
    assert client.list_keys()["Keys"] == [{"KeyId": managed["KeyId"], "KeyArn": managed["Arn"]}]
    assert [a["AliasName"] for a in client.list_aliases()["Aliases"]] == [EBS]
    status = client.get_key_rotation_status(KeyId=managed["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert client.get_key_last_usage(KeyId=managed["KeyId"])["KeyLastUsage"]["Operation"] == (
        "Encrypt"
    )
    clock.advance(days=400)  # rotated once since: the old material still decrypts
    assert len(kms.key_materials(managed["KeyId"])) == 2
    with kms.via_service("ec2"):
        decrypted = client.decrypt(CiphertextBlob=response["CiphertextBlob"])
    assert decrypted["Plaintext"] == b"volume key"


def _seeded_ids(*, fail_first: bool) -> list[str]:
    with mock_kms(clock=FrozenClock(START), seed=3):
        client = boto3.client("kms", region_name=REGION)
        if fail_first:
            raises(lambda: client.encrypt(KeyId=EBS, Plaintext=b"x", DryRun=True))
        managed = client.describe_key(KeyId=EBS)["KeyMetadata"]
        customer = client.create_key()["KeyMetadata"]
        return [managed["KeyId"], managed["CurrentKeyMaterialId"], customer["KeyId"]]


def test_seeded_aws_managed_key_does_not_depend_on_failed_calls_before_it() -> None:
    plain, after_failure = _seeded_ids(fail_first=False), _seeded_ids(fail_first=True)
    assert after_failure[:2] == plain[:2]
    assert _seeded_ids(fail_first=True) == after_failure  # reproducible


# -- account and Region stores appear only with something in them ---------------------------


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("list_keys", {}),
        ("list_aliases", {}),
        ("describe_key", {"KeyId": "alias/missing"}),
        ("create_key", {"KeySpec": "RSA_2048"}),  # fails: no KeyUsage
        ("create_alias", {"AliasName": "alias/a", "TargetKeyId": "alias/b"}),
        ("encrypt", {"KeyId": EBS, "Plaintext": b"x", "DryRun": True}),
    ],
)
def test_a_look_into_a_new_region_leaves_no_store(
    kms: MockKMS, operation: str, params: dict[str, Any]
) -> None:
    client = boto3.client("kms", region_name="eu-west-3")
    with contextlib.suppress(ClientError):
        getattr(client, operation)(**params)
    assert stores(kms) == {}


def test_a_write_in_a_new_region_keeps_its_store(kms: MockKMS) -> None:
    client = boto3.client("kms", region_name="eu-west-3")
    client.list_keys()
    client.create_key()
    assert list(stores(kms)) == [(ACCOUNT, "eu-west-3")]


def test_another_accounts_predefined_alias_leaves_no_store(kms: MockKMS, client: KMSClient) -> None:
    alias_arn = f"arn:aws:kms:{REGION}:111122223333:alias/aws/s3"
    excinfo = raises(lambda: client.encrypt(KeyId=alias_arn, Plaintext=b"x"))
    assert error_of(excinfo) == (
        "AccessDeniedException",
        hidden_resource_message(f"arn:aws:iam::{ACCOUNT}:root", "kms:Encrypt"),
        400,
    )
    assert stores(kms) == {}


# -- denied and faulted calls -------------------------------------------------------------------

NOBODY = f"arn:aws:iam::{ACCOUNT}:user/nobody"


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("describe_key", {"KeyId": EBS}),
        ("encrypt", {"KeyId": EBS, "Plaintext": b"x"}),
        ("generate_data_key", {"KeyId": EBS, "KeySpec": "AES_256"}),
    ],
)
def test_a_call_denied_to_a_user_creates_no_aws_managed_key(
    kms: MockKMS, operation: str, params: dict[str, Any]
) -> None:
    # Not through EC2, with no identity policy: the AWS managed key's policy allows
    # the account's principals only through the service, or what IAM allows them.
    before = dump(kms)
    user = client_as(kms, NOBODY)
    excinfo = raises(lambda: getattr(user, operation)(**params))
    assert error_of(excinfo)[0] == "AccessDeniedException"
    assert dump(kms) == before
    assert stores(kms) == {}


def test_a_faulted_call_creates_no_aws_managed_key(kms: MockKMS) -> None:
    # The rule names the alias before its key exists: the call naming it first is failed.
    rule = kms.faults.error("KMSInternalException", key=EBS)
    client = boto3.client(
        "kms", region_name=REGION, config=Config(retries={"total_max_attempts": 1})
    )
    before = dump(kms)
    with kms.via_service("ec2"):
        excinfo = raises(lambda: client.encrypt(KeyId=EBS, Plaintext=b"x"))
    assert (error_of(excinfo)[0], rule.fired) == ("KMSInternalException", 1)
    assert dump(kms) == before
    _nothing_of_ebs(client)
