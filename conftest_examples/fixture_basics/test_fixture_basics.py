"""The plugin's fixtures and marker, each in a test of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import pytest

from kms_mock import MockKMS
from kms_mock.plugin import KmsKeyFactory

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.type_defs import KeyMetadataTypeDef


def test_kms_client_is_served_by_the_mock(kms_client: KMSClient) -> None:
    key_id = kms_client.create_key(Description="invoices")["KeyMetadata"]["KeyId"]

    metadata = kms_client.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["Description"] == "invoices"
    assert metadata["Arn"] == f"arn:aws:kms:us-east-1:123456789012:key/{key_id}"


def test_every_test_starts_with_no_keys(kms_client: KMSClient) -> None:
    assert kms_client.list_keys()["Keys"] == []


def test_kms_key_makes_a_rotating_key_with_an_alias(
    kms_key: KmsKeyFactory, kms_client: KMSClient
) -> None:
    key = kms_key()

    status = kms_client.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 90
    assert kms_client.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_kms_key_passes_other_arguments_to_create_key(
    kms_key: KmsKeyFactory, kms_client: KMSClient
) -> None:
    key = kms_key(rotation=False, alias=None, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")

    assert key["KeySpec"] == "HMAC_256"
    assert kms_client.list_aliases(KeyId=key["KeyId"])["Aliases"] == []


def test_a_project_fixture_built_on_kms_key(
    orders_key: KeyMetadataTypeDef, kms_client: KMSClient
) -> None:
    blob = kms_client.encrypt(KeyId="alias/orders", Plaintext=b"order 42")["CiphertextBlob"]

    decrypted = kms_client.decrypt(CiphertextBlob=blob)
    assert decrypted["Plaintext"] == b"order 42"
    assert decrypted["KeyId"] == orders_key["Arn"]


def test_the_handle_sees_what_aws_cannot_show(
    kms_mock: MockKMS, kms_key: KmsKeyFactory, kms_client: KMSClient
) -> None:
    key = kms_key()
    blob = kms_client.encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]

    made_with = kms_mock.inspect_ciphertext(blob)
    assert made_with.key_arn == key["Arn"]
    assert made_with.key_material_id == key["CurrentKeyMaterialId"]
    assert [event["eventName"] for event in kms_mock.audit_log] == [
        "CreateKey",
        "EnableKeyRotation",
        "CreateAlias",
        "Encrypt",
    ]


@pytest.mark.kms_mock(region="eu-west-1")
def test_the_marker_alone_mocks_clients_the_code_makes() -> None:
    client = boto3.client("kms", region_name="eu-west-1")

    arn = client.create_key()["KeyMetadata"]["Arn"]
    assert arn.startswith("arn:aws:kms:eu-west-1:123456789012:key/")
