"""The symmetric ciphertext envelope: self-describing, sealed with AES-256-GCM.

Not byte-compatible with AWS (nothing can be), but shaped like it: it starts
with AWS's familiar ``01 02 02 00 78`` bytes, names the key and the material
version that made it, and is about 158 + n bytes for n bytes of plaintext::

    magic      5  01 02 02 00 78
    version    1  01
    material  32  KeyMaterialId (raw bytes of its 64 hex digits)
    context   32  SHA-256 of the canonical encryption context
    key ref  1+m  length, then "<region>:<account>:<key id>" in UTF-8
    nonce     12  random
    sealed  n+16  AES-256-GCM(plaintext), tag last

Everything before the sealed part, plus the canonical encryption context, is
the GCM associated data: changing any byte, or decrypting with another
context or material, fails authentication.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"\x01\x02\x02\x00\x78"
VERSION = 1
NONCE_SIZE = 12
_FIXED = len(MAGIC) + 1 + 32 + 32  # magic, version, material id, context digest


class MalformedCiphertext(ValueError):
    """The bytes are not a kms_mock ciphertext, or fail authentication."""


@functools.lru_cache(maxsize=4096)
def _aead(secret: bytes) -> AESGCM:
    # Building the cipher object costs about as much as sealing a short
    # plaintext; one per material (keys rarely have thousands) is plenty.
    return AESGCM(secret)


def canonical_context(context: Mapping[str, str] | None) -> bytes:
    """An order-independent, unambiguous encoding of an encryption context."""
    if not context:
        return b""
    parts = []
    for name in sorted(context):
        for text in (name, context[name]):
            encoded = text.encode("utf-8")
            parts.append(struct.pack(">I", len(encoded)) + encoded)
    return b"".join(parts)


def context_digest(context: Mapping[str, str] | None) -> str:
    """Hex SHA-256 of the canonical encryption context (what the header stores)."""
    return hashlib.sha256(canonical_context(context)).hexdigest()


@dataclass(slots=True)
class Envelope:
    """What a ciphertext's header says, before anything is decrypted."""

    region: str
    account_id: str
    key_id: str
    material_id: str
    context_digest: str
    header: bytes  # everything up to and including the nonce (authenticated)
    sealed: bytes


def seal(
    *,
    secret: bytes,
    material_id: str,
    region: str,
    account_id: str,
    key_id: str,
    plaintext: bytes,
    context: Mapping[str, str] | None,
    nonce: bytes,
) -> bytes:
    """Encrypt ``plaintext`` under ``secret`` into a self-describing ciphertext."""
    key_ref = f"{region}:{account_id}:{key_id}".encode()
    canonical = canonical_context(context)
    header = b"".join(
        (
            MAGIC,
            bytes((VERSION,)),
            bytes.fromhex(material_id),
            hashlib.sha256(canonical).digest(),
            bytes((len(key_ref),)),
            key_ref,
            nonce,
        )
    )
    return header + _aead(secret).encrypt(nonce, plaintext, header + canonical)


def parse(blob: bytes) -> Envelope:
    """Read a ciphertext's header; MalformedCiphertext if it is not one of ours."""
    if len(blob) < _FIXED + 1 or not blob.startswith(MAGIC) or blob[5] != VERSION:
        raise MalformedCiphertext("not a kms_mock ciphertext")
    ref_end = _FIXED + 1 + blob[_FIXED]
    header_end = ref_end + NONCE_SIZE
    if len(blob) < header_end + 16:
        raise MalformedCiphertext("truncated ciphertext")
    try:
        region, account_id, key_id = blob[_FIXED + 1 : ref_end].decode().split(":")
    except ValueError:
        raise MalformedCiphertext("unreadable key reference") from None
    return Envelope(
        region=region,
        account_id=account_id,
        key_id=key_id,
        material_id=blob[6:38].hex(),
        context_digest=blob[38:70].hex(),
        header=blob[:header_end],
        sealed=blob[header_end:],
    )


def open_sealed(envelope: Envelope, secret: bytes, context: Mapping[str, str] | None) -> bytes:
    """The plaintext, if ``secret`` and ``context`` are the ones it was sealed with."""
    nonce = envelope.header[-NONCE_SIZE:]
    aad = envelope.header + canonical_context(context)
    try:
        return _aead(secret).decrypt(nonce, envelope.sealed, aad)
    except InvalidTag:
        raise MalformedCiphertext("authentication failed") from None
