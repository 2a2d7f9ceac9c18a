"""Authorizing a call: the key policy, the caller's identity policies and the key's grants.

Each permission a call needs is asked here, after its key is found and before
any key-state or usage check (so that DryRun, the last check, never answers a
caller without the permission). :func:`authorize` asks a permission on a key,
:func:`authorize_account` one that IAM alone decides (CreateKey, ListKeys, an
alias ARN). The request context of the policies' conditions is computed key by
key, when a condition first asks: the default key policy has none.
https://docs.aws.amazon.com/kms/latest/developerguide/policy-conditions.html
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ._authz import (
    ContextValue,
    Decision,
    KeyRef,
    LowerCaseContext,
    access_denied_message,
    caller,
    evaluate,
)
from ._callers import Principal
from ._errors import AccessDeniedException
from ._grants import KeyGrants, grantee_arns, grants_allow
from ._keyspecs import KEY_SPECS, SYMMETRIC_DEFAULT
from ._models import Key
from ._store import Backend

# Operations that name no key resource: IAM policies alone decide, with Resource "*"
# ("Required permissions" in each operation's documentation in botocore's model).
# Dispatch asks their permission; a key they name (ListAliases's KeyId) asks none.
ACCOUNT_LEVEL_OPERATIONS = frozenset(
    {
        "ConnectCustomKeyStore",
        "CreateCustomKeyStore",
        "CreateKey",
        "DeleteCustomKeyStore",
        "DescribeCustomKeyStores",
        "DisconnectCustomKeyStore",
        "GenerateRandom",
        "ListAliases",
        "ListKeys",
        "ListRetirableGrants",
        "UpdateCustomKeyStore",
    }
)

# Operations whose key permission no policy on the key decides: who may retire a
# grant is the grant's own rule ("kms:RetireGrant" in a key policy "is not
# effective": AWS KMS Developer Guide, "Retiring and revoking grants"), which
# the operation applies itself.
_DECIDED_BY_THE_OPERATION = frozenset({"RetireGrant"})
# Operations that ask no permission on the key they find.
_NO_KEY_PERMISSION = ACCOUNT_LEVEL_OPERATIONS | _DECIDED_BY_THE_OPERATION

# "kms:<Operation>", made once per operation name.
_ACTIONS: dict[str, str] = {}


class AuthorizedCall(Protocol):
    """What authorizing reads of a call: ``_dispatch.Request`` is one, defined above this layer."""

    @property
    def backend(self) -> Backend: ...
    @property
    def operation(self) -> str: ...
    @property
    def now(self) -> _dt.datetime: ...
    @property
    def principal(self) -> Principal: ...
    @property
    def via_service(self) -> str | None: ...
    @property
    def params(self) -> Mapping[str, Any]: ...


def action_of(operation: str) -> str:
    """The permission an operation asks by default: ``kms:<Operation>``."""
    action = _ACTIONS.get(operation)
    if action is None:
        action = _ACTIONS[operation] = f"kms:{operation}"
    return action


def authorize(
    call: AuthorizedCall,
    key: Key,
    action: str | None = None,
    *,
    key_id: str | None = None,
    by_ciphertext: bool = False,
) -> None:
    """Raise AccessDeniedException unless the caller may ``action`` on ``key``.

    ``action`` defaults to the call's own permission, ``kms:<Operation>``.
    ``key_id`` is the identifier the request named the key by (kms:RequestAlias);
    ``by_ciphertext``: the key is the one a ciphertext names (Decrypt without
    KeyId), which AWS does not name to a caller of another account.
    """
    backend = call.backend
    if not backend.enforce_permissions or call.operation in _NO_KEY_PERMISSION:
        return
    action = action or action_of(call.operation)
    principal = call.principal
    identity_policies = backend.identity_policies.of(principal)
    memo = (principal.arn, action, key.arn, key.policy, identity_policies)
    decision = _UNCONDITIONAL.get(memo)
    if decision is None:
        context = _RequestContext(call, action, key, key_id)
        grant_step = _GrantStep(call, key.grants, action[4:])
        decision = evaluate(
            caller(principal.arn),
            action,
            KeyRef(key.arn, key.account_id),
            context,
            key.policy,
            identity_policies,
            grant_step,
        )
        if not context.asked and not grant_step.asked:
            _remember(memo, decision)
    if decision.reason is not None:
        hidden = by_ciphertext and principal.account_id != key.account_id
        message = access_denied_message(
            decision.reason, principal.arn, action, key.arn, ciphertext=hidden
        )
        raise AccessDeniedException(message)


# Decisions no condition and no grant took part in (a policy allowed or denied), by
# (caller, action, key ARN, key policy, identity policies): the same again whatever
# the request and the key's grants. The default key policy has no condition, so
# Encrypt under it costs one lookup, however many grants the key has. Bounded.
_UNCONDITIONAL: dict[tuple[str, str, str, str, tuple[str, ...]], Decision] = {}
_UNCONDITIONAL_LIMIT = 1024


def _remember(memo: tuple[str, str, str, str, tuple[str, ...]], decision: Decision) -> None:
    if len(_UNCONDITIONAL) >= _UNCONDITIONAL_LIMIT:
        _UNCONDITIONAL.clear()
    _UNCONDITIONAL[memo] = decision


class _GrantStep:
    """The grant step of a decision: asked only when no policy decides.

    ``asked`` tells whether the decision depended on the key's grants, which
    may change at any time (a decision that did is never remembered).
    """

    __slots__ = ("asked", "call", "grants", "operation")

    def __init__(self, call: AuthorizedCall, grants: KeyGrants | None, operation: str) -> None:
        self.call = call
        self.grants = grants
        self.operation = operation  # a GrantOperation name: ReEncryptFrom, not kms:...
        self.asked = False

    def __call__(self) -> bool:
        self.asked = True
        principal = self.call.principal
        grantees = grantee_arns(principal.arn, principal.role_arn)
        return grants_allow(self.grants, grantees, self.operation, self.call.params)


def authorize_account(call: AuthorizedCall, action: str | None = None, resource: str = "*") -> None:
    """Raise AccessDeniedException unless IAM lets the caller ``action`` on ``resource``.

    ``resource`` is ``*`` for an account-level permission (CreateKey, ListKeys, the
    TagResource of a CreateKey with Tags) and an alias ARN for an alias permission.
    """
    backend = call.backend
    if not backend.enforce_permissions:
        return
    action = action or action_of(call.operation)
    principal = call.principal
    decision = evaluate(
        caller(principal.arn),
        action,
        None,
        _RequestContext(call, action, None, None),
        None,
        backend.identity_policies.of(principal),
        resource=resource,
    )
    if decision.reason is not None:
        shown = None if resource == "*" else resource
        raise AccessDeniedException(
            access_denied_message(decision.reason, principal.arn, action, shown)
        )


# -- the request context --------------------------------------------------------------------

Compute = Callable[["_RequestContext"], ContextValue | None]

# The request members that hold the encryption context and algorithm of each permission.
_CONTEXT_MEMBERS = {
    "kms:reencryptfrom": ("SourceEncryptionContext", "SourceEncryptionAlgorithm"),
    "kms:reencryptto": ("DestinationEncryptionContext", "DestinationEncryptionAlgorithm"),
}
_PLAIN_MEMBERS = ("EncryptionContext", "EncryptionAlgorithm")
# kms:EncryptionAlgorithm "works even when the parameter doesn't appear in the
# request": these permissions then use SYMMETRIC_DEFAULT.
_ALGORITHM_ACTIONS = frozenset(
    f"kms:{name}".lower()
    for name in (
        "Encrypt",
        "Decrypt",
        "ReEncryptFrom",
        "ReEncryptTo",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
    )
)


def _member(name: str, default: Any = None, *operations: str) -> Compute:
    """A condition key whose value is a request member; ``default`` where ``operations`` omit it."""
    defaulted = frozenset(operations)

    def compute(context: _RequestContext) -> ContextValue | None:
        value = context.params.get(name)
        if value is None and context.operation in defaulted:
            return default  # type: ignore[no-any-return]  # a member's default
        return value

    return compute


def _key_property(read: Callable[[Key], ContextValue | None], create_key: Compute) -> Compute:
    """A property of the call's key; of CreateKey, the request's value (or its default)."""

    def compute(context: _RequestContext) -> ContextValue | None:
        return create_key(context) if context.key is None else read(context.key)

    return compute


def _requested_spec(context: _RequestContext) -> str:
    params = context.params
    return params.get("KeySpec") or params.get("CustomerMasterKeySpec") or SYMMETRIC_DEFAULT


def _requested_usage(context: _RequestContext) -> str | None:
    spec = KEY_SPECS.get(_requested_spec(context))
    return context.params.get("KeyUsage") or (None if spec is None else spec.default_usage)


def _multi_region_type(key: Key) -> str | None:
    if key.related is None:
        return None
    return "REPLICA" if key.is_replica else "PRIMARY"


def _request_alias(context: _RequestContext) -> str | None:
    """The alias name the request named its key by, if it did (an alias ARN's too)."""
    key_id = context.key_id
    if key_id is None:
        return None
    if key_id.startswith("arn:"):
        name = key_id.partition(":alias/")[2]
        return f"alias/{name}" if name else None
    return key_id if key_id.startswith("alias/") else None


def _resource_aliases(context: _RequestContext) -> ContextValue | None:
    key = context.key
    if key is None:
        return None
    store = context.backend.region_store(key.account_id, key.region)
    return [alias.name for alias in store.aliases_of(key.key_id)]


def _encryption_context(context: _RequestContext) -> Mapping[str, str] | None:
    """The encryption context of the request (CreateGrant: its constraint's)."""
    params = context.params
    if context.operation == "CreateGrant":
        constraints = params.get("Constraints") or {}
        found = constraints.get("EncryptionContextSubset") or constraints.get(
            "EncryptionContextEquals"
        )
        return found
    member = _CONTEXT_MEMBERS.get(context.action, _PLAIN_MEMBERS)[0]
    return params.get(member)


def _encryption_algorithm(context: _RequestContext) -> str | None:
    member = _CONTEXT_MEMBERS.get(context.action, _PLAIN_MEMBERS)[1]
    value = context.params.get(member)
    if value is None and context.action in _ALGORITHM_ACTIONS:
        return SYMMETRIC_DEFAULT
    return value


def _grant_constraint_type(context: _RequestContext) -> str | None:
    constraints = context.params.get("Constraints") or {}
    return next(iter(constraints), None)


def _request_tags(context: _RequestContext) -> dict[str, str]:
    return {tag["TagKey"]: tag["TagValue"] for tag in context.params.get("Tags") or ()}


def _tag_keys(context: _RequestContext) -> ContextValue | None:
    if context.operation == "UntagResource":
        return context.params.get("TagKeys")
    tags = context.params.get("Tags")
    return None if tags is None else [tag["TagKey"] for tag in tags]


def _grant_is_for_aws_resource(context: _RequestContext) -> bool | None:
    if context.operation not in {"CreateGrant", "ListGrants", "RevokeGrant"}:
        return None
    return context.via_service is not None


# Lower-case condition key -> how the request's value is found.
_KEYS: dict[str, Compute] = {
    "aws:currenttime": lambda context: context.now,
    "aws:epochtime": lambda context: int(context.now.timestamp()),
    "aws:securetransport": lambda context: True,
    "kms:calleraccount": lambda context: context.principal.account_id,
    "kms:viaservice": lambda context: context.via_service,
    "kms:grantisforawsresource": _grant_is_for_aws_resource,
    "kms:requestalias": _request_alias,
    "kms:resourcealiases": _resource_aliases,
    "kms:encryptionalgorithm": _encryption_algorithm,
    "kms:encryptioncontextkeys": lambda context: list(_encryption_context(context) or ()),
    "kms:keyspec": _key_property(lambda key: key.key_spec, _requested_spec),
    "kms:keyusage": _key_property(lambda key: key.key_usage, _requested_usage),
    "kms:keyorigin": _key_property(
        lambda key: key.origin, lambda context: context.params.get("Origin", "AWS_KMS")
    ),
    "kms:multiregion": _key_property(
        lambda key: key.multi_region, lambda context: context.params.get("MultiRegion", False)
    ),
    "kms:multiregionkeytype": _key_property(
        _multi_region_type,
        lambda context: "PRIMARY" if context.params.get("MultiRegion") else None,
    ),
    "kms:datakeypairspec": _member("KeyPairSpec"),
    "kms:macalgorithm": _member("MacAlgorithm"),
    "kms:keyagreementalgorithm": _member("KeyAgreementAlgorithm"),
    "kms:signingalgorithm": _member("SigningAlgorithm"),
    "kms:messagetype": _member("MessageType", "RAW", "Sign", "Verify"),
    "kms:grantoperations": _member("Operations"),
    "kms:granteeprincipal": _member("GranteePrincipal"),
    "kms:retiringprincipal": _member("RetiringPrincipal"),
    "kms:grantconstrainttype": _grant_constraint_type,
    "kms:bypasspolicylockoutsafetycheck": _member(
        "BypassPolicyLockoutSafetyCheck", False, "CreateKey", "PutKeyPolicy"
    ),
    "kms:rotationperiodindays": _member("RotationPeriodInDays", 365, "EnableKeyRotation"),
    "kms:schedulekeydeletionpendingwindowindays": _member(
        "PendingWindowInDays", 30, "ScheduleKeyDeletion"
    ),
    "kms:wrappingalgorithm": _member("WrappingAlgorithm"),
    "kms:wrappingkeyspec": _member("WrappingKeySpec"),
    "kms:expirationmodel": _member("ExpirationModel"),
    "kms:validto": _member("ValidTo"),
    "kms:replicaregion": _member("ReplicaRegion"),
    "kms:primaryregion": _member("PrimaryRegion"),
    "aws:tagkeys": _tag_keys,
}
_ENCRYPTION_CONTEXT_PREFIX = "kms:encryptioncontext:"
_REQUEST_TAG_PREFIX = "aws:requesttag/"
_RESOURCE_TAG_PREFIX = "aws:resourcetag/"


def _find_ignoring_case(pairs: Mapping[str, str] | None, wanted: str) -> str | None:
    """The value of ``wanted`` (lower case) among ``pairs``, whose keys may be in any case."""
    for name, value in (pairs or {}).items():
        if name.lower() == wanted:
            return value
    return None


class _RequestContext(LowerCaseContext):
    """The condition keys of one permission of one call, each computed when first asked."""

    __slots__ = ("action", "asked", "call", "found", "key", "key_id")

    def __init__(self, call: AuthorizedCall, action: str, key: Key | None, key_id: str | None):
        self.call = call
        self.action = action.lower()
        self.key = key
        self.key_id = key_id
        self.asked = False  # whether a condition asked for any key
        self.found: dict[str, ContextValue | None] | None = None  # what was computed, by key

    @property
    def backend(self) -> Backend:
        return self.call.backend

    @property
    def operation(self) -> str:
        return self.call.operation

    @property
    def params(self) -> Mapping[str, Any]:
        return self.call.params

    @property
    def now(self) -> _dt.datetime:
        return self.call.now

    @property
    def principal(self) -> Principal:
        return self.call.principal

    @property
    def via_service(self) -> str | None:
        return self.call.via_service

    def get(self, key: str) -> ContextValue | None:
        self.asked = True
        if self.found is None:
            self.found = {}
        elif key in self.found:
            return self.found[key]
        value = self.found[key] = self._compute(key)
        return value

    def _compute(self, name: str) -> ContextValue | None:
        compute = _KEYS.get(name)
        if compute is not None:
            value = compute(self)
        elif name.startswith(_ENCRYPTION_CONTEXT_PREFIX):
            wanted = name.removeprefix(_ENCRYPTION_CONTEXT_PREFIX)
            value = _find_ignoring_case(_encryption_context(self), wanted)
        elif name.startswith(_REQUEST_TAG_PREFIX):
            wanted = name.removeprefix(_REQUEST_TAG_PREFIX)
            value = _find_ignoring_case(_request_tags(self), wanted)
        elif name.startswith(_RESOURCE_TAG_PREFIX) and self.key is not None:
            tags = {tag: entry.value for tag, entry in self.key.tags.by_key.items()}
            value = _find_ignoring_case(tags, name.removeprefix(_RESOURCE_TAG_PREFIX))
        else:
            value = None
        return value
