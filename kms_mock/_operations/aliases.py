"""Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

An alias is a name (``alias/<name>``) in one account and region that points at
one customer managed key there. The ``alias/aws/`` prefix belongs to AWS
managed keys, whose aliases appear when first used (see ``_aws_managed``).

Every operation runs all of its checks before it changes anything, so a failed
call leaves the store as it was.
"""

from __future__ import annotations

from typing import Any

from .._arns import alias_arn
from .._aws_managed import AWS_ALIAS_PREFIX
from .._dispatch import Params, Request, Response, operation
from .._errors import (
    AlreadyExistsException,
    LimitExceededException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from .._keyspecs import KEY_SPECS
from .._models import Alias, Key
from .._permissions import authorize, authorize_account
from .._resolve import find_key, require_not_pending_deletion
from ._pagination import paginate
from ._rules import key_to_change

ALIAS_PREFIX = "alias/"

# Resource quota "Aliases per KMS key", adjustable in AWS:
# https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html
ALIASES_PER_KEY = 50


def _check_alias_name(name: str) -> None:
    """The rules every alias operation applies to AliasName, beyond the model's pattern.

    The missing-prefix message is recorded from real AWS for CreateAlias; that
    UpdateAlias and DeleteAlias answer the same is an inference. The reserved
    ``alias/aws/`` prefix gives NotAuthorizedException without a message (not
    recorded from AWS: what other emulators answer).
    """
    if not name.startswith(ALIAS_PREFIX):
        raise ValidationException(
            'Alias must start with the prefix "alias/". Please see '
            "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
        )
    if name.startswith(AWS_ALIAS_PREFIX):
        raise NotAuthorizedException(None)


def _authorize_alias(request: Request, name: str) -> str:
    """The alias's ARN, once IAM lets the caller act on it: each alias operation asks its
    permission on the alias too, which only identity policies give (CreateAlias in
    botocore's model: "Required permissions")."""
    arn = alias_arn(request.region, request.account_id, name)
    authorize_account(request, resource=arn)
    return arn


def _existing_alias(request: Request, name: str) -> Alias:
    alias = request.store.aliases.get(name)
    if alias is None:
        # Not recorded from AWS; every other emulator words it so.
        raise NotFoundException(
            f"Alias {alias_arn(request.region, request.account_id, name)} is not found."
        )
    return alias


def _require_room_for_alias(request: Request, key: Key) -> None:
    if len(request.store.aliases_of(key.key_id)) >= ALIASES_PER_KEY:  # O(aliases of the key)
        # AWS's text for this quota is not recorded anywhere; this one is worded
        # after the recorded on-demand rotation limit message.
        raise LimitExceededException(
            f"The alias limit has been reached for the given keyId. No more aliases can be "
            f"associated with this key: {key.arn}"
        )


def _require_compatible(name: str, current: Key, new: Key) -> None:
    """UpdateAlias: "The current and new KMS key must be the same type ... and they must
    have the same key usage." (UpdateAlias in botocore's model).

    The key-usage message is local-kms's (not recorded from AWS). Only symmetric
    and asymmetric ENCRYPT_DECRYPT keys can share a usage but differ in type;
    that message is made on the same pattern.
    """
    if current.key_usage != new.key_usage:
        raise ValidationException(
            f"Alias {name} cannot be changed from a CMK with key usage {current.key_usage} "
            f"to a CMK with key usage {new.key_usage}. The key usage of the current CMK and "
            "the new CMK must be the same."
        )
    current_type = KEY_SPECS[current.key_spec].key_type
    new_type = KEY_SPECS[new.key_spec].key_type
    if current_type != new_type:
        raise ValidationException(
            f"Alias {name} cannot be changed from a CMK with key type {current_type} to a "
            f"CMK with key type {new_type}. The key type of the current CMK and the new CMK "
            "must be the same."
        )


@operation("CreateAlias")
def create_alias(request: Request, params: Params) -> Response:
    """Point a new alias name at a customer managed key not pending deletion.

    Check order (inferred: AWS's is not recorded): the name (prefix, reserved
    prefix, uniqueness), then the target (identifier, AWS managed, key state),
    then the per-key quota.
    """
    name: str = params["AliasName"]
    _check_alias_name(name)
    arn = _authorize_alias(request, name)
    if name in request.store.aliases:
        raise AlreadyExistsException(f"An alias with the name {arn} already exists")
    key = key_to_change(request, params["TargetKeyId"])
    require_not_pending_deletion(key)
    _require_room_for_alias(request, key)
    request.store.add_alias(
        Alias(
            name=name,
            arn=arn,
            target_key_id=key.key_id,
            created_at=request.now,
            last_updated_at=request.now,
        )
    )
    return {}


@operation("UpdateAlias")
def update_alias(request: Request, params: Params) -> Response:
    """Point an existing alias at another key of the same type and key usage.

    The current target may be pending deletion; the new one may not (UpdateAlias in
    https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html). CreationDate
    stays, LastUpdatedDate becomes now.
    """
    name: str = params["AliasName"]
    _check_alias_name(name)
    _authorize_alias(request, name)
    alias = _existing_alias(request, name)
    new = key_to_change(request, params["TargetKeyId"])
    current = request.store.keys[alias.target_key_id]
    authorize(request, current)  # the key the alias leaves asks kms:UpdateAlias too
    require_not_pending_deletion(new)
    _require_compatible(name, current, new)
    if new.key_id != alias.target_key_id:
        _require_room_for_alias(request, new)
        request.store.retarget_alias(alias, new.key_id)
    alias.last_updated_at = request.now
    return {}


@operation("DeleteAlias")
def delete_alias(request: Request, params: Params) -> Response:
    """Remove an alias, whatever the state of its key; the key is untouched."""
    name: str = params["AliasName"]
    _check_alias_name(name)
    _authorize_alias(request, name)
    alias = _existing_alias(request, name)
    authorize(request, request.store.keys[alias.target_key_id])
    request.store.remove_alias(name)
    return {}


def _list_entry(alias: Alias) -> dict[str, Any]:
    return {
        "AliasName": alias.name,
        "AliasArn": alias.arn,
        "TargetKeyId": alias.target_key_id,
        "CreationDate": alias.created_at,
        "LastUpdatedDate": alias.last_updated_at,
    }


@operation("ListAliases")
def list_aliases(request: Request, params: Params) -> Response:
    """The aliases of the account and region (or of one key), sorted by name, paged.

    AWS also lists the predefined ``alias/aws/<service>`` aliases whose AWS
    managed key does not exist yet, without a TargetKeyId. kms_mock lists an
    AWS alias only once its key exists (after its first use), which keeps the
    listing to what the test itself brought about.
    """
    if "KeyId" in params:
        key_id = find_key(request, params["KeyId"], aliases=False).key_id
        ordered = sorted(request.store.aliases_of(key_id), key=lambda alias: alias.name)
    else:
        ordered = request.store.aliases_by_name()
    page, paging = paginate(
        request.operation,
        ordered,
        params,
        default_limit=50,
        max_limit=100,
        token=lambda alias: alias.name,
    )
    return {"Aliases": [_list_entry(alias) for alias in page], **paging}
