"""Grants: which operations a key's grants let a grantee call, under which constraints.

A grant gives its grantee principal some operations on one key, optionally
only for requests whose encryption context matches its constraints (AWS KMS
Developer Guide, "Grants in AWS KMS"; botocore's ``GrantConstraints`` shape).
Grants only allow: an explicit Deny in a policy still wins (``_authz``).
Each key keeps its grants indexed by grantee, so a call looks at the caller's
grants only, however many the key has.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False, slots=True)
class Grant:
    """One grant on one key, as CreateGrant made it (ListGrants shows these fields)."""

    grant_id: str
    key_arn: str
    grantee_principal: str
    operations: frozenset[str]  # GrantOperation names: Decrypt, ReEncryptFrom, ...
    issuing_account: str
    created_at: _dt.datetime
    name: str | None = None
    retiring_principal: str | None = None
    # At most one of the two (botocore's GrantConstraints shape).
    encryption_context_subset: Mapping[str, str] | None = None
    encryption_context_equals: Mapping[str, str] | None = None


@dataclass(eq=False, slots=True)
class KeyGrants:
    """The grants of one key, by grant id and by grantee principal ARN."""

    by_id: dict[str, Grant] = field(default_factory=dict)
    by_grantee: dict[str, list[Grant]] = field(default_factory=dict)


def grants_allow(
    grants: KeyGrants | None,
    grantees: Iterable[str],
    operation: str,
    params: Mapping[str, Any],
) -> bool:
    """Whether a grant in ``grants`` lets one of ``grantees`` call ``operation``.

    ``grantees``: the caller's ARN, and for an assumed-role session its role's
    ARN. ``operation``: a GrantOperation name (``ReEncryptFrom``, not
    ``ReEncrypt``). ``params``: the decoded request, whose EncryptionContext
    the grant's constraints are checked against (CreateGrant: whose
    Operations and Constraints a grant allowing CreateGrant must cover).
    """
    return False
