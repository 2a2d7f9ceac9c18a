"""The key every test here rotates: automatic rotation every 90 days."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from kms_mock.plugin import KmsKeyFactory

if TYPE_CHECKING:
    from mypy_boto3_kms.type_defs import KeyMetadataTypeDef


@pytest.fixture
def quarterly_key(kms_key: KmsKeyFactory) -> KeyMetadataTypeDef:
    """A key named alias/payments that rotates every 90 days."""
    return kms_key(alias="alias/payments", rotation_period_days=90)
