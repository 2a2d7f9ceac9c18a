"""Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies.

A key has exactly one policy, named ``default``. All three operations take a
key id or key ARN only and work in every key state. The mock stores a policy
verbatim (AWS returns what was put, byte for byte) and does not evaluate IAM;
PutKeyPolicy runs the checks AWS runs before storing one (see _policy_check).
"""

from __future__ import annotations

from .._dispatch import Params, Request, Response, operation
from .._errors import NotFoundException
from .._models import Key
from .._resolve import find_key
from ._pagination import paginate
from ._policy_check import checked_policy
from ._rules import key_to_change

DEFAULT_POLICY_NAME = "default"

# ListKeyPolicies: documented Limit 1..1000, default 100.
_DEFAULT_LIMIT = 100
_MAX_LIMIT = 1000


def _require_default_name(params: Params) -> None:
    # "The only valid policy name is default" (PolicyName in botocore's model).
    # AWS's error for another name is not recorded: this NotFoundException is what
    # other emulators give for GetKeyPolicy, and PutKeyPolicy follows it.
    if params.get("PolicyName", DEFAULT_POLICY_NAME) != DEFAULT_POLICY_NAME:
        raise NotFoundException("No such policy exists")


def _key(request: Request, params: Params) -> Key:
    return find_key(request, params["KeyId"])


@operation("GetKeyPolicy")
def get_key_policy(request: Request, params: Params) -> Response:
    """The key's policy exactly as stored (AWS's pretty-printed default if none was given)."""
    key = _key(request, params)
    _require_default_name(params)
    return {"Policy": key.policy, "PolicyName": DEFAULT_POLICY_NAME}


@operation("PutKeyPolicy")
def put_key_policy(request: Request, params: Params) -> Response:
    """Replace the key's policy, after the JSON and lockout safety checks."""
    key = key_to_change(request, params["KeyId"])
    _require_default_name(params)
    policy = checked_policy(request, key.arn)
    assert policy is not None  # a required member, validated before
    key.policy = policy
    return {}


@operation("ListKeyPolicies")
def list_key_policies(request: Request, params: Params) -> Response:
    """``["default"]``: every key has that one policy, paged like other List operations."""
    _key(request, params)
    page, paging = paginate(
        request.operation,
        [DEFAULT_POLICY_NAME],
        params,
        default_limit=_DEFAULT_LIMIT,
        max_limit=_MAX_LIMIT,
    )
    return {"PolicyNames": list(page), **paging}
