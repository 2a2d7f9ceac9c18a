"""Each layer of settings, from the ini file to the test function's marker."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import boto3
import pytest

from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock.plugin import KmsKeyFactory

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

# For every test of this module: the mock's clock is frozen at this date.
pytestmark = pytest.mark.kms_mock(start="2025-06-01T00:00:00Z")


def test_the_suite_settings(kms_mock: MockKMS) -> None:
    assert kms_mock.region == "eu-west-1"  # pytest.ini
    assert kms_mock.account_id == "111122223333"  # kms_mock_config
    assert kms_mock.seed == 1234  # kms_mock_config
    assert isinstance(kms_mock.clock, FrozenClock)  # the module's marker
    assert kms_mock.clock.now() == dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def test_a_seed_makes_key_ids_reproducible(kms_key: KmsKeyFactory) -> None:
    key = kms_key()

    with mock_kms(region="eu-west-1", account_id="111122223333", seed=1234):
        again = boto3.client("kms", region_name="eu-west-1").create_key()["KeyMetadata"]
    assert again["KeyId"] == key["KeyId"]


@pytest.mark.kms_mock(region="eu-central-1")
class TestFrankfurt:
    def test_the_class_marker(self, kms_client: KMSClient) -> None:
        arn = kms_client.create_key()["KeyMetadata"]["Arn"]
        assert arn.startswith("arn:aws:kms:eu-central-1:111122223333:key/")

    @pytest.mark.kms_mock(account_id="444455556666")
    def test_the_function_marker_wins(self, kms_client: KMSClient) -> None:
        arn = kms_client.create_key()["KeyMetadata"]["Arn"]
        assert arn.startswith("arn:aws:kms:eu-central-1:444455556666:key/")


class TestWithoutSeed:
    @pytest.fixture
    def kms_mock_config(self, kms_mock_config: dict[str, object]) -> dict[str, object]:
        """The suite's settings, but OS randomness: None restores the default."""
        return {**kms_mock_config, "seed": None}

    def test_an_override_extends_the_suite_settings(self, kms_mock: MockKMS) -> None:
        assert kms_mock.seed is None
        assert kms_mock.account_id == "111122223333"
