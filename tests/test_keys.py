"""Key lifecycle through boto3: CreateKey, DescribeKey, ListKeys, EnableKey,
DisableKey, UpdateKeyDescription, GetKeyLastUsage.

The expected KeyMetadata is written out here from the spec's tables, not
imported from kms_mock, so that a mistake in kms_mock's own tables fails.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.loaders import create_loader

from kms_mock import FrozenClock, MockKMS
from kms_mock._models import Tag
from tests._helpers import error_of, stored_key

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
MRK = re.compile(r"mrk-[0-9a-f]{32}")
MATERIAL_ID = re.compile(r"[0-9a-f]{64}")

RSA_ENCRYPTION = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
RSA_SIGNING = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]

# KeySpec -> {KeyUsage: (KeyMetadata member, algorithms)}.
ALLOWED: dict[str, dict[str, tuple[str, list[str]]]] = {
    "SYMMETRIC_DEFAULT": {"ENCRYPT_DECRYPT": ("EncryptionAlgorithms", ["SYMMETRIC_DEFAULT"])},
    **{
        f"HMAC_{bits}": {"GENERATE_VERIFY_MAC": ("MacAlgorithms", [f"HMAC_SHA_{bits}"])}
        for bits in (224, 256, 384, 512)
    },
    **{
        f"RSA_{bits}": {
            "ENCRYPT_DECRYPT": ("EncryptionAlgorithms", RSA_ENCRYPTION),
            "SIGN_VERIFY": ("SigningAlgorithms", RSA_SIGNING),
        }
        for bits in (2048, 3072, 4096)
    },
    "ECC_NIST_P256": {
        "SIGN_VERIFY": ("SigningAlgorithms", ["ECDSA_SHA_256"]),
        "KEY_AGREEMENT": ("KeyAgreementAlgorithms", ["ECDH"]),
    },
    "ECC_NIST_P384": {
        "SIGN_VERIFY": ("SigningAlgorithms", ["ECDSA_SHA_384"]),
        "KEY_AGREEMENT": ("KeyAgreementAlgorithms", ["ECDH"]),
    },
    "ECC_NIST_P521": {
        "SIGN_VERIFY": ("SigningAlgorithms", ["ECDSA_SHA_512"]),
        "KEY_AGREEMENT": ("KeyAgreementAlgorithms", ["ECDH"]),
    },
    "ECC_SECG_P256K1": {"SIGN_VERIFY": ("SigningAlgorithms", ["ECDSA_SHA_256"])},
    "ECC_NIST_EDWARDS25519": {
        "SIGN_VERIFY": ("SigningAlgorithms", ["ED25519_SHA_512", "ED25519_PH_SHA_512"])
    },
    **{
        f"ML_DSA_{level}": {"SIGN_VERIFY": ("SigningAlgorithms", ["ML_DSA_SHAKE_256"])}
        for level in (44, 65, 87)
    },
    "SM2": {
        "ENCRYPT_DECRYPT": ("EncryptionAlgorithms", ["SM2PKE"]),
        "SIGN_VERIFY": ("SigningAlgorithms", ["SM2DSA"]),
        "KEY_AGREEMENT": ("KeyAgreementAlgorithms", ["ECDH"]),
    },
}
# CustomerMasterKeySpec's enum: the specs that existed before it was deprecated.
LEGACY_SPECS = {
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
}
USAGES = [None, "ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]
ORIGINS = ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]
KEY_USAGE_REQUIRED = (
    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
)
# kms_mock refuses SM2 keys: the cryptography package has no SM2 (README, limitations).
NO_SM2 = (
    "not implemented by kms_mock: CreateKey with KeySpec SM2: the cryptography package has "
    "no SM2. kms_mock does not serve this yet; see the README's list of supported operations."
)


def test_expected_tables_cover_every_key_spec_of_the_model() -> None:
    model = create_loader().load_service_model("kms", "service-2")
    assert set(ALLOWED) == set(model["shapes"]["KeySpec"]["enum"])
    assert set(model["shapes"]["CustomerMasterKeySpec"]["enum"]) == LEGACY_SPECS


def expected_metadata(
    key_id: str, spec: str, usage: str, origin: str, *, multi_region: bool = False
) -> dict[str, Any]:
    """KeyMetadata by the field-presence rules of its model shape (bar the material id)."""
    member, algorithms = ALLOWED[spec][usage]
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    metadata: dict[str, Any] = {
        "AWSAccountId": ACCOUNT,
        "KeyId": key_id,
        "Arn": key_arn,
        "CreationDate": START,
        "Enabled": origin != "EXTERNAL",
        "Description": "",
        "KeyUsage": usage,
        "KeyState": "PendingImport" if origin == "EXTERNAL" else "Enabled",
        "Origin": origin,
        "KeyManager": "CUSTOMER",
        "KeySpec": spec,
        member: algorithms,
        "MultiRegion": multi_region,
    }
    if spec in LEGACY_SPECS:
        metadata["CustomerMasterKeySpec"] = spec
    if multi_region:
        metadata["MultiRegionConfiguration"] = {
            "MultiRegionKeyType": "PRIMARY",
            "PrimaryKey": {"Arn": key_arn, "Region": REGION},
            "ReplicaKeys": [],
        }
    return metadata


def as_dict(response: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict of a boto3 response (TypedDicts are read-only to mypy)."""
    return dict(response)


def without_material_id(metadata: dict[str, Any], *, expected: bool) -> dict[str, Any]:
    """``metadata`` less CurrentKeyMaterialId, after checking its presence and form."""
    metadata = dict(metadata)
    material_id = metadata.pop("CurrentKeyMaterialId", None)
    if expected:
        assert material_id is not None
        assert MATERIAL_ID.fullmatch(material_id)
    else:
        assert material_id is None
    return metadata


def create_error(client: KMSClient, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        client.create_key(**kwargs)
    return error_of(excinfo)


# -- CreateKey: the whole KeySpec x KeyUsage x Origin matrix ------------------


@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("usage", USAGES)
@pytest.mark.parametrize("spec", sorted(ALLOWED))
def test_create_key_matrix(kms: MockKMS, spec: str, usage: str | None, origin: str) -> None:
    # SM2 is a key spec of the China Regions only: elsewhere it fails validation.
    client = boto3.client("kms", region_name="cn-north-1" if spec == "SM2" else REGION)
    kwargs: dict[str, Any] = {"KeySpec": spec, "Origin": origin}
    if usage is not None:
        kwargs["KeyUsage"] = usage
    effective_usage = usage or ("ENCRYPT_DECRYPT" if spec == "SYMMETRIC_DEFAULT" else None)
    if effective_usage is None:
        expected_error = KEY_USAGE_REQUIRED
    elif effective_usage not in ALLOWED[spec]:
        expected_error = f"KeyUsage {effective_usage} is not compatible with KeySpec {spec}"
    elif origin in ("AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"):
        expected_error = (
            f"You must specify a CustomKeyStoreId value for KMS keys with Origin {origin}."
        )
    elif spec == "SM2":
        assert create_error(client, **kwargs) == ("NotImplementedByKmsMock", NO_SM2, 501)
        assert client.list_keys()["Keys"] == []
        return
    else:
        metadata = as_dict(client.create_key(**kwargs)["KeyMetadata"])
        assert UUID.fullmatch(metadata["KeyId"])
        has_material = spec == "SYMMETRIC_DEFAULT" and origin == "AWS_KMS"
        created = without_material_id(metadata, expected=has_material)
        assert created == expected_metadata(metadata["KeyId"], spec, effective_usage, origin)
        described = client.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
        assert dict(described) == metadata
        return
    assert create_error(client, **kwargs) == ("ValidationException", expected_error, 400)
    assert client.list_keys()["Keys"] == []  # a failed call creates nothing


def test_create_key_defaults_to_symmetric_encryption(client: KMSClient) -> None:
    metadata = as_dict(client.create_key()["KeyMetadata"])
    created = without_material_id(metadata, expected=True)
    assert created == expected_metadata(
        metadata["KeyId"], "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "AWS_KMS"
    )


@pytest.mark.parametrize("spec", sorted(LEGACY_SPECS))
def test_customer_master_key_spec_is_the_deprecated_name_of_key_spec(
    client: KMSClient, spec: str
) -> None:
    usage = next(iter(ALLOWED[spec]))
    if spec == "SM2":
        error = create_error(client, CustomerMasterKeySpec=spec, KeyUsage=usage)
        assert error == ("NotImplementedByKmsMock", NO_SM2, 501)
        return
    metadata = client.create_key(CustomerMasterKeySpec=spec, KeyUsage=usage)["KeyMetadata"]  # type: ignore[arg-type]
    assert (metadata["KeySpec"], metadata["CustomerMasterKeySpec"]) == (spec, spec)
    assert metadata["KeyUsage"] == usage


@pytest.mark.parametrize("spec", ["ECC_NIST_EDWARDS25519", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87"])
def test_post_2023_specs_have_no_customer_master_key_spec(client: KMSClient, spec: str) -> None:
    metadata = client.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]  # type: ignore[arg-type]
    assert "CustomerMasterKeySpec" not in metadata
    assert metadata["KeySpec"] == spec


def test_key_spec_and_customer_master_key_spec_together(client: KMSClient) -> None:
    error = create_error(
        client, KeySpec="SYMMETRIC_DEFAULT", CustomerMasterKeySpec="SYMMETRIC_DEFAULT"
    )
    assert error == (
        "ValidationException",
        "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
        "CustomerMasterKeySpec is deprecated.",
        400,
    )


def test_customer_master_key_spec_hmac_without_usage(client: KMSClient) -> None:
    error = create_error(client, CustomerMasterKeySpec="HMAC_256")
    assert error == ("ValidationException", KEY_USAGE_REQUIRED, 400)


def test_recorded_key_agreement_with_rsa_message(client: KMSClient) -> None:
    # Recorded from AWS: no final period.
    error = create_error(client, KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT")
    assert error == (
        "ValidationException",
        "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048",
        400,
    )


def test_validation_exception_has_no_top_level_message(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.create_key(KeySpec="HMAC_256")
    assert "message" not in excinfo.value.response


# -- CreateKey: enum values botocore lets through ------------------------------


def test_bad_key_spec_enum(client: KMSClient) -> None:
    kwargs: dict[str, Any] = {"KeySpec": "HMAC_random"}
    assert create_error(client, **kwargs) == (
        "ValidationException",
        "1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy "
        "constraint: Member must satisfy enum value set: [RSA_2048, ECC_NIST_P384, "
        "ECC_NIST_P256, ECC_NIST_P521, HMAC_384, RSA_3072, ECC_SECG_P256K1, RSA_4096, "
        "SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_512, ML_DSA_44, ML_DSA_65, ML_DSA_87, "
        "ECC_NIST_EDWARDS25519]",
        400,
    )


def test_bad_key_usage_enum(client: KMSClient) -> None:
    kwargs: dict[str, Any] = {"KeySpec": "HMAC_256", "KeyUsage": "RANDOM"}
    assert create_error(client, **kwargs) == (
        "ValidationException",
        "1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        "[ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT]",
        400,
    )


def test_bad_origin_and_customer_master_key_spec_enums_together(client: KMSClient) -> None:
    kwargs: dict[str, Any] = {"Origin": "SOMEWHERE", "CustomerMasterKeySpec": "AES_512"}
    code, message, status = create_error(client, **kwargs)
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "2 validation errors detected: Value 'SOMEWHERE' at 'origin' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        "[AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE]; "
        "Value 'AES_512' at 'customerMasterKeySpec' failed to satisfy constraint: Member "
        "must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, "
        "ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, "
        "HMAC_256, HMAC_384, HMAC_512, SM2]"
    )


# -- CreateKey: origins and custom key stores (⚠ messages inferred) ----------------


def test_custom_key_store_that_does_not_exist(client: KMSClient) -> None:
    error = create_error(client, Origin="AWS_CLOUDHSM", CustomKeyStoreId="cks-1234567890abcdef0")
    assert error == (
        "CustomKeyStoreNotFoundException",
        "Custom key store cks-1234567890abcdef0 does not exist.",
        400,
    )


def test_xks_key_id_only_with_external_key_store_origin(client: KMSClient) -> None:
    error = create_error(client, XksKeyId="ext-key-1")
    assert error == (
        "ValidationException",
        "XksKeyId is not valid for KMS keys with Origin AWS_KMS.",
        400,
    )


def test_external_key_store_needs_a_store(client: KMSClient) -> None:
    error = create_error(client, Origin="EXTERNAL_KEY_STORE", XksKeyId="ext-key-1")
    assert error == (
        "ValidationException",
        "You must specify a CustomKeyStoreId value for KMS keys with Origin EXTERNAL_KEY_STORE.",
        400,
    )


# -- CreateKey: multi-Region, description, tags, policy ------------------------


@pytest.mark.parametrize(
    ("spec", "usage"),
    [
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
        ("RSA_2048", "SIGN_VERIFY"),
        ("HMAC_384", "GENERATE_VERIFY_MAC"),
    ],
)
def test_multi_region_primary(client: KMSClient, spec: str, usage: str) -> None:
    kwargs: dict[str, Any] = {"KeySpec": spec, "KeyUsage": usage, "MultiRegion": True}
    metadata = as_dict(client.create_key(**kwargs)["KeyMetadata"])
    assert MRK.fullmatch(metadata["KeyId"])
    created = without_material_id(metadata, expected=spec == "SYMMETRIC_DEFAULT")
    assert created == expected_metadata(
        metadata["KeyId"], spec, usage, "AWS_KMS", multi_region=True
    )
    assert as_dict(client.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]) == metadata


def test_multi_region_false_is_a_single_region_key(client: KMSClient) -> None:
    metadata = client.create_key(MultiRegion=False)["KeyMetadata"]
    assert UUID.fullmatch(metadata["KeyId"])
    assert metadata["MultiRegion"] is False
    assert "MultiRegionConfiguration" not in metadata


def test_multi_region_external_key(client: KMSClient) -> None:
    metadata = as_dict(client.create_key(MultiRegion=True, Origin="EXTERNAL")["KeyMetadata"])
    created = without_material_id(metadata, expected=False)
    assert created == expected_metadata(
        metadata["KeyId"], "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "EXTERNAL", multi_region=True
    )


def test_description_is_kept(client: KMSClient) -> None:
    metadata = client.create_key(Description="test key 123")["KeyMetadata"]
    assert metadata["Description"] == "test key 123"
    described = client.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
    assert described["Description"] == "test key 123"


def test_description_of_8192_characters_is_accepted(client: KMSClient) -> None:
    metadata = client.create_key(Description="d" * 8192)["KeyMetadata"]
    assert metadata["Description"] == "d" * 8192


def test_description_too_long(client: KMSClient) -> None:
    assert create_error(client, Description="d" * 8193) == (
        "ValidationException",
        f"1 validation error detected: Value '{'d' * 8193}' at 'description' failed to "
        "satisfy constraint: Member must have length less than or equal to 8192",
        400,
    )


def test_tags_are_stored(client: KMSClient, kms: MockKMS) -> None:
    tags = [{"TagKey": "team", "TagValue": "blue"}, {"TagKey": "empty", "TagValue": ""}]
    key_id = client.create_key(Tags=tags)["KeyMetadata"]["KeyId"]  # type: ignore[arg-type]
    assert stored_key(kms, key_id).tags.by_key == {"team": Tag(0, "blue"), "empty": Tag(1, "")}


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ([{"TagKey": "aws:x", "TagValue": "v"}], "Tags beginning with aws: are reserved"),
        ([{"TagKey": "AWS:x", "TagValue": "v"}], "Tags beginning with aws: are reserved"),
        (
            [{"TagKey": "k", "TagValue": "1"}, {"TagKey": "k", "TagValue": "2"}],
            "Duplicate tag keys",
        ),
        ([{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)], "Too many tags"),
    ],
)
def test_tag_errors(client: KMSClient, tags: list[dict[str, str]], message: str) -> None:
    error = create_error(client, Tags=tags)
    assert error == ("TagException", message, 400)
    assert client.list_keys()["Keys"] == []


def test_fifty_tags_are_allowed(client: KMSClient, kms: MockKMS) -> None:
    tags = [{"TagKey": f"k{i}", "TagValue": "v"} for i in range(50)]
    key_id = client.create_key(Tags=tags)["KeyMetadata"]["KeyId"]  # type: ignore[arg-type]
    assert len(stored_key(kms, key_id).tags.by_key) == 50


def test_tag_lengths(client: KMSClient) -> None:
    error = create_error(client, Tags=[{"TagKey": "k" * 129, "TagValue": "v" * 257}])
    assert error == (
        "ValidationException",
        f"2 validation errors detected: Value '{'k' * 129}' at 'tags.1.member.tagKey' failed "
        "to satisfy constraint: Member must have length less than or equal to 128; "
        f"Value '{'v' * 257}' at 'tags.1.member.tagValue' failed to satisfy constraint: "
        "Member must have length less than or equal to 256",
        400,
    )


def test_default_policy_is_the_one_aws_prints(client: KMSClient, kms: MockKMS) -> None:
    # botocore's GetKeyPolicy example is AWS's default policy, Jackson-printed.
    examples = create_loader().load_service_model("kms", "examples-1")["examples"]
    aws_printed = examples["GetKeyPolicy"][0]["output"]["Policy"]
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    expected = aws_printed.replace("111122223333", ACCOUNT)
    assert stored_key(kms, key_id).policy == expected


def test_given_policy_is_stored_verbatim(client: KMSClient, kms: MockKMS) -> None:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )
    key_id = client.create_key(Policy=policy)["KeyMetadata"]["KeyId"]
    assert stored_key(kms, key_id).policy == policy


def test_policy_that_locks_the_account_out(client: KMSClient) -> None:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Encrypt"}],
        }
    )
    assert create_error(client, Policy=policy) == (
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.",
        400,
    )
    bypassed = client.create_key(Policy=policy, BypassPolicyLockoutSafetyCheck=True)
    assert bypassed["KeyMetadata"]["KeyState"] == "Enabled"


def test_policy_with_characters_outside_latin_1(client: KMSClient) -> None:
    policy = '{"Statement": "\u201cquoted\u201d"}'
    assert create_error(client, Policy=policy) == (
        "ValidationException",
        f"1 validation error detected: Value '{policy}' at 'policy' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        400,
    )


def test_creation_date_follows_the_clock(client: KMSClient, clock: FrozenClock) -> None:
    clock.advance(days=3, hours=4)
    metadata = client.create_key()["KeyMetadata"]
    assert metadata["CreationDate"] == START + _dt.timedelta(days=3, hours=4)


# -- DescribeKey ----------------------------------------------------------------


def test_describe_key_by_id_arn_alias_name_and_alias_arn_of_aws_managed_key(
    client: KMSClient,
) -> None:
    by_alias = as_dict(client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"])
    key_id = by_alias["KeyId"]
    created = without_material_id(by_alias, expected=True)
    expected = expected_metadata(key_id, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "AWS_KMS")
    expected["KeyManager"] = "AWS"
    expected["Description"] = "Default key that protects my S3 objects when no other key is defined"
    assert created == expected
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3"
    for identifier in (key_id, by_alias["Arn"], alias_arn, "alias/aws/s3"):
        assert as_dict(client.describe_key(KeyId=identifier)["KeyMetadata"]) == by_alias
    # Created once: one key, however often it is named.
    assert client.list_keys()["Keys"] == [{"KeyId": key_id, "KeyArn": by_alias["Arn"]}]


def test_aws_managed_key_created_by_alias_arn_on_first_use(client: KMSClient) -> None:
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/ebs"
    metadata = client.describe_key(KeyId=alias_arn)["KeyMetadata"]
    assert metadata["KeyManager"] == "AWS"
    assert client.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyId"] == metadata["KeyId"]


def test_aws_managed_keys_are_per_service(client: KMSClient) -> None:
    s3 = client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    ebs = client.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyId"]
    assert s3 != ebs


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("disable_key", "DisableKey"),
        ("enable_key", "EnableKey"),
        ("schedule_key_deletion", "ScheduleKeyDeletion"),
        ("cancel_key_deletion", "CancelKeyDeletion"),
    ],
)
def test_aws_managed_key_cannot_be_changed(client: KMSClient, operation: str, action: str) -> None:
    metadata = client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        getattr(client, operation)(KeyId=metadata["KeyId"])
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: kms:{action} "
        f"on resource: {metadata['Arn']} because no resource-based policy allows the "
        f"kms:{action} action",
        400,
    )
    after = client.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
    assert after == metadata


def test_aws_managed_key_description_cannot_be_changed(client: KMSClient) -> None:
    metadata = client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        client.update_key_description(KeyId=metadata["KeyId"], Description="mine now")
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: "
        f"kms:UpdateKeyDescription on resource: {metadata['Arn']} because no resource-based "
        "policy allows the kms:UpdateKeyDescription action",
        400,
    )
    assert client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"] == metadata


def test_aws_managed_key_last_usage_is_readable(client: KMSClient) -> None:
    metadata = client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert client.get_key_last_usage(KeyId=metadata["KeyId"])["KeyId"] == metadata["Arn"]


def test_describe_key_returns_no_aliases_tags_or_rotation(client: KMSClient) -> None:
    key_id = client.create_key(Tags=[{"TagKey": "t", "TagValue": "v"}])["KeyMetadata"]["KeyId"]
    response = client.describe_key(KeyId=key_id)
    assert set(response) == {"KeyMetadata", "ResponseMetadata"}
    assert not {"Tags", "Aliases", "KeyRotationStatus", "Policy"} & set(response["KeyMetadata"])


# -- ListKeys ---------------------------------------------------------------------


def test_list_keys_when_empty(client: KMSClient) -> None:
    response = client.list_keys()
    assert response["Keys"] == []
    assert response["Truncated"] is False
    assert "NextMarker" not in response


def test_list_keys_lists_every_state_in_creation_order(client: KMSClient) -> None:
    keys = [client.create_key()["KeyMetadata"] for _ in range(3)]
    external = client.create_key(Origin="EXTERNAL")["KeyMetadata"]
    client.disable_key(KeyId=keys[0]["KeyId"])
    client.schedule_key_deletion(KeyId=keys[1]["KeyId"])
    response = client.list_keys()
    assert response["Keys"] == [
        {"KeyId": key["KeyId"], "KeyArn": key["Arn"]} for key in [*keys, external]
    ]
    assert response["Truncated"] is False
    assert "NextMarker" not in response


def test_list_keys_pages(client: KMSClient) -> None:
    ids = [client.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)]
    first = client.list_keys(Limit=2)
    assert [entry["KeyId"] for entry in first["Keys"]] == ids[:2]
    assert first["Truncated"] is True
    second = client.list_keys(Limit=2, Marker=first["NextMarker"])
    assert [entry["KeyId"] for entry in second["Keys"]] == ids[2:4]
    assert second["Truncated"] is True
    last = client.list_keys(Limit=2, Marker=second["NextMarker"])
    assert [entry["KeyId"] for entry in last["Keys"]] == ids[4:]
    assert last["Truncated"] is False
    assert "NextMarker" not in last


def test_list_keys_exact_last_page_is_not_truncated(client: KMSClient) -> None:
    for _ in range(2):
        client.create_key()
    response = client.list_keys(Limit=2)
    assert len(response["Keys"]) == 2
    assert response["Truncated"] is False
    assert "NextMarker" not in response


def test_list_keys_default_limit_is_100(client: KMSClient) -> None:
    for _ in range(101):
        client.create_key()
    first = client.list_keys()
    assert len(first["Keys"]) == 100
    assert first["Truncated"] is True
    rest = client.list_keys(Marker=first["NextMarker"])
    assert len(rest["Keys"]) == 1
    assert rest["Truncated"] is False


def test_list_keys_with_boto3_paginator(client: KMSClient) -> None:
    ids = [client.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)]
    paginator = client.get_paginator("list_keys")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["Keys"]) for page in pages] == [2, 2, 1]
    assert [entry["KeyId"] for page in pages for entry in page["Keys"]] == ids
    built = paginator.paginate().build_full_result()
    assert [entry["KeyId"] for entry in built["Keys"]] == ids


@pytest.mark.parametrize("marker", ["not-a-marker", "TGlzdEFsaWFzZXM6MQ==", "TGlzdEtleXM6eA=="])
def test_list_keys_invalid_marker(client: KMSClient, marker: str) -> None:
    # A made-up marker, one of ListAliases ("ListAliases:1") and a non-numeric one.
    client.create_key()
    with pytest.raises(ClientError) as excinfo:
        client.list_keys(Marker=marker)
    assert error_of(excinfo) == ("InvalidMarkerException", "Invalid marker", 400)


def test_list_keys_limit_above_model_maximum(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.list_keys(Limit=1001)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
        400,
    )


def test_list_keys_limit_zero_reaches_the_server_only_unvalidated(kms: MockKMS) -> None:
    raw = boto3.client("kms", region_name=REGION, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        raw.list_keys(Limit=0)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
        400,
    )


def test_list_keys_only_of_the_callers_region(client: KMSClient, kms: MockKMS) -> None:
    here = client.create_key()["KeyMetadata"]
    there = boto3.client("kms", region_name="eu-west-1")
    elsewhere = there.create_key()["KeyMetadata"]
    assert client.list_keys()["Keys"] == [{"KeyId": here["KeyId"], "KeyArn": here["Arn"]}]
    assert there.list_keys()["Keys"] == [{"KeyId": elsewhere["KeyId"], "KeyArn": elsewhere["Arn"]}]
    assert elsewhere["Arn"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/")


# -- EnableKey / DisableKey ----------------------------------------------------


def test_disable_then_enable(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    response = client.disable_key(KeyId=key_id)
    assert set(response) == {"ResponseMetadata"}
    metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Enabled"]) == ("Disabled", False)
    response = client.enable_key(KeyId=key_id)
    assert set(response) == {"ResponseMetadata"}
    metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Enabled"]) == ("Enabled", True)


def test_enable_and_disable_are_idempotent(client: KMSClient) -> None:
    key = client.create_key()["KeyMetadata"]
    client.enable_key(KeyId=key["KeyId"])
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    client.disable_key(KeyId=key["Arn"])
    client.disable_key(KeyId=key["Arn"])
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_enable_disable_by_key_arn(client: KMSClient) -> None:
    key = client.create_key()["KeyMetadata"]
    client.disable_key(KeyId=key["Arn"])
    assert client.describe_key(KeyId=key["Arn"])["KeyMetadata"]["Enabled"] is False
    client.enable_key(KeyId=key["Arn"])
    assert client.describe_key(KeyId=key["Arn"])["KeyMetadata"]["Enabled"] is True


def test_enable_pending_import_key(client: KMSClient) -> None:
    key = client.create_key(Origin="EXTERNAL")["KeyMetadata"]
    for call in (client.enable_key, client.disable_key):
        with pytest.raises(ClientError) as excinfo:
            call(KeyId=key["KeyId"])
        assert error_of(excinfo) == (
            "KMSInvalidStateException",
            f"{key['Arn']} is pending import.",
            400,
        )
        assert "message" in excinfo.value.response  # modeled: AWS sends a message member
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"


def test_enabled_flag_of_asymmetric_key(client: KMSClient) -> None:
    key_id = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"
    ]
    client.disable_key(KeyId=key_id)
    metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Enabled"]) == ("Disabled", False)


# -- UpdateKeyDescription -----------------------------------------------------


def test_update_key_description(client: KMSClient) -> None:
    key = client.create_key(Description="before")["KeyMetadata"]
    response = client.update_key_description(KeyId=key["Arn"], Description="after")
    assert set(response) == {"ResponseMetadata"}
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "after"
    client.update_key_description(KeyId=key["KeyId"], Description="")
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == ""


def test_update_key_description_to_8192_characters(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    client.update_key_description(KeyId=key_id, Description="x" * 8192)
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "x" * 8192


def test_update_key_description_too_long(client: KMSClient) -> None:
    key_id = client.create_key(Description="kept")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        client.update_key_description(KeyId=key_id, Description="x" * 8193)
    assert error_of(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '{'x' * 8193}' at 'description' failed to "
        "satisfy constraint: Member must have length less than or equal to 8192",
        400,
    )
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "kept"


def test_update_key_description_of_missing_key(client: KMSClient) -> None:
    missing = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(ClientError) as excinfo:
        client.update_key_description(KeyId=missing, Description="d")
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{missing}' does not exist",
        400,
    )


def test_update_key_description_without_description_is_rejected_by_the_server(
    client: KMSClient, kms: MockKMS
) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    raw = boto3.client("kms", region_name=REGION, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        raw.update_key_description(KeyId=key_id)  # type: ignore[call-arg]
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value null at 'description' failed to satisfy "
        "constraint: Member must not be null",
        400,
    )


# -- GetKeyLastUsage -----------------------------------------------------------


def test_get_key_last_usage_of_unused_key(client: KMSClient, clock: FrozenClock) -> None:
    clock.advance(days=2)
    key = client.create_key()["KeyMetadata"]
    clock.advance(days=5)
    response = as_dict(client.get_key_last_usage(KeyId=key["KeyId"]))
    del response["ResponseMetadata"]
    created = START + _dt.timedelta(days=2)
    assert response == {
        "KeyId": key["Arn"],
        "KeyLastUsage": {},
        "TrackingStartDate": created,
        "KeyCreationDate": created,
    }


def test_get_key_last_usage_reports_the_last_encrypt(
    client: KMSClient, kms: MockKMS, clock: FrozenClock
) -> None:
    key = client.create_key()["KeyMetadata"]
    clock.advance(hours=1)
    request_id = client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["ResponseMetadata"]["RequestId"]
    encrypt_event = kms.audit_log[-1]
    usage = client.get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]
    assert usage == {
        "Operation": "Encrypt",
        "Timestamp": START + _dt.timedelta(hours=1),
        "CloudTrailEventId": encrypt_event["eventID"],
        "KmsRequestId": request_id,
    }
    assert encrypt_event["requestID"] == request_id


def test_get_key_last_usage_rejects_aliases(client: KMSClient) -> None:
    client.describe_key(KeyId="alias/aws/s3")
    with pytest.raises(ClientError) as excinfo:
        client.get_key_last_usage(KeyId="alias/aws/s3")
    assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'alias/aws/s3'", 400)


def test_a_key_spec_newer_than_kms_mock_is_refused_clearly(
    client: KMSClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A newer botocore model can name key specs kms_mock has no table row for.
    from kms_mock import _keyspecs

    monkeypatch.delitem(_keyspecs.KEY_SPECS, "RSA_2048")
    with pytest.raises(ClientError) as excinfo:
        client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    assert error_of(excinfo) == (
        "NotImplementedByKmsMock",
        "not implemented by kms_mock: CreateKey with KeySpec RSA_2048. kms_mock does not "
        "serve this yet; see the README's list of supported operations.",
        501,
    )
