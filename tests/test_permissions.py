"""Permissions enforced in every operation: key policies, identity policies, AWS managed keys.

Through boto3 clients with distinct credentials: each AccessDeniedException form
AWS gives (code, full message, HTTP 400), who may use a key across accounts, the
request context the policies' conditions see, DryRun's place after
authorization, and that a denied call changes nothing and is audited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, UsageError, mock_kms
from tests._helpers import ACCOUNT, REGION, client_as, dump, error_of, new_key, raises, stored_key

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.type_defs import TagTypeDef

OTHER = "444455556666"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/Alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/Bob"
APP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/App"
APP_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/App/kms-mock"
PARTNER_ROLE = f"arn:aws:iam::{OTHER}:role/Partner"
PARTNER_SESSION = f"arn:aws:sts::{OTHER}:assumed-role/Partner/kms-mock"
DRY_RUN = "The request would have succeeded, but the DryRun option is set."
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."
HIDDEN = (
    "because the resource does not exist in this Region, no resource-based policies allow "
    "access, or a resource-based policy explicitly denies access"
)


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "kms:*", resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: Any = "kms:*", resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def key_policy(*statements: dict[str, Any]) -> str:
    """A key policy: the default root statement, then ``statements``."""
    root = allow(Principal={"AWS": ROOT}, Sid="Enable IAM User Permissions")
    return json.dumps(document(root, *statements))


ALL_OF_KMS = document(allow())


def denied(principal: str, action: str, resource: str, reason: str) -> tuple[str, str, int]:
    return (
        "AccessDeniedException",
        f"User: {principal} is not authorized to perform: {action} on {resource} {reason}",
        400,
    )


def on_key(arn: str) -> str:
    return f"resource: {arn}"


def no_resource_allow(action: str) -> str:
    return f"because no resource-based policy allows the {action} action"


def no_identity_allow(action: str) -> str:
    return f"because no identity-based policy allows the {action} action"


# -- who may use a key of their own account ----------------------------------------------------


def test_the_root_under_the_default_policy_may_do_everything(client: KMSClient) -> None:
    key_id = new_key(client)["KeyId"]
    blob = client.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    client.disable_key(KeyId=key_id)


def test_a_user_without_an_identity_policy_is_denied_by_delegation(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    alice = client_as(kms, ALICE)
    excinfo = raises(lambda: alice.encrypt(KeyId=key["KeyId"], Plaintext=b"x"))
    assert error_of(excinfo) == denied(
        ALICE, "kms:Encrypt", on_key(key["Arn"]), no_identity_allow("kms:Encrypt")
    )
    assert type(excinfo.value) is ClientError  # not in the KMS model: no modeled class


def test_an_identity_policy_allows_through_the_root_statement(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    kms.iam.attach(ALICE, document(allow(["kms:Encrypt", "kms:Decrypt"], key["Arn"])))
    alice = client_as(kms, ALICE)
    blob = alice.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert alice.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    excinfo = raises(lambda: alice.disable_key(KeyId=key["KeyId"]))
    assert error_of(excinfo) == denied(
        ALICE, "kms:DisableKey", on_key(key["Arn"]), no_identity_allow("kms:DisableKey")
    )


def test_an_identity_policy_on_an_alias_arn_does_not_cover_the_key(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"
    kms.iam.attach(ALICE, document(allow("kms:Encrypt", alias_arn)))
    excinfo = raises(lambda: client_as(kms, ALICE).encrypt(KeyId="alias/app", Plaintext=b"x"))
    assert error_of(excinfo)[1].endswith(no_identity_allow("kms:Encrypt"))


def test_a_key_policy_naming_the_user_allows_without_an_identity_policy(
    kms: MockKMS, client: KMSClient
) -> None:
    policy = key_policy(allow("kms:Encrypt", Principal={"AWS": ALICE}))
    key_id = new_key(client, Policy=policy)["KeyId"]
    assert client_as(kms, ALICE).encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"]


def test_a_key_policy_that_names_someone_else_denies_with_no_resource_allow(
    kms: MockKMS, client: KMSClient
) -> None:
    policy = json.dumps(document(allow(Principal={"AWS": ALICE})))
    key = new_key(client, Policy=policy, BypassPolicyLockoutSafetyCheck=True)
    kms.iam.attach(BOB, ALL_OF_KMS)
    excinfo = raises(lambda: client_as(kms, BOB).encrypt(KeyId=key["KeyId"], Plaintext=b"x"))
    assert error_of(excinfo) == denied(
        BOB, "kms:Encrypt", on_key(key["Arn"]), no_resource_allow("kms:Encrypt")
    )


def test_a_policy_without_the_root_statement_locks_the_root_out(client: KMSClient) -> None:
    policy = json.dumps(document(allow(Principal={"AWS": ALICE})))
    key = new_key(client, Policy=policy, BypassPolicyLockoutSafetyCheck=True)
    excinfo = raises(lambda: client.describe_key(KeyId=key["KeyId"]))
    assert error_of(excinfo) == denied(
        ROOT, "kms:DescribeKey", on_key(key["Arn"]), no_resource_allow("kms:DescribeKey")
    )


def test_a_key_policy_deny_beats_an_identity_allow(kms: MockKMS, client: KMSClient) -> None:
    policy = key_policy(deny("kms:Decrypt", Principal={"AWS": ALICE}))
    key = new_key(client, Policy=policy)
    kms.iam.attach(ALICE, ALL_OF_KMS)
    alice = client_as(kms, ALICE)
    blob = alice.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    excinfo = raises(lambda: alice.decrypt(CiphertextBlob=blob))
    assert error_of(excinfo) == denied(
        ALICE,
        "kms:Decrypt",
        on_key(key["Arn"]),
        "with an explicit deny in a resource-based policy",
    )


def test_an_identity_policy_deny_beats_a_key_policy_allow(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client, Policy=key_policy(allow(Principal={"AWS": ALICE})))
    kms.iam.attach(ALICE, document(deny("kms:Encrypt", key["Arn"])))
    excinfo = raises(lambda: client_as(kms, ALICE).encrypt(KeyId=key["KeyId"], Plaintext=b"x"))
    assert error_of(excinfo) == denied(
        ALICE,
        "kms:Encrypt",
        on_key(key["Arn"]),
        "with an explicit deny in an identity-based policy",
    )


def test_a_roles_policies_apply_to_its_sessions(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    kms.iam.attach(APP_ROLE, document(allow("kms:Encrypt", key["Arn"])))
    session = client_as(kms, APP_SESSION)
    assert session.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["KeyId"] == key["Arn"]
    excinfo = raises(lambda: session.describe_key(KeyId=key["KeyId"]))
    assert error_of(excinfo) == denied(
        APP_SESSION, "kms:DescribeKey", on_key(key["Arn"]), no_identity_allow("kms:DescribeKey")
    )


# -- account-level operations: IAM alone ---------------------------------------------------


def test_an_account_level_operation_needs_an_identity_policy(kms: MockKMS) -> None:
    alice = client_as(kms, ALICE)
    excinfo = raises(alice.list_keys)
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {ALICE} is not authorized to perform: kms:ListKeys "
        + no_identity_allow("kms:ListKeys"),
        400,
    )
    kms.iam.attach(ALICE, document(allow("kms:ListKeys")))
    assert alice.list_keys()["Keys"] == []


def test_create_key_with_tags_also_asks_tag_resource(kms: MockKMS, client: KMSClient) -> None:
    kms.iam.attach(ALICE, document(allow("kms:CreateKey")))
    alice = client_as(kms, ALICE)
    before = dump(kms)
    tags: list[TagTypeDef] = [{"TagKey": "team", "TagValue": "a"}]
    excinfo = raises(lambda: alice.create_key(Tags=tags))
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {ALICE} is not authorized to perform: kms:TagResource "
        + no_identity_allow("kms:TagResource"),
        400,
    )
    assert dump(kms) == before
    assert alice.create_key()["KeyMetadata"]["KeyManager"] == "CUSTOMER"


def test_an_alias_operation_asks_its_permission_on_the_alias_arn(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    kms.iam.attach(ALICE, document(allow("kms:CreateAlias", key["Arn"])))
    alice = client_as(kms, ALICE)
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"
    excinfo = raises(lambda: alice.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"]))
    assert error_of(excinfo) == denied(
        ALICE, "kms:CreateAlias", on_key(alias_arn), no_identity_allow("kms:CreateAlias")
    )
    kms.iam.attach(ALICE, document(allow("kms:CreateAlias", alias_arn)))
    alice.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    assert [alias["AliasName"] for alias in client.list_aliases()["Aliases"]] == ["alias/app"]


def test_update_alias_asks_both_keys(kms: MockKMS, client: KMSClient) -> None:
    old, new = new_key(client), new_key(client)
    client.create_alias(AliasName="alias/app", TargetKeyId=old["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"
    kms.iam.attach(ALICE, document(allow("kms:UpdateAlias", [alias_arn, new["Arn"]])))
    excinfo = raises(
        lambda: client_as(kms, ALICE).update_alias(AliasName="alias/app", TargetKeyId=new["KeyId"])
    )
    assert error_of(excinfo) == denied(
        ALICE, "kms:UpdateAlias", on_key(old["Arn"]), no_identity_allow("kms:UpdateAlias")
    )


# -- across accounts ---------------------------------------------------------------------------


def _shared_key(client: KMSClient, actions: Any = ("kms:Encrypt", "kms:Decrypt")) -> dict[str, Any]:
    """A key whose policy lets account OTHER (by delegation) ``actions``."""
    partner = allow(list(actions), Principal={"AWS": f"arn:aws:iam::{OTHER}:root"})
    return new_key(client, Policy=key_policy(partner))


def test_another_accounts_role_needs_the_key_policy_and_its_identity_policy(
    kms: MockKMS, client: KMSClient
) -> None:
    key = _shared_key(client)
    partner = client_as(kms, PARTNER_ROLE)
    excinfo = raises(lambda: partner.encrypt(KeyId=key["Arn"], Plaintext=b"x"))
    assert error_of(excinfo) == denied(
        PARTNER_SESSION, "kms:Encrypt", on_key(key["Arn"]), no_identity_allow("kms:Encrypt")
    )
    kms.iam.attach(PARTNER_ROLE, document(allow("kms:Encrypt", key["Arn"])))
    blob = partner.encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_another_account_that_the_key_policy_does_not_name_gets_the_hidden_form(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    kms.iam.attach(PARTNER_ROLE, ALL_OF_KMS)
    excinfo = raises(lambda: client_as(kms, PARTNER_ROLE).encrypt(KeyId=key["Arn"], Plaintext=b"x"))
    assert error_of(excinfo) == denied(PARTNER_SESSION, "kms:Encrypt", "this resource", HIDDEN)


@pytest.mark.parametrize("resource", ["key/1234abcd-12ab-34cd-56ef-1234567890ab", "alias/absent"])
def test_another_accounts_missing_key_gets_the_hidden_form_not_not_found(
    kms: MockKMS, resource: str
) -> None:
    # "the resource does not exist in this Region" is one of the three things the
    # hidden form covers: another account's caller never learns which.
    kms.iam.attach(PARTNER_ROLE, ALL_OF_KMS)
    partner = client_as(kms, PARTNER_ROLE)
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:{resource}"
    excinfo = raises(lambda: partner.encrypt(KeyId=arn, Plaintext=b"x"))
    assert error_of(excinfo) == denied(PARTNER_SESSION, "kms:Encrypt", "this resource", HIDDEN)


def test_a_cross_account_decrypt_without_key_id_names_the_ciphertexts_resource(
    kms: MockKMS, client: KMSClient
) -> None:
    key = _shared_key(client)
    blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    excinfo = raises(lambda: client_as(kms, PARTNER_ROLE).decrypt(CiphertextBlob=blob))
    assert error_of(excinfo) == denied(
        PARTNER_SESSION,
        "kms:Decrypt",
        "the resource associated with this ciphertext",
        no_identity_allow("kms:Decrypt"),
    )


def test_a_same_account_only_operation_is_refused_across_accounts_whatever_the_policy(
    kms: MockKMS, client: KMSClient
) -> None:
    key = _shared_key(client, ["kms:*"])
    kms.iam.attach(PARTNER_ROLE, ALL_OF_KMS)
    partner = client_as(kms, PARTNER_ROLE)
    assert partner.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]
    excinfo = raises(lambda: partner.disable_key(KeyId=key["Arn"]))
    assert error_of(excinfo) == denied(PARTNER_SESSION, "kms:DisableKey", "this resource", HIDDEN)


# -- AWS managed keys ----------------------------------------------------------------------


def test_an_aws_managed_key_serves_its_service_not_the_caller(
    kms: MockKMS, client: KMSClient
) -> None:
    managed = client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    excinfo = raises(lambda: client.encrypt(KeyId="alias/aws/s3", Plaintext=b"x"))
    assert error_of(excinfo) == denied(
        ROOT, "kms:Encrypt", on_key(managed["Arn"]), no_resource_allow("kms:Encrypt")
    )
    with kms.via_service("s3"):
        blob = client.encrypt(KeyId="alias/aws/s3", Plaintext=b"x")["CiphertextBlob"]
    with kms.via_service("sqs"):  # another service's calls: not S3's key
        assert error_of(raises(lambda: client.decrypt(CiphertextBlob=blob)))[0] == (
            "AccessDeniedException"
        )


def test_an_aws_managed_keys_policy_is_awss(client: KMSClient) -> None:
    managed = client.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    policy = client.get_key_policy(KeyId=managed["KeyId"])["Policy"]
    assert policy.startswith('{\n  "Version" : "2012-10-17",\n  "Id" : "auto-ebs-2",')
    statements = json.loads(policy)["Statement"]
    assert statements[0]["Sid"] == (
        "Allow access through EBS for all principals in the account that are authorized to use EBS"
    )
    assert "kms:CreateGrant" in statements[0]["Action"]
    assert statements[0]["Condition"]["StringEquals"] == {
        "kms:CallerAccount": ACCOUNT,
        "kms:ViaService": f"ec2.{REGION}.amazonaws.com",
    }
    assert statements[1]["Action"] == ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"]


# -- the request context of conditions ------------------------------------------------


def _conditional_key(kms: MockKMS, client: KMSClient, condition: dict[str, Any]) -> str:
    """A key that lets Alice use it (directly, by the key policy) only under ``condition``."""
    statement = allow(Principal={"AWS": ALICE}, Condition=condition)
    return str(new_key(client, Policy=key_policy(statement))["KeyId"])


CONDITIONS: list[tuple[dict[str, Any], Callable[[KMSClient, str], Any], bool]] = [
    (
        {"StringEquals": {"kms:EncryptionContext:Dept": "it"}},
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x", EncryptionContext={"dept": "it"}),
        True,  # the context key's name ignores case
    ),
    (
        {"StringEquals": {"kms:EncryptionContext:Dept": "it"}},
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x", EncryptionContext={"Dept": "IT"}),
        False,  # its value does not
    ),
    (
        {"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "tenant"}},
        lambda c, k: c.encrypt(
            KeyId=k, Plaintext=b"x", EncryptionContext={"tenant": "a", "b": "c"}
        ),
        True,
    ),
    (
        {"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "tenant"}},
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),
        False,
    ),
    (
        {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant"]}},
        lambda c, k: c.encrypt(
            KeyId=k, Plaintext=b"x", EncryptionContext={"tenant": "a", "b": "c"}
        ),
        False,
    ),
    (
        {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant"]}},
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),
        True,  # no context: every (no) value matches
    ),
    (
        {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),
        True,
    ),
    (
        {"StringEquals": {"kms:CallerAccount": OTHER}},
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),
        False,
    ),
    (
        {"Null": {"kms:ViaService": "true"}},  # direct calls carry none
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),
        True,
    ),
    (
        {"StringEquals": {"kms:RequestAlias": "alias/app"}},
        lambda c, k: c.encrypt(KeyId="alias/app", Plaintext=b"x"),
        True,
    ),
    (
        {"StringEquals": {"kms:RequestAlias": "alias/app"}},
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),
        False,
    ),
    (
        {"StringEquals": {"kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}},
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),  # the default counts
        True,
    ),
    (
        {"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:01Z"}},
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),
        True,  # the mock clock's time
    ),
    (
        {"DateGreaterThan": {"aws:CurrentTime": "2025-01-01T00:00:01Z"}},
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),
        False,
    ),
]


@pytest.mark.parametrize(("condition", "call", "allowed"), CONDITIONS)
def test_conditions_see_the_request(
    kms: MockKMS,
    client: KMSClient,
    condition: dict[str, Any],
    call: Callable[[KMSClient, str], Any],
    allowed: bool,
) -> None:
    key_id = _conditional_key(kms, client, condition)
    client.create_alias(AliasName="alias/app", TargetKeyId=key_id)
    alice = client_as(kms, ALICE)
    if allowed:
        call(alice, key_id)
    else:
        assert error_of(raises(lambda: call(alice, key_id)))[0] == "AccessDeniedException"


def test_the_mock_clock_moves_aws_current_time(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key_id = _conditional_key(
        kms, client, {"DateLessThan": {"aws:CurrentTime": "2025-02-01T00:00:00Z"}}
    )
    alice = client_as(kms, ALICE)
    alice.encrypt(KeyId=key_id, Plaintext=b"x")
    clock.advance(days=31)
    assert error_of(raises(lambda: alice.encrypt(KeyId=key_id, Plaintext=b"x")))[0] == (
        "AccessDeniedException"
    )


def test_via_service_is_a_condition_key(kms: MockKMS, client: KMSClient) -> None:
    key_id = _conditional_key(
        kms, client, {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
    )
    alice = client_as(kms, ALICE)
    assert error_of(raises(lambda: alice.encrypt(KeyId=key_id, Plaintext=b"x")))[0] == (
        "AccessDeniedException"
    )
    with kms.via_service("secretsmanager"):
        alice.encrypt(KeyId=key_id, Plaintext=b"x")


def test_request_tags_and_tag_keys_condition_create_key(kms: MockKMS) -> None:
    kms.iam.attach(
        ALICE,
        document(
            allow(
                ["kms:CreateKey", "kms:TagResource"],
                Condition={
                    "StringEquals": {"aws:RequestTag/team": "payments"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
                },
            )
        ),
    )
    alice = client_as(kms, ALICE)
    alice.create_key(Tags=[{"TagKey": "team", "TagValue": "payments"}])
    refused: list[list[TagTypeDef]] = [
        [{"TagKey": "team", "TagValue": "search"}],
        [{"TagKey": "team", "TagValue": "payments"}, {"TagKey": "cost", "TagValue": "1"}],
    ]
    for tags in refused:
        excinfo = raises(lambda tags=tags: alice.create_key(Tags=tags))  # type: ignore[misc]
        assert error_of(excinfo)[0] == "AccessDeniedException"


def test_resource_tags_condition_identity_policies(kms: MockKMS, client: KMSClient) -> None:
    tagged = new_key(client, Tags=[{"TagKey": "Team", "TagValue": "payments"}])["KeyId"]
    untagged = new_key(client)["KeyId"]
    kms.iam.attach(
        ALICE,
        document(
            allow("kms:Encrypt", Condition={"StringEquals": {"aws:ResourceTag/team": "payments"}})
        ),
    )
    alice = client_as(kms, ALICE)
    alice.encrypt(KeyId=tagged, Plaintext=b"x")
    assert error_of(raises(lambda: alice.encrypt(KeyId=untagged, Plaintext=b"x")))[0] == (
        "AccessDeniedException"
    )


def test_re_encrypt_asks_from_on_the_source_and_to_on_the_destination(
    kms: MockKMS, client: KMSClient
) -> None:
    source, destination = new_key(client), new_key(client)
    blob = client.encrypt(KeyId=source["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.iam.attach(ALICE, document(allow("kms:ReEncryptFrom", source["Arn"])))
    alice = client_as(kms, ALICE)

    def re_encrypt() -> Any:
        return alice.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["KeyId"])

    assert error_of(raises(re_encrypt)) == denied(
        ALICE, "kms:ReEncryptTo", on_key(destination["Arn"]), no_identity_allow("kms:ReEncryptTo")
    )
    kms.iam.attach(ALICE, document(allow("kms:ReEncryptTo", destination["Arn"])))
    assert re_encrypt()["SourceKeyId"] == source["Arn"]


# -- order: DryRun after authorization, state after authorization --------------------------


def test_dry_run_without_permission_is_access_denied(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    alice = client_as(kms, ALICE)
    excinfo = raises(lambda: alice.encrypt(KeyId=key["KeyId"], Plaintext=b"x", DryRun=True))
    assert error_of(excinfo)[0] == "AccessDeniedException"
    kms.iam.attach(ALICE, ALL_OF_KMS)
    excinfo = raises(lambda: alice.encrypt(KeyId=key["KeyId"], Plaintext=b"x", DryRun=True))
    assert error_of(excinfo) == ("DryRunOperationException", DRY_RUN, 400)


def test_a_decrypt_dry_run_ignoring_the_ciphertext_is_authorized(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    excinfo = raises(
        lambda: client_as(kms, ALICE).decrypt(
            KeyId=key["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]
        )
    )
    assert error_of(excinfo) == denied(
        ALICE, "kms:Decrypt", on_key(key["Arn"]), no_identity_allow("kms:Decrypt")
    )


def test_authorization_comes_before_the_key_state(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    client.disable_key(KeyId=key["KeyId"])
    excinfo = raises(lambda: client_as(kms, ALICE).encrypt(KeyId=key["KeyId"], Plaintext=b"x"))
    assert error_of(excinfo)[0] == "AccessDeniedException"


# -- a denied call changes nothing and is audited ------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c, k: c.disable_key(KeyId=k),
        lambda c, k: c.schedule_key_deletion(KeyId=k),
        lambda c, k: c.tag_resource(KeyId=k, Tags=[{"TagKey": "a", "TagValue": "b"}]),
        lambda c, k: c.put_key_policy(KeyId=k, Policy=key_policy()),
        lambda c, k: c.create_alias(AliasName="alias/x", TargetKeyId=k),
        lambda c, k: c.enable_key_rotation(KeyId=k),
        lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x"),
    ],
)
def test_a_denied_call_changes_nothing(
    kms: MockKMS, client: KMSClient, call: Callable[[KMSClient, str], Any]
) -> None:
    key_id = new_key(client)["KeyId"]
    alice = client_as(kms, ALICE)
    before = dump(kms)
    assert error_of(raises(lambda: call(alice, key_id)))[0] == "AccessDeniedException"
    assert dump(kms) == before


def test_a_denied_call_is_audited_with_the_callers_identity(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    credentials = kms.principals.register(ALICE)
    alice = boto3.client("kms", region_name=REGION, **credentials)
    excinfo = raises(lambda: alice.encrypt(KeyId=key["KeyId"], Plaintext=b"x"))
    event = kms.audit_log[-1]
    assert event["eventName"] == "Encrypt"
    assert event["errorCode"] == "AccessDenied"  # CloudTrail's name for it
    assert event["errorMessage"] == error_of(excinfo)[1]
    assert event["userIdentity"]["type"] == "IAMUser"
    assert event["userIdentity"]["arn"] == ALICE
    assert event["userIdentity"]["accessKeyId"] == credentials["aws_access_key_id"]
    assert event["resources"] == [
        {"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key["Arn"]}
    ]


# -- the lockout check with the real caller --------------------------------------------------


def test_put_key_policy_dropping_the_caller_is_refused_unless_bypassed(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client, Policy=key_policy(allow(Principal={"AWS": ALICE})))
    alice = client_as(kms, ALICE)
    only_bob = json.dumps(document(allow(Principal={"AWS": BOB})))
    excinfo = raises(lambda: alice.put_key_policy(KeyId=key["KeyId"], Policy=only_bob))
    assert error_of(excinfo) == ("MalformedPolicyDocumentException", LOCKOUT, 400)
    alice.put_key_policy(KeyId=key["KeyId"], Policy=only_bob, BypassPolicyLockoutSafetyCheck=True)
    assert stored_key(kms, key["KeyId"]).policy == only_bob


def test_put_key_policy_is_first_authorized_under_the_current_policy(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)
    excinfo = raises(
        lambda: client_as(kms, ALICE).put_key_policy(KeyId=key["KeyId"], Policy="not json")
    )
    assert error_of(excinfo)[0] == "AccessDeniedException"


def test_the_lockout_check_counts_the_callers_identity_policies(
    kms: MockKMS, client: KMSClient
) -> None:
    # The root statement delegates to IAM: a user whose identity policy allows
    # PutKeyPolicy keeps control, one without loses it.
    key_id = new_key(client, Policy=key_policy(allow(Principal={"AWS": ALICE})))["KeyId"]
    alice = client_as(kms, ALICE)
    excinfo = raises(lambda: alice.put_key_policy(KeyId=key_id, Policy=key_policy()))
    assert error_of(excinfo) == ("MalformedPolicyDocumentException", LOCKOUT, 400)
    kms.iam.attach(ALICE, document(allow("kms:PutKeyPolicy")))
    alice.put_key_policy(KeyId=key_id, Policy=key_policy())


# -- identity policies and the setting ---------------------------------------------------------


def test_identity_policies_as_a_setting_are_kept_across_activations() -> None:
    mock = mock_kms(identity_policies={ALICE: [json.dumps(ALL_OF_KMS)]})

    @mock
    def alice_lists() -> object:
        return client_as(mock, ALICE).list_keys()["Keys"]

    assert alice_lists() == []
    assert alice_lists() == []
    assert mock.iam.attached(ALICE) == [json.dumps(ALL_OF_KMS)]
    mock.iam.detach(ALICE)
    assert mock.iam.attached(ALICE) == []


@pytest.mark.parametrize(
    ("arn", "policy", "message"),
    [
        (
            ALICE,
            "{not json",
            f"the identity policy for {ALICE} is malformed: Policy contains invalid JSON.",
        ),
        (
            ALICE,
            {"Version": "2012-10-17"},
            f"the identity policy for {ALICE} is malformed: "
            "Policy contains a statement with no Statement.",
        ),
        (
            ALICE,
            document(allow(Principal={"AWS": ROOT})),
            f"the identity policy for {ALICE} is malformed: Policy document should not specify "
            "a principal. (A Principal belongs in the key policy.)",
        ),
        (
            ROOT,
            ALL_OF_KMS,
            f"{ROOT!r} is not an IAM user or role ARN: identity policies attach to "
            "arn:aws:iam::<account-id>:user/<name> or arn:aws:iam::<account-id>:role/<name> "
            "(a role's policies apply to its sessions; the account root needs none).",
        ),
    ],
)
def test_a_malformed_identity_policy_is_a_usage_error(
    kms: MockKMS, arn: str, policy: Any, message: str
) -> None:
    with pytest.raises(UsageError) as excinfo:
        kms.iam.attach(arn, policy)
    assert str(excinfo.value) == message


def _nested(depth: int) -> dict[str, Any]:
    policy: dict[str, Any] = {}
    for _ in range(depth):
        policy = {"Statement": policy}
    return policy


NESTED_TOO_DEEPLY = (
    f"the identity policy for {ALICE} cannot be written as JSON: it is nested deeper than "
    "Python's JSON encoder goes (IAM would refuse it as malformed)."
)


def test_an_identity_policy_nested_too_deeply_is_a_usage_error(kms: MockKMS) -> None:
    with pytest.raises(UsageError) as excinfo:
        kms.iam.attach(ALICE, _nested(5000))
    assert str(excinfo.value) == NESTED_TOO_DEEPLY
    assert kms.iam.attached(ALICE) == []
    with pytest.raises(UsageError) as excinfo:
        mock_kms(identity_policies={ALICE: [_nested(5000)]})
    assert str(excinfo.value) == NESTED_TOO_DEEPLY


def test_enforcement_off_allows_every_call(clock: FrozenClock) -> None:
    with mock_kms(clock=clock, enforce_permissions=False) as kms:
        client = boto3.client("kms", region_name=REGION)
        policy = json.dumps(document(allow(Principal={"AWS": ALICE})))
        key_id = new_key(client, Policy=policy, BypassPolicyLockoutSafetyCheck=True)["KeyId"]
        client.encrypt(KeyId=key_id, Plaintext=b"x")  # the root, locked out by the policy
        client_as(kms, BOB).list_keys()  # a user without identity policies
        kms.enforce_permissions = True
        assert error_of(raises(lambda: client.encrypt(KeyId=key_id, Plaintext=b"x")))[0] == (
            "AccessDeniedException"
        )


def test_enforce_permissions_must_be_a_bool() -> None:
    with pytest.raises(UsageError) as excinfo:
        mock_kms(enforce_permissions="no")  # type: ignore[call-overload]
    assert str(excinfo.value) == (
        "enforce_permissions='no' must be True (policies and grants decide each call) or "
        "False (every call is allowed)."
    )


def test_a_new_key_policy_decides_the_next_call(kms: MockKMS, client: KMSClient) -> None:
    key_id = new_key(client, Policy=key_policy(allow(Principal={"AWS": ALICE})))["KeyId"]
    alice = client_as(kms, ALICE)
    alice.encrypt(KeyId=key_id, Plaintext=b"x")
    client.put_key_policy(KeyId=key_id, Policy=key_policy(deny("kms:Encrypt", Principal="*")))
    assert error_of(raises(lambda: alice.encrypt(KeyId=key_id, Plaintext=b"x")))[0] == (
        "AccessDeniedException"
    )
