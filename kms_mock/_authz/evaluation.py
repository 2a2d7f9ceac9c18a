"""The authorization decision for one permission, and AWS's AccessDeniedException text.

How KMS combines key policies, IAM identity policies and grants (AWS KMS
Developer Guide, "Key policies", "Default key policy", "Allowing users in other
accounts to use a KMS key", "Grants"; IAM User Guide, "Policy evaluation logic"):

1. An explicit Deny, in the key policy or in the caller's identity policies,
   wins over every Allow and every grant.
2. A key-policy Allow naming the caller (or ``*``) allows a caller of the key's account.
3. A key-policy Allow naming the caller's account delegates to IAM: the caller
   also needs an identity-policy Allow on the key ARN. The root user needs none.
4. A caller of another account needs a key-policy Allow (for it or its account)
   and an identity-policy Allow.
5. A grant allows in either account.
6. Otherwise the call is denied.

Account-level operations (CreateKey, ListKeys, ...) name no key: identity policies alone decide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from .conditions import Context, ContextValue, LowerCaseContext
from .documents import Policy, compile_policy
from .principals import Caller, Named

# Which AccessDeniedException message a denial gets.
Reason = Literal[
    "deny_resource", "deny_identity", "no_resource_allow", "no_identity_allow", "hidden"
]


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a permission is granted; when not, the reason that picks AWS's message."""

    allowed: bool
    reason: Reason | None = None


ALLOWED = Decision(True)


class KeyRef(NamedTuple):
    """The key a permission is asked on: its ARN and its account."""

    arn: str
    account_id: str


def _key_policy_verdict(
    policy: Policy, caller: Caller, action: str, key: KeyRef, context: Context
) -> tuple[bool, Named]:
    """Whether the key policy denies, and how its strongest applicable Allow names the caller."""
    best = Named.NOT
    for statement in policy.statements:
        named = statement.names(caller)
        if named is Named.NOT or not statement.applies(action, key.arn, context):
            continue
        if not statement.allow:
            return True, best  # a Deny naming the account covers all its principals
        if named is Named.CALLER or best is Named.NOT:
            best = named
    return False, best


def _identity_verdict(
    policies: Sequence[Policy], action: str, resource: str, context: Context
) -> tuple[bool, bool]:
    """Whether the identity policies deny, and whether they allow, ``action`` on ``resource``."""
    allowed = False
    for policy in policies:
        for statement in policy.statements:
            if statement.applies(action, resource, context):
                if not statement.allow:
                    return True, allowed
                allowed = True
    return False, allowed


def _request_context(
    caller: Caller, context: Mapping[str, ContextValue] | LowerCaseContext
) -> Context:
    """The request's condition keys, with the caller's aws:PrincipalArn and aws:PrincipalAccount."""
    return Context(
        context,
        {"aws:PrincipalArn": caller.principal_arn, "aws:PrincipalAccount": caller.account_id},
    )


def evaluate(
    caller: Caller,
    action: str,
    key: KeyRef | None,
    context: Mapping[str, ContextValue] | LowerCaseContext,
    key_policy: str | None,
    identity_policies: Sequence[str] = (),
    grant_allows: bool | Callable[[], bool] = False,
    resource: str = "*",
) -> Decision:
    """Whether ``caller`` may ``action`` (``kms:Encrypt``, ``kms:ReEncryptFrom``, ...).

    ``key`` is None for an account-level operation. ``context`` maps condition
    keys to the request's values (one, or a list for a multi-valued key); the
    caller's aws:PrincipalArn and aws:PrincipalAccount are added. Policies are
    the documents' texts, compiled once each. ``grant_allows`` is asked only
    when no policy decides. Operations a key's account alone may call must not
    be asked for another account's key (their key resolution refuses it).
    ``resource`` is what identity policies see of an account-level permission:
    ``*``, or the alias ARN of an alias permission (CreateAlias asks one).
    """
    lowered_action = action.lower()
    request = _request_context(caller, context)
    named = Named.NOT
    if key is not None and key_policy is not None:
        denied, named = _key_policy_verdict(
            compile_policy(key_policy), caller, lowered_action, key, request
        )
        if denied:
            return Decision(
                False, "deny_resource" if caller.account_id == key.account_id else "hidden"
            )
    identity = [compile_policy(text) for text in identity_policies]
    if key is not None:
        resource = key.arn
    denied, identity_allows = _identity_verdict(identity, lowered_action, resource, request)
    if denied:
        return Decision(False, "deny_identity")
    identity_allows = identity_allows or caller.is_root
    if key is None:
        return ALLOWED if identity_allows else Decision(False, "no_identity_allow")
    same_account = caller.account_id == key.account_id
    if (same_account and named is Named.CALLER) or (named is not Named.NOT and identity_allows):
        return ALLOWED
    if grant_allows() if callable(grant_allows) else grant_allows:
        return ALLOWED
    if named is not Named.NOT:
        return Decision(False, "no_identity_allow")
    return Decision(False, "no_resource_allow" if same_account else "hidden")


def identity_decision(
    caller: Caller,
    action: str,
    resource: str,
    context: Mapping[str, ContextValue],
    identity_policies: Sequence[str],
) -> Decision:
    """What the caller's identity policies alone say of ``action`` on ``resource``.

    For a permission no key policy decides, as ``kms:RetireGrant`` ("not effective in a
    key policy": AWS KMS Developer Guide, "Retiring and revoking grants"). The root
    user needs no identity policy.
    """
    identity = [compile_policy(text) for text in identity_policies]
    request = _request_context(caller, context)
    denied, allowed = _identity_verdict(identity, action.lower(), resource, request)
    if denied:
        return Decision(False, "deny_identity")
    return ALLOWED if allowed or caller.is_root else Decision(False, "no_identity_allow")


_HIDDEN = (
    "because the resource does not exist in this Region, no resource-based policies allow "
    "access, or a resource-based policy explicitly denies access"
)


def access_denied_message(
    reason: Reason,
    principal_arn: str,
    action: str,
    key_arn: str | None,
    *,
    ciphertext: bool = False,
) -> str:
    """The AccessDeniedException message AWS gives for a denial.

    ``key_arn`` None: an account-level operation, which names no resource.
    ``ciphertext``: a Decrypt that named no key, whose key other accounts do not see by ARN.
    """
    because = {
        "deny_resource": "with an explicit deny in a resource-based policy",
        "deny_identity": "with an explicit deny in an identity-based policy",
        "no_resource_allow": f"because no resource-based policy allows the {action} action",
        "no_identity_allow": f"because no identity-based policy allows the {action} action",
        "hidden": _HIDDEN,
    }[reason]
    if ciphertext:
        resource = " on the resource associated with this ciphertext"
    elif reason == "hidden":
        resource = " on this resource"
    else:
        resource = "" if key_arn is None else f" on resource: {key_arn}"
    return f"User: {principal_arn} is not authorized to perform: {action}{resource} {because}"


def keeps_put_key_policy(
    policy: str,
    caller: Caller,
    key: KeyRef,
    identity_policies: Sequence[str] = (),
    context: Mapping[str, ContextValue] | None = None,
) -> bool:
    """Whether ``policy`` lets ``caller`` call PutKeyPolicy on ``key`` later: the lockout check.

    Grants never count: PutKeyPolicy is not a grant operation. ``context``
    defaults to what a later PutKeyPolicy by the caller would carry.
    """
    if context is None:
        context = {
            "kms:CallerAccount": caller.account_id,
            "kms:BypassPolicyLockoutSafetyCheck": False,
        }
    return evaluate(caller, "kms:PutKeyPolicy", key, context, policy, identity_policies).allowed
