"""unittest.TestCase classes mocked with @mock_kms; pytest runs them as they are."""

# unittest's own assertion methods, as a unittest suite writes them.
# ruff: noqa: PT009

from __future__ import annotations

import unittest

import boto3

from kms_mock import FrozenClock, mock_kms


@mock_kms(region="eu-west-1", account_id="111122223333")
class TestAliases(unittest.TestCase):
    def setUp(self) -> None:
        self.client = boto3.client("kms", region_name="eu-west-1")
        self.key_id = self.client.create_key()["KeyMetadata"]["KeyId"]

    def test_an_alias_names_the_key(self) -> None:
        self.client.create_alias(AliasName="alias/orders", TargetKeyId=self.key_id)

        metadata = self.client.describe_key(KeyId="alias/orders")["KeyMetadata"]
        self.assertEqual(metadata["Arn"], f"arn:aws:kms:eu-west-1:111122223333:key/{self.key_id}")

    def test_each_test_starts_with_only_its_own_key(self) -> None:
        keys = self.client.list_keys()["Keys"]
        self.assertEqual([key["KeyId"] for key in keys], [self.key_id])


class TestRotation(unittest.TestCase):
    def setUp(self) -> None:
        self.clock = FrozenClock("2025-01-01T00:00:00Z")
        self.kms = self.enterContext(mock_kms(clock=self.clock))
        self.client = boto3.client("kms", region_name="us-east-1")

    def test_yearly_rotation_keeps_old_ciphertexts(self) -> None:
        key = self.client.create_key()["KeyMetadata"]
        self.client.enable_key_rotation(KeyId=key["KeyId"])
        blob = self.client.encrypt(KeyId=key["KeyId"], Plaintext=b"2025")["CiphertextBlob"]

        self.clock.advance(days=365)

        materials = self.kms.key_materials(key["KeyId"])
        self.assertEqual([material.rotation_type for material in materials], [None, "AUTOMATIC"])
        decrypted = self.client.decrypt(CiphertextBlob=blob)
        self.assertEqual(decrypted["KeyMaterialId"], key["CurrentKeyMaterialId"])


if __name__ == "__main__":
    unittest.main()
