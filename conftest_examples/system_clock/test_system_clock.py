"""Rotation on schedule while time-machine or freezegun moves the system clock."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import time_machine
from freezegun.api import FrozenDateTimeFactory

from kms_mock import MockKMS, SystemClock
from kms_mock.plugin import KmsKeyFactory

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def test_time_machine_moves_the_mock(
    frozen_time: time_machine.Traveller,
    kms_mock: MockKMS,
    kms_key: KmsKeyFactory,
    kms_client: KMSClient,
) -> None:
    assert isinstance(kms_mock.clock, SystemClock)
    key = kms_key(rotation_period_days=365)
    assert key["CreationDate"] == START

    frozen_time.shift(dt.timedelta(days=366))

    rotations = kms_client.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [rotation["RotationDate"] for rotation in rotations] == [
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ]


def test_freezegun_moves_the_mock(
    freezer: FrozenDateTimeFactory, kms_key: KmsKeyFactory, kms_client: KMSClient
) -> None:
    key = kms_key(rotation_period_days=90)
    blob = kms_client.encrypt(KeyId=key["KeyId"], Plaintext=b"January")["CiphertextBlob"]

    freezer.tick(dt.timedelta(days=181))  # two quarterly rotations

    rotations = kms_client.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [rotation["RotationDate"] for rotation in rotations] == [
        START + dt.timedelta(days=90),
        START + dt.timedelta(days=180),
    ]
    decrypted = kms_client.decrypt(CiphertextBlob=blob)
    assert decrypted["KeyMaterialId"] == key["CurrentKeyMaterialId"]
