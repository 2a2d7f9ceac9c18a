"""GenerateRandom through boto3."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._validation import check_response
from tests._helpers import START, error_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


def _unvalidated_client() -> KMSClient:
    # botocore checks the model's minimum on the client; without that check the
    # request reaches the mock, which must answer as the AWS server does.
    return boto3.client("kms", region_name="us-east-1", config=Config(parameter_validation=False))


def _random_bytes(seed: int | None, sizes: list[int]) -> list[bytes]:
    with mock_kms(clock=FrozenClock(START), seed=seed):
        client = boto3.client("kms", region_name="us-east-1")
        return [client.generate_random(NumberOfBytes=n)["Plaintext"] for n in sizes]


@pytest.mark.parametrize("size", [1, 16, 32, 1024])
def test_returns_the_requested_number_of_bytes(client: KMSClient, size: int) -> None:
    response = client.generate_random(NumberOfBytes=size)
    plaintext = response["Plaintext"]
    assert isinstance(plaintext, bytes)
    assert len(plaintext) == size
    members = {name: value for name, value in response.items() if name != "ResponseMetadata"}
    assert members.keys() == {"Plaintext"}
    assert check_response("GenerateRandom", members) == []


def test_successive_calls_differ(client: KMSClient) -> None:
    values = {client.generate_random(NumberOfBytes=32)["Plaintext"] for _ in range(5)}
    assert len(values) == 5


def test_number_of_bytes_is_required(client: KMSClient) -> None:
    # The model does not mark it required, so botocore sends the empty request.
    with pytest.raises(ClientError) as excinfo:
        client.generate_random()
    assert error_of(excinfo) == ("ValidationException", "NumberOfBytes is required.", 400)
    # ValidationException is not modeled for KMS: no top-level message member.
    assert "message" not in excinfo.value.response


def test_more_than_1024_bytes(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.generate_random(NumberOfBytes=1025)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy "
        "constraint: Member must have value less than or equal to 1024",
        400,
    )


def test_zero_bytes_is_refused_by_botocore(client: KMSClient) -> None:
    with pytest.raises(ParamValidationError):
        client.generate_random(NumberOfBytes=0)


def test_zero_bytes_is_refused_by_the_server(kms: MockKMS) -> None:
    with pytest.raises(ClientError) as excinfo:
        _unvalidated_client().generate_random(NumberOfBytes=0)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1",
        400,
    )


def test_custom_key_store_does_not_exist(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.generate_random(NumberOfBytes=32, CustomKeyStoreId="cks-1234567890abcdef0")
    assert error_of(excinfo) == (
        "CustomKeyStoreNotFoundException",
        "Custom key store cks-1234567890abcdef0 does not exist.",
        400,
    )


def test_missing_number_of_bytes_is_reported_before_the_key_store(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.generate_random(CustomKeyStoreId="cks-1234567890abcdef0")
    assert error_of(excinfo)[:2] == ("ValidationException", "NumberOfBytes is required.")


def test_seeded_mocks_give_the_same_bytes() -> None:
    first = _random_bytes(7, [32, 1, 1024])
    second = _random_bytes(7, [32, 1, 1024])
    assert first == second
    assert [len(value) for value in first] == [32, 1, 1024]


def test_different_seeds_give_different_bytes() -> None:
    assert _random_bytes(7, [32]) != _random_bytes(8, [32])


def test_unseeded_mocks_differ() -> None:
    assert _random_bytes(None, [32]) != _random_bytes(None, [32])
