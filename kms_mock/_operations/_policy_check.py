"""Key policy checks shared by CreateKey, ReplicateKey and PutKeyPolicy.

What AWS checks before storing a key policy (botocore's PutKeyPolicyRequest
``Policy`` documentation): the document compiles (the policy engine refuses
what KMS refuses), and the policy lockout safety check — unless
BypassPolicyLockoutSafetyCheck is set, the new policy must let the caller make
a later PutKeyPolicy request, as the engine decides it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._arns import root_principal_arn
from .._authz import Caller, KeyRef, caller, compile_policy, keeps_put_key_policy
from .._errors import MalformedPolicyDocumentException

LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."


def checked_policy(
    params: Mapping[str, Any],
    account_id: str,
    *,
    principal: Caller | None = None,
    key_arn: str | None = None,
    identity_policies: Sequence[str] = (),
) -> str | None:
    """The request's ``Policy``, if it has one, once it passed :func:`check_policy`.

    ``principal`` defaults to the root user of ``account_id``.
    """
    policy: str | None = params.get("Policy")
    if policy is not None:
        # Any Region will do: the engine does not compare principals' partitions.
        root = caller(root_principal_arn("us-east-1", account_id))
        check_policy(
            policy,
            principal or root,
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
