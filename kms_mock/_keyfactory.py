"""Making keys and key material: ids, ARNs, material ids, default policies.

Shared by CreateKey, the AWS managed keys that appear on first use, and
rotation (which adds material to an existing key).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
from typing import Any

from ._keypairs import SEED_SIZE, LazySecret
from ._keyspecs import is_symmetric_encryption
from ._models import ENABLED, ORIGINAL, Key, KeyMaterial
from ._store import Backend, RegionStore, arn, partition_for


def jackson_json(document: Any) -> str:
    """``document`` pretty-printed the way AWS (Java Jackson) prints key policies.

    AWS returns default policies as ``{\\n  "Version" : "2012-10-17", ...``:
    two-space indent, `` : `` between name and value, ``[ {`` for lists of objects.
    """
    return _jackson(document, "")


def _jackson(value: Any, indent: str) -> str:
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{ }"
        items = ",\n".join(
            f"{inner}{json.dumps(k)} : {_jackson(v, inner)}" for k, v in value.items()
        )
        return "{\n" + items + "\n" + indent + "}"
    if isinstance(value, list):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(_jackson(item, indent) for item in value) + " ]"
    return json.dumps(value)


def default_key_policy(account_id: str, region: str) -> str:
    """The policy AWS gives a key created without one (spec §4.11)."""
    root = f"arn:{partition_for(region)}:iam::{account_id}:root"
    return jackson_json(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


def new_key_id(backend: Backend, *, multi_region: bool) -> str:
    """A fresh key id: a UUID, or ``mrk-`` + 32 hex for multi-Region keys."""
    if multi_region:
        return "mrk-" + backend.entropy.token_bytes(16).hex()
    return backend.entropy.uuid4()


def new_material(backend: Backend, key: Key, how: str, now: _dt.datetime) -> KeyMaterial:
    """Fresh 256-bit material for ``key``, with its 64-hex KeyMaterialId.

    The id is an HMAC of the key id and the material under a per-backend salt:
    distinct per key, stable for the same bits, revealing nothing (spec §1.14).
    """
    secret = backend.entropy.token_bytes(32)
    material_id = hmac.new(
        backend.material_id_salt, key.key_id.encode() + secret, hashlib.sha256
    ).hexdigest()
    rotated_at = None if how == ORIGINAL else now
    return KeyMaterial(material_id, secret, now, how, rotated_at=rotated_at)


def add_key(
    backend: Backend,
    store: RegionStore,
    now: _dt.datetime,
    *,
    key_spec: str,
    key_usage: str,
    origin: str,
    policy: str | None,
    description: str = "",
    multi_region: bool = False,
    key_manager: str = "CUSTOMER",
    tags: dict[str, str] | None = None,
) -> Key:
    """Create a key in ``store``; symmetric AWS_KMS keys get their first material now.

    Other AWS_KMS keys get a per-key seed, from which their key pair or HMAC
    secret is derived when first needed (see ``_keypairs``): drawn here, in
    creation order, so a seeded mock's pairs do not depend on the order of use.
    """
    key_id = new_key_id(backend, multi_region=multi_region)
    key = Key(
        key_id=key_id,
        arn=arn(store.region, store.account_id, f"key/{key_id}"),
        account_id=store.account_id,
        region=store.region,
        created_at=now,
        key_spec=key_spec,
        key_usage=key_usage,
        origin=origin,
        policy=policy or default_key_policy(store.account_id, store.region),
        description=description,
        sequence=backend.next_key_sequence(),
        key_manager=key_manager,
        multi_region=multi_region,
        state=ENABLED if origin != "EXTERNAL" else "PendingImport",
        tags=dict(tags or {}),
    )
    if is_symmetric_encryption(key_spec) and origin == "AWS_KMS":
        key.add_material(new_material(backend, key, ORIGINAL, now))
    elif origin == "AWS_KMS":
        seed = backend.entropy.token_bytes(SEED_SIZE)
        key.secret = LazySecret(key_spec, seed, reproducible=backend.entropy.seeded)
    store.keys[key_id] = key
    return key
