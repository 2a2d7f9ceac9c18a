"""KeyMetadata: how DescribeKey, CreateKey and ReplicateKey show a key."""

from __future__ import annotations

from typing import Any

from .._keyspecs import ALGORITHM_MEMBER, KEY_SPECS, is_symmetric_encryption
from .._lifecycle import shown_state
from .._materials import EXTERNAL
from .._models import (
    CREATING,
    ENABLED,
    PENDING_REPLICA_DELETION,
    UPDATING,
    Key,
    KeyStoreLink,
    RelatedKeys,
)

# "When KeyState is Enabled this value is true" (KeyMetadata's Enabled in botocore's
# model), and, kms_mock's inference, while Updating: an Enabled key whose "original
# key state is restored when the update is complete" (UpdatePrimaryRegion).
_ENABLED_STATES = frozenset({ENABLED, UPDATING})


def key_metadata(key: Key) -> dict[str, Any]:
    """KeyMetadata as AWS returns it, with each optional member only where AWS has it."""
    state = shown_state(key)
    metadata: dict[str, Any] = {
        "AWSAccountId": key.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.created_at,
        "Enabled": state in _ENABLED_STATES,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": state,
        "Origin": key.origin,
        "KeyManager": key.key_manager,
        "KeySpec": key.key_spec,
        ALGORITHM_MEMBER[key.key_usage]: list(KEY_SPECS[key.key_spec].algorithms[key.key_usage]),
        "MultiRegion": key.multi_region,
    }
    if KEY_SPECS[key.key_spec].legacy:
        metadata["CustomerMasterKeySpec"] = key.key_spec
    if key.deletion_date is not None:
        metadata["DeletionDate"] = key.deletion_date
    store = key.custom_key_store
    current_id = key.materials.current_id
    if store is not None:
        metadata.update(_key_store_members(key, store))
    elif current_id is not None and is_symmetric_encryption(key.key_spec) and state != CREATING:
        # "present for symmetric encryption keys with AWS_KMS or EXTERNAL origin"
        # (KeyMetadata's CurrentKeyMaterialId in botocore's model); a Creating
        # replica has none yet (recorded in ReplicateKey's response).
        metadata["CurrentKeyMaterialId"] = current_id
    if key.origin == EXTERNAL:
        metadata.update(_expiration_members(key))
    if key.related is not None:
        metadata.update(_multi_region_members(key, key.related))
    return metadata


def _expiration_members(key: Key) -> dict[str, Any]:
    """ExpirationModel (its import of the current material's, while imported) and ValidTo.

    ValidTo is "the earliest time at which any imported key material permanently
    associated with this KMS key expires" (KeyMetadata in botocore's model): of the
    key's own imports, which differ between the keys of a multi-Region key.
    """
    materials = key.materials
    current_id = materials.current_id
    if current_id is None or not key.has_imported(current_id):
        return {}
    members: dict[str, Any] = {"ExpirationModel": key.imports[current_id].expiration_model}
    expiries = [
        held.valid_to
        for material_id, held in key.imports.items()
        if held.valid_to is not None
        and held.present
        and not materials.by_id[material_id].is_pending
    ]
    if expiries:
        members["ValidTo"] = min(expiries)
    return members


def _key_store_members(key: Key, store: KeyStoreLink) -> dict[str, Any]:
    members: dict[str, Any] = {"CustomKeyStoreId": store.store_id}
    if store.cloud_hsm_cluster_id is not None:
        members["CloudHsmClusterId"] = store.cloud_hsm_cluster_id
    if key.xks_key_id is not None:
        members["XksKeyConfiguration"] = {"Id": key.xks_key_id}
    return members


def _multi_region_members(key: Key, related: RelatedKeys) -> dict[str, Any]:
    """MultiRegionConfiguration as every member shows it, and a waiting primary's window.

    PendingDeletionWindowInDays "is present only when the KeyState of the KMS key
    is PendingReplicaDeletion" (KeyMetadata in botocore's model).
    """
    primary = related.primary
    members: dict[str, Any] = {
        "MultiRegionConfiguration": {
            "MultiRegionKeyType": "PRIMARY" if primary is key else "REPLICA",
            "PrimaryKey": {"Arn": primary.arn, "Region": primary.region},
            "ReplicaKeys": [
                {"Arn": replica.arn, "Region": replica.region}
                for replica in related.replicas.values()
            ],
        }
    }
    if key.state == PENDING_REPLICA_DELETION:
        members["PendingDeletionWindowInDays"] = key.pending_window_days
    return members
