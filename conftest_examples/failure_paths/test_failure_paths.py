"""The application survives throttling and resets, and AWS's quotas throttle a burst."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from kms_mock import Faults, FrozenClock, MockKMS

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


def read_secret(client: KMSClient, blob: bytes) -> bytes:
    """The application code under test."""
    return client.decrypt(CiphertextBlob=blob)["Plaintext"]


@pytest.mark.kms_fault("error", "ThrottlingException", operation="Decrypt", times=2)
def test_throttled_decrypts_are_retried(app_client: KMSClient, backoff: list[float]) -> None:
    key_id = app_client.create_key()["KeyMetadata"]["KeyId"]
    blob = app_client.encrypt(KeyId=key_id, Plaintext=b"s3cr3t")["CiphertextBlob"]

    assert read_secret(app_client, blob) == b"s3cr3t"
    assert len(backoff) == 2


def test_a_reset_connection_is_retried(
    app_client: KMSClient, kms_faults: Faults, kms_mock: MockKMS
) -> None:
    reset = kms_faults.connection_error(operation="CreateKey", times=1)

    created = app_client.create_key()

    assert created["ResponseMetadata"]["RetryAttempts"] == reset.fired == 1
    assert [e["eventName"] for e in kms_mock.audit_log] == ["CreateKey"]  # made once


@pytest.mark.kms_mock(request_quotas={"CreateKey": 2})
def test_a_burst_is_throttled_until_the_clock_moves(
    app_client: KMSClient, kms_clock: FrozenClock, backoff: list[float]
) -> None:
    app_client.create_key()
    app_client.create_key()
    with pytest.raises(app_client.exceptions.ClientError, match="ThrottlingException"):
        app_client.create_key()  # three attempts in the same frozen second
    assert len(backoff) == 2

    kms_clock.advance(seconds=1)
    app_client.create_key()
