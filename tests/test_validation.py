"""Validation messages: AWS's recorded enum lists, the Region's part in them, list values.

The recorded messages below are verbatim from real AWS (sources in
``kms_mock/_enum_lists.py``); the model has gained members since, which follow
the recorded ones in the model's order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from kms_mock import MockKMS
from kms_mock._enum_lists import RECORDED, SHOWN_AS, EnumRule, enum_rule
from kms_mock._errors import SerializationException
from kms_mock._shapes import service_model
from kms_mock._validation import decode_request
from tests._helpers import error_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

# Recorded outside China (LocalStack snapshot, 2023-04-13; boto3 issue 3428, 2022-09-22).
RECORDED_KEY_SPECS = (
    "RSA_2048, ECC_NIST_P384, ECC_NIST_P256, ECC_NIST_P521, HMAC_384, RSA_3072, "
    "ECC_SECG_P256K1, RSA_4096, SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_512"
)
NEWER_KEY_SPECS = "ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519"
KEY_SPECS = f"[{RECORDED_KEY_SPECS}, {NEWER_KEY_SPECS}]"
KEY_SPECS_IN_CHINA = f"[{RECORDED_KEY_SPECS}, SM2, {NEWER_KEY_SPECS}]"
KEY_USAGES = "[ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT]"
MAC_ALGORITHMS = "[HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]"
CHINA_REGIONS = ["cn-north-1", "cn-northwest-1"]


def enum_message(value: str, member: str, listed: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: {listed}"
    )


def failure(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def listed(rule: EnumRule) -> str:
    return f"[{', '.join(rule.listed)}]"


def regional_client(region: str) -> KMSClient:
    return boto3.client("kms", region_name=region)


# -- recorded lists, through boto3 ----------------------------------------------------------


def test_create_key_key_spec_list(client: KMSClient) -> None:
    assert failure(client.create_key, KeySpec="HMAC_random") == (
        "ValidationException",
        enum_message("HMAC_random", "keySpec", KEY_SPECS),
        400,
    )


@pytest.mark.parametrize("region", CHINA_REGIONS)
def test_create_key_key_spec_list_in_china(kms: MockKMS, region: str) -> None:
    assert failure(regional_client(region).create_key, KeySpec="HMAC_random") == (
        "ValidationException",
        enum_message("HMAC_random", "keySpec", KEY_SPECS_IN_CHINA),
        400,
    )


def test_sm2_is_no_key_spec_outside_china(client: KMSClient) -> None:
    assert failure(client.create_key, KeySpec="SM2", KeyUsage="SIGN_VERIFY") == (
        "ValidationException",
        enum_message("SM2", "keySpec", KEY_SPECS),
        400,
    )
    assert client.list_keys()["Keys"] == []


@pytest.mark.parametrize("region", CHINA_REGIONS)
def test_sm2_passes_validation_in_china(kms: MockKMS, region: str) -> None:
    # A valid request there, which kms_mock cannot serve (no SM2 in cryptography).
    code, message, status = failure(
        regional_client(region).create_key, KeySpec="SM2", KeyUsage="SIGN_VERIFY"
    )
    assert (code, status) == ("NotImplementedByKmsMock", 501)
    assert message.startswith("not implemented by kms_mock: CreateKey with KeySpec SM2:")


def test_create_key_key_usage_list(client: KMSClient) -> None:
    assert failure(client.create_key, KeySpec="HMAC_256", KeyUsage="RANDOM") == (
        "ValidationException",
        enum_message("RANDOM", "keyUsage", KEY_USAGES),
        400,
    )


@pytest.mark.parametrize("operation", ["generate_mac", "verify_mac"])
def test_mac_algorithm_list_is_as_recorded(client: KMSClient, operation: str) -> None:
    key_id = client.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    arguments: dict[str, Any] = {"KeyId": key_id["KeyId"], "Message": b"m"}
    if operation == "verify_mac":
        arguments["Mac"] = b"m"
    assert failure(getattr(client, operation), MacAlgorithm="INVALID", **arguments) == (
        "ValidationException",
        enum_message("INVALID", "macAlgorithm", MAC_ALGORITHMS),
        400,
    )


@pytest.mark.parametrize("operation", ["generate_data_key", "generate_data_key_without_plaintext"])
def test_data_key_spec_is_listed_with_create_keys_list(client: KMSClient, operation: str) -> None:
    # AWS's quirk (boto3 issue 3428): GenerateDataKey's KeySpec is AES_256 or AES_128,
    # yet a wrong one is answered with the list of CreateKey's KeySpec.
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    assert failure(getattr(client, operation), KeyId=key_id, KeySpec="AES-256") == (
        "ValidationException",
        enum_message("AES-256", "keySpec", KEY_SPECS),
        400,
    )
    # The value is still checked against AES_256 and AES_128.
    assert getattr(client, operation)(KeyId=key_id, KeySpec="AES_128")["KeyId"].endswith(key_id)


def test_data_key_spec_in_china_lists_sm2(kms: MockKMS) -> None:
    client = regional_client("cn-north-1")
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    assert failure(client.generate_data_key, KeyId=key_id, KeySpec="AES-256") == (
        "ValidationException",
        enum_message("AES-256", "keySpec", KEY_SPECS_IN_CHINA),
        400,
    )


def test_unrecorded_list_keeps_the_models_order(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    assert failure(client.encrypt, KeyId=key_id, Plaintext=b"p", EncryptionAlgorithm="AES") == (
        "ValidationException",
        enum_message(
            "AES",
            "encryptionAlgorithm",
            "[SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]",
        ),
        400,
    )


# -- list values are shown as AWS (Java) prints them --------------------------------------


def test_list_value_is_shown_as_aws_prints_it(client: KMSClient) -> None:
    tokens = [f"token{number}" for number in range(11)]
    assert failure(client.describe_key, KeyId="k", GrantTokens=tokens) == (
        "ValidationException",
        f"1 validation error detected: Value '[{', '.join(tokens)}]' at 'grantTokens' failed "
        "to satisfy constraint: Member must have length less than or equal to 10",
        400,
    )


def test_list_of_unreadable_members_is_a_serialization_error() -> None:
    # Too long, and a member nested far too deep to print: the type error wins and
    # nothing tries to print the list.
    nested: list[Any] = []
    for _ in range(5000):
        nested = [nested]
    with pytest.raises(SerializationException):
        decode_request(
            "DescribeKey", {"KeyId": "k", "GrantTokens": ["t"] * 10 + [nested]}, "us-east-1"
        )


# -- the table ------------------------------------------------------------------------------


def test_table_holds_the_recorded_lists_verbatim() -> None:
    assert {name: ", ".join(recording.members) for name, recording in RECORDED.items()} == {
        "KeySpec": RECORDED_KEY_SPECS,
        "KeyUsageType": "ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC",
        "MacAlgorithmSpec": "HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512",
        "KeyAgreementAlgorithmSpec": "ECDH",
    }


@pytest.mark.parametrize("shape_name", sorted(RECORDED))
def test_recordings_name_model_members_and_a_source(shape_name: str) -> None:
    recording = RECORDED[shape_name]
    model_members = service_model().shape_for(shape_name).metadata["enum"]
    assert set(recording.members) <= set(model_members)
    assert len(set(recording.members)) == len(recording.members)
    assert recording.china_only <= set(model_members) - set(recording.members)
    assert recording.source


@pytest.mark.parametrize("shape_name", sorted(SHOWN_AS))
def test_borrowed_lists_name_a_recorded_shape_and_a_source(shape_name: str) -> None:
    shown_as, source = SHOWN_AS[shape_name]
    assert shown_as in RECORDED
    assert source


def test_key_spec_rule_outside_and_inside_china() -> None:
    model = service_model()
    outside = enum_rule(model, "KeySpec", china=False)
    inside = enum_rule(model, "KeySpec", china=True)
    assert (listed(outside), listed(inside)) == (KEY_SPECS, KEY_SPECS_IN_CHINA)
    assert inside.allowed - outside.allowed == {"SM2"}


def test_every_unrecorded_enum_keeps_the_models_members_and_order() -> None:
    model = service_model()
    for name in model.shape_names:
        members = model.shape_for(name).metadata.get("enum")
        if not members or name in RECORDED or name in SHOWN_AS:
            continue
        for china in (False, True):
            rule = enum_rule(model, name, china=china)
            assert rule.listed == tuple(members)
            assert rule.allowed == frozenset(members)
