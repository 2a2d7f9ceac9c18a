"""Multi-Region keys: ReplicateKey, UpdatePrimaryRegion.

A replica is a key of its own in another Region's store, with the primary's key
id and the primary's material set itself (``_keyfactory.new_replica``), so a
version the primary gains is the replica's at the same instant. Imported material
is the exception: each key imports it on its own (``_lifecycle``). The keys of one
multi-Region key hold one ``RelatedKeys``, which says which is the primary.
https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .._arns import key_arn, partition_for
from .._dispatch import Params, Request, Response, operation
from .._errors import (
    AlreadyExistsException,
    NotFoundException,
    UnsupportedOperationException,
)
from .._keyfactory import new_replica
from .._lifecycle import add_replica, make_primary
from .._models import NO_TAGS, UPDATING, Key
from .._permissions import authorize, authorize_account
from .._resolve import refuse_states, require_usable
from ._key_metadata import key_metadata
from ._policy_check import checked_policy
from ._rules import authorize_tagging, key_to_change, require_multi_region_primary
from ._tag_rules import merged_tags, tag_list


def _check_replica_region(request: Request, primary: Key, region: str) -> None:
    """``region`` is in the primary's partition and holds no key of this multi-Region key."""
    if partition_for(region) != partition_for(primary.region):
        # Not recorded from AWS: ReplicaRegion must be "in the same Amazon Web
        # Services partition" (ReplicateKeyRequest in botocore's model).
        raise UnsupportedOperationException(
            f"{region} is not in the partition of {primary.arn}: a replica must be."
        )
    existing = request.backend.key(primary.account_id, region, primary.key_id)
    if existing is not None:  # the primary itself, or a replica (pending deletion too)
        # Not recorded from AWS: the error names the key that is in the way.
        raise AlreadyExistsException(f"{existing.arn} already exists.")


def _audit_create_key(request: Request, params: Params, replica: Key, metadata: Any) -> None:
    """CloudTrail records "a CreateKey operation in the replica key's Region" (ReplicateKey
    in botocore's model): the same call, seen from there."""
    backend = request.backend
    in_replica_region = dataclasses.replace(
        request,
        operation="CreateKey",
        region=replica.region,
        event_id=backend.audit.new_event_id(),
        resources=[replica.arn],
    )
    backend.audit.api_call(in_replica_region, params, {"KeyMetadata": metadata}, None)


@operation("ReplicateKey")
def replicate_key(request: Request, params: Params) -> Response:
    """A replica of a multi-Region primary key in another Region of its partition."""
    primary = key_to_change(request, params["KeyId"])
    # The replica is a CreateKey in its Region, which IAM alone allows
    # (ReplicateKey in botocore's model: "Required permissions").
    authorize_account(request, "kms:CreateKey")
    authorize_tagging(request)
    require_multi_region_primary(primary)
    # Disabled, pending (replica) deletion or import: it "cannot be replicated"
    # (ScheduleKeyDeletion in botocore's model; the key-state table). Nor while
    # Updating: "you cannot replicate the new primary key" (UpdatePrimaryRegion).
    require_usable(primary)
    refuse_states(primary, UPDATING)
    region: str = params["ReplicaRegion"]
    _check_replica_region(request, primary, region)
    policy = checked_policy(request, key_arn(region, primary.account_id, primary.key_id))
    replica = new_replica(
        primary,
        region,
        request.now,
        policy=policy,
        description=params.get("Description", ""),
        tags=merged_tags(NO_TAGS, params.get("Tags", [])),
    )
    store = request.backend.region_store(replica.account_id, region)
    store.add_key(replica)
    request.backend.keep(store)
    add_replica(request.backend, primary, replica, request.now)
    metadata = key_metadata(replica)
    _audit_create_key(request, params, replica, metadata)
    return {
        "ReplicaKeyMetadata": metadata,
        "ReplicaPolicy": replica.policy,
        "ReplicaTags": tag_list(replica.tags.by_key.items()),
    }


@operation("UpdatePrimaryRegion")
def update_primary_region(request: Request, params: Params) -> Response:
    """The replica in PrimaryRegion becomes the primary; the primary one of its replicas.

    Both keys must be Enabled ("Key states of AWS KMS keys"). Empty response.
    """
    primary = key_to_change(request, params["KeyId"])
    require_multi_region_primary(primary)
    require_usable(primary)
    related = primary.related
    assert related is not None
    region: str = params["PrimaryRegion"]
    replica = related.replicas.get(region)
    if replica is None:
        # Not recorded from AWS ("There must be an existing replica key in this
        # Region": UpdatePrimaryRegionRequest in botocore's model).
        raise NotFoundException(f"{primary.arn} has no replica in {region}.")
    authorize(request, replica)  # both keys ask kms:UpdatePrimaryRegion
    require_usable(replica)
    make_primary(request.backend, replica, request.now)
    request.note_audit_resource(replica.arn)
    return {}
