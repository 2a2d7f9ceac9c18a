"""Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.

A grant lives on its key (``Key.grants``): deleting the key deletes its grants,
and a grant token carries its key's ARN. Grants come and go through the key's
store, which keeps the Region's index of them by retiring principal. Every
operation runs all of its checks before it changes anything, and DryRun stops
after the last of them. Who may call CreateGrant, ListGrants and RevokeGrant
is the key's policies' business (key resolution asks them); RetireGrant is
"determined primarily by the grant" (RetireGrant in botocore's model), so it
is decided here. Messages AWS has not been recorded giving are inferred, and
say so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .._arns import parse_kms_arn, root_principal_arn
from .._authz import Reason, access_denied_message, caller, identity_decision
from .._dispatch import Params, Request, Response, operation
from .._errors import (
    AccessDeniedException,
    InvalidGrantIdException,
    LimitExceededException,
    NotFoundException,
    ValidationException,
)
from .._grants import (
    Grant,
    KeyGrants,
    grant_operations_for,
    grant_token,
    grantee_arns,
    invalid_grant_token,
    may_retire,
    parse_grant_token,
    retirable_position,
)
from .._keyspecs import is_symmetric_encryption
from .._lifecycle import shown_state
from .._models import UNAVAILABLE, Key
from .._resolve import find_key, require_usable
from .._shapes import service_model
from ._pagination import paginate
from ._rules import dry_run_stop

# Resource quota "Grants per KMS key", adjustable in AWS:
# https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html
GRANTS_PER_KEY = 50_000
# "Each constraint value can include up to 8 encryption context pairs. The encryption
# context value in each constraint cannot exceed 384 characters." (CreateGrant's
# Constraints in botocore's model, which does not encode either limit.)
CONSTRAINT_PAIRS = 8
CONSTRAINT_VALUE_LENGTH = 384
# ListGrants and ListRetirableGrants: "between 1 and 100, inclusive ... defaults to 50".
_PAGE = {"default_limit": 50, "max_limit": 100}
_CONSTRAINT_KINDS = ("EncryptionContextSubset", "EncryptionContextEquals")
# A grant's constraint: which kind (a GrantConstraints member) and its pairs; None if none.
Constraint = tuple[str, Mapping[str, str]] | None


@functools.cache
def _operation_order() -> dict[str, int]:
    """Positions in botocore's GrantOperation enum: the order operations are listed in."""
    enum = service_model().shape_for("GrantOperation").metadata["enum"]
    return {name: index for index, name in enumerate(enum)}


def _in_order(operations: Iterable[str]) -> list[str]:
    return sorted(operations, key=_operation_order().__getitem__)


def _grant_of(key: Key, grant_id: str) -> Grant:
    grant = None if key.grants is None else key.grants.by_id.get(grant_id)
    if grant is None:
        # Not recorded from AWS; worded as the recorded "Invalid keyId '<input>'".
        raise InvalidGrantIdException(f"Invalid grantId '{grant_id}'")
    return grant


def _delete(request: Request, key: Key, grant: Grant) -> None:
    request.backend.region_store(key.account_id, key.region).remove_grant(key, grant)


# -- CreateGrant --------------------------------------------------------------------------------


def _constraint(params: Params) -> Constraint:
    """The request's constraint (kind, pairs), within the limits of CreateGrant's documentation.

    The messages follow AWS's validation grammar; AWS's own are not recorded.
    """
    given = params.get("Constraints") or {}
    present = [(kind, given[kind]) for kind in _CONSTRAINT_KINDS if kind in given]
    if len(present) > 1:
        raise ValidationException(
            "A grant constraint can have EncryptionContextEquals or EncryptionContextSubset, "
            "not both."
        )
    if not present:
        return None
    kind, pairs = present[0]
    path = f"constraints.{kind[:1].lower()}{kind[1:]}"
    if len(pairs) > CONSTRAINT_PAIRS:
        raise ValidationException(
            f"1 validation error detected: Value '{pairs}' at '{path}' failed to satisfy "
            f"constraint: Member must have length less than or equal to {CONSTRAINT_PAIRS}"
        )
    if any(len(value) > CONSTRAINT_VALUE_LENGTH for value in pairs.values()):
        raise ValidationException(
            f"1 validation error detected: Value '{pairs}' at '{path}' failed to satisfy "
            f"constraint: Map value must have length less than or equal to "
            f"{CONSTRAINT_VALUE_LENGTH}"
        )
    return kind, pairs


def _require_grantable(key: Key) -> None:
    """CreateGrant's column of the key-state table: as cryptographic operations, except that
    an Unavailable key (its custom key store disconnected) takes grants."""
    if shown_state(key) != UNAVAILABLE:
        require_usable(key)


def _require_operations_for(key: Key, operations: frozenset[str], constraint: Constraint) -> None:
    """Operations the key can do, and constraints on symmetric encryption keys only."""
    invalid = operations - grant_operations_for(key.key_spec, key.key_usage)
    if invalid:
        # The model says "KMS returns a ValidationError exception"; the text is inferred.
        listed = ", ".join(_in_order(invalid))
        raise ValidationException(
            f"Grant operations {listed} are not valid for KMS key {key.arn}, whose KeySpec "
            f"is {key.key_spec} and KeyUsage {key.key_usage}."
        )
    if constraint is not None and not is_symmetric_encryption(key.key_spec):
        # Recorded from AWS (a DynamoDB table's CreateGrant on an asymmetric key).
        raise ValidationException(
            "EncryptionContext is supported only when creating a grant for a symmetric "
            "encryption KMS key."
        )


def _same_grant(
    grants: KeyGrants | None, params: Params, operations: frozenset[str], constraint: Constraint
) -> Grant | None:
    """The grant a named CreateGrant with these parameters made before: a retry makes none.

    "When this value is present, you can retry a CreateGrant request with identical
    parameters; if the grant already exists, the original GrantId is returned"
    (CreateGrant's Name in botocore's model). Only the grantee's grants can match.
    """
    name = params.get("Name")
    if name is None or grants is None:
        return None
    for grant in grants.by_grantee.get(params["GranteePrincipal"], ()):
        if (
            grant.name == name
            and grant.operations == operations
            and grant.retiring_principal == params.get("RetiringPrincipal")
            and _constraint_of(grant) == constraint
        ):
            return grant
    return None


def _constraint_of(grant: Grant) -> Constraint:
    if grant.encryption_context_equals is not None:
        return "EncryptionContextEquals", grant.encryption_context_equals
    if grant.encryption_context_subset is not None:
        return "EncryptionContextSubset", grant.encryption_context_subset
    return None


def _require_room_for_grant(key: Key) -> None:
    if key.grants is not None and len(key.grants.by_id) >= GRANTS_PER_KEY:
        # Not recorded from AWS; worded after the recorded on-demand rotation limit message.
        raise LimitExceededException(
            "The grant limit has been reached for the given keyId. No more grants can be "
            f"created for this key: {key.arn}"
        )


def _new_grant(
    request: Request,
    key: Key,
    params: Params,
    operations: frozenset[str],
    constraint: Constraint,
) -> Grant:
    subset = equals = None
    if constraint is not None:
        kind, pairs = constraint
        if kind == "EncryptionContextEquals":
            equals = dict(pairs)
        else:
            subset = dict(pairs)
    grant = Grant(
        grant_id=request.backend.entropy.token_bytes(32).hex(),
        key_arn=key.arn,
        grantee_principal=params["GranteePrincipal"],
        operations=operations,
        issuing_account=root_principal_arn(request.region, request.account_id),
        created_at=request.now,
        name=params.get("Name"),
        retiring_principal=params.get("RetiringPrincipal"),
        encryption_context_subset=subset,
        encryption_context_equals=equals,
    )
    request.backend.region_store(key.account_id, key.region).add_grant(key, grant)
    return grant


@operation("CreateGrant")
def create_grant(request: Request, params: Params) -> Response:
    """Give a grantee principal some operations on a key, maybe under a constraint.

    Check order (inferred: AWS's is not recorded): the parameters (dispatch checks the
    grant tokens with them), the key, the key state, what the key can do, then the
    quota; DryRun stops there.
    """
    constraint = _constraint(params)
    operations = frozenset(params["Operations"])
    key = find_key(request, params["KeyId"])
    _require_grantable(key)
    _require_operations_for(key, operations, constraint)
    grant = _same_grant(key.grants, params, operations, constraint)
    if grant is None:
        _require_room_for_grant(key)
    dry_run_stop(params)
    if grant is None:
        grant = _new_grant(request, key, params, operations, constraint)
    # "the returned grant token is unique with every CreateGrant request, even when a
    # duplicate GrantId is returned" (CreateGrant's Name in botocore's model).
    nonce = request.backend.entropy.token_bytes(16)
    return {"GrantToken": grant_token(key.arn, grant.grant_id, nonce), "GrantId": grant.grant_id}


# -- ListGrants, ListRetirableGrants --------------------------------------------------------------


def _list_entry(grant: Grant) -> dict[str, Any]:
    """A GrantListEntry (botocore's shape): optional members only when set."""
    entry: dict[str, Any] = {"KeyId": grant.key_arn, "GrantId": grant.grant_id}
    if grant.name is not None:
        entry["Name"] = grant.name
    entry["CreationDate"] = grant.created_at
    entry["GranteePrincipal"] = grant.grantee_principal
    if grant.retiring_principal is not None:
        entry["RetiringPrincipal"] = grant.retiring_principal
    entry["IssuingAccount"] = grant.issuing_account
    entry["Operations"] = _in_order(grant.operations)
    constraint = _constraint_of(grant)
    if constraint is not None:
        kind, pairs = constraint
        entry["Constraints"] = {kind: dict(pairs)}
    return entry


def _serial_token(grant: Grant) -> str:
    return f"{grant.serial:010d}"


def _listed(
    request: Request, grants: Sequence[Grant], params: Params, token: Callable[[Grant], str]
) -> Response:
    page, paging = paginate(request.operation, grants, params, **_PAGE, token=token)
    return {"Grants": [_list_entry(grant) for grant in page], **paging}


@operation("ListGrants")
def list_grants(request: Request, params: Params) -> Response:
    """The grants of one key in creation order, maybe of one grantee or one grant id; paged.

    Works in every key state (the key-state table).
    """
    key = find_key(request, params["KeyId"])
    grants: Sequence[Grant]
    if "GrantId" in params:
        grant = _grant_of(key, params["GrantId"])
        wanted = params.get("GranteePrincipal", grant.grantee_principal)
        grants = [grant] if grant.grantee_principal == wanted else []
    elif key.grants is None:
        grants = []
    elif "GranteePrincipal" in params:
        grants = key.grants.by_grantee.get(params["GranteePrincipal"], [])
    else:
        grants = key.grants.in_creation_order()
    return _listed(request, grants, params, _serial_token)


@operation("ListRetirableGrants")
def list_retirable_grants(request: Request, params: Params) -> Response:
    """Every grant in the Region whose retiring principal is the given one, on any account's key.

    "This can include grants on KMS keys owned by other Amazon Web Services
    accounts" (ListRetirableGrants in botocore's model). Ordered by key ARN, then
    by creation on the key; a page reads the Region's index of that principal's
    grants only.
    """
    grants = request.backend.retirable_grants(request.region).of(params["RetiringPrincipal"])
    return _listed(request, grants, params, retirable_position)


# -- RetireGrant, RevokeGrant ---------------------------------------------------------------------


def _grant_named_by_token(request: Request, token: str) -> tuple[Key, Grant]:
    named = parse_grant_token(token)
    parsed = None if named is None else parse_kms_arn(named[0])
    if named is None or parsed is None:
        raise invalid_grant_token()
    key_arn, grant_id = named
    key = request.backend.key(
        parsed.account_id, parsed.region, parsed.resource.removeprefix("key/")
    )
    if key is None:
        # A deleted key's grants are gone with it; the message is find_key's.
        raise NotFoundException(f"Key '{key_arn}' does not exist")
    request.note_audit_resource(key.arn)
    return key, _grant_of(key, grant_id)


def _grant_to_retire(request: Request, params: Params) -> tuple[Key, Grant]:
    """The grant RetireGrant names: by GrantToken, or by KeyId and GrantId."""
    if "GrantToken" in params:
        return _grant_named_by_token(request, params["GrantToken"])
    if "KeyId" not in params or "GrantId" not in params:
        # Not recorded from AWS: RetireGrantRequest's documentation asks for one or the other.
        raise ValidationException(
            "Either GrantToken, or both KeyId and GrantId, must be specified."
        )
    key = find_key(request, params["KeyId"])
    return key, _grant_of(key, params["GrantId"])


def _require_may_retire(request: Request, key: Key, grant: Grant) -> None:
    """The grant's retiring principal, its grantee if it allows RetireGrant, or its
    issuing account through IAM kms:RetireGrant (``_grants.may_retire``)."""
    principal = request.principal
    identity = identity_decision(
        caller(principal.arn),
        "kms:RetireGrant",
        key.arn,
        {"kms:CallerAccount": principal.account_id},
        request.backend.identity_policies.of(principal),
    )
    grantees = grantee_arns(principal.arn, principal.role_arn)
    if may_retire(grant, grantees, principal.account_id, identity):
        return
    # AWS's message for this denial is not recorded: the identity-based form, since the
    # caller's identity policies are what could have let it in.
    reason: Reason = "deny_identity" if identity.reason == "deny_identity" else "no_identity_allow"
    raise AccessDeniedException(
        access_denied_message(reason, principal.arn, "kms:RetireGrant", key.arn)
    )


@operation("RetireGrant")
def retire_grant(request: Request, params: Params) -> Response:
    """Delete a grant, as a principal the grant names (or its account) may. Any key state."""
    key, grant = _grant_to_retire(request, params)
    if request.backend.enforce_permissions:
        _require_may_retire(request, key, grant)
    dry_run_stop(params)
    _delete(request, key, grant)
    return {}


@operation("RevokeGrant")
def revoke_grant(request: Request, params: Params) -> Response:
    """Delete a grant of a key, as a key administrator does. Any key state."""
    key = find_key(request, params["KeyId"])
    grant = _grant_of(key, params["GrantId"])
    dry_run_stop(params)
    _delete(request, key, grant)
    return {}
