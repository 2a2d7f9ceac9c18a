"""Sealing under a symmetric key's current material, for Encrypt and the data key operations.

The caller gets the material back, to name it in its response (KeyMaterialId)
and in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import _ciphertext
from .._dispatch import Params, Request
from .._materials import KeyMaterial
from .._models import Key
from ._rules import note_material, track_usage


def seal(
    request: Request, key: Key, plaintext: bytes, context: Mapping[str, str] | None
) -> tuple[bytes, KeyMaterial]:
    """``plaintext`` sealed under ``key``'s current material, and that material."""
    material = key.materials.current
    assert material is not None  # symmetric AWS_KMS keys always have one
    blob = _ciphertext.seal(
        secret=material.aes_key,
        material_id=material.material_id,
        region=key.region,
        account_id=key.account_id,
        key_id=key.key_id,
        plaintext=plaintext,
        context=context,
        nonce=request.backend.entropy.token_bytes(_ciphertext.NONCE_SIZE),
    )
    return blob, material


def seal_data_key(
    request: Request, key: Key, plaintext: bytes, params: Params
) -> tuple[bytes, str]:
    """A data key sealed under ``key`` for GenerateDataKey*: (ciphertext, KeyMaterialId).

    The material and the use are noted for the audit log and GetKeyLastUsage.
    """
    blob, material = seal(request, key, plaintext, params.get("EncryptionContext"))
    note_material(request, material)
    track_usage(request, key)
    return blob, material.material_id
