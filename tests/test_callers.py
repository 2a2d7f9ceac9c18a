"""Every call has a principal: registered credentials, ``as_principal``, ``via_service``.

Through boto3 clients with distinct credentials: who the audit log says called,
which account's keys an unqualified key id names, and which operations may use
another account's key by its ARN. Permissions are not enforced here: this module
is about who calls and which account a call addresses (``test_permissions.py``
is about what each caller may do).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, UsageError, mock_kms
from kms_mock._callers import via_service_endpoint
from kms_mock._resolve import CROSS_ACCOUNT_OPERATIONS
from kms_mock._shapes import service_model
from tests._helpers import (
    ACCOUNT,
    REGION,
    client_as,
    error_of,
    listed_key_ids,
    new_key,
    raises,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

OTHER = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/Alice"
BOB_IN_OTHER = f"arn:aws:iam::{OTHER}:user/Bob"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/ci-run"


@pytest.fixture
def kms(clock: FrozenClock) -> Iterator[MockKMS]:
    """An active mock on the frozen ``clock`` that lets every caller make every call."""
    with mock_kms(clock=clock, enforce_permissions=False) as mock:
        yield mock


def identity_of_last_call(kms: MockKMS) -> dict[str, Any]:
    return dict(kms.audit_log[-1]["userIdentity"])


def hidden_denial(principal: str, operation: str) -> tuple[str, str, int]:
    return (
        "AccessDeniedException",
        f"User: {principal} is not authorized to perform: kms:{operation} on this resource "
        "because the resource does not exist in this Region, no resource-based policies allow "
        "access, or a resource-based policy explicitly denies access",
        400,
    )


# -- who calls: the audit's userIdentity ---------------------------------------------------


def test_a_client_with_a_registered_users_credentials_calls_as_that_user(kms: MockKMS) -> None:
    credentials = kms.principals.register(ALICE)
    client = boto3.client("kms", region_name=REGION, **credentials)
    client.list_keys()
    identity = identity_of_last_call(kms)
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", identity.pop("principalId"))
    assert identity == {
        "type": "IAMUser",
        "arn": ALICE,
        "accountId": ACCOUNT,
        "accessKeyId": credentials["aws_access_key_id"],
        "userName": "Alice",
    }
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", credentials["aws_access_key_id"])
    assert credentials["aws_session_token"] is None


def test_an_assumed_role_session_shows_its_session_context(kms: MockKMS) -> None:
    credentials = kms.principals.register(SESSION)
    assert credentials["aws_access_key_id"].startswith("ASIA")
    assert credentials["aws_session_token"]  # temporary credentials carry a token
    boto3.client("kms", region_name=REGION, **credentials).list_keys()
    identity = identity_of_last_call(kms)
    role_id = identity["sessionContext"]["sessionIssuer"]["principalId"]
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", role_id)
    assert identity == {
        "type": "AssumedRole",
        "principalId": f"{role_id}:ci-run",
        "arn": SESSION,
        "accountId": ACCOUNT,
        "accessKeyId": credentials["aws_access_key_id"],
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": f"arn:aws:iam::{ACCOUNT}:role/Deployer",
                "accountId": ACCOUNT,
                "userName": "Deployer",
            },
            "attributes": {"mfaAuthenticated": "false"},
        },
    }


def test_a_role_calls_through_its_session_named_kms_mock(kms: MockKMS) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/team/Deployer"
    client_as(kms, role).list_keys()
    identity = identity_of_last_call(kms)
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/kms-mock"
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == role  # its path kept


def test_another_accounts_root_is_a_root_caller(kms: MockKMS) -> None:
    root = f"arn:aws:iam::{OTHER}:root"
    credentials = kms.principals.register(root, access_key_id="AKIAOTHERROOT0000001")
    boto3.client("kms", region_name=REGION, **credentials).list_keys()
    assert identity_of_last_call(kms) == {
        "type": "Root",
        "principalId": OTHER,
        "arn": root,
        "accountId": OTHER,
        "accessKeyId": "AKIAOTHERROOT0000001",
    }
    assert kms.audit_log[-1]["recipientAccountId"] == OTHER


def test_registering_again_gives_the_same_credentials(kms: MockKMS) -> None:
    assert kms.principals.register(ALICE) == kms.principals.register(ALICE)
    assert kms.principals.register(ALICE) != kms.principals.register(BOB_IN_OTHER)


def test_unregistered_credentials_call_as_the_default_principal(
    kms: MockKMS, client: KMSClient
) -> None:
    stranger = boto3.client(
        "kms",
        region_name=REGION,
        aws_access_key_id="AKIANOTREGISTERED000",
        aws_secret_access_key="secret",
    )
    key_id = new_key(stranger)["KeyId"]
    assert identity_of_last_call(kms) == {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
    }
    assert listed_key_ids(client) == [key_id]


def test_a_session_holding_registered_credentials_makes_clients_that_call_as_it(
    kms: MockKMS,
) -> None:
    session = boto3.Session(**kms.principals.register(ALICE), region_name=REGION)
    session.client("kms").list_keys()
    assert identity_of_last_call(kms)["arn"] == ALICE


def test_registered_credentials_on_the_before_send_path(kms: MockKMS) -> None:
    slow = client_as(kms, BOB_IN_OTHER)
    slow.meta.events.unregister("before-call.kms", _fast_path_handler())
    seen: list[Any] = []  # the requests as the handlers after kms_mock's see them
    slow.meta.events.register("before-send.kms", lambda request, **_: seen.append(request))
    key_arn = new_key(slow)["Arn"]
    assert key_arn.startswith(f"arn:aws:kms:{REGION}:{OTHER}:key/")
    assert identity_of_last_call(kms)["arn"] == BOB_IN_OTHER
    # The note kms_mock made for itself is gone before other handlers see the request.
    assert seen
    assert all("X-Kms-Mock-Access-Key-Id" not in request.headers for request in seen)


def _fast_path_handler() -> Any:
    from kms_mock import _interceptor

    return _interceptor._before_call


# -- as_principal: thread- and task-local ------------------------------------------------


def test_as_principal_sets_the_caller_of_clients_without_registered_credentials(
    kms: MockKMS, client: KMSClient
) -> None:
    alice = client_as(kms, ALICE)
    with kms.as_principal(BOB_IN_OTHER):
        client.list_keys()
        assert identity_of_last_call(kms)["principalId"].startswith("AIDA")
        assert kms.audit_log[-1]["userIdentity"]["arn"] == BOB_IN_OTHER
        alice.list_keys()  # registered credentials name their own principal
        assert identity_of_last_call(kms)["arn"] == ALICE
    client.list_keys()
    assert identity_of_last_call(kms)["type"] == "Root"


def test_as_principal_blocks_nest(kms: MockKMS, client: KMSClient) -> None:
    with kms.as_principal(ALICE):
        with kms.as_principal(SESSION):
            client.list_keys()
            assert identity_of_last_call(kms)["arn"] == SESSION
        client.list_keys()
        assert identity_of_last_call(kms)["arn"] == ALICE


def test_as_principal_is_local_to_its_thread(kms: MockKMS) -> None:
    both_inside = threading.Barrier(2)
    created: dict[str, list[str]] = {}

    def work(account: str) -> None:
        client = boto3.client("kms", region_name=REGION)
        with kms.as_principal(f"arn:aws:iam::{account}:user/worker"):
            both_inside.wait()
            new_key(client)
            both_inside.wait()
            created[account] = listed_key_ids(client)

    threads = [threading.Thread(target=work, args=(a,)) for a in (OTHER, "444455556666")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [len(created[account]) for account in (OTHER, "444455556666")] == [1, 1]
    assert created[OTHER] != created["444455556666"]
    assert listed_key_ids(boto3.client("kms", region_name=REGION)) == []  # the root's account


def test_as_principal_is_local_to_its_asyncio_task(kms: MockKMS) -> None:
    client = boto3.client("kms", region_name=REGION)

    async def work(arn: str) -> None:
        with kms.as_principal(arn):
            await asyncio.sleep(0)  # the other task runs inside its own block now
            client.list_keys()

    async def both() -> None:
        await asyncio.gather(work(ALICE), work(BOB_IN_OTHER))

    asyncio.run(both())
    callers = [event["userIdentity"].get("arn") for event in kms.audit_log]
    assert sorted(callers) == sorted([ALICE, BOB_IN_OTHER])


# -- the principal's account holds its keys ------------------------------------------------


def test_a_principal_of_another_account_creates_and_lists_keys_there(
    kms: MockKMS, client: KMSClient
) -> None:
    bob = client_as(kms, BOB_IN_OTHER)
    key = new_key(bob)
    assert key["Arn"].startswith(f"arn:aws:kms:{REGION}:{OTHER}:key/")
    assert key["AWSAccountId"] == OTHER
    policy = bob.get_key_policy(KeyId=key["KeyId"])["Policy"]
    assert f'"arn:aws:iam::{OTHER}:root"' in policy
    bob.create_alias(AliasName="alias/bobs", TargetKeyId=key["KeyId"])
    assert listed_key_ids(bob) == [key["KeyId"]]
    assert listed_key_ids(client) == []  # the mock account's root sees none of it
    assert [a["AliasName"] for a in client.list_aliases()["Aliases"]] == []
    assert kms.audit_log[0]["recipientAccountId"] == OTHER


def test_an_unqualified_key_id_names_a_key_of_the_callers_account(
    kms: MockKMS, client: KMSClient
) -> None:
    key_id = new_key(client)["KeyId"]
    bob = client_as(kms, BOB_IN_OTHER)
    assert error_of(raises(lambda: bob.describe_key(KeyId=key_id))) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:{REGION}:{OTHER}:key/{key_id}' does not exist",
        400,
    )


def test_another_accounts_key_arn_serves_cross_account_operations(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    bob = client_as(kms, BOB_IN_OTHER)
    assert bob.describe_key(KeyId=key["Arn"])["KeyMetadata"] == key
    blob = bob.encrypt(KeyId=key["Arn"], Plaintext=b"shared")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    event = kms.audit_log[-2]  # Bob's Encrypt, as account A's trail shows it
    assert event["recipientAccountId"] == ACCOUNT
    assert event["resources"] == [
        {"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key["Arn"]}
    ]
    principal_id = event["userIdentity"]["principalId"]
    assert event["userIdentity"] == {
        "type": "AWSAccount",
        "principalId": principal_id,
        "accountId": OTHER,
    }


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("DisableKey", lambda c, arn: c.disable_key(KeyId=arn)),
        ("EnableKeyRotation", lambda c, arn: c.enable_key_rotation(KeyId=arn)),
        ("TagResource", lambda c, arn: c.tag_resource(KeyId=arn, Tags=[])),
        ("ScheduleKeyDeletion", lambda c, arn: c.schedule_key_deletion(KeyId=arn)),
        ("CreateAlias", lambda c, arn: c.create_alias(AliasName="alias/x", TargetKeyId=arn)),
    ],
)
def test_same_account_only_operations_refuse_another_accounts_key(
    kms: MockKMS, client: KMSClient, operation: str, call: Any
) -> None:
    key = new_key(client)
    bob = client_as(kms, BOB_IN_OTHER)
    excinfo = raises(lambda: call(bob, key["Arn"]))
    assert error_of(excinfo) == hidden_denial(BOB_IN_OTHER, operation)
    assert type(excinfo.value) is ClientError  # not in the KMS model: no modeled class
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"] == key  # unchanged
    assert kms.audit_log[-2]["errorCode"] == "AccessDenied"  # CloudTrail's name for it


def test_a_same_account_only_operation_hides_whether_the_key_exists(kms: MockKMS) -> None:
    missing = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    bob = client_as(kms, BOB_IN_OTHER)
    assert error_of(raises(lambda: bob.enable_key(KeyId=missing))) == hidden_denial(
        BOB_IN_OTHER, "EnableKey"
    )


def test_the_cross_account_operations_are_those_botocores_model_says() -> None:
    model = service_model()
    documented = {
        name
        for name in model.operation_names
        if "Cross-account use</b>: Yes" in model.operation_model(name).documentation
    }
    assert documented == CROSS_ACCOUNT_OPERATIONS


# -- via a service -------------------------------------------------------------------------


def test_via_service_names_the_service_in_the_audit(kms: MockKMS, client: KMSClient) -> None:
    key_id = new_key(client)["KeyId"]
    with kms.via_service("s3"):
        client.encrypt(KeyId=key_id, Plaintext=b"x")
        assert via_service_endpoint("eu-west-1") == "s3.eu-west-1.amazonaws.com"
    assert kms.audit_log[-1]["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    client.encrypt(KeyId=key_id, Plaintext=b"x")
    assert "invokedBy" not in kms.audit_log[-1]["userIdentity"]
    assert via_service_endpoint(REGION) is None


# -- usage errors --------------------------------------------------------------------------

FORMS = (
    "arn:aws:iam::<account-id>:root, arn:aws:iam::<account-id>:user/<name>, "
    "arn:aws:iam::<account-id>:role/<name>, or "
    "arn:aws:sts::<account-id>:assumed-role/<role-name>/<session-name> "
    "(a 12-digit account id; IAM paths allowed in user and role ARNs)"
)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::12345:user/Alice",  # not 12 digits
        "arn:aws:iam::123456789012:group/Admins",
        "arn:aws:sts::123456789012:assumed-role/OnlyRole",
        "arn:aws:iam::123456789012:user/",
        "123456789012",
        None,
    ],
)
def test_a_malformed_principal_arn_is_a_usage_error(kms: MockKMS, arn: Any) -> None:
    message = f"{arn!r} is not a principal ARN kms_mock can call as: use {FORMS}."
    with pytest.raises(UsageError) as register_error:
        kms.principals.register(arn)
    with pytest.raises(UsageError) as as_principal_error:
        kms.as_principal(arn)
    assert str(register_error.value) == str(as_principal_error.value) == message


def test_an_access_key_id_serves_one_principal(kms: MockKMS) -> None:
    kms.principals.register(ALICE, access_key_id="AKIASHAREDKEY0000001")
    with pytest.raises(UsageError) as excinfo:
        kms.principals.register(BOB_IN_OTHER, access_key_id="AKIASHAREDKEY0000001")
    assert str(excinfo.value) == (
        f"access key id 'AKIASHAREDKEY0000001' is registered for {ALICE} already: "
        f"give {BOB_IN_OTHER} another one, or leave access_key_id out."
    )


def test_a_malformed_access_key_id_is_a_usage_error(kms: MockKMS) -> None:
    with pytest.raises(UsageError) as excinfo:
        kms.principals.register(ALICE, access_key_id="short")
    assert str(excinfo.value) == (
        "access_key_id='short' is not an access key id: use 16 to 128 letters, digits or "
        "underscores (such as AKIAIOSFODNN7EXAMPLE), or leave it out to have one made."
    )


def test_a_malformed_service_name_is_a_usage_error(kms: MockKMS) -> None:
    with pytest.raises(UsageError) as excinfo:
        kms.via_service("S3.amazonaws.com")
    assert str(excinfo.value) == (
        "'S3.amazonaws.com' is not an AWS service name: give the short name that starts its "
        "endpoint, such as 's3', 'ec2', 'secretsmanager' or 'dynamodb'."
    )


# -- registrations are configuration ---------------------------------------------------------


def test_registrations_are_configuration_kept_across_activations() -> None:
    mock = mock_kms(enforce_permissions=False)
    credentials = mock.principals.register(BOB_IN_OTHER)  # before any activation
    for _ in range(2):
        with mock:
            boto3.client("kms", region_name=REGION, **credentials).list_keys()
            assert identity_of_last_call(mock)["arn"] == BOB_IN_OTHER

    @mock
    def decorated() -> str:
        key = new_key(boto3.client("kms", region_name=REGION, **credentials))
        return str(key["AWSAccountId"])

    assert decorated() == OTHER  # each decorated call starts with the registrations made before
