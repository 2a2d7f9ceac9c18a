"""The policy engine agrees with a deliberately simple reference model on random small policies.

The reference below is written from the KMS rules (explicit deny first; a
key-policy Allow for the caller, or for its account plus an IAM Allow; another
account needs both; grants; otherwise denied) over a closed vocabulary of
principals, actions, resources and conditions, with hand-written tables
instead of parsing. It imports nothing of the engine but its entry point.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kms_mock._authz import KeyRef, caller, evaluate

A, B = "111122223333", "444455556666"
KEY = KeyRef(f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab", A)

# The callers: name -> (ARN, account).
CALLERS = {
    "root_a": (f"arn:aws:iam::{A}:root", A),
    "alice": (f"arn:aws:iam::{A}:user/alice", A),
    "admin_s1": (f"arn:aws:sts::{A}:assumed-role/Admin/s1", A),
    "admin_s2": (f"arn:aws:sts::{A}:assumed-role/Admin/s2", A),
    "root_b": (f"arn:aws:iam::{B}:root", B),
    "carol_b": (f"arn:aws:iam::{B}:user/carol", B),
}

# Principal values -> the callers they name as themselves, and the account they delegate to.
PRINCIPALS: dict[str, tuple[set[str], str | None]] = {
    "*": (set(CALLERS), None),
    A: (set(), A),
    f"arn:aws:iam::{A}:root": (set(), A),
    B: (set(), B),
    f"arn:aws:iam::{A}:user/alice": ({"alice"}, None),
    f"arn:aws:iam::{A}:role/Admin": ({"admin_s1", "admin_s2"}, None),
    f"arn:aws:sts::{A}:assumed-role/Admin/s1": ({"admin_s1"}, None),
    f"arn:aws:iam::{B}:user/carol": ({"carol_b"}, None),
}

ACTION_PATTERNS = [
    "kms:*",
    "*",
    "kms:Encrypt",
    "KMS:DECRYPT",
    "kms:*crypt",
    "kms:Re*",
    "kms:Create*",
]
ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:PutKeyPolicy", "kms:CreateKey"]
RESOURCES = ["*", KEY.arn, f"arn:aws:kms:us-east-1:{A}:key/*", f"arn:aws:kms:us-east-1:{A}:alias/x"]

# Condition blocks -> whether they hold, given (caller's account, context).
CONDITIONS: dict[str, Any] = {
    "none": None,
    "caller account A": {"StringEquals": {"kms:CallerAccount": A}},
    "context not x": {"StringNotEquals": {"kms:EncryptionContext:Dept": "x"}},
    "direct call": {"Null": {"kms:ViaService": "true"}},
    "via any service": {"StringLike": {"kms:ViaService": "*.amazonaws.com"}},
}


def condition_holds(name: str, context: dict[str, str]) -> bool:
    if name == "caller account A":
        return context.get("kms:CallerAccount") == A
    if name == "context not x":
        return context.get("kms:EncryptionContext:Dept") != "x"
    if name == "direct call":
        return "kms:ViaService" not in context
    if name == "via any service":
        return context.get("kms:ViaService", "").endswith(".amazonaws.com")
    return True


@dataclass(frozen=True)
class Stmt:
    allow: bool
    principals: tuple[str, ...]
    actions: tuple[str, ...]
    resource: str
    condition: str

    def document(self, with_principal: bool) -> dict[str, Any]:
        statement: dict[str, Any] = {
            "Effect": "Allow" if self.allow else "Deny",
            "Action": list(self.actions),
            "Resource": self.resource,
        }
        if with_principal:
            statement["Principal"] = {"AWS": list(self.principals)}
        if CONDITIONS[self.condition] is not None:
            statement["Condition"] = CONDITIONS[self.condition]
        return statement

    def covers(self, action: str, resource: str, context: dict[str, str]) -> bool:
        return (
            any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in self.actions)
            and fnmatch.fnmatchcase(resource, self.resource)
            and condition_holds(self.condition, context)
        )


def statements(key_policy: bool) -> st.SearchStrategy[Stmt]:
    return st.builds(
        Stmt,
        allow=st.booleans() if not key_policy else st.sampled_from([True, True, False]),
        principals=st.lists(st.sampled_from(sorted(PRINCIPALS)), min_size=1, max_size=2).map(tuple),
        actions=st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=2).map(tuple),
        resource=st.just("*") if key_policy else st.sampled_from(RESOURCES),
        condition=st.sampled_from(sorted(CONDITIONS)),
    )


def reference(
    who: str,
    action: str,
    key_statements: list[Stmt],
    identity_statements: list[Stmt],
    context: dict[str, str],
    grant: bool,
) -> tuple[bool, str | None]:
    account = CALLERS[who][1]
    account_level = action == "kms:CreateKey"
    resource = "*" if account_level else KEY.arn
    names_caller = names_account = kp_denies = False
    if not account_level:
        for s in key_statements:
            if not s.covers(action, resource, context):
                continue
            as_caller = any(who in PRINCIPALS[p][0] for p in s.principals)
            as_account = any(PRINCIPALS[p][1] == account for p in s.principals)
            if not s.allow and (as_caller or as_account):
                kp_denies = True
            elif s.allow:
                names_caller = names_caller or as_caller
                names_account = names_account or as_account
    if kp_denies:
        return False, "deny_resource" if account == A else "hidden"
    applicable = [s for s in identity_statements if s.covers(action, resource, context)]
    if any(not s.allow for s in applicable):
        return False, "deny_identity"
    iam_allows = who.startswith("root") or any(s.allow for s in applicable)
    if account_level:
        return (True, None) if iam_allows else (False, "no_identity_allow")
    if account == A and names_caller:
        return True, None
    if (names_caller or names_account) and iam_allows:
        return True, None
    if grant:
        return True, None
    if names_caller or names_account:
        return False, "no_identity_allow"
    return False, "no_resource_allow" if account == A else "hidden"


contexts = st.fixed_dictionaries(
    {},
    optional={
        "kms:EncryptionContext:Dept": st.sampled_from(["x", "y"]),
        "kms:ViaService": st.sampled_from(["s3.us-east-1.amazonaws.com", "example.com"]),
    },
)


@settings(max_examples=400, deadline=None)
@given(
    who=st.sampled_from(sorted(CALLERS)),
    action=st.sampled_from(ACTIONS),
    key_statements=st.lists(statements(key_policy=True), min_size=1, max_size=3),
    identity_statements=st.lists(statements(key_policy=False), max_size=3),
    context=contexts,
    grant=st.booleans(),
)
def test_the_engine_agrees_with_the_reference(
    who: str,
    action: str,
    key_statements: list[Stmt],
    identity_statements: list[Stmt],
    context: dict[str, str],
    grant: bool,
) -> None:
    arn, account = CALLERS[who]
    context = {**context, "kms:CallerAccount": account}
    key_policy = json.dumps({"Statement": [s.document(True) for s in key_statements]})
    identity = (
        [json.dumps({"Statement": [s.document(False) for s in identity_statements]})]
        if identity_statements
        else []
    )
    key = None if action == "kms:CreateKey" else KEY
    decision = evaluate(caller(arn), action, key, context, key_policy, identity, grant)
    expected = reference(who, action, key_statements, identity_statements, context, grant)
    assert (decision.allowed, decision.reason) == expected
