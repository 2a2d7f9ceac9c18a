"""S3 from moto, next to the test's kms_mock (which keeps answering KMS)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from kms_mock import MockKMS


@pytest.fixture
def bucket() -> str:
    """The name of the bucket the s3 fixture creates."""
    return "documents"


@pytest.fixture
def s3(kms_mock: MockKMS, bucket: str) -> Iterator[Any]:
    """A boto3 S3 client served by moto, in the mock's region, with an empty bucket."""
    with mock_aws():
        client = boto3.client("s3", region_name=kms_mock.region)
        client.create_bucket(Bucket=bucket)
        yield client
