"""Project fixtures built on kms_mock's: nothing else is needed to use the plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from kms_mock.plugin import KmsKeyFactory

if TYPE_CHECKING:
    from mypy_boto3_kms.type_defs import KeyMetadataTypeDef


@pytest.fixture
def orders_key(kms_key: KmsKeyFactory) -> KeyMetadataTypeDef:
    """The orders service's key: rotating every 90 days, reachable as alias/orders."""
    return kms_key(
        alias="alias/orders",
        Description="orders",
        Tags=[{"TagKey": "service", "TagValue": "orders"}],
    )
