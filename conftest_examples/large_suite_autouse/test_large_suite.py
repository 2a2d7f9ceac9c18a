"""Tests of application code that makes its own KMS clients; the conftest mocks them all."""

from __future__ import annotations

import boto3
import pytest

# -- the application's code (in a real project it lives in its own package) ------------


def create_tenant_key(tenant: str) -> str:
    """Create a tenant's key, named alias/<tenant>; returns its ARN."""
    client = boto3.client("kms")  # region from the environment, as in production
    arn = client.create_key(Description=f"tenant {tenant}")["KeyMetadata"]["Arn"]
    client.create_alias(AliasName=f"alias/{tenant}", TargetKeyId=arn)
    return arn


def seal(tenant: str, data: bytes) -> bytes:
    """Encrypt ``data`` under the tenant's key."""
    return boto3.client("kms").encrypt(KeyId=f"alias/{tenant}", Plaintext=data)["CiphertextBlob"]


def unseal(blob: bytes) -> bytes:
    """Decrypt a blob made by ``seal``."""
    return boto3.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"]


# -- the tests: no fixture, no decorator ---------------------------------------------


def test_a_tenant_key_is_created_in_the_mock() -> None:
    arn = create_tenant_key("acme")

    assert arn.startswith("arn:aws:kms:eu-west-1:123456789012:key/")


def test_sealed_data_opens_again() -> None:
    create_tenant_key("acme")

    assert unseal(seal("acme", b"acme's secret")) == b"acme's secret"


def test_every_test_starts_with_no_keys() -> None:
    assert boto3.client("kms").list_keys()["Keys"] == []


@pytest.mark.kms_mock(region="us-west-2")
def test_a_marker_still_narrows_the_settings() -> None:
    arn = create_tenant_key("globex")

    assert arn.startswith("arn:aws:kms:us-west-2:123456789012:key/")
