"""The policy engine's decision: principals, actions, resources, every step and every reason.

Unit tests of ``kms_mock._authz`` alone (no mock, no client): each KMS rule
of who may call what, the AccessDeniedException text each denial gets, the
lockout check, and the parse-once cache.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from kms_mock._authz import (
    Decision,
    KeyRef,
    access_denied_message,
    caller,
    compile_policy,
    evaluate,
    keeps_put_key_policy,
)
from kms_mock._aws_managed import aws_managed_policy
from kms_mock._errors import MalformedPolicyDocumentException
from kms_mock._operations._policy_check import LOCKOUT_MESSAGE, check_policy
from tests._helpers import exactly

A = "111122223333"
B = "444455556666"
ROOT_A = f"arn:aws:iam::{A}:root"
ROOT_B = f"arn:aws:iam::{B}:root"
ALICE = f"arn:aws:iam::{A}:user/alice"
BOB = f"arn:aws:iam::{A}:user/bob"
ADMIN_ROLE = f"arn:aws:iam::{A}:role/Admin"
ADMIN_SESSION = f"arn:aws:sts::{A}:assumed-role/Admin/s1"
OTHER_SESSION = f"arn:aws:sts::{A}:assumed-role/Admin/s2"
CAROL_B = f"arn:aws:iam::{B}:user/carol"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = KeyRef(f"arn:aws:kms:us-east-1:{A}:key/{KEY_ID}", A)
ALIAS_ARN = f"arn:aws:kms:us-east-1:{A}:alias/app"

ALLOWED = Decision(True)
DENY_RESOURCE = Decision(False, "deny_resource")
DENY_IDENTITY = Decision(False, "deny_identity")
NO_RESOURCE_ALLOW = Decision(False, "no_resource_allow")
NO_IDENTITY_ALLOW = Decision(False, "no_identity_allow")
HIDDEN = Decision(False, "hidden")


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any = None, action: Any = "kms:*", resource: Any = "*", **more: Any) -> Any:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **more}
    return statement if principal is None else {**statement, "Principal": principal}


def deny(principal: Any = None, action: Any = "kms:*", resource: Any = "*", **more: Any) -> Any:
    return {**allow(principal, action, resource, **more), "Effect": "Deny"}


def aws(*arns: str) -> dict[str, Any]:
    return {"AWS": list(arns)}


DEFAULT = policy(allow(aws(ROOT_A)))


def decide(
    who: str,
    key_policy: str | None = DEFAULT,
    *identity: str,
    action: str = "kms:Encrypt",
    key: KeyRef | None = KEY,
    context: dict[str, Any] | None = None,
    grant: bool = False,
) -> Decision:
    return evaluate(caller(who), action, key, context or {}, key_policy, identity, grant)


# -- principals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "who", "expected"),
    [
        ("*", ALICE, ALLOWED),
        (aws("*"), ADMIN_SESSION, ALLOWED),
        (aws(ALICE), ALICE, ALLOWED),
        (aws(ALICE), BOB, NO_RESOURCE_ALLOW),
        (aws(BOB, ALICE), ALICE, ALLOWED),
        (aws(ADMIN_ROLE), ADMIN_SESSION, ALLOWED),  # a role names its sessions
        (aws(f"arn:aws:iam::{A}:role/team/Admin"), ADMIN_SESSION, ALLOWED),  # whatever its path
        (aws(ADMIN_SESSION), ADMIN_SESSION, ALLOWED),
        (aws(ADMIN_SESSION), OTHER_SESSION, NO_RESOURCE_ALLOW),  # a session names itself only
        (aws(f"arn:aws:iam::{A}:role/Other"), ADMIN_SESSION, NO_RESOURCE_ALLOW),
        (aws(f"arn:aws:iam::{B}:user/alice"), ALICE, NO_RESOURCE_ALLOW),  # another account's
        ({"Service": "s3.amazonaws.com"}, ALICE, NO_RESOURCE_ALLOW),  # never an SDK caller
        ({"Service": "s3.amazonaws.com"}, ROOT_A, NO_RESOURCE_ALLOW),
        (aws("nobody"), ALICE, NO_RESOURCE_ALLOW),
        (aws(f"arn:aws:iam::{A}:group/devs"), ALICE, NO_RESOURCE_ALLOW),  # groups name no one
        ({"AWS": [123, ALICE]}, ALICE, ALLOWED),  # values that are no text name no one
        (aws(A), ROOT_A, ALLOWED),  # an account id is its root ARN
        (aws(ALICE), ROOT_A, NO_RESOURCE_ALLOW),
        # Partitions are not compared: one mock serves one set of accounts.
        (aws(f"arn:aws-cn:iam::{A}:user/alice"), ALICE, ALLOWED),
    ],
)
def test_principal_matching(principal: Any, who: str, expected: Decision) -> None:
    assert decide(who, policy(allow(principal))) == expected


def test_a_caller_named_by_no_arn_belongs_to_no_account() -> None:
    stranger = caller("nobody")
    assert (stranger.account_id, stranger.is_root, stranger.principal_arn) == ("", False, "nobody")
    assert decide("nobody", policy(allow(aws("nobody")))) == NO_IDENTITY_ALLOW  # not A's


def test_a_statement_without_a_principal_is_no_key_policy_statement() -> None:
    assert decide(ALICE, policy(allow())) == NO_RESOURCE_ALLOW
    assert decide(ROOT_A, policy(allow())) == NO_RESOURCE_ALLOW


@pytest.mark.parametrize(
    ("listed", "who", "expected"),
    [
        ([ALICE], ALICE, DENY_RESOURCE),  # its account not listed: the deny still applies
        ([A, ALICE], ALICE, ALLOWED),
        ([ROOT_A, ALICE], BOB, DENY_RESOURCE),
        ([ROOT_A], ROOT_A, ALLOWED),
        ([ROOT_A, ADMIN_ROLE], ADMIN_SESSION, DENY_RESOURCE),  # the session not listed
        ([ROOT_A, ADMIN_ROLE, ADMIN_SESSION], ADMIN_SESSION, ALLOWED),
        (["*"], ALICE, ALLOWED),
    ],
)
def test_not_principal_exempts_only_what_it_lists_whole(
    listed: list[str], who: str, expected: Decision
) -> None:
    exempting = {"Effect": "Deny", "NotPrincipal": aws(*listed), "Action": "kms:*", "Resource": "*"}
    assert decide(who, policy(allow("*"), exempting)) == expected


def test_not_principal_in_an_allow_allows_everyone_else() -> None:
    statement = {"Effect": "Allow", "NotPrincipal": aws(A, BOB), "Action": "kms:*", "Resource": "*"}
    assert decide(ALICE, policy(statement)) == ALLOWED
    assert decide(BOB, policy(statement)) == NO_RESOURCE_ALLOW


# -- actions and resources -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("actions", "action", "allowed"),
    [
        ("kms:*", "kms:ReEncryptFrom", True),
        ("*", "kms:Encrypt", True),
        ("kms:Encrypt", "kms:Encrypt", True),
        ("KMS:ENCRYPT", "kms:Encrypt", True),  # action names ignore case
        ("kms:encrypt", "KMS:Encrypt", True),
        ("kms:Encrypt", "kms:Decrypt", False),
        ("kms:ReEncrypt*", "kms:ReEncryptTo", True),
        ("kms:*crypt", "kms:Decrypt", True),
        ("kms:*crypt", "kms:ReEncryptFrom", False),
        ("kms:?ncrypt", "kms:Encrypt", True),
        ("kms:?ncrypt", "kms:Decrypt", False),
        ("kms:Encrypt?", "kms:Encrypt", False),
        (["kms:Decrypt", "kms:Generate*"], "kms:GenerateDataKeyPair", True),
        (["kms:Decrypt", "kms:Generate*"], "kms:Encrypt", False),
        ("s3:*", "kms:Encrypt", False),
        ([], "kms:Encrypt", False),
    ],
)
def test_action_matching(actions: Any, action: str, allowed: bool) -> None:
    assert decide(ALICE, policy(allow(aws(ALICE), actions)), action=action).allowed is allowed


def test_not_action_covers_every_other_action() -> None:
    statement = {"Effect": "Allow", "Principal": aws(ALICE), "NotAction": "kms:Decrypt"}
    key_policy = policy({**statement, "Resource": "*"})
    assert decide(ALICE, key_policy, action="kms:Encrypt") == ALLOWED
    assert decide(ALICE, key_policy, action="kms:Decrypt") == NO_RESOURCE_ALLOW


@pytest.mark.parametrize(
    ("resource", "allowed"),
    [
        ("*", True),
        (KEY.arn, True),
        (f"arn:aws:kms:*:{A}:key/*", True),
        (f"arn:aws:kms:us-east-1:{A}:key/1234abcd-*", True),
        (KEY.arn.upper(), False),  # ARNs are case-sensitive
        (ALIAS_ARN, False),  # an alias ARN never names the key
        (f"arn:aws:kms:us-east-1:{B}:key/*", False),
        ([ALIAS_ARN, KEY.arn], True),
    ],
)
def test_identity_policy_resource_is_the_key_arn(resource: Any, allowed: bool) -> None:
    identity = policy(allow(None, "kms:Encrypt", resource))
    assert decide(ALICE, DEFAULT, identity).allowed is allowed


def test_not_resource() -> None:
    statement = {"Effect": "Allow", "Action": "kms:*", "NotResource": ALIAS_ARN}
    assert decide(ALICE, DEFAULT, policy(statement)) == ALLOWED
    statement = {"Effect": "Allow", "Action": "kms:*", "NotResource": f"arn:aws:kms:*:{A}:key/*"}
    assert decide(ALICE, DEFAULT, policy(statement)) == NO_IDENTITY_ALLOW


@pytest.mark.parametrize(
    "ineffective",
    [
        {"Effect": "Allow", "Principal": aws(ALICE), "Action": "kms:*"},  # no Resource
        {"Effect": "Allow", "Principal": aws(ALICE), "Resource": "*"},  # no Action
        {"Effect": "allow", "Principal": aws(ALICE), "Action": "kms:*", "Resource": "*"},
        {"Principal": aws(ALICE), "Action": "kms:*", "Resource": "*"},
    ],
)
def test_a_statement_missing_an_element_has_no_effect(ineffective: dict[str, Any]) -> None:
    assert decide(ALICE, policy(ineffective)) == NO_RESOURCE_ALLOW


# -- the decision steps ----------------------------------------------------------------------


def test_step_1_a_key_policy_deny_wins_over_every_allow_and_grants() -> None:
    key_policy = policy(allow(aws(ROOT_A)), allow(aws(ALICE)), deny(aws(ALICE), "kms:Encrypt"))
    iam = policy(allow(None, "kms:*"))
    assert decide(ALICE, key_policy, iam, grant=True) == DENY_RESOURCE
    assert decide(ALICE, key_policy, iam, action="kms:Decrypt") == ALLOWED


def test_step_1_an_identity_deny_wins_even_without_iam_enabled() -> None:
    key_policy = policy(allow(aws(ALICE)))  # no root statement: IAM allows do not count
    assert decide(ALICE, key_policy, policy(deny(None, "kms:Encrypt")), grant=True) == DENY_IDENTITY
    assert decide(ALICE, key_policy, policy(allow(None, "kms:Encrypt"))) == ALLOWED


def test_step_1_a_deny_naming_the_account_covers_its_principals() -> None:
    key_policy = policy(allow("*"), deny(aws(A), "kms:Encrypt"))
    assert decide(ADMIN_SESSION, key_policy) == DENY_RESOURCE
    assert decide(ROOT_A, key_policy) == DENY_RESOURCE


def test_step_2_a_direct_allow_needs_no_identity_policy() -> None:
    assert decide(ALICE, policy(allow(aws(ALICE), "kms:Encrypt"))) == ALLOWED


def test_step_3_delegation_needs_an_identity_allow_on_the_key() -> None:
    assert decide(ALICE) == NO_IDENTITY_ALLOW
    assert decide(ALICE, DEFAULT, policy(allow(None, "kms:Encrypt", KEY.arn))) == ALLOWED
    assert decide(ALICE, DEFAULT, policy(allow(None, "kms:Decrypt"))) == NO_IDENTITY_ALLOW
    assert decide(ADMIN_SESSION, DEFAULT, policy(allow(None, "kms:*"))) == ALLOWED


def test_step_3_the_root_needs_no_identity_policy() -> None:
    assert decide(ROOT_A) == ALLOWED


def test_step_4_cross_account_needs_both_policies() -> None:
    key_policy = policy(allow(aws(ROOT_A)), allow(aws(B), ["kms:Encrypt", "kms:Decrypt"]))
    iam = policy(allow(None, ["kms:Encrypt", "kms:Decrypt"], KEY.arn))
    assert decide(CAROL_B, key_policy, iam) == ALLOWED
    assert decide(CAROL_B, key_policy) == NO_IDENTITY_ALLOW
    assert decide(CAROL_B, DEFAULT, iam) == HIDDEN
    assert decide(CAROL_B, key_policy, iam, action="kms:PutKeyPolicy") == HIDDEN


def test_step_4_even_a_key_policy_naming_the_caller_or_everyone_needs_iam() -> None:
    for principal in (aws(CAROL_B), "*"):
        key_policy = policy(allow(principal, "kms:Encrypt"))
        assert decide(CAROL_B, key_policy) == NO_IDENTITY_ALLOW
        assert decide(CAROL_B, key_policy, policy(allow(None, "kms:Encrypt"))) == ALLOWED


def test_step_4_another_account_s_root_needs_no_identity_policy() -> None:
    assert decide(ROOT_B, policy(allow(aws(B), "kms:Encrypt"))) == ALLOWED


def test_step_4_a_key_policy_deny_is_hidden_from_another_account() -> None:
    key_policy = policy(allow(aws(B)), deny(aws(CAROL_B), "kms:Encrypt"))
    assert decide(CAROL_B, key_policy, policy(allow(None, "kms:*"))) == HIDDEN


def test_step_5_a_grant_allows_in_either_account() -> None:
    assert decide(ALICE, policy(allow(aws(BOB))), grant=True) == ALLOWED
    assert decide(CAROL_B, DEFAULT, grant=True) == ALLOWED


def test_step_5_the_grant_is_asked_only_when_no_policy_decides() -> None:
    asked: list[str] = []

    def grant() -> bool:
        asked.append("asked")
        return True

    evaluate(caller(ROOT_A), "kms:Encrypt", KEY, {}, DEFAULT, (), grant)
    key_policy = policy(allow("*"), deny(aws(ALICE)))
    evaluate(caller(ALICE), "kms:Encrypt", KEY, {}, key_policy, (), grant)
    assert asked == []
    assert evaluate(caller(BOB), "kms:Encrypt", KEY, {}, DEFAULT, (), grant) == ALLOWED
    assert asked == ["asked"]


def test_step_6_without_the_root_statement_even_the_root_is_denied() -> None:
    assert decide(ROOT_A, policy(allow(aws(ALICE)))) == NO_RESOURCE_ALLOW
    assert decide(ROOT_A, None) == NO_RESOURCE_ALLOW


def create_key(who: str, *identity: str) -> Decision:
    return decide(who, None, *identity, action="kms:CreateKey", key=None)


def test_account_level_operations_are_decided_by_identity_policies_alone() -> None:
    assert create_key(ROOT_A) == ALLOWED
    assert create_key(ALICE) == NO_IDENTITY_ALLOW
    assert create_key(ALICE, policy(allow(None, "kms:Create*"))) == ALLOWED
    # CreateKey authorizes no key: a key ARN (or pattern) never matches it.
    on_keys = policy(allow(None, "kms:CreateKey", f"arn:aws:kms:*:{A}:key/*"))
    assert create_key(ALICE, on_keys) == NO_IDENTITY_ALLOW
    denied = policy(allow(None, "kms:*"), deny(None, "kms:CreateKey"))
    assert create_key(ALICE, denied) == DENY_IDENTITY


# -- AccessDeniedException messages ---------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "key_policy", "identity", "expected"),
    [
        pytest.param(
            ALICE,
            policy(allow(aws(BOB))),
            [],
            f"User: {ALICE} is not authorized to perform: kms:Encrypt on resource: {KEY.arn} "
            "because no resource-based policy allows the kms:Encrypt action",
            id="1-no-resource-allow",
        ),
        pytest.param(
            ALICE,
            DEFAULT,
            [],
            f"User: {ALICE} is not authorized to perform: kms:Encrypt on resource: {KEY.arn} "
            "because no identity-based policy allows the kms:Encrypt action",
            id="2-no-identity-allow",
        ),
        pytest.param(
            ALICE,
            policy(allow(aws(ROOT_A)), deny(aws(ALICE))),
            [],
            f"User: {ALICE} is not authorized to perform: kms:Encrypt on resource: {KEY.arn} "
            "with an explicit deny in a resource-based policy",
            id="3-deny-resource",
        ),
        pytest.param(
            ALICE,
            DEFAULT,
            [policy(deny(None, "kms:Encrypt"))],
            f"User: {ALICE} is not authorized to perform: kms:Encrypt on resource: {KEY.arn} "
            "with an explicit deny in an identity-based policy",
            id="4-deny-identity",
        ),
        pytest.param(
            CAROL_B,
            DEFAULT,
            [policy(allow(None, "kms:*"))],
            f"User: {CAROL_B} is not authorized to perform: kms:Encrypt on this resource because "
            "the resource does not exist in this Region, no resource-based policies allow "
            "access, or a resource-based policy explicitly denies access",
            id="5-hidden",
        ),
    ],
)
def test_each_reason_gets_aws_s_message(
    who: str, key_policy: str, identity: list[str], expected: str
) -> None:
    decision = decide(who, key_policy, *identity)
    assert decision.reason is not None
    assert access_denied_message(decision.reason, who, "kms:Encrypt", KEY.arn) == expected


def test_message_6_a_decrypt_across_accounts_names_the_ciphertext() -> None:
    decision = decide(CAROL_B, policy(allow(aws(B))), action="kms:Decrypt")
    assert decision == NO_IDENTITY_ALLOW
    assert access_denied_message(
        "no_identity_allow", CAROL_B, "kms:Decrypt", KEY.arn, ciphertext=True
    ) == (
        f"User: {CAROL_B} is not authorized to perform: kms:Decrypt on the resource associated "
        "with this ciphertext because no identity-based policy allows the kms:Decrypt action"
    )


def test_message_8_an_account_level_operation_names_no_resource() -> None:
    assert decide(ALICE, None, action="kms:TagResource", key=None) == NO_IDENTITY_ALLOW
    assert access_denied_message("no_identity_allow", ALICE, "kms:TagResource", None) == (
        f"User: {ALICE} is not authorized to perform: kms:TagResource because no "
        "identity-based policy allows the kms:TagResource action"
    )


# -- the acceptance cases the engine alone decides --------------------------------------------


def test_acceptance_root_and_the_default_policy() -> None:
    for action in ("kms:Encrypt", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"):
        assert decide(ROOT_A, action=action) == ALLOWED


def test_acceptance_a_key_policy_deny_beats_an_iam_allow_and_a_grant() -> None:
    key_policy = policy(allow(aws(ROOT_A)), deny(aws(ALICE), "kms:Decrypt"))
    iam = policy(allow(None, "kms:*", KEY.arn))
    assert decide(ALICE, key_policy, iam, action="kms:Decrypt", grant=True) == DENY_RESOURCE


def test_acceptance_an_aws_managed_key_is_used_only_through_its_service() -> None:
    managed = aws_managed_policy("s3", A, "us-east-1")
    direct = {"kms:CallerAccount": A}
    via_s3 = {**direct, "kms:ViaService": "s3.us-east-1.amazonaws.com"}
    assert decide(ALICE, managed, context=direct) == NO_RESOURCE_ALLOW
    assert decide(ROOT_A, managed, context=direct) == NO_RESOURCE_ALLOW
    assert decide(ALICE, managed, context=via_s3) == ALLOWED
    assert (
        decide(ALICE, managed, context={**via_s3, "kms:ViaService": "ec2.x"}) == NO_RESOURCE_ALLOW
    )
    # Metadata reads are delegated to IAM; management matches no statement.
    assert decide(ROOT_A, managed, action="kms:DescribeKey", context=direct) == ALLOWED
    assert decide(ROOT_A, managed, action="kms:DisableKey", context=direct) == NO_RESOURCE_ALLOW


# -- the lockout check ------------------------------------------------------------------------


def test_lockout_check_uses_the_caller_and_its_identity_policies() -> None:
    iam = policy(allow(None, "kms:PutKeyPolicy", KEY.arn))
    assert keeps_put_key_policy(DEFAULT, caller(ROOT_A), KEY)
    assert not keeps_put_key_policy(DEFAULT, caller(ALICE), KEY)
    assert keeps_put_key_policy(DEFAULT, caller(ALICE), KEY, [iam])
    assert keeps_put_key_policy(policy(allow(aws(ALICE))), caller(ALICE), KEY)
    assert not keeps_put_key_policy(policy(allow(aws(ALICE))), caller(ROOT_A), KEY)


def test_lockout_check_counts_the_calls_own_condition_keys() -> None:
    conditioned = allow(aws(ROOT_A), Condition={"StringEquals": {"kms:CallerAccount": A}})
    assert keeps_put_key_policy(policy(conditioned), caller(ROOT_A), KEY)
    assert not keeps_put_key_policy(policy(conditioned), caller(ROOT_A), KEY, context={})


def test_check_policy_refuses_a_lockout_unless_bypassed() -> None:
    dropping_the_caller = policy(allow(aws(ALICE)))
    with pytest.raises(MalformedPolicyDocumentException, match=exactly(LOCKOUT_MESSAGE)):
        check_policy(dropping_the_caller, caller(ROOT_A), bypass_lockout_check=False)
    check_policy(dropping_the_caller, caller(ROOT_A), bypass_lockout_check=True)
    check_policy(dropping_the_caller, caller(ALICE), bypass_lockout_check=False)


def test_check_policy_for_a_key_not_named_yet_counts_only_iam_on_every_key() -> None:
    on_every_key = policy(allow(None, "kms:PutKeyPolicy"))
    on_some_keys = policy(allow(None, "kms:PutKeyPolicy", f"arn:aws:kms:*:{A}:key/*"))
    check_policy(
        DEFAULT, caller(ALICE), bypass_lockout_check=False, identity_policies=[on_every_key]
    )
    with pytest.raises(MalformedPolicyDocumentException):
        check_policy(
            DEFAULT, caller(ALICE), bypass_lockout_check=False, identity_policies=[on_some_keys]
        )
    check_policy(
        DEFAULT,
        caller(ALICE),
        bypass_lockout_check=False,
        key_arn=KEY.arn,
        identity_policies=[on_some_keys],
    )


# -- documents --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "Policy contains invalid JSON."),
        ("[" * 1000 + "]" * 1000, "Policy contains invalid JSON."),
        ("{}", "Policy contains a statement with no Statement."),
        ("[]", "Policy contains a statement with no Statement."),
        ('{"Statement": []}', "Policy contains a statement with no Statement."),
        ('{"Statement": ["x"]}', "Policy contains a statement with no Statement."),
    ],
)
def test_malformed_documents(text: str, message: str) -> None:
    with pytest.raises(MalformedPolicyDocumentException, match=exactly(message)):
        compile_policy(text)


def test_statement_may_be_one_object() -> None:
    single = json.dumps({"Statement": allow(aws(ALICE))})
    assert decide(ALICE, single) == ALLOWED


def test_a_policy_text_is_compiled_once() -> None:
    text = policy(allow(aws(ROOT_A)), allow(aws(ALICE), Sid="compiled once"))
    decide(ALICE, text, text)
    misses = compile_policy.cache_info().misses
    decide(ALICE, text, text)
    decide(BOB, text, text, action="kms:Decrypt")
    assert compile_policy.cache_info().misses == misses
    assert compile_policy(text) is compile_policy(text)
