"""Making keys and key material: ids, ARNs, material ids, default policies.

Shared by CreateKey, the AWS managed keys that appear on first use, and
rotation (which adds material to an existing key). A key made here is not
stored yet: the call that made it stores it once it has succeeded.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import hmac
import json
from typing import Any, Protocol

from ._arns import key_arn, root_principal_arn
from ._entropy import Entropy
from ._keypairs import SEED_SIZE, LazySecret
from ._keyspecs import is_symmetric_encryption
from ._materials import AWS_KMS, EXTERNAL, KeyMaterial, KeySecret
from ._models import CREATING, ENABLED, NO_TAGS, PENDING_IMPORT, Key, RelatedKeys, Tags

# Key ids of multi-Region keys begin with it: "mrk-" + 32 hex digits.
MULTI_REGION_PREFIX = "mrk-"


class Randomness(Protocol):
    """Where a new key's id, material and seed come from (``Entropy`` is one)."""

    def token_bytes(self, n: int) -> bytes:
        """``n`` random bytes."""

    def uuid4(self) -> str:
        """A random version-4 UUID in its lowercase 36-character form."""


class KeySource(Protocol):
    """What making keys needs of a backend: its entropy and the salt of material ids."""

    @property
    def entropy(self) -> Entropy:
        """The backend's entropy (seeded or not)."""

    @property
    def material_id_salt(self) -> bytes:
        """The per-backend salt of KeyMaterialIds."""


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


# One string per account and region, shared by every key that has it.
@functools.lru_cache(maxsize=64)
def default_key_policy(account_id: str, region: str) -> str:
    """The policy AWS gives a key created without one.

    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
    """
    root = root_principal_arn(region, account_id)
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


def _new_key_id(randomness: Randomness, *, multi_region: bool) -> str:
    """A fresh key id: a UUID, or ``mrk-`` + 32 hex for multi-Region keys."""
    if multi_region:
        return MULTI_REGION_PREFIX + randomness.token_bytes(16).hex()
    return randomness.uuid4()


def _material_id(backend: KeySource, key_id: str, bits: bytes) -> str:
    """The id of material made of (or derived from) ``bits``, for the key ``key_id``.

    An HMAC of the key id and the bits under a per-backend salt: distinct per
    key, stable for the same bits, revealing nothing (as AWS describes the ids
    of imported material: ImportKeyMaterialRequest's KeyMaterialId in botocore's model).
    """
    return hmac.new(backend.material_id_salt, key_id.encode() + bits, hashlib.sha256).hexdigest()


def new_material(
    backend: KeySource,
    key: Key,
    rotation_type: str | None,
    now: _dt.datetime,
    randomness: Randomness | None = None,
) -> KeyMaterial:
    """Fresh 256-bit AES material for ``key`` (from the backend's entropy unless given another)."""
    secret = (randomness or backend.entropy).token_bytes(32)
    rotated_at = None if rotation_type is None else now
    return KeyMaterial(
        _material_id(backend, key.key_id, secret), secret, now, rotation_type, rotated_at=rotated_at
    )


def imported_material(
    backend: KeySource, key: Key, secret: bytes | KeySecret, id_bits: bytes, now: _dt.datetime
) -> KeyMaterial:
    """A version of material imported into ``key`` (not in its set yet).

    Its id is computed from ``id_bits`` (the material's canonical bytes) and the
    key id, so the same material imported again, or into another key of the same
    multi-Region key, has the same id ("KMS assigns a unique identifier to the key
    material based on the KMS key ID and the imported key material",
    ImportKeyMaterialRequest's KeyMaterialId in botocore's model).
    """
    return KeyMaterial(
        _material_id(backend, key.key_id, id_bits), secret, now, None, origin=EXTERNAL
    )


def _lazy_material(backend: KeySource, key: Key, seed: bytes) -> KeyMaterial:
    """An asymmetric or HMAC key's one material: its secret derives from ``seed`` on first use."""
    secret = LazySecret(key.key_spec, seed, reproducible=backend.entropy.seeded)
    return KeyMaterial(_material_id(backend, key.key_id, seed), secret, key.created_at, None)


def new_key(
    backend: KeySource,
    account_id: str,
    region: str,
    now: _dt.datetime,
    *,
    key_spec: str,
    key_usage: str,
    origin: str,
    policy: str | None,
    description: str = "",
    multi_region: bool = False,
    key_manager: str = "CUSTOMER",
    tags: Tags = NO_TAGS,
    randomness: Randomness | None = None,
) -> Key:
    """A new key (not stored); keys whose material KMS makes get it now.

    Symmetric encryption keys get AES bits; other keys a per-key seed, from
    which their key pair or HMAC secret is derived when first needed (see
    ``_keypairs``): drawn here, in creation order, so a seeded mock's pairs do
    not depend on the order of use. Ids, material and seeds come from the
    backend's entropy unless ``randomness`` is given.
    """
    source = randomness or backend.entropy
    key_id = _new_key_id(source, multi_region=multi_region)
    key = Key(
        key_id=key_id,
        arn=key_arn(region, account_id, key_id),
        account_id=account_id,
        region=region,
        created_at=now,
        key_spec=key_spec,
        key_usage=key_usage,
        origin=origin,
        policy=policy or default_key_policy(account_id, region),
        description=description,
        key_manager=key_manager,
        state=PENDING_IMPORT if origin == EXTERNAL else ENABLED,
        tags=tags,
    )
    if multi_region:
        key.related = RelatedKeys(primary=key)
    if origin == EXTERNAL:
        return key  # PendingImport: its material comes with ImportKeyMaterial
    if is_symmetric_encryption(key_spec):
        # Keys in custom key stores too: AWS keeps theirs in the HSM or behind the
        # external key store proxy, kms_mock keeps it as it keeps any.
        key.materials.add_current(new_material(backend, key, None, now, source))
    elif origin == AWS_KMS:
        key.materials.add_current(_lazy_material(backend, key, source.token_bytes(SEED_SIZE)))
    return key


def new_replica(
    primary: Key,
    region: str,
    now: _dt.datetime,
    *,
    policy: str | None,
    description: str,
    tags: Tags,
) -> Key:
    """A replica of the multi-Region key ``primary`` in ``region`` (not stored, not yet related).

    It shares what AWS keeps in sync: the key id, key spec, key usage, origin and
    the material set itself (every version, and the rotation settings). Policy,
    description and tags are its own: "KMS does not synchronize this property"
    (ReplicateKeyRequest in botocore's model). So is the import of imported
    material: a replica of an EXTERNAL primary waits in PendingImport for its own
    once it is no longer Creating (``_lifecycle.add_replica``).
    """
    account_id = primary.account_id
    return Key(
        key_id=primary.key_id,
        arn=key_arn(region, account_id, primary.key_id),
        account_id=account_id,
        region=region,
        created_at=now,
        key_spec=primary.key_spec,
        key_usage=primary.key_usage,
        origin=primary.origin,
        policy=policy or default_key_policy(account_id, region),
        description=description,
        tags=tags,
        state=CREATING,
        materials=primary.materials,
        related=primary.related,
    )
