"""Grants: which operations a key's grants let a grantee call, under which constraints.

A grant gives its grantee principal some operations on one key, optionally
only for requests whose encryption context matches its constraints (AWS KMS
Developer Guide, "Grants in AWS KMS"; botocore's ``GrantConstraints`` shape).
Grants only allow: an explicit Deny in a policy still wins (``_authz``).
Each key keeps its grants indexed by grantee, so a call looks at the caller's
grants only, however many the key has; each Region keeps them indexed by
retiring principal, so ListRetirableGrants reads that principal's only. The
rules here are pure: grants and request values in, a verdict out (or, for a
grant token, an error).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime as _dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._errors import InvalidGrantTokenException
from ._keyspecs import (
    ENCRYPT_DECRYPT,
    GENERATE_VERIFY_MAC,
    KEY_AGREEMENT,
    SIGN_VERIFY,
    is_symmetric_encryption,
)

CREATE_GRANT = "CreateGrant"
RETIRE_GRANT = "RetireGrant"
DESCRIBE_KEY = "DescribeKey"

# "Grant operations" in the AWS KMS Developer Guide: what a grant may allow, by the
# kind of key (a symmetric encryption key has no public key; an asymmetric one makes
# no data keys).
_ON_EVERY_KEY = frozenset({CREATE_GRANT, RETIRE_GRANT, DESCRIBE_KEY})
_ENCRYPTION = frozenset({"Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo"})
_DATA_KEYS = frozenset(
    {
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
    }
)
_BY_USAGE = {
    ENCRYPT_DECRYPT: _ENCRYPTION | {"GetPublicKey"},
    SIGN_VERIFY: frozenset({"Sign", "Verify", "GetPublicKey"}),
    GENERATE_VERIFY_MAC: frozenset({"GenerateMac", "VerifyMac"}),
    KEY_AGREEMENT: frozenset({"DeriveSharedSecret", "GetPublicKey"}),
}

# The request member whose encryption context a constraint is checked against.
_CONTEXT_MEMBER = {
    "ReEncryptFrom": "SourceEncryptionContext",
    "ReEncryptTo": "DestinationEncryptionContext",
}
# "Grants with grant constraints can include the DescribeKey and RetireGrant
# operations, but the constraint doesn't apply to these operations" (CreateGrant's
# Constraints in botocore's model).
_UNCONSTRAINED = frozenset({DESCRIBE_KEY, RETIRE_GRANT})


@dataclass(eq=False, slots=True)
class Grant:
    """One grant on one key, as CreateGrant made it (ListGrants shows these fields)."""

    grant_id: str
    key_arn: str
    grantee_principal: str
    operations: frozenset[str]  # GrantOperation names: Decrypt, ReEncryptFrom, ...
    issuing_account: str  # the root ARN of the account whose principal made it
    created_at: _dt.datetime
    name: str | None = None
    retiring_principal: str | None = None
    # At most one of the two (botocore's GrantConstraints shape).
    encryption_context_subset: Mapping[str, str] | None = None
    encryption_context_equals: Mapping[str, str] | None = None
    serial: int = 0  # creation order on its key (set when added): ListGrants pages by it


@dataclass(eq=False, slots=True)
class KeyGrants:
    """The grants of one key, by grant id and by grantee principal ARN.

    Both in creation order; every change goes through :meth:`add` and :meth:`remove`.
    """

    by_id: dict[str, Grant] = field(default_factory=dict)
    by_grantee: dict[str, list[Grant]] = field(default_factory=dict)
    next_serial: int = 1
    # Every grant in creation order, for ListGrants to page through in O(log n + page
    # size); None when a removal broke it, built again by the next listing.
    _ordered: list[Grant] | None = field(default=None, repr=False)

    def add(self, grant: Grant) -> None:
        """Keep ``grant``, the newest of the key."""
        grant.serial = self.next_serial
        self.next_serial += 1
        self.by_id[grant.grant_id] = grant
        self.by_grantee.setdefault(grant.grantee_principal, []).append(grant)
        if self._ordered is not None:
            self._ordered.append(grant)

    def remove(self, grant: Grant) -> None:
        """Forget ``grant`` (retired or revoked)."""
        del self.by_id[grant.grant_id]
        of_grantee = self.by_grantee[grant.grantee_principal]
        of_grantee.remove(grant)
        if not of_grantee:
            del self.by_grantee[grant.grantee_principal]
        self._ordered = None

    def in_creation_order(self) -> list[Grant]:
        """Every grant, oldest first (ascending ``serial``); do not modify."""
        if self._ordered is None:
            self._ordered = list(self.by_id.values())
        return self._ordered


def retirable_position(grant: Grant) -> str:
    """Where ``grant`` stands in ListRetirableGrants: by its key's ARN, then by age on its key."""
    return f"{grant.key_arn} {grant.serial:010d}"


class _Retirable:
    """One principal's retirable grants in listing order, beside their positions.

    The positions are kept, not computed again: an insertion compares strings,
    never formats them.
    """

    __slots__ = ("grants", "positions")

    def __init__(self) -> None:
        self.positions: list[str] = []
        self.grants: list[Grant] = []


class RetirableGrants:
    """The grants of one Region's stored keys, every account's, by retiring principal.

    Each principal's in :func:`retirable_position` order, so that a page of
    ListRetirableGrants costs O(log n + page size) of that principal's grants,
    whatever else the Region holds. Derived from the keys' grants: the Region's
    stores keep it exact (``_store.RegionStore``) and a state file never holds it.
    """

    __slots__ = ("_by_principal",)

    def __init__(self) -> None:
        self._by_principal: dict[str, _Retirable] = {}

    def add(self, grant: Grant) -> None:
        """Index ``grant`` (its ``serial`` set) if it names a retiring principal."""
        if grant.retiring_principal is None:
            return
        listing = self._by_principal.get(grant.retiring_principal)
        if listing is None:
            listing = self._by_principal[grant.retiring_principal] = _Retirable()
        # Keys' ARNs are random: a new grant may sort anywhere among the principal's.
        position = retirable_position(grant)
        at = bisect.bisect_right(listing.positions, position)
        listing.positions.insert(at, position)
        listing.grants.insert(at, grant)

    def remove(self, grant: Grant) -> None:
        """Forget ``grant``, which :meth:`add` indexed (if it names a retiring principal)."""
        if grant.retiring_principal is None:
            return
        listing = self._by_principal[grant.retiring_principal]
        at = bisect.bisect_left(listing.positions, retirable_position(grant))
        assert listing.grants[at] is grant  # positions are unique: (key ARN, serial)
        del listing.positions[at], listing.grants[at]
        if not listing.grants:
            del self._by_principal[grant.retiring_principal]

    def add_all(self, grants: Iterable[Grant]) -> None:
        """Index ``grants`` at once (a loaded store's): one sort per principal, not one
        insertion per grant."""
        added: dict[str, list[tuple[str, Grant]]] = {}
        for grant in grants:
            if grant.retiring_principal is not None:
                added.setdefault(grant.retiring_principal, []).append(
                    (retirable_position(grant), grant)
                )
        for principal, pairs in added.items():
            listing = self._by_principal.setdefault(principal, _Retirable())
            # Positions are unique, so the sort never compares two grants.
            pairs.extend(zip(listing.positions, listing.grants, strict=True))
            pairs.sort()
            listing.positions = [position for position, _ in pairs]
            listing.grants = [grant for _, grant in pairs]

    def remove_key(self, key_arn: str, grants: KeyGrants) -> None:
        """Forget every grant of the key ``key_arn`` (deleted), which :meth:`add` indexed.

        A key's grants stand together in each principal's order: their positions
        are its ARN, a space, then digits (no ARN holds a space). One slice each,
        however many grants the key had.
        """
        principals = {
            grant.retiring_principal
            for grant in grants.by_id.values()
            if grant.retiring_principal is not None
        }
        for principal in principals:
            listing = self._by_principal[principal]
            start = bisect.bisect_left(listing.positions, f"{key_arn} ")
            end = bisect.bisect_left(listing.positions, f"{key_arn}!")  # "!" follows " "
            del listing.positions[start:end], listing.grants[start:end]
            if not listing.grants:
                del self._by_principal[principal]

    def of(self, retiring_principal: str) -> Sequence[Grant]:
        """The grants ``retiring_principal`` may retire, in listing order; do not modify."""
        listing = self._by_principal.get(retiring_principal)
        return () if listing is None else listing.grants


def grant_operations_for(key_spec: str, key_usage: str) -> frozenset[str]:
    """The operations a grant on a key of ``key_spec`` and ``key_usage`` may allow."""
    if is_symmetric_encryption(key_spec):
        return _ON_EVERY_KEY | _ENCRYPTION | _DATA_KEYS
    return _ON_EVERY_KEY | _BY_USAGE[key_usage]


# -- what a grant allows ----------------------------------------------------------------------


def _lowered(context: Mapping[str, str]) -> dict[str, str]:
    # "the key in each key-value pair is not case sensitive, but the value is case
    # sensitive" (botocore's GrantConstraints shape).
    return {key.lower(): value for key, value in context.items()}


def _includes(context: Mapping[str, str], pairs: Mapping[str, str]) -> bool:
    lowered = _lowered(context)
    return all(lowered.get(key.lower()) == value for key, value in pairs.items())


def _same(context: Mapping[str, str], pairs: Mapping[str, str]) -> bool:
    return _lowered(context) == _lowered(pairs)


def _context_holds(grant: Grant, context: Mapping[str, str]) -> bool:
    if grant.encryption_context_equals is not None:
        return _same(context, grant.encryption_context_equals)
    if grant.encryption_context_subset is not None:
        return _includes(context, grant.encryption_context_subset)
    return True


def _covers_child(grant: Grant, params: Mapping[str, Any]) -> bool:
    """Whether ``grant`` lets its grantee make the grant CreateGrant ``params`` describe.

    Its operations must be among the grant's, its constraint "equally strict or
    stricter" (CreateGrant's Constraints in botocore's model): a Subset may gain
    pairs or become an Equals that includes them; an Equals stays the same.
    """
    if not set(params.get("Operations", ())) <= grant.operations:
        return False
    constraints = params.get("Constraints") or {}
    child_equals = constraints.get("EncryptionContextEquals")
    child_subset = constraints.get("EncryptionContextSubset")
    if grant.encryption_context_equals is not None:
        return child_equals is not None and _same(child_equals, grant.encryption_context_equals)
    if grant.encryption_context_subset is not None:
        child = child_equals if child_equals is not None else child_subset
        return child is not None and _includes(child, grant.encryption_context_subset)
    return True


def _allows(grant: Grant, operation: str, params: Mapping[str, Any]) -> bool:
    if operation not in grant.operations:
        return False
    if operation == CREATE_GRANT:
        return _covers_child(grant, params)
    if operation in _UNCONSTRAINED:
        return True
    member = _CONTEXT_MEMBER.get(operation, "EncryptionContext")
    return _context_holds(grant, params.get(member, {}))


def grantee_arns(arn: str, role_arn: str | None) -> tuple[str, ...]:
    """The ARNs a grant may name a caller by: its own, and an assumed-role session's role."""
    return (arn,) if role_arn is None else (arn, role_arn)


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
    Costs what the grantees' own grants cost, not what the key's grants do.
    """
    if grants is None:
        return False
    return any(
        _allows(grant, operation, params)
        for grantee in grantees
        for grant in grants.by_grantee.get(grantee, ())
    )


# -- who may retire -----------------------------------------------------------------------------


class IdentityVerdict(Protocol):
    """What the caller's identity policies say of kms:RetireGrant (``_authz.Decision``)."""

    @property
    def allowed(self) -> bool: ...

    @property
    def reason(self) -> str | None: ...


def _account_of(principal: str) -> str:
    """The account of a principal ARN (``arn:aws:iam::<account>:...``), or the id itself."""
    parts = principal.split(":")
    return parts[4] if len(parts) > 4 else principal


def may_retire(
    grant: Grant, grantees: Iterable[str], caller_account: str, identity: IdentityVerdict
) -> bool:
    """Whether the caller (``grantees``: its ARN, and its role's) may retire ``grant``.

    "A grant can be retired by ... the retiring principal ..., the grantee
    principal, if the grant includes the RetireGrant operation, [and] the AWS
    account in which the grant was created", which delegates through IAM
    ``kms:RetireGrant``, as does an account named as retiring principal; an IAM
    Deny of ``kms:RetireGrant`` stops every one of them (AWS KMS Developer Guide,
    "Retiring and revoking grants").
    """
    if identity.reason == "deny_identity":
        return False
    callers = set(grantees)
    if grant.retiring_principal in callers:
        return True
    if grant.grantee_principal in callers and RETIRE_GRANT in grant.operations:
        return True
    accounts = {_account_of(grant.issuing_account)}
    if grant.retiring_principal is not None and grant.retiring_principal.endswith(":root"):
        accounts.add(_account_of(grant.retiring_principal))
    return identity.allowed and caller_account in accounts


# -- grant tokens -------------------------------------------------------------------------------

# A token is opaque to callers; here it carries what RetireGrant needs to find its
# grant (the key ARN and the grant id), so no index of tokens is kept and a deleted
# key's tokens name nothing. Laid out as protobuf fields after a version byte, as
# AWS's tokens seem to be (theirs start "AQpA": 01 0a 40, then the 64-character grant
# id); a fresh nonce per CreateGrant, then a check digest that tells a token made
# here from a made-up one.
_VERSION = b"\x01"
_NONCE_LENGTH = 16
_CHECK_LENGTH = 8


def _field(tag: int, value: bytes) -> bytes:
    length = len(value)
    varint = bytearray()
    while True:
        byte, length = length & 0x7F, length >> 7
        varint.append(byte | (0x80 if length else 0))
        if not length:
            return bytes([tag]) + bytes(varint) + value


def _check(body: bytes) -> bytes:
    return hashlib.sha256(b"kms-mock grant token" + body).digest()[:_CHECK_LENGTH]


def grant_token(key_arn: str, grant_id: str, nonce: bytes) -> str:
    """A new token of the grant ``grant_id`` on ``key_arn`` (``nonce``: fresh random bytes)."""
    body = _VERSION + _field(0x0A, grant_id.encode()) + _field(0x12, key_arn.encode())
    body += _field(0x1A, nonce)
    return base64.urlsafe_b64encode(body + _field(0x22, _check(body))).rstrip(b"=").decode()


def _read_field(data: bytes, at: int, tag: int) -> tuple[bytes, int] | None:
    if data[at : at + 1] != bytes([tag]):
        return None
    at, length, shift = at + 1, 0, 0
    while at < len(data) and shift < 28:
        byte = data[at]
        length |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            end = at + length
            return (data[at:end], end) if end <= len(data) else None
    return None


def _decoded(token: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None


def parse_grant_token(token: str) -> tuple[str, str] | None:
    """(key ARN, grant id) of a token made by :func:`grant_token`; None if it is not one."""
    data = _decoded(token)
    if data is None or data[:1] != _VERSION:
        return None
    fields: list[bytes] = []
    at = 1
    for tag in (0x0A, 0x12, 0x1A, 0x22):
        read = _read_field(data, at, tag)
        if read is None:
            return None
        value, at = read
        fields.append(value)
    grant_id, key_arn, nonce, check = fields
    body = data[: len(data) - len(check) - 2]
    if at != len(data) or len(nonce) != _NONCE_LENGTH or check != _check(body):
        return None
    try:
        return key_arn.decode(), grant_id.decode()
    except UnicodeDecodeError:
        return None


def invalid_grant_token() -> InvalidGrantTokenException:
    """The error for a token kms_mock did not make.

    AWS's text is not recorded; the error shape's documentation says "the
    specified grant token is not valid".
    """
    return InvalidGrantTokenException("Invalid grant token.")


def check_grant_tokens(tokens: Iterable[str]) -> None:
    """Refuse the request unless each of ``tokens`` is one kms_mock made.

    A well-formed token is otherwise ignored, even one of a retired grant: it
    only hastens a grant's eventual consistency in AWS, and here grants apply at once.
    """
    if any(parse_grant_token(token) is None for token in tokens):
        raise invalid_grant_token()


__all__ = [
    "Grant",
    "KeyGrants",
    "RetirableGrants",
    "check_grant_tokens",
    "grant_operations_for",
    "grant_token",
    "grantee_arns",
    "grants_allow",
    "invalid_grant_token",
    "may_retire",
    "parse_grant_token",
    "retirable_position",
]
