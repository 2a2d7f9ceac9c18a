"""Callers and the Principal elements of key policies.

A caller is an IAM ARN: the account root, a user, a role, or a role session
(``arn:aws:sts::<account>:assumed-role/<role>/<session>``). A Principal element
names principals by the same ARNs, by account (a 12-digit id or the root ARN,
which in an Allow delegates to the account's IAM policies), or as ``*``
(AWS KMS Developer Guide, "Key policies": Principal element). Partitions are not
compared: one mock serves one set of accounts whatever the Region's partition.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .elements import as_list

# What a principal ARN names, besides its account: ("user", account, path/name),
# ("role", account, name), ("assumed-role", account, "role/session") or, for any
# other ARN, ("arn", "", the ARN).
Identity = tuple[str, str, str]


class Named(enum.Enum):
    """How a Principal element names a caller."""

    NOT = 0
    CALLER = 1  # by the caller's own ARN (a role also names its sessions), or ``*``
    ACCOUNT = 2  # by the caller's account: in an Allow, delegation to its IAM policies


@dataclass(frozen=True, slots=True)
class _Parsed:
    account_id: str
    identities: frozenset[Identity]  # everything the principal acts as; empty for the root
    own: Identity | None  # the principal itself; None for the root
    principal_arn: str


def _is_account_id(value: str) -> bool:
    return len(value) == 12 and value.isascii() and value.isdigit()


def _parsed(arn: str) -> _Parsed:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return _other(arn, "")
    partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
    kind, _, name = resource.partition("/")
    if service == "iam" and resource == "root":
        return _Parsed(account, frozenset(), None, arn)
    if service == "iam" and kind in {"user", "role"} and name:
        # A session ARN names its role without the role's path, so roles match by name.
        own = (kind, account, name if kind == "user" else name.rpartition("/")[2])
        return _Parsed(account, frozenset({own}), own, arn)
    role, _, session = name.partition("/")
    if service == "sts" and kind == "assumed-role" and role and session:
        own = ("assumed-role", account, name)
        identities = frozenset({("role", account, role), own})
        # aws:PrincipalArn of a session is its role's ARN (IAM User Guide, global condition keys).
        return _Parsed(account, identities, own, f"arn:{partition}:iam::{account}:role/{role}")
    return _other(arn, account)


def _other(arn: str, account_id: str) -> _Parsed:
    own = ("arn", "", arn)
    return _Parsed(account_id, frozenset({own}), own, arn)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who makes a call, as the policy engine sees it. Make one with :func:`caller`."""

    arn: str
    account_id: str
    identities: frozenset[Identity]
    principal_arn: str  # the value of aws:PrincipalArn

    @property
    def is_root(self) -> bool:
        """Whether the caller is its account's root user."""
        return not self.identities and bool(self.account_id)


@lru_cache(maxsize=1024)
def caller(arn: str) -> Caller:
    """The caller whose ARN is ``arn``."""
    parsed = _parsed(arn)
    return Caller(arn, parsed.account_id, parsed.identities, parsed.principal_arn)


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """A compiled Principal (or NotPrincipal) element."""

    everyone: bool
    accounts: frozenset[str]
    identities: frozenset[Identity]

    def names(self, who: Caller) -> Named:
        """How this element names ``who`` (a Principal element)."""
        if self.everyone or not self.identities.isdisjoint(who.identities):
            return Named.CALLER
        if who.account_id in self.accounts:
            return Named.ACCOUNT
        return Named.NOT

    def excludes(self, who: Caller) -> bool:
        """Whether a NotPrincipal element exempts ``who``.

        Every principal ``who`` acts as must be listed: its account, and for a
        session its role and session too (IAM User Guide, "NotPrincipal").
        """
        if self.everyone:
            return True
        return who.account_id in self.accounts and who.identities <= self.identities


def principal_set(element: Any) -> PrincipalSet:
    """Compile a Principal element; what names no IAM principal (a service...) matches no one."""
    if element == "*":
        return PrincipalSet(True, frozenset(), frozenset())
    named = element.get("AWS", []) if isinstance(element, dict) else []
    everyone = False
    accounts: set[str] = set()
    identities: set[Identity] = set()
    for value in as_list(named):
        if not isinstance(value, str):
            continue
        if value == "*":
            everyone = True
        elif _is_account_id(value):
            accounts.add(value)
        elif (parsed := _parsed(value)).own is None:
            accounts.add(parsed.account_id)  # the root ARN
        else:
            identities.add(parsed.own)  # a session ARN names that session, not its role
    return PrincipalSet(everyone, frozenset(accounts), frozenset(identities))
