"""Test-suite guards and shared fixtures (helpers live in ``tests/_helpers.py``).

* The suite runs with no AWS configuration at all: no credentials, no region,
  config files pointing nowhere, no instance-metadata service — kms_mock must
  not need any.
* Any botocore request that reaches the network layer fails the test.
* After every test no mock is left active (the interceptor stack is empty).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import botocore.httpsession
import pytest

from kms_mock import FrozenClock, MockKMS, _active, mock_kms
from tests._helpers import ASIA, EUROPE, START

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

# Pinned so that dates in messages and assertions never depend on the machine.
os.environ["TZ"] = "UTC"
time.tzset()
for _name in [name for name in os.environ if name.startswith("AWS_") and name != "AWS_CA_BUNDLE"]:
    del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.devnull + "/no-config"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull + "/no-credentials"
# Outside a mock, a client whose session finds no credentials asks the EC2
# instance-metadata service (that request would fail the network guard below);
# on a machine without one, the search ends with none, as this makes it end.
# Tests of what kms_mock does about that service remove this.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


class NetworkReached(AssertionError):
    """A botocore request got to the HTTP layer: a real AWS call was attempted."""


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    reached: list[str] = []

    def refuse(self: Any, request: Any) -> Any:
        reached.append(request.url)
        raise NetworkReached(f"a request reached the network layer: {request.url}")

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", refuse)
    yield reached
    assert not reached, f"requests reached the network layer: {reached}"


@pytest.fixture(autouse=True)
def _no_mock_left_active() -> Iterator[None]:
    yield
    assert _active.depth() == 0, "a mock was left active after the test"


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at 2025-01-01T00:00:00Z."""
    return FrozenClock(START)


@pytest.fixture
def kms(clock: FrozenClock) -> Iterator[MockKMS]:
    """An active mock on the frozen ``clock`` (us-east-1, account 123456789012)."""
    with mock_kms(clock=clock) as mock:
        yield mock


@pytest.fixture
def client(kms: MockKMS) -> KMSClient:
    """A boto3 KMS client in us-east-1, served by ``kms``."""
    return boto3.client("kms", region_name="us-east-1")


@pytest.fixture
def europe(kms: MockKMS) -> KMSClient:
    """A boto3 KMS client in eu-west-1, served by ``kms``."""
    return boto3.client("kms", region_name=EUROPE)


@pytest.fixture
def asia(kms: MockKMS) -> KMSClient:
    """A boto3 KMS client in ap-southeast-2, served by ``kms``."""
    return boto3.client("kms", region_name=ASIA)
