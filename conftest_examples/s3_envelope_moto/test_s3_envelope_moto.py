"""Envelope encryption: data keys from kms_mock, objects in moto's S3."""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kms_mock import FrozenClock, MockKMS
from kms_mock.plugin import KmsKeyFactory

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

KEY = "alias/documents"


def put_sealed(s3: Any, kms: KMSClient, bucket: str, name: str, data: bytes) -> None:
    """Seal ``data`` under a fresh data key; store the encrypted data key alongside."""
    context = {"bucket": bucket, "object": name}
    data_key = kms.generate_data_key(KeyId=KEY, KeySpec="AES_256", EncryptionContext=context)
    nonce = os.urandom(12)
    sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, data, None)
    encrypted_key = base64.b64encode(data_key["CiphertextBlob"]).decode()
    s3.put_object(
        Bucket=bucket, Key=name, Body=nonce + sealed, Metadata={"data-key": encrypted_key}
    )


def encrypted_data_key(s3: Any, bucket: str, name: str) -> bytes:
    """The encrypted data key stored with object ``name``."""
    metadata = s3.head_object(Bucket=bucket, Key=name)["Metadata"]
    return base64.b64decode(metadata["data-key"])


def get_opened(
    s3: Any, kms: KMSClient, bucket: str, name: str, *, stored_as: str | None = None
) -> bytes:
    """Decrypt object ``name`` (claiming to be ``stored_as``, to test the binding)."""
    body = s3.get_object(Bucket=bucket, Key=name)["Body"].read()
    context = {"bucket": bucket, "object": stored_as or name}
    blob = encrypted_data_key(s3, bucket, name)
    data_key = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
    return AESGCM(data_key["Plaintext"]).decrypt(body[:12], body[12:], None)


def test_objects_written_before_the_rotation_still_decrypt(
    kms_clock: FrozenClock,
    kms_client: KMSClient,
    kms_key: KmsKeyFactory,
    kms_mock: MockKMS,
    s3: Any,
    bucket: str,
) -> None:
    key = kms_key(alias=KEY, rotation_period_days=365)
    put_sealed(s3, kms_client, bucket, "2025/report.txt", b"the 2025 report")

    kms_clock.advance(days=366)  # the key rotates on 2026-01-01
    put_sealed(s3, kms_client, bucket, "2026/report.txt", b"the 2026 report")

    assert get_opened(s3, kms_client, bucket, "2025/report.txt") == b"the 2025 report"
    assert get_opened(s3, kms_client, bucket, "2026/report.txt") == b"the 2026 report"
    old = kms_mock.inspect_ciphertext(encrypted_data_key(s3, bucket, "2025/report.txt"))
    new = kms_mock.inspect_ciphertext(encrypted_data_key(s3, bucket, "2026/report.txt"))
    assert old.key_material_id == key["CurrentKeyMaterialId"]
    current = kms_client.describe_key(KeyId=KEY)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert new.key_material_id == current != old.key_material_id


def test_a_data_key_is_bound_to_its_object(
    kms_client: KMSClient, kms_key: KmsKeyFactory, s3: Any, bucket: str
) -> None:
    kms_key(alias=KEY)
    put_sealed(s3, kms_client, bucket, "contract.pdf", b"signed")

    with pytest.raises(kms_client.exceptions.InvalidCiphertextException):
        get_opened(s3, kms_client, bucket, "contract.pdf", stored_as="invoice.pdf")
