"""Key policy checks shared by CreateKey and PutKeyPolicy.

The mock stores policies verbatim and does not evaluate IAM. It checks what
AWS checks before storing one: that it is a JSON policy document, and the
policy lockout safety check — unless BypassPolicyLockoutSafetyCheck is set,
the caller (the account's root principal) must keep kms:PutKeyPolicy.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from typing import Any

from .._errors import MalformedPolicyDocumentException

LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows_put_key_policy(action: Any) -> bool:
    return any(
        isinstance(pattern, str) and fnmatch.fnmatchcase("kms:putkeypolicy", pattern.lower())
        for pattern in _as_list(action)
    )


def _names_account(principal: Any, account_id: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    accepted = {"*", account_id}  # and any root ARN of the account, below
    return any(
        isinstance(value, str) and (value in accepted or value.endswith(f"::{account_id}:root"))
        for value in _as_list(principal.get("AWS", []))
    )


def _statements(policy: str) -> list[Any]:
    try:
        document = json.loads(policy)
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the parser's stack, as "[" * 1000 can be.
        raise MalformedPolicyDocumentException("Policy contains invalid JSON.") from None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not statements or not all(isinstance(s, dict) for s in _as_list(statements)):
        raise MalformedPolicyDocumentException("Policy contains a statement with no Statement.")
    return _as_list(statements)


def checked_policy(params: Mapping[str, Any], account_id: str) -> str | None:
    """The request's ``Policy``, if it has one, once it passed :func:`check_policy`."""
    policy: str | None = params.get("Policy")
    if policy is not None:
        bypass = params.get("BypassPolicyLockoutSafetyCheck", False)
        check_policy(policy, account_id, bypass_lockout_check=bypass)
    return policy


def check_policy(policy: str, account_id: str, *, bypass_lockout_check: bool) -> None:
    """Raise MalformedPolicyDocumentException as AWS would for ``policy``."""
    statements = _statements(policy)
    if bypass_lockout_check:
        return
    keeps_control = any(
        s.get("Effect") == "Allow"
        and _names_account(s.get("Principal"), account_id)
        and _allows_put_key_policy(s.get("Action"))
        for s in statements
    )
    if not keeps_control:
        raise MalformedPolicyDocumentException(LOCKOUT_MESSAGE)
