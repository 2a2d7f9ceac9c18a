"""Unit tests of the grant rules in ``kms_mock._grants``: which grant lets whom do what,
the CreateGrant child rule, who may retire, the grant tokens, and the operations
each kind of key can grant."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

import pytest

from kms_mock._authz import ALLOWED, Decision, caller, identity_decision
from kms_mock._grants import (
    Grant,
    KeyGrants,
    grant_operations_for,
    grant_token,
    grantee_arns,
    grants_allow,
    may_retire,
    parse_grant_token,
)

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/worker"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
WHEN = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)


def make_grant(
    grantee: str = ALICE,
    operations: tuple[str, ...] = ("Decrypt",),
    *,
    subset: dict[str, str] | None = None,
    equals: dict[str, str] | None = None,
    retiring: str | None = None,
) -> Grant:
    return Grant(
        grant_id="g" * 64,
        key_arn=KEY_ARN,
        grantee_principal=grantee,
        operations=frozenset(operations),
        issuing_account=ROOT,
        created_at=WHEN,
        retiring_principal=retiring,
        encryption_context_subset=subset,
        encryption_context_equals=equals,
    )


def grants_of(*grants: Grant) -> KeyGrants:
    key_grants = KeyGrants()
    for number, grant in enumerate(grants):
        grant.grant_id = f"{number:064x}"
        key_grants.add(grant)
    return key_grants


def allows(grant: Grant, operation: str, params: dict[str, Any], *grantees: str) -> bool:
    return grants_allow(grants_of(grant), grantees or (ALICE,), operation, params)


# -- grantee and operation ---------------------------------------------------------------------


def test_no_grants_allow_nothing() -> None:
    assert not grants_allow(None, (ALICE,), "Decrypt", {})
    assert not grants_allow(KeyGrants(), (ALICE,), "Decrypt", {})


def test_only_the_grantee_and_only_its_operations() -> None:
    grant = make_grant()
    assert allows(grant, "Decrypt", {})
    assert not allows(grant, "Encrypt", {})
    assert not allows(grant, "Decrypt", {}, f"arn:aws:iam::{ACCOUNT}:user/bob")


def test_a_role_grant_covers_its_sessions() -> None:
    grant = make_grant(ROLE)
    assert allows(grant, "Decrypt", {}, SESSION, ROLE)
    assert not allows(grant, "Decrypt", {}, SESSION)


def test_a_session_grant_covers_that_session_only() -> None:
    grant = make_grant(SESSION)
    assert allows(grant, "Decrypt", {}, SESSION, ROLE)
    other = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/other"
    assert not allows(grant, "Decrypt", {}, other, ROLE)


def test_grantee_arns_of_a_session_add_its_role() -> None:
    assert grantee_arns(ALICE, None) == (ALICE,)
    assert grantee_arns(SESSION, ROLE) == (SESSION, ROLE)


def test_any_of_the_callers_grants_may_allow() -> None:
    grants = grants_of(make_grant(operations=("Encrypt",)), make_grant(equals={"a": "1"}))
    assert grants_allow(grants, (ALICE,), "Decrypt", {"EncryptionContext": {"a": "1"}})
    assert not grants_allow(grants, (ALICE,), "Decrypt", {"EncryptionContext": {"a": "2"}})


# -- constraints -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "allowed"),
    [
        ({"Dept": "IT"}, True),
        ({"Dept": "IT", "Project": "x"}, True),
        ({"dept": "IT"}, True),  # keys ignore case
        ({"DEPT": "IT", "other": "y"}, True),
        ({"Dept": "it"}, False),  # values do not
        ({"Project": "x"}, False),
        ({}, False),
    ],
)
def test_subset(context: dict[str, str], allowed: bool) -> None:
    grant = make_grant(subset={"Dept": "IT"})
    assert allows(grant, "Decrypt", {"EncryptionContext": context}) is allowed


@pytest.mark.parametrize(
    ("context", "allowed"),
    [
        ({"Dept": "IT", "Env": "prod"}, True),
        ({"env": "prod", "DEPT": "IT"}, True),
        ({"Dept": "IT"}, False),
        ({"Dept": "IT", "Env": "prod", "More": "x"}, False),
        ({"Dept": "IT", "Env": "Prod"}, False),
        ({}, False),
    ],
)
def test_equals(context: dict[str, str], allowed: bool) -> None:
    grant = make_grant(equals={"Dept": "IT", "Env": "prod"})
    assert allows(grant, "Decrypt", {"EncryptionContext": context}) is allowed


def test_absent_context_meets_only_empty_constraints() -> None:
    assert allows(make_grant(subset={}), "Decrypt", {})
    assert allows(make_grant(equals={}), "Decrypt", {})
    assert not allows(make_grant(equals={}), "Decrypt", {"EncryptionContext": {"a": "1"}})


def test_re_encrypt_checks_the_context_of_its_side() -> None:
    grant = make_grant(operations=("ReEncryptFrom", "ReEncryptTo"), equals={"side": "x"})
    params = {"SourceEncryptionContext": {"side": "x"}, "DestinationEncryptionContext": {}}
    assert allows(grant, "ReEncryptFrom", params)
    assert not allows(grant, "ReEncryptTo", params)


def test_describe_key_and_retire_grant_ignore_constraints() -> None:
    grant = make_grant(operations=("DescribeKey", "RetireGrant", "Decrypt"), equals={"a": "1"})
    assert allows(grant, "DescribeKey", {})
    assert allows(grant, "RetireGrant", {})
    assert not allows(grant, "Decrypt", {})


# -- CreateGrant through a grant: the child rule ------------------------------------------------


def create(operations: list[str], constraints: dict[str, Any] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"Operations": operations, "GranteePrincipal": ALICE}
    if constraints is not None:
        params["Constraints"] = constraints
    return params


def test_child_operations_must_be_a_subset() -> None:
    parent = make_grant(operations=("CreateGrant", "Decrypt", "Encrypt"))
    assert allows(parent, "CreateGrant", create(["Decrypt"]))
    assert allows(parent, "CreateGrant", create(["Decrypt", "Encrypt", "CreateGrant"]))
    assert not allows(parent, "CreateGrant", create(["Decrypt", "GenerateDataKey"]))


@pytest.mark.parametrize(
    ("child", "allowed"),
    [
        (None, False),
        ({"EncryptionContextSubset": {"a": "1"}}, True),
        ({"EncryptionContextSubset": {"A": "1"}}, True),
        ({"EncryptionContextSubset": {"a": "1", "b": "2"}}, True),
        ({"EncryptionContextEquals": {"a": "1", "b": "2"}}, True),
        ({"EncryptionContextSubset": {"b": "2"}}, False),
        ({"EncryptionContextSubset": {"a": "2"}}, False),
        ({"EncryptionContextEquals": {"b": "2"}}, False),
        ({}, False),
    ],
)
def test_child_of_a_subset_grant(child: dict[str, Any] | None, allowed: bool) -> None:
    parent = make_grant(operations=("CreateGrant", "Decrypt"), subset={"a": "1"})
    assert allows(parent, "CreateGrant", create(["Decrypt"], child)) is allowed


@pytest.mark.parametrize(
    ("child", "allowed"),
    [
        ({"EncryptionContextEquals": {"a": "1"}}, True),
        ({"EncryptionContextEquals": {"A": "1"}}, True),
        ({"EncryptionContextEquals": {"a": "1", "b": "2"}}, False),
        ({"EncryptionContextSubset": {"a": "1"}}, False),
        (None, False),
    ],
)
def test_child_of_an_equals_grant(child: dict[str, Any] | None, allowed: bool) -> None:
    parent = make_grant(operations=("CreateGrant", "Decrypt"), equals={"a": "1"})
    assert allows(parent, "CreateGrant", create(["Decrypt"], child)) is allowed


def test_child_of_an_unconstrained_grant_may_have_any_constraint() -> None:
    parent = make_grant(operations=("CreateGrant", "Decrypt"))
    assert allows(parent, "CreateGrant", create(["Decrypt"], {"EncryptionContextSubset": {}}))
    assert allows(parent, "CreateGrant", create(["Decrypt"]))


# -- who may retire ----------------------------------------------------------------------------

SILENT = Decision(False, "no_identity_allow")
DENIED = Decision(False, "deny_identity")


def test_retiring_principal_and_its_sessions() -> None:
    grant = make_grant(retiring=ROLE)
    assert may_retire(grant, (SESSION, ROLE), ACCOUNT, SILENT)
    assert not may_retire(grant, (ALICE,), ACCOUNT, SILENT)


def test_grantee_needs_retire_grant_in_the_grant() -> None:
    assert not may_retire(make_grant(), (ALICE,), ACCOUNT, SILENT)
    assert may_retire(make_grant(operations=("RetireGrant",)), (ALICE,), ACCOUNT, SILENT)


def test_issuing_account_through_identity_policies() -> None:
    grant = make_grant()
    bob = f"arn:aws:iam::{ACCOUNT}:user/bob"
    assert may_retire(grant, (bob,), ACCOUNT, ALLOWED)
    assert not may_retire(grant, (bob,), "111122223333", ALLOWED)


def test_a_retiring_account_delegates_through_identity_policies() -> None:
    grant = make_grant(retiring="arn:aws:iam::111122223333:root")
    carol = "arn:aws:iam::111122223333:user/carol"
    assert may_retire(grant, (carol,), "111122223333", ALLOWED)
    assert not may_retire(grant, (carol,), "111122223333", SILENT)


def test_an_identity_deny_wins() -> None:
    grant = make_grant(operations=("RetireGrant",), retiring=ALICE)
    assert not may_retire(grant, (ALICE,), ACCOUNT, DENIED)


def test_identity_decision() -> None:
    allow = json.dumps({"Statement": {"Effect": "Allow", "Action": "kms:Retire*", "Resource": "*"}})
    deny = json.dumps(
        {"Statement": {"Effect": "Deny", "Action": "kms:RetireGrant", "Resource": KEY_ARN}}
    )
    alice = caller(ALICE)
    assert identity_decision(alice, "kms:RetireGrant", KEY_ARN, {}, [allow]) == ALLOWED
    assert identity_decision(alice, "kms:RetireGrant", KEY_ARN, {}, []) == SILENT
    assert identity_decision(alice, "kms:RetireGrant", KEY_ARN, {}, [allow, deny]) == DENIED
    assert identity_decision(alice, "kms:RevokeGrant", KEY_ARN, {}, [allow]) == SILENT
    assert identity_decision(caller(ROOT), "kms:RetireGrant", KEY_ARN, {}, []) == ALLOWED


# -- tokens and grant operations ----------------------------------------------------------------


def test_a_token_names_its_key_and_grant() -> None:
    token = grant_token(KEY_ARN, "a" * 64, b"n" * 16)
    assert parse_grant_token(token) == (KEY_ARN, "a" * 64)
    assert grant_token(KEY_ARN, "a" * 64, b"m" * 16) != token
    assert parse_grant_token(token[:-2]) is None
    assert parse_grant_token(token + "AA") is None
    assert parse_grant_token("") is None
    assert parse_grant_token("%%%") is None


def test_grant_operations_per_key_kind() -> None:
    common = {"CreateGrant", "RetireGrant", "DescribeKey"}
    symmetric = grant_operations_for("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    assert symmetric == common | {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
    }
    assert grant_operations_for("RSA_2048", "ENCRYPT_DECRYPT") == common | {
        "Decrypt",
        "Encrypt",
        "ReEncryptFrom",
        "ReEncryptTo",
        "GetPublicKey",
    }
    assert grant_operations_for("ECC_NIST_P256", "SIGN_VERIFY") == common | {
        "Sign",
        "Verify",
        "GetPublicKey",
    }
    assert grant_operations_for("HMAC_256", "GENERATE_VERIFY_MAC") == common | {
        "GenerateMac",
        "VerifyMac",
    }
    assert grant_operations_for("ECC_NIST_P256", "KEY_AGREEMENT") == common | {
        "DeriveSharedSecret",
        "GetPublicKey",
    }


def test_key_grants_index() -> None:
    first, second = make_grant(), make_grant(ROLE)
    grants = grants_of(first, second)
    assert grants.by_grantee == {ALICE: [first], ROLE: [second]}
    assert [first.serial, second.serial] == [1, 2]
    grants.remove(first)
    assert grants.by_grantee == {ROLE: [second]}
    assert list(grants.by_id.values()) == [second]
