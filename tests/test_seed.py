"""``mock_kms(seed=...)``: the same calls give byte-for-byte the same answers.

A seed makes key ids, key material (and so KeyMaterialIds) and request ids
reproducible, so a failing test can be replayed exactly; without one the OS
supplies the randomness and every run differs.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import boto3
import pytest

from kms_mock import FrozenClock, mock_kms
from kms_mock._entropy import Entropy
from tests._helpers import START


def _session(seed: int | None) -> list[dict[str, Any]]:
    """A fixed sequence of calls in a fresh mock; every response, as parsed."""
    responses: list[dict[str, Any]] = []
    with mock_kms(clock=FrozenClock(START), seed=seed):
        client = boto3.client("kms", region_name="us-east-1")
        key_ids = []
        for index in range(3):
            created = client.create_key(
                Description=f"key {index}",
                Tags=[{"TagKey": "index", "TagValue": str(index)}],
            )
            responses.append(dict(created))
            key_ids.append(created["KeyMetadata"]["KeyId"])
        for key_id in key_ids:
            responses.append(dict(client.describe_key(KeyId=key_id)))
        responses.append(dict(client.list_keys()))
        with pytest.raises(client.exceptions.NotFoundException) as excinfo:
            client.describe_key(KeyId="fake-key-id")
        responses.append(dict(excinfo.value.response))
    return responses


def _key_ids(responses: list[dict[str, Any]]) -> list[str]:
    return [response["KeyMetadata"]["KeyId"] for response in responses[:3]]


def _material_ids(responses: list[dict[str, Any]]) -> list[str]:
    return [response["KeyMetadata"]["CurrentKeyMaterialId"] for response in responses[:3]]


def _request_ids(responses: list[dict[str, Any]]) -> list[str]:
    return [response["ResponseMetadata"]["RequestId"] for response in responses]


def test_same_seed_same_responses() -> None:
    first, second = _session(7), _session(7)
    # Whole responses, HTTP headers and request ids included.
    assert first == second
    assert len(first) == 3 + 3 + 1 + 1
    assert len(set(_key_ids(first))) == 3
    assert len(set(_material_ids(first))) == 3
    assert len(set(_request_ids(first))) == len(first)
    # The describe answers agree with the create answers.
    assert [response["KeyMetadata"] for response in first[3:6]] == [
        response["KeyMetadata"] for response in first[:3]
    ]
    assert sorted(key["KeyId"] for key in first[6]["Keys"]) == sorted(_key_ids(first))


def test_seed_does_not_depend_on_other_mocks_in_between() -> None:
    first = _session(7)
    _session(None)
    _session(8)
    assert _session(7) == first


def test_different_seeds_differ() -> None:
    seven, eight = _session(7), _session(8)
    assert set(_key_ids(seven)).isdisjoint(_key_ids(eight))
    assert set(_material_ids(seven)).isdisjoint(_material_ids(eight))
    assert set(_request_ids(seven)).isdisjoint(_request_ids(eight))


def test_no_seed_differs_between_runs() -> None:
    first, second = _session(None), _session(None)
    assert set(_key_ids(first)).isdisjoint(_key_ids(second))
    assert set(_material_ids(first)).isdisjoint(_material_ids(second))
    assert set(_request_ids(first)).isdisjoint(_request_ids(second))


def test_seed_zero_is_a_seed() -> None:
    assert _session(0) == _session(0)
    assert _key_ids(_session(0)) != _key_ids(_session(None))


def test_seeded_key_ids_are_version_4_uuids() -> None:
    for key_id in _key_ids(_session(7)):
        assert len(key_id) == 36
        assert key_id[14] == "4"
        assert key_id[19] in "89ab"


def test_seeded_decorator_is_reproducible() -> None:
    @mock_kms(seed=11)
    def create() -> str:
        return boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]

    assert create() == create()


def test_ids_are_the_uuid_modules_text_of_the_same_bytes() -> None:
    # The ids a seed gives must not change with how they are formatted.
    ids = Entropy(7)
    same_stream = random.Random(7)
    for _ in range(200):
        expected = uuid.UUID(bytes=same_stream.randbytes(16), version=4)
        assert ids.uuid4() == str(expected)


def test_unseeded_ids_are_version_4_uuids() -> None:
    for _ in range(200):
        text = Entropy().uuid4()
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)
