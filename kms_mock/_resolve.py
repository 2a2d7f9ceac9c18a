"""Turning a KeyId parameter into a key, and the key-state rules.

AWS accepts key ids and key ARNs everywhere, and alias names and alias ARNs
only in DescribeKey and the cryptographic operations (each operation's
``KeyId`` member in the botocore model says which); the messages for a
malformed or missing identifier are recorded from real AWS and reproduced here.
Key ids and alias names name keys of the caller's account; an ARN may name
another account's key only in the operations AWS allows across accounts.
The key-state rules are the table of "Key states of AWS KMS keys"
(https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).
Resolving only finds: a predefined ``alias/aws/<service>`` with no key yet names
the request's provisional AWS managed key, which the request stores if it succeeds.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._arns import alias_arn, key_arn, parse_kms_arn
from ._authz import access_denied_message
from ._errors import (
    AccessDeniedException,
    DisabledException,
    KMSInvalidStateException,
    NotFoundException,
)
from ._lifecycle import shown_state
from ._models import (
    CREATING,
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    PENDING_DELETION_STATES,
    PENDING_IMPORT,
    PENDING_REPLICA_DELETION,
    UNAVAILABLE,
    UPDATING,
    Key,
)
from ._permissions import action_of, authorize

if TYPE_CHECKING:
    from ._dispatch import Request

_KEY_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|mrk-[0-9a-fA-F]{32}"
)


# The operations whose documentation in botocore's model says "Cross-account use: Yes";
# in the others a key of another account "has no effect" (AWS KMS Developer Guide,
# "Allowing users in other accounts to use a KMS key").
CROSS_ACCOUNT_OPERATIONS = frozenset(
    {
        "CreateGrant",
        "Decrypt",
        "DeriveSharedSecret",
        "DescribeKey",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "GetKeyRotationStatus",
        "GetPublicKey",
        "ListGrants",
        "ReEncrypt",
        "RetireGrant",
        "RevokeGrant",
        "Sign",
        "Verify",
        "VerifyMac",
    }
)


def hidden_resource_denial(request: Request, action: str | None = None) -> AccessDeniedException:
    """AccessDenied that does not tell whether another account's key exists.

    The text AWS gives a caller whom another account's key policy does not let
    in, or who names a key or alias that account does not have; kms_mock's
    inference for a same-account-only operation on such a key. ``action``
    defaults to ``kms:<Operation>``.
    """
    action = action or action_of(request.operation)
    return AccessDeniedException(
        access_denied_message("hidden", request.principal.arn, action, None)
    )


def is_key_id(value: str) -> bool:
    """Whether ``value`` has the shape of a key id (UUID, or ``mrk-`` + 32 hex)."""
    return _KEY_ID.fullmatch(value) is not None


def find_key(
    request: Request, key_id: str, *, aliases: bool = False, permission: str | None = None
) -> Key:
    """The key ``key_id`` names, once the caller is authorized to use it for this call.

    ``aliases`` says whether alias names/ARNs are accepted; ``permission`` is
    the one the call asks on this key when it is not ``kms:<Operation>``
    (ReEncrypt: ``kms:ReEncryptFrom`` and ``kms:ReEncryptTo``). Raises
    NotFoundException with AWS's messages: ``Invalid keyId '<input>'``,
    ``Invalid arn <region>``, ``Key '<arn>' does not exist`` and ``Alias <alias
    arn> is not found.``, then AccessDeniedException. The key is noted for the
    audit log (a denied call's record names it too).
    """
    key = _lookup(request, key_id, aliases=aliases, permission=permission)
    request.note_audit_resource(key.arn)
    authorize(request, key, permission, key_id=key_id)
    return key


def _absent(request: Request, account: str, permission: str | None, missing: str) -> Exception:
    """NotFoundException ``missing`` for a key or alias that is not there; for another
    account's, when permissions are enforced, the hidden-resource denial: that caller
    never learns whether it exists."""
    if account != request.account_id and request.backend.enforce_permissions:
        return hidden_resource_denial(request, permission)
    return NotFoundException(missing)


def _lookup(request: Request, key_id: str, *, aliases: bool, permission: str | None) -> Key:
    account, region, resource = request.account_id, request.region, key_id
    if key_id.startswith("arn:"):
        parsed = parse_kms_arn(key_id)
        if parsed is None:
            raise NotFoundException(f"Invalid keyId '{key_id}'")
        _, arn_region, account, resource = parsed
        if arn_region != request.region:
            raise NotFoundException(f"Invalid arn {arn_region}")
        if resource.startswith("key/"):
            resource = resource[4:]
        elif not resource.startswith("alias/"):
            raise NotFoundException(f"Invalid keyId '{key_id}'")
    if resource.startswith("alias/"):
        if not aliases:
            raise NotFoundException(f"Invalid keyId '{key_id}'")
        return _key_of_alias(request, account, resource, permission)
    if not is_key_id(resource):
        raise NotFoundException(f"Invalid keyId '{key_id}'")
    if account != request.account_id and request.operation not in CROSS_ACCOUNT_OPERATIONS:
        # Every operation that takes alias names is a cross-account one.
        raise hidden_resource_denial(request)
    key = request.backend.key(account, region, resource)
    if key is None:
        missing = f"Key '{key_arn(region, account, resource)}' does not exist"
        raise _absent(request, account, permission, missing)
    return key


def _key_of_alias(request: Request, account: str, alias_name: str, permission: str | None) -> Key:
    store = request.backend.region_store(account, request.region)
    alias = store.aliases.get(alias_name)
    if alias is not None:
        return store.keys[alias.target_key_id]
    # Only the caller's own predefined aliases name an AWS managed key not made
    # yet: naming another account's alias/aws/... must not make one there.
    key = request.provisional_key(alias_name) if account == request.account_id else None
    if key is None:
        missing = f"Alias {alias_arn(request.region, account, alias_name)} is not found."
        raise _absent(request, account, permission, missing)
    return key


# "KMSInvalidStateException: <key ARN> is <state>." for every state that refuses a
# call (footnotes of the key-state table; "(or pending replica deletion)").
_INVALID_STATE_PHRASES = {
    PENDING_DELETION: "pending deletion",
    PENDING_REPLICA_DELETION: "pending replica deletion",
    PENDING_IMPORT: "pending import",
    UNAVAILABLE: "unavailable",
    CREATING: "creating",
    UPDATING: "updating",
}


def _state_error(key: Key, state: str, *, disabled: bool) -> Exception | None:
    if state == DISABLED and disabled:
        return DisabledException(f"{key.arn} is disabled.")
    phrase = _INVALID_STATE_PHRASES.get(state)
    return None if phrase is None else KMSInvalidStateException(f"{key.arn} is {phrase}.")


# Updating keys "can use the keys in cryptographic operations" (UpdatePrimaryRegion
# in botocore's model).
_USABLE_STATES = frozenset({ENABLED, UPDATING})


def require_usable(key: Key) -> None:
    """Key-state rule of cryptographic operations: Enabled keys work, and Updating ones."""
    state = key.state if key.custom_key_store is None else shown_state(key)
    if state in _USABLE_STATES:
        return
    error = _state_error(key, state, disabled=True)
    assert error is not None
    raise error


def require_not_pending_deletion(key: Key) -> None:
    """Key-state rule of management operations (aliases, tags, description)."""
    refuse_states(key, *PENDING_DELETION_STATES)


def refuse_states(key: Key, *states: str) -> None:
    """Key-state rule where an operation's column refuses some of ``states`` only:
    Creating and Updating, which each operation treats its own way."""
    if key.state in states:
        error = _state_error(key, key.state, disabled=False)
        assert error is not None
        raise error


def require_enable_disable_allowed(key: Key) -> None:
    """Key-state rule of EnableKey and DisableKey: not pending deletion or import,
    not Creating or Updating.

    An Unavailable key's own state changes, and shows once its store is connected.
    """
    error = _state_error(key, key.state, disabled=False)
    if error is not None:
        raise error
