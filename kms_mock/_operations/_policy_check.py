"""Key policy checks shared by CreateKey, ReplicateKey and PutKeyPolicy.

What AWS checks before storing a key policy (botocore's PutKeyPolicyRequest
``Policy`` documentation): the document compiles (the policy engine refuses
what KMS refuses), and the policy lockout safety check — unless
BypassPolicyLockoutSafetyCheck is set, the new policy must let the caller make
a later PutKeyPolicy request, as the engine decides it.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._arns import root_principal_arn
from .._authz import Caller, KeyRef, caller, compile_policy, keeps_put_key_policy
from .._dispatch import Request
from .._errors import MalformedPolicyDocumentException

LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."


def checked_policy(request: Request, key_arn: str | None = None) -> str | None:
    """The request's ``Policy``, if it has one, once it passed :func:`check_policy`.

    The caller the lockout check asks about is the request's principal, with
    its identity policies; with permissions not enforced, the account root
    (whom the default key policy names). ``key_arn``: the key the policy is for.
    """
    params = request.params
    policy: str | None = params.get("Policy")
    if policy is None:
        return None
    backend = request.backend
    if backend.enforce_permissions:
        principal = caller(request.principal.arn)
        identity_policies = backend.identity_policies.of(request.principal)
    else:
        principal = caller(root_principal_arn(request.region, request.account_id))
        identity_policies = ()
    check_policy(
        policy,
        principal,
        bypass_lockout_check=params.get("BypassPolicyLockoutSafetyCheck", False),
        key_arn=key_arn,
        identity_policies=identity_policies,
    )
    return policy


def check_policy(
    policy: str,
    principal: Caller,
    *,
    bypass_lockout_check: bool,
    key_arn: str | None = None,
    identity_policies: Sequence[str] = (),
) -> None:
    """Raise MalformedPolicyDocumentException as AWS would for ``policy`` set by ``principal``.

    ``key_arn`` None stands for a key not named yet: then only identity
    statements whose Resource covers every key (``*``) count.
    """
    compile_policy(policy)
    if bypass_lockout_check:
        return
    key = KeyRef(key_arn or "*", principal.account_id)  # key policies are set in the key's account
    if not keeps_put_key_policy(policy, principal, key, identity_policies):
        raise MalformedPolicyDocumentException(LOCKOUT_MESSAGE)
