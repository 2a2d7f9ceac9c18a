"""Audit-log benchmark: memory stays flat over a million calls, and a record stays small.

Run it from the repository root::

    python benchmarks/bench_audit.py               # 1,000,000 calls: table + results/audit.json
    python benchmarks/bench_audit.py --calls 100000  # a shorter run, same measurements

The targets of the audit-log issue:

(a) ``--calls`` (default 1,000,000) Encrypts of 4 KiB through a boto3 client,
    in one activation with the default ``audit_log_limit`` (10,000): memory is
    flat. tracemalloc runs throughout; every tenth of the run, after a
    collection, the traced size and the process's RSS are sampled. Target:
    from the first sample (100,000 calls; the log is full) to the last, the
    traced size grows by less than 1 MB (about a byte per call) and RSS by
    less than 16 MB (allocator noise). The log must hold exactly 10,000
    records and count every other as dropped.
(b) The bytes one record retains: 10,000 Encrypts of 4 KiB with
    ``audit_log_limit=None``, tracemalloc's traced size after them minus before,
    divided by 10,000. Target: at most 1 KiB (CloudTrail's record of a 4 KiB
    Encrypt shows a key id, not the plaintext or ciphertext).
(c) Encrypt per call through a boto3 client against botocore's ``Stubber``, as
    ``bench_rotation.py`` (e) measures it, to show that rendering records when
    the call happens costs the hot path nothing it can feel. Target: <= 1.5x.

The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

# bench_rotation imports bench_foundation, whose hermetic set-up (AWS_* removed,
# config files pointing nowhere) runs on import; their helpers keep the methods.
from bench_foundation import MB, Measurement, fmt, measurement_table, versions, write_results
from bench_rotation import Rig, bench_vs_stubber

from kms_mock import FrozenClock, MockKMS, mock_kms

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = "2025-01-01T00:00:00Z"
RESULTS = Path(__file__).resolve().parent / "results" / "audit.json"
PLAINTEXT = os.urandom(4096)
DEFAULT_LIMIT = 10_000
MEASURED_RECORDS = 10_000
SAMPLES = 10


def rss_bytes() -> int | None:
    """The process's resident set size now (Linux), or None where /proc is missing."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


def _encrypts(client: KMSClient, key_id: str, calls: int) -> None:
    for _ in range(calls):
        client.encrypt(KeyId=key_id, Plaintext=PLAINTEXT)


def _new_key(client: KMSClient) -> str:
    return client.create_key()["KeyMetadata"]["KeyId"]


def _traced_now() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def bench_flat_memory(client: KMSClient, calls: int) -> list[Measurement]:
    """(a) ``calls`` Encrypts under the default limit, sampling memory every tenth."""
    step = max(calls // SAMPLES, 1)
    samples: list[dict[str, Any]] = []
    with mock_kms(clock=FrozenClock(START)) as kms:
        key_id = _new_key(client)
        tracemalloc.start()
        started = time.perf_counter()
        done = 0
        while done < calls:
            batch = min(step, calls - done)
            _encrypts(client, key_id, batch)
            done += batch
            samples.append(
                {
                    "calls": done,
                    "traced_bytes": _traced_now(),
                    "rss_bytes": rss_bytes(),
                    "seconds": time.perf_counter() - started,
                }
            )
            print(
                f"  {done:>9,} calls: {samples[-1]['traced_bytes'] / MB:8.2f} MB traced", flush=True
            )
        tracemalloc.stop()
        _check_the_cap(kms, calls)
    first, last = samples[0], samples[-1]
    traced_growth = last["traced_bytes"] - first["traced_bytes"]
    span = f"{first['calls']:,} -> {last['calls']:,} calls"
    measurements: list[Measurement] = [
        Measurement(
            "(a) traced memory growth, default limit",
            traced_growth,
            "B",
            "< 1 MB",
            traced_growth < MB,
            detail=f"{span}; {traced_growth / max(last['calls'] - first['calls'], 1):.3f} B/call",
            extra={"samples": samples},
        )
    ]
    if first["rss_bytes"] is not None and last["rss_bytes"] is not None:
        rss_growth = last["rss_bytes"] - first["rss_bytes"]
        measurements.append(
            Measurement(
                "(a) RSS growth, default limit",
                rss_growth,
                "B",
                "< 16 MB",
                rss_growth < 16 * MB,
                detail=f"{span}; RSS {last['rss_bytes'] / MB:.0f} MB at the end",
            )
        )
    return measurements


def _check_the_cap(kms: MockKMS, calls: int) -> None:
    records = calls + 1  # and the CreateKey
    kept = min(records, DEFAULT_LIMIT)
    log = kms.audit_log
    assert len(log) == kept, (len(log), kept)
    assert kms.audit_log_dropped == records - kept, (kms.audit_log_dropped, records - kept)
    assert log[-1]["eventName"] == "Encrypt"


def bench_record_size(client: KMSClient) -> Measurement:
    """(b) What one record of a 4 KiB Encrypt retains, with no limit."""
    with mock_kms(clock=FrozenClock(START), audit_log_limit=None) as kms:
        key_id = _new_key(client)
        _encrypts(client, key_id, 100)  # caches, plans and shared strings in place
        tracemalloc.start()
        before = _traced_now()
        _encrypts(client, key_id, MEASURED_RECORDS)
        retained = _traced_now() - before
        tracemalloc.stop()
        assert len(kms.audit_log) == MEASURED_RECORDS + 101
    per_record = retained / MEASURED_RECORDS
    return Measurement(
        "(b) bytes retained per record (4 KiB Encrypt)",
        per_record,
        "B",
        "<= 1024 B",
        per_record <= 1024,
        detail=f"{retained / MB:.2f} MB for {MEASURED_RECORDS:,} records, no limit",
    )


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls of (a)")
    parser.add_argument("--repeat", type=int, default=9, help="repeats of (c) (default 9)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    if args.calls < SAMPLES * DEFAULT_LIMIT:
        # The first sample must find the log full: until then it is meant to grow.
        parser.error(f"--calls must be at least {SAMPLES * DEFAULT_LIMIT:,}")

    rig = Rig()  # one client for every measurement, made inside a mock
    print(f"(a) {args.calls:,} Encrypts of 4 KiB, default audit_log_limit:")
    started = time.perf_counter()
    measurements = bench_flat_memory(rig.client, args.calls)
    flat_seconds = time.perf_counter() - started
    measurements.append(bench_record_size(rig.client))
    stubber, medians = bench_vs_stubber(rig, "Encrypt", number=2000, repeat=args.repeat)
    stubber.name = "(c) Encrypt per call / botocore Stubber"
    measurements.append(stubber)

    print(f"\nkms_mock audit benchmark ({', '.join(f'{k} {v}' for k, v in versions().items())})")
    print(f"(a) took {fmt(flat_seconds)} with tracemalloc on; (c) medians of {args.repeat}\n")
    print(measurement_table(measurements))
    print(
        f"Encrypt: botocore's own path with a ready before-call answer "
        f"{fmt(medians['floor'])}, so kms_mock adds "
        f"{fmt(medians['kms_mock'] - medians['floor'])} per call."
    )

    write_results(
        args.output,
        "audit",
        calls=args.calls,
        repeat=args.repeat,
        measurements=[asdict(m) for m in measurements],
    )
    return 0 if all(m.met for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
