"""State file benchmark: what writing every change to SQLite costs, and loading a large file.

Run it from the repository root (the server start needs the ``server`` extra)::

    python benchmarks/bench_state.py            # table + benchmarks/results/state.json
    python benchmarks/bench_state.py --keys 2000 --repeat 5   # a quicker run

What is measured, each the median of several repeats taken in turn (a mock
without a state file, then one with it, each on a fresh file):

(a) A mutating request through a boto3 client (UpdateKeyDescription, which
    rewrites one key's row; CreateKey, which adds two rows): the time a state
    file adds per call, its SQLite commit included (target: at most 1 ms).
(b) A read (Encrypt, DescribeKey): the time a state file adds per call
    (target: nothing; reads write nothing, so the figure is noise).
(c) Start from a state file of 10,000 keys: ``mock_kms(state=...).start()``,
    and a ``KmsServer`` over it until its health route answers (target < 1 s);
    the file's size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Importing bench_foundation makes this process hermetic (no AWS configuration).
from bench_foundation import Measurement, fmt, gc_off, kms_client, measurement_table, write_results

from kms_mock import FrozenClock, mock_kms
from kms_mock.server import KmsServer

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

RESULTS = Path(__file__).resolve().parent / "results" / "state.json"
START = "2025-01-01T00:00:00Z"
CALLS = 300  # per repeat
LARGE = 10_000
MS = 1e-3


Call = Callable[["KMSClient", str, int], object]


def _update_description(client: KMSClient, key_id: str, number: int) -> object:
    return client.update_key_description(KeyId=key_id, Description=f"d{number % 2}")


def _create_key(client: KMSClient, key_id: str, number: int) -> object:
    return client.create_key()


def _encrypt(client: KMSClient, key_id: str, number: int) -> object:
    return client.encrypt(KeyId=key_id, Plaintext=b"x" * 64)


def _describe(client: KMSClient, key_id: str, number: int) -> object:
    return client.describe_key(KeyId=key_id)


def _per_call(call: Call, state: Path | None, calls: int) -> float:
    """Seconds per ``call`` in a fresh mock (with a state file at ``state``, if given)."""
    with mock_kms(clock=FrozenClock(START), seed=1, state=state):
        client = kms_client()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        call(client, key_id, 0)  # warm: the operation's model and plans
        with gc_off():
            started = time.perf_counter()
            for number in range(calls):
                call(client, key_id, number)
            return (time.perf_counter() - started) / calls


def added_cost(
    name: str, call: Call, *, repeat: int, calls: int, target: str, limit: float | None
) -> Measurement:
    """What a state file adds to ``call``: median with it minus median without it."""
    samples: dict[str, list[float]] = {"memory": [], "state file": []}
    with tempfile.TemporaryDirectory() as directory:
        for run in range(repeat):
            samples["memory"].append(_per_call(call, None, calls))
            samples["state file"].append(_per_call(call, Path(directory) / f"{run}.db", calls))
    memory, stateful = (statistics.median(values) for values in samples.values())
    added = stateful - memory
    return Measurement(
        name,
        added,
        "s",
        target,
        None if limit is None else added <= limit,
        detail=f"{fmt(memory)} in memory, {fmt(stateful)} with a state file",
        samples=samples,
    )


def _large_file(path: Path, keys: int) -> None:
    with mock_kms(clock=FrozenClock(START), seed=2) as kms:
        client = kms_client()
        for number in range(keys):
            key_id = client.create_key()["KeyMetadata"]["KeyId"]
            if number % 10 == 0:
                client.create_alias(AliasName=f"alias/k{number}", TargetKeyId=key_id)
                client.enable_key_rotation(KeyId=key_id)
        kms.save(path)


def _health(url: str) -> None:
    with urllib.request.urlopen(f"{url}/_kms_mock/health", timeout=10) as response:
        response.read()


def start_from_large_file(keys: int, repeat: int) -> list[Measurement]:
    """Start a mock, and a server, from a state file of ``keys`` keys."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "large.db"
        _large_file(path, keys)
        size = path.stat().st_size
        mock_s, server_s = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            kms = mock_kms(clock=FrozenClock(START), seed=2, state=path, state_read_only=True)
            kms.start(intercept=False)
            mock_s.append(time.perf_counter() - started)
            kms.stop()
            started = time.perf_counter()
            server = KmsServer(mock_kms(clock=FrozenClock(START), seed=2, state=path), port=0)
            with server:
                _health(server.url)
                server_s.append(time.perf_counter() - started)
    return [
        Measurement(
            f"(c) mock_kms(state=...).start(), {keys:,} keys (read-only)",
            statistics.median(mock_s),
            "s",
            "reported",
            None,
            samples={"start": mock_s},
        ),
        Measurement(
            f"(c) KmsServer over a state file of {keys:,} keys, until health answers",
            statistics.median(server_s),
            "s",
            "< 1 s",
            statistics.median(server_s) < 1,
            detail=f"file {size / 1024 / 1024:.1f} MB",
            samples={"start": server_s},
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=9, help="repeats (default 9)")
    parser.add_argument("--calls", type=int, default=CALLS, help=f"calls a repeat ({CALLS})")
    parser.add_argument("--keys", type=int, default=LARGE, help=f"keys of (c) ({LARGE:,})")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    measure: dict[str, Any] = {"repeat": args.repeat, "calls": args.calls}
    measurements = [
        added_cost(
            "(a) UpdateKeyDescription: added by the state file",
            _update_description,
            target="<= 1 ms",
            limit=MS,
            **measure,
        ),
        added_cost(
            "(a) CreateKey: added by the state file",
            _create_key,
            target="<= 1 ms",
            limit=MS,
            **measure,
        ),
        added_cost(
            "(b) Encrypt: added by the state file",
            _encrypt,
            target="nothing (noise)",
            limit=None,
            **measure,
        ),
        added_cost(
            "(b) DescribeKey: added by the state file",
            _describe,
            target="nothing (noise)",
            limit=None,
            **measure,
        ),
        *start_from_large_file(args.keys, max(3, args.repeat // 3)),
    ]
    print(measurement_table(measurements))
    write_results(args.output, "state", measurements=[asdict(m) for m in measurements])
    return 0 if all(m.met is not False for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
