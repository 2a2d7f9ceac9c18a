"""Key lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
UpdateKeyDescription, ScheduleKeyDeletion, CancelKeyDeletion, GetKeyLastUsage.
"""

from __future__ import annotations

from typing import Any

from .._dispatch import Params, Request, Response, operation
from .._errors import (
    KMSInvalidStateException,
    NotImplementedByMock,
    UnsupportedOperationException,
    ValidationException,
    XksKeyAlreadyInUseException,
)
from .._key_stores import CLOUDHSM, EXTERNAL_KEY_STORE, CustomKeyStore
from .._keyfactory import new_key
from .._keyspecs import KEY_SPECS, SYMMETRIC_DEFAULT, unsupported_reason
from .._lifecycle import cancel_deletion, schedule_deletion, set_state
from .._models import DISABLED, ENABLED, NO_TAGS, PENDING_DELETION_STATES, UPDATING
from .._resolve import (
    find_key,
    refuse_states,
    require_enable_disable_allowed,
    require_not_pending_deletion,
)
from ._key_metadata import key_metadata
from ._pagination import paginate
from ._policy_check import checked_policy
from ._rules import authorize_tagging, key_store_of, key_store_state_error, key_to_change
from ._tag_rules import merged_tags

DEFAULT_PENDING_WINDOW_DAYS = 30

# Origins whose key material lives in a custom key store (Origin in botocore's
# CreateKeyRequest): each is the CustomKeyStoreType of the stores that hold such keys.
CUSTOM_KEY_STORE_ORIGINS = frozenset({CLOUDHSM, EXTERNAL_KEY_STORE})


def _key_spec_and_usage(params: Params) -> tuple[str, str]:
    if "KeySpec" in params and "CustomerMasterKeySpec" in params:
        raise ValidationException(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
            "CustomerMasterKeySpec is deprecated."
        )
    spec_name = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or SYMMETRIC_DEFAULT
    spec = KEY_SPECS.get(spec_name)
    if spec is None:  # a key spec of a newer botocore model than kms_mock knows
        raise NotImplementedByMock(f"CreateKey with KeySpec {spec_name}")
    usage = params.get("KeyUsage") or spec.default_usage
    if usage is None:
        raise ValidationException(
            "You must specify a KeyUsage value for all KMS keys except for symmetric "
            "encryption keys."
        )
    if usage not in spec.usages:
        raise ValidationException(f"KeyUsage {usage} is not compatible with KeySpec {spec.name}")
    return spec.name, usage


def _check_origin(params: Params) -> str:
    """The key's Origin, after the rules that tie it to CustomKeyStoreId and XksKeyId."""
    origin: str = params.get("Origin", "AWS_KMS")
    in_key_store = origin in CUSTOM_KEY_STORE_ORIGINS
    if in_key_store != ("CustomKeyStoreId" in params):
        if in_key_store:
            raise ValidationException(
                f"You must specify a CustomKeyStoreId value for KMS keys with Origin {origin}."
            )
        raise ValidationException(
            f"CustomKeyStoreId is not valid for KMS keys with Origin {origin}."
        )
    if ("XksKeyId" in params) != (origin == EXTERNAL_KEY_STORE):
        if "XksKeyId" in params:
            raise ValidationException(f"XksKeyId is not valid for KMS keys with Origin {origin}.")
        raise ValidationException(
            f"You must specify a XksKeyId value for KMS keys with Origin {origin}."
        )
    return origin


def _key_store_for(
    request: Request, params: Params, origin: str, key_spec: str
) -> CustomKeyStore | None:
    """The custom key store the new key goes in (None: none), which must be CONNECTED.

    "This parameter is valid only for symmetric encryption KMS keys in a single Region"
    (CreateKeyRequest's CustomKeyStoreId in botocore's model).
    """
    if "CustomKeyStoreId" not in params:
        return None
    store = key_store_of(request, params["CustomKeyStoreId"])
    if store.store_type != origin:
        raise UnsupportedOperationException(
            f"Custom key store {store.store_id} is a {store.store_type} key store, which is "
            f"not valid for KMS keys with Origin {origin}."
        )
    if key_spec != SYMMETRIC_DEFAULT or params.get("MultiRegion", False):
        raise UnsupportedOperationException(
            "A custom key store holds only symmetric encryption KMS keys in a single Region."
        )
    if not store.connected:
        raise key_store_state_error(request, store)
    xks_key_id = params.get("XksKeyId")
    if xks_key_id is not None:
        for key in request.store.keys.values():
            if key.custom_key_store is store and key.xks_key_id == xks_key_id:
                raise XksKeyAlreadyInUseException(
                    f"External key {xks_key_id} is already associated with {key.arn}."
                )
    return store


@operation("CreateKey")
def create_key(request: Request, params: Params) -> Response:
    """Create a customer managed key; symmetric keys get their first material now."""
    authorize_tagging(request)
    key_spec, key_usage = _key_spec_and_usage(params)
    origin = _check_origin(params)
    key_store = _key_store_for(request, params, origin, key_spec)
    policy = checked_policy(request)
    tags = merged_tags(NO_TAGS, params.get("Tags", []))
    # Last: AWS would make this key; kms_mock says why it cannot (SM2, for one).
    reason = unsupported_reason(key_spec)
    if reason is not None:
        raise NotImplementedByMock(f"CreateKey with KeySpec {key_spec}: {reason}")
    key = new_key(
        request.backend,
        request.account_id,
        request.region,
        request.now,
        key_spec=key_spec,
        key_usage=key_usage,
        origin=origin,
        policy=policy,
        description=params.get("Description", ""),
        multi_region=params.get("MultiRegion", False),
        tags=tags,
    )
    key.custom_key_store, key.xks_key_id = key_store, params.get("XksKeyId")
    request.store.add_key(key)
    request.note_audit_resource(key.arn)  # CloudTrail names the new key in resources
    return {"KeyMetadata": key_metadata(key)}


@operation("DescribeKey")
def describe_key(request: Request, params: Params) -> Response:
    """Metadata of a key named by id, ARN, alias name or alias ARN, in any state."""
    return {"KeyMetadata": key_metadata(find_key(request, params["KeyId"], aliases=True))}


@operation("ListKeys")
def list_keys(request: Request, params: Params) -> Response:
    """Every key of the caller's account and region, in creation order, paged."""
    page, paging = paginate(
        request.operation,
        request.store.keys_by_creation(),
        params,
        default_limit=100,
        max_limit=1000,
        token=lambda key: f"{key.sequence:012d}",
    )
    return {"Keys": [{"KeyId": key.key_id, "KeyArn": key.arn} for key in page], **paging}


def _set_enabled(request: Request, params: Params, state: str) -> Response:
    key = key_to_change(request, params["KeyId"])
    require_enable_disable_allowed(key)
    # Through the rotation rules: a key whose rotation fell due while it was
    # disabled rotates when it is enabled again.
    set_state(request.backend, key, state, request.now)
    return {}


@operation("EnableKey")
def enable_key(request: Request, params: Params) -> Response:
    """Enabled from Disabled (idempotent)."""
    return _set_enabled(request, params, ENABLED)


@operation("DisableKey")
def disable_key(request: Request, params: Params) -> Response:
    """Disabled from Enabled (idempotent)."""
    return _set_enabled(request, params, DISABLED)


@operation("UpdateKeyDescription")
def update_key_description(request: Request, params: Params) -> Response:
    """Replace the description of a key not pending deletion."""
    key = key_to_change(request, params["KeyId"])
    require_not_pending_deletion(key)
    key.description = params["Description"]
    return {}


def _pending_window(params: Params) -> int:
    days: int = params.get("PendingWindowInDays", DEFAULT_PENDING_WINDOW_DAYS)
    if not 7 <= days <= 30:
        raise ValidationException(
            f"1 validation error detected: Value '{days}' at 'PendingWindowInDays' failed to "
            "satisfy constraint: Member must have minimum value of 7 and maximum value of 30."
        )
    return days


@operation("ScheduleKeyDeletion")
def schedule_key_deletion(request: Request, params: Params) -> Response:
    """PendingDeletion now; the clock deletes the key when the window ends.

    A window that ends after the end of ``datetime`` never ends: the key stays
    PendingDeletion and no DeletionDate is shown (the member is optional). A
    multi-Region primary with replicas shows none either: it is PendingReplicaDeletion.
    """
    days = _pending_window(params)
    key = key_to_change(request, params["KeyId"])
    require_not_pending_deletion(key)
    refuse_states(key, UPDATING)  # a Creating replica can be deleted (the key-state table)
    schedule_deletion(request.backend, key, days, request.now)
    response = {
        "KeyId": key.arn,
        "DeletionDate": key.deletion_date,
        "KeyState": key.state,
        "PendingWindowInDays": days,
    }
    return {name: value for name, value in response.items() if value is not None}


@operation("CancelKeyDeletion")
def cancel_key_deletion(request: Request, params: Params) -> Response:
    """Back from PendingDeletion (or PendingReplicaDeletion) to Disabled; the scheduled
    deletion never happens."""
    key = key_to_change(request, params["KeyId"])
    if key.state not in PENDING_DELETION_STATES:
        raise KMSInvalidStateException(f"{key.arn} is not pending deletion.")
    cancel_deletion(request.backend, key, request.now)
    return {"KeyId": key.arn}


@operation("GetKeyLastUsage")
def get_key_last_usage(request: Request, params: Params) -> Response:
    """When the key was last used cryptographically (tracked since its creation)."""
    key = find_key(request, params["KeyId"])
    usage: dict[str, Any] = {}
    if key.last_usage is not None:
        last = key.last_usage
        usage = {
            "Operation": last.operation,
            "Timestamp": last.timestamp,
            "CloudTrailEventId": last.event_id,
            "KmsRequestId": last.request_id,
        }
    return {
        "KeyId": key.arn,
        "KeyLastUsage": usage,
        "TrackingStartDate": key.created_at,
        "KeyCreationDate": key.created_at,
    }
