"""Sealing under a symmetric key's current material, for Encrypt and the data key operations.

The caller gets the material back, to name it in its response (KeyMaterialId)
and in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import _ciphertext
from .._dispatch import Request
from .._models import Key, KeyMaterial


def seal(
    request: Request, key: Key, plaintext: bytes, context: Mapping[str, str] | None
) -> tuple[bytes, KeyMaterial]:
    """``plaintext`` sealed under ``key``'s current material, and that material."""
    material = key.current_material
    assert material is not None  # symmetric AWS_KMS keys always have one
    blob = _ciphertext.seal(
        secret=material.secret,
        material_id=material.material_id,
        region=key.region,
        account_id=key.account_id,
        key_id=key.key_id,
        plaintext=plaintext,
        context=context,
        nonce=request.backend.entropy.token_bytes(_ciphertext.NONCE_SIZE),
    )
    return blob, material
