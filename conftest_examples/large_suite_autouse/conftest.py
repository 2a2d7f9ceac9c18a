"""Every test of this suite runs inside its own fresh kms_mock."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from kms_mock import MockKMS


@pytest.fixture(scope="session", autouse=True)
def _aws_environment() -> Iterator[None]:
    """For the whole session: no AWS credentials, profile, region or config files."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                patch.delenv(name)
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="session")
def kms_mock_config() -> dict[str, object]:
    """The suite's region and seed (a marker on a test still overrides them)."""
    return {"region": "eu-west-1", "seed": 2025}


@pytest.fixture(autouse=True)
def _kms(kms_mock: MockKMS) -> MockKMS:
    """A fresh kms_mock around every test."""
    return kms_mock
