"""Many clients at once against one server: no errors, and a state that adds up.

The suite runs 16 threads x 25 calls; ``KMS_MOCK_FULL_LOAD=1`` adds the 10,000-call
run (``benchmarks/bench_server.py`` runs it and reports its time).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from kms_mock import MockKMS, mock_kms
from kms_mock.server import serve
from tests._servers import (
    http_client,
    loopback_only,  # noqa: F401  (the network guard of this module)
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

THREADS = 16
FULL_LOAD = os.environ.get("KMS_MOCK_FULL_LOAD") == "1"
# Each thread's first three calls make its key; the rest cycle through these.
SETUP_CALLS = 3
CYCLE = ("Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey", "TagResource", "ListAliases")


def worker(client: KMSClient, number: int, calls: int, made: Counter[str]) -> None:
    """``calls`` calls of one thread: its own key and alias, then a mix of operations."""
    alias = f"alias/load-{number}"
    key_id = client.create_key(Description=f"thread {number}")["KeyMetadata"]["KeyId"]
    client.create_alias(AliasName=alias, TargetKeyId=key_id)
    client.enable_key_rotation(KeyId=key_id)
    made.update(["CreateKey", "CreateAlias", "EnableKeyRotation"])
    blob = b""
    for call in range(calls - SETUP_CALLS):
        operation = CYCLE[call % len(CYCLE)]
        if operation == "Encrypt":
            blob = client.encrypt(KeyId=alias, Plaintext=f"{number}:{call}".encode())[
                "CiphertextBlob"
            ]
        elif operation == "Decrypt":
            assert (
                client.decrypt(CiphertextBlob=blob)["Plaintext"] == f"{number}:{call - 1}".encode()
            )
        elif operation == "GenerateDataKey":
            assert len(client.generate_data_key(KeyId=key_id, NumberOfBytes=32)["Plaintext"]) == 32
        elif operation == "DescribeKey":
            assert client.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key_id
        elif operation == "TagResource":
            # One tag, rewritten: AWS allows 50 tags per key.
            client.tag_resource(KeyId=key_id, Tags=[{"TagKey": "call", "TagValue": str(call)}])
        else:
            assert [
                entry["AliasName"] for entry in client.list_aliases(KeyId=key_id)["Aliases"]
            ] == [alias]
        made[operation] += 1


def run_load(kms: MockKMS, calls_per_thread: int) -> tuple[list[BaseException], Counter[str]]:
    """Every thread's calls against one server of ``kms``: the errors, and what was made."""
    errors: list[BaseException] = []
    made: Counter[str] = Counter()
    lock = threading.Lock()
    with serve(kms) as server:
        clients = [http_client(server.url) for _ in range(THREADS)]

        def run(number: int) -> None:
            counted: Counter[str] = Counter()
            try:
                worker(clients[number], number, calls_per_thread, counted)
            except (ClientError, AssertionError) as error:
                errors.append(error)
            with lock:
                made.update(counted)

        threads = [threading.Thread(target=run, args=(number,)) for number in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        check_final_state(http_client(server.url), kms, calls_per_thread, made)
    return errors, made


def check_final_state(
    client: KMSClient, kms: MockKMS, calls_per_thread: int, made: Counter[str]
) -> None:
    """Every audited call, key, alias and tag is there, once."""
    called = Counter(event["eventName"] for event in kms.audit_log)
    assert {name: called[name] for name in made} == dict(made)
    assert sum(made.values()) == THREADS * calls_per_thread
    keys = client.list_keys(Limit=1000)["Keys"]
    assert len(keys) == THREADS
    aliases = {
        alias["AliasName"]: alias["TargetKeyId"]
        for alias in client.list_aliases(Limit=1000)["Aliases"]
        if alias["AliasName"].startswith("alias/load-")
    }
    assert sorted(aliases) == sorted(f"alias/load-{number}" for number in range(THREADS))
    assert set(aliases.values()) == {key["KeyId"] for key in keys}
    tags = [client.list_resource_tags(KeyId=key["KeyId"])["Tags"] for key in keys]
    assert [len(of_key) for of_key in tags] == [1] * THREADS


@pytest.mark.parametrize(
    "calls",
    [
        25,
        pytest.param(
            10_000 // THREADS,
            marks=pytest.mark.skipif(not FULL_LOAD, reason="KMS_MOCK_FULL_LOAD=1 runs it"),
        ),
    ],
)
def test_many_threads_against_one_server(calls: int) -> None:
    errors, made = run_load(mock_kms(audit_log_limit=None), calls)
    assert errors == []
    assert sum(made.values()) == THREADS * calls
