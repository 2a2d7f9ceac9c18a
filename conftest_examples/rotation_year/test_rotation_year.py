"""A year of quarterly rotation, simulated by moving kms_clock."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING

import pytest

from kms_mock import FrozenClock, MockKMS

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.type_defs import KeyMetadataTypeDef

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def test_a_year_in_one_move(
    kms_clock: FrozenClock,
    kms_client: KMSClient,
    kms_mock: MockKMS,
    quarterly_key: KeyMetadataTypeDef,
) -> None:
    key_id = quarterly_key["KeyId"]
    blob = kms_client.encrypt(KeyId="alias/payments", Plaintext=b"Q1 payroll")["CiphertextBlob"]

    began = time.perf_counter()
    kms_clock.advance(days=365)
    elapsed = time.perf_counter() - began

    rotations = kms_client.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [rotation["RotationDate"] for rotation in rotations] == [
        START + dt.timedelta(days=90 * n) for n in (1, 2, 3, 4)
    ]
    assert {rotation["RotationType"] for rotation in rotations} == {"AUTOMATIC"}
    decrypted = kms_client.decrypt(CiphertextBlob=blob)
    assert decrypted["Plaintext"] == b"Q1 payroll"
    assert decrypted["KeyMaterialId"] == quarterly_key["CurrentKeyMaterialId"]
    assert len(kms_mock.key_materials(key_id)) == 5
    assert elapsed < 0.5  # a year of KMS time, in (much) less than a second


def test_each_ciphertext_keeps_the_material_that_made_it(
    kms_clock: FrozenClock, kms_client: KMSClient, quarterly_key: KeyMetadataTypeDef
) -> None:
    made_with: dict[bytes, str] = {}
    for quarter in range(1, 5):
        current = kms_client.describe_key(KeyId="alias/payments")["KeyMetadata"]
        answer = kms_client.encrypt(KeyId="alias/payments", Plaintext=f"Q{quarter}".encode())
        made_with[answer["CiphertextBlob"]] = current["CurrentKeyMaterialId"]
        kms_clock.advance(days=91)  # over exactly one scheduled rotation

    assert len(set(made_with.values())) == 4
    for blob, material_id in made_with.items():
        assert kms_client.decrypt(CiphertextBlob=blob)["KeyMaterialId"] == material_id


@pytest.mark.kms_mock(start="2030-06-01T00:00:00Z")
def test_the_clock_can_start_elsewhere(
    kms_clock: FrozenClock, kms_client: KMSClient, quarterly_key: KeyMetadataTypeDef
) -> None:
    assert kms_clock.now() == dt.datetime(2030, 6, 1, tzinfo=dt.UTC)
    assert quarterly_key["CreationDate"] == kms_clock.now()

    kms_clock.advance(days=90)
    status = kms_client.get_key_rotation_status(KeyId=quarterly_key["KeyId"])
    assert status["NextRotationDate"] == dt.datetime(2030, 11, 28, tzinfo=dt.UTC)
