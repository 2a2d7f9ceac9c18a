from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


def test_describe_created_key(client: KMSClient) -> None:
    key = client.create_key()["KeyMetadata"]
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == key["Arn"]


def test_invalid_key_id(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId="fake-key-id")
    assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'fake-key-id'", 400)
