"""Application roles for permission tests: a writer that may encrypt but not decrypt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

    from kms_mock import MockKMS

ACCOUNT = "123456789012"
WRITER = f"arn:aws:iam::{ACCOUNT}:role/Writer"
READER = f"arn:aws:iam::{ACCOUNT}:role/Reader"


def allow(*actions: str) -> dict[str, Any]:
    """An IAM identity policy allowing ``actions`` on every key of the account."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": list(actions),
                "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/*",
            }
        ],
    }


@pytest.fixture
def kms_mock_config() -> dict[str, Any]:
    """The roles' IAM policies, attached in every test's mock (as IAM would hold them)."""
    return {
        "account_id": ACCOUNT,
        "identity_policies": {WRITER: [allow("kms:Encrypt", "kms:GenerateDataKey")]},
    }


@pytest.fixture
def writer(kms_mock: MockKMS) -> KMSClient:
    """A client that calls as a session of the Writer role."""
    return boto3.client("kms", region_name=kms_mock.region, **kms_mock.principals.register(WRITER))


@pytest.fixture
def reader_arn() -> str:
    """The Reader role's ARN, which a grant names as its grantee."""
    return READER


@pytest.fixture
def reader(kms_mock: MockKMS) -> KMSClient:
    """A client that calls as a session of the Reader role, which has no IAM policy."""
    return boto3.client("kms", region_name=kms_mock.region, **kms_mock.principals.register(READER))
