"""The rules many operations apply, each with its message written once.

Which key a call may change (not an AWS managed one), whether a key can do
what a call asks (state, then key usage, then algorithm: the order AWS checks
them in), which custom key store a call names and whether its connection state
allows the call, where DryRun stops, what a cryptographic call records for
GetKeyLastUsage and the audit log, and how a ``WithoutPlaintext`` operation
follows from its namesake. Operation modules take these from here, never from
each other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from .._authz import access_denied_message
from .._dispatch import Handler, Params, Request, Response, operation
from .._errors import (
    AccessDeniedException,
    CustomKeyStoreInvalidStateException,
    CustomKeyStoreNotFoundException,
    DryRunOperationException,
    InvalidKeyUsageException,
    UnsupportedOperationException,
)
from .._key_stores import CustomKeyStore
from .._keyspecs import ENCRYPT_DECRYPT, KEY_SPECS, is_symmetric_encryption
from .._materials import KeyMaterial
from .._models import Key, KeyUsage
from .._permissions import action_of, authorize_account
from .._resolve import find_key, require_usable

DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set."


def _deny_aws_managed(request: Request, key: Key) -> None:
    """AWS managed keys' policies let the account read them, never change them.

    With permissions enforced, the key's policy has refused the call already
    (``find_key``); with them off, an AWS managed key still stays AWS's.
    https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-cmk
    """
    if key.is_aws_managed:
        raise AccessDeniedException(
            access_denied_message(
                "no_resource_allow", request.principal.arn, action_of(request.operation), key.arn
            )
        )


def authorize_tagging(request: Request) -> None:
    """CreateKey and ReplicateKey with Tags also ask ``kms:TagResource``, of IAM
    (CreateKey in botocore's model: "Required permissions")."""
    if request.params.get("Tags"):
        authorize_account(request, "kms:TagResource")


def key_to_change(request: Request, key_id: str) -> Key:
    """The customer managed key a call changes, named by key id or key ARN."""
    key = find_key(request, key_id)
    _deny_aws_managed(request, key)
    return key


def _not_primary_error(key: Key) -> UnsupportedOperationException:
    # Recorded for ReplicateKey on a replica; kms_mock's inference for the other cases.
    return UnsupportedOperationException(f"{key.arn} is not a multi-region primary key.")


def require_multi_region_primary(key: Key) -> None:
    """ReplicateKey and UpdatePrimaryRegion act on a multi-Region primary key only."""
    if not key.multi_region or key.is_replica:
        raise _not_primary_error(key)


def refuse_replica(key: Key) -> None:
    """Rotation settings and on-demand rotation are a multi-Region primary's to change.

    The primary "is the source for ... automatic key rotation" (UpdatePrimaryRegion
    in botocore's model); a replica only mirrors it.
    """
    if key.is_replica:
        raise _not_primary_error(key)


def origin_error(key: Key) -> UnsupportedOperationException:
    """``key``'s origin rules this call out (rotation of imported or custom key store keys,
    import into keys that are not EXTERNAL).

    Recorded for GetParametersForImport (AWS_KMS) and RotateKeyOnDemand (EXTERNAL);
    the other operations that refuse an origin get the same words.
    """
    return UnsupportedOperationException(
        f"{key.arn} origin is {key.origin} which is not valid for this operation."
    )


def require_usage(request: Request, key: Key, usage: str, algorithm: str | None = None) -> None:
    """``key`` can serve this call: usable state, then ``usage``, then ``algorithm``."""
    require_usable(key)
    if key.key_usage != usage:
        raise InvalidKeyUsageException(
            f"{key.arn} key usage is {key.key_usage} which is not valid for {request.operation}."
        )
    if algorithm is not None and algorithm not in KEY_SPECS[key.key_spec].algorithms[usage]:
        raise InvalidKeyUsageException(
            f"Algorithm {algorithm} is incompatible with key spec {key.key_spec}."
        )


def require_data_key_key(request: Request, key: Key) -> None:
    """GenerateDataKey and GenerateDataKeyPair (with and without plaintext): symmetric keys only."""
    require_usage(request, key, ENCRYPT_DECRYPT)
    if not is_symmetric_encryption(key.key_spec):
        # Not recorded from AWS; the form follows the usage message above.
        raise InvalidKeyUsageException(
            f"{key.arn} key KeySpec is {key.key_spec} which is not valid for {request.operation}."
        )


def key_store_of(request: Request, store_id: str) -> CustomKeyStore:
    """The custom key store ``store_id`` of the caller's account and Region."""
    store = request.store.key_stores.get(store_id)
    if store is None:
        # Not recorded from AWS (the error shape says only that KMS cannot find it).
        raise CustomKeyStoreNotFoundException(f"Custom key store {store_id} does not exist.")
    return store


def key_store_state_error(
    request: Request, store: CustomKeyStore
) -> CustomKeyStoreInvalidStateException:
    """CustomKeyStoreInvalidStateException: ``store``'s ConnectionState does not allow this call.

    Not recorded from AWS: the message names what the error shape's documentation
    says decides it.
    """
    return CustomKeyStoreInvalidStateException(
        f"{request.operation} is not valid for custom key store {store.store_id} "
        f"in ConnectionState {store.connection_state}."
    )


def dry_run_stop(params: Params) -> None:
    """DryRun: everything checked, so stop here with AWS's (recorded) message.

    https://docs.aws.amazon.com/kms/latest/developerguide/programming-dryrun.html
    """
    if params.get("DryRun"):
        raise DryRunOperationException(DRY_RUN_MESSAGE)


def track_usage(request: Request, key: Key) -> None:
    """GetKeyLastUsage: this key was just used by this request."""
    key.last_usage = KeyUsage(request.operation, request.now, request.request_id, request.event_id)


def note_material(request: Request, material: KeyMaterial | None) -> None:
    """The audit log names the key material a call used (CloudTrail's keyMaterialId).

    https://docs.aws.amazon.com/kms/latest/developerguide/ct-encrypt.html
    """
    if material is not None:
        request.key_material_id = material.material_id


def also_without_plaintext(name: str, member: str) -> Callable[[Handler], Handler]:
    """Register the decorated operation as ``name`` too, its response less ``member``.

    The ``WithoutPlaintext`` operations are their namesakes, checks and all, that
    return no plaintext.
    """

    def register(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def without_plaintext(request: Request, params: Params) -> Response:
            response = handler(request, params)
            del response[member]
            return response

        operation(name)(without_plaintext)
        return handler

    return register
