"""Fault tests without backoff time: botocore's sleeps are recorded, every rule must fire."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

    from kms_mock import MockKMS


@pytest.fixture
def kms_mock_config() -> dict[str, Any]:
    """A rule that never fires is a test that tests nothing: fail it."""
    return {"assert_all_faults_fired": True}


@pytest.fixture(autouse=True)
def backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoff delays between attempts, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    return slept


@pytest.fixture
def app_client(kms_mock: MockKMS) -> KMSClient:
    """The application's client: standard retries, at most 3 attempts per call."""
    config = Config(retries={"mode": "standard", "total_max_attempts": 3})
    return boto3.client("kms", region_name=kms_mock.region, config=config)
