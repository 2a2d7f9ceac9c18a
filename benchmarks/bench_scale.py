"""Scale benchmark: what a store of many keys costs per key, per page and in memory.

Run it from the repository root::

    python benchmarks/bench_scale.py             # table + benchmarks/results/scale.json
    python benchmarks/bench_scale.py --no-moto   # without moto's 1,000 keys (30 s)

Through a boto3 client in one mock, for N = 1,000, 10,000 and 100,000:

(a) Creating N keys, each with one alias (CreateKey + CreateAlias): the cost
    per key at 1,000, 10,000 and 100,000 flat within 1.5x (the largest of the
    three over the smallest), measured in the same run (linear, not quadratic:
    before, every CreateAlias walked all aliases).
(b) Listing them all with ListKeys Limit=10 and ListAliases Limit=10: the cost
    per page flat within 1.5x over the three counts, so listing all is linear
    (before, every ListKeys page copied and tokenized the whole store).
(c) Memory per idle key (tracemalloc), with and without its alias: what the
    store holds, and what dominates it. Also shown: everything the process
    keeps per call, the audit log's record of it included. No target.
(d) 5,000 EnableKeyRotation / DisableKeyRotation toggles on one key: the
    events the schedule holds afterwards (target: at most one; before, 5,000
    dead events stayed until their due date).

Medians of a few repeats for 1,000 and 10,000 (one run for 100,000, which
takes half a minute), garbage collection off while timing as ``timeit`` does.
For perspective, moto's ``mock_aws`` creating and listing 1,000 keys with
aliases. The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import linecache
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The foundation benchmark's hermetic set-up (AWS_* removed, config files
# pointing nowhere) runs on import; its helpers keep the methods identical.
from bench_foundation import (
    Measurement,
    fmt,
    gc_off,
    kms_client,
    measurement_table,
    versions,
    write_results,
)
from moto import mock_aws

from kms_mock import FrozenClock, MockKMS, mock_kms

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = "2025-01-01T00:00:00Z"
RESULTS = Path(__file__).resolve().parent / "results" / "scale.json"
COUNTS = (1_000, 10_000, 100_000)
MEMORY_KEYS = 2_000
# Frames kept per allocation: enough to reach the store's files from where bytes are made.
FRAMES = 10
TOGGLES = 5_000
# The files whose allocations make up the store (keys, materials, aliases, indexes).
STORE_FILES = (
    "*/kms_mock/_keyfactory.py",
    "*/kms_mock/_store.py",
    "*/kms_mock/_operations/aliases.py",
)


@contextmanager
def kms_mock_active() -> Iterator[MockKMS]:
    """A fresh kms_mock on a frozen clock."""
    with mock_kms(clock=FrozenClock(START), seed=7) as kms:
        yield kms


def create_keys_with_aliases(client: KMSClient, count: int) -> float:
    """Seconds to create ``count`` keys, each with alias ``alias/key-<n>``."""
    gc.collect()
    with gc_off():
        started = time.perf_counter()
        for index in range(count):
            key_id = client.create_key()["KeyMetadata"]["KeyId"]
            client.create_alias(AliasName=f"alias/key-{index:06d}", TargetKeyId=key_id)
        return time.perf_counter() - started


def _ours(entry: Any) -> bool:
    # moto also lists the predefined alias/aws/... aliases: only ours are counted.
    return bool(entry.get("AliasName", "alias/key-").startswith("alias/key-"))


def list_all(client: KMSClient, operation: str, count: int) -> float:
    """Seconds per page to list every key (or alias) with Limit=10; checks the count."""
    member = {"list_keys": "Keys", "list_aliases": "Aliases"}[operation]
    call = getattr(client, operation)
    listed = pages = 0
    arguments: dict[str, Any] = {"Limit": 10}
    gc.collect()
    with gc_off():
        started = time.perf_counter()
        while True:
            page = call(**arguments)
            pages += 1
            listed += sum(1 for entry in page[member] if _ours(entry))
            if not page["Truncated"]:
                break
            arguments["Marker"] = page["NextMarker"]
        elapsed = time.perf_counter() - started
    assert listed == count, (operation, listed, count)
    return elapsed / pages


@dataclass
class Run:
    """What one store of ``count`` keys with aliases cost: per key, per page."""

    count: int
    per_key_s: float
    list_keys_page_s: float
    list_aliases_page_s: float


def measure_store(client: KMSClient, count: int) -> Run:
    """Create ``count`` keys with aliases (in the active mock), then list them all."""
    elapsed = create_keys_with_aliases(client, count)
    return Run(
        count,
        elapsed / count,
        list_all(client, "list_keys", count),
        list_all(client, "list_aliases", count),
    )


def bench_counts(client: KMSClient, repeat: int) -> dict[int, list[Run]]:
    """Every count's runs: ``repeat`` of them, one for 100,000."""
    runs: dict[int, list[Run]] = {}
    for count in COUNTS:
        runs[count] = []
        for _ in range(repeat if count < 100_000 else 1):
            with kms_mock_active():
                runs[count].append(measure_store(client, count))
    return runs


def _median(runs: list[Run], attribute: str) -> float:
    return statistics.median(float(getattr(run, attribute)) for run in runs)


def flat(runs: dict[int, list[Run]], attribute: str, name: str, unit: str) -> Measurement:
    """The largest of the figures at every count over the smallest: 1.0 when flat.

    Every count, not only the end points: a bump at 10,000 is not flat either.
    """
    at = {count: _median(runs[count], attribute) for count in COUNTS}
    ratio = max(at.values()) / min(at.values())
    return Measurement(
        name,
        ratio,
        "ratio",
        "<= 1.5 (largest / smallest)",
        ratio <= 1.5,
        " / ".join(f"{count:,}: {fmt(at[count])}" for count in COUNTS) + f" per {unit}",
        {str(count): [getattr(run, attribute) for run in runs[count]] for count in COUNTS},
    )


# -- (c) memory ------------------------------------------------------------------


def _traced(snapshot: tracemalloc.Snapshot, store_only: bool) -> int:
    if store_only:
        filters = [tracemalloc.Filter(True, pattern, all_frames=True) for pattern in STORE_FILES]
        snapshot = snapshot.filter_traces(filters)
    return sum(stat.size for stat in snapshot.statistics("filename"))


def _where(frame: tracemalloc.Frame) -> str:
    code = linecache.getline(frame.filename, frame.lineno).strip()
    return f"{Path(frame.filename).name}:{frame.lineno}  {code}"


def memory_per_key(client: KMSClient, *, aliases: bool) -> tuple[float, float, list[str]]:
    """(store bytes per key, process bytes per key, what dominates the store's share)."""
    with kms_mock_active():
        client.list_keys()  # the request path warm before tracing
        gc.collect()
        tracemalloc.start(FRAMES)
        before = tracemalloc.take_snapshot()
        for index in range(MEMORY_KEYS):
            key_id = client.create_key()["KeyMetadata"]["KeyId"]
            if aliases:
                client.create_alias(AliasName=f"alias/key-{index:06d}", TargetKeyId=key_id)
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
    store = (_traced(after, True) - _traced(before, True)) / MEMORY_KEYS
    process = (_traced(after, False) - _traced(before, False)) / MEMORY_KEYS
    filters = [tracemalloc.Filter(True, pattern, all_frames=True) for pattern in STORE_FILES]
    top = after.filter_traces(filters).compare_to(before.filter_traces(filters), "lineno")[:8]
    dominant = [
        f"{stat.size_diff / MEMORY_KEYS:>5,.0f} B/key  {_where(stat.traceback[0])}" for stat in top
    ]
    return store, process, dominant


def bench_memory(client: KMSClient) -> tuple[list[Measurement], dict[str, list[str]]]:
    """(c) bytes per idle key, without and with its alias."""
    measurements, dominant = [], {}
    for aliases in (False, True):
        store, process, top = memory_per_key(client, aliases=aliases)
        name = f"(c) memory per idle key{' with its alias' if aliases else ''}"
        dominant[name] = top
        measurements.append(
            Measurement(
                name,
                store,
                "bytes",
                "reported",
                None,
                f"the process keeps {process:,.0f} bytes per key, audit records included",
            )
        )
    return measurements, dominant


# -- (d) rotation toggles ----------------------------------------------------------


def bench_toggles(client: KMSClient) -> Measurement:
    """(d) events held by the schedule after 5,000 rotation toggles on one key."""
    with kms_mock_active() as kms:
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        for _ in range(TOGGLES):
            client.enable_key_rotation(KeyId=key_id)
            client.disable_key_rotation(KeyId=key_id)
        schedule = kms._backend.schedule
        held, live = schedule.stored, len(schedule)
    return Measurement(
        f"(d) schedule after {TOGGLES:,} rotation toggles",
        held,
        "events",
        "<= 1",
        held <= 1,
        f"{live} live",
    )


# -- moto, for perspective -----------------------------------------------------------


def bench_moto(count: int) -> Run:
    """moto's mock_aws with ``count`` keys and aliases, one run."""
    with mock_aws():
        return measure_store(kms_client(), count)


# -- report ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="repeats below 100,000 (default 3)")
    parser.add_argument("--no-moto", action="store_true", help="skip moto's 1,000 keys")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)

    with mock_kms():
        client = kms_client()
        client.create_key()  # loads botocore's model and kms_mock's caches
    runs = bench_counts(client, args.repeat)
    measurements = [
        flat(runs, "per_key_s", "(a) CreateKey + CreateAlias per key, 1,000 to 100,000", "key"),
        flat(runs, "list_keys_page_s", "(b) ListKeys Limit=10 per page, 1,000 to 100,000", "page"),
        flat(
            runs,
            "list_aliases_page_s",
            "(b) ListAliases Limit=10 per page, 1,000 to 100,000",
            "page",
        ),
    ]
    memory, dominant = bench_memory(client)
    measurements.extend(memory)
    measurements.append(bench_toggles(client))
    moto = None if args.no_moto else bench_moto(COUNTS[0])

    print(f"kms_mock scale benchmark ({', '.join(f'{k} {v}' for k, v in versions().items())})")
    print(
        f"medians of {args.repeat} runs (100,000 keys: one run), gc off while timing; "
        f"memory over {MEMORY_KEYS:,} keys\n"
    )
    print(measurement_table(measurements))
    for name, lines in dominant.items():
        print(f"\n{name}, the largest shares:\n  " + "\n  ".join(lines))
    if moto is not None:
        kms_1k = runs[COUNTS[0]]
        print(
            f"\nmoto's mock_aws, {moto.count:,} keys with aliases: {fmt(moto.per_key_s)} per key "
            f"({moto.per_key_s / _median(kms_1k, 'per_key_s'):.0f}x kms_mock), ListKeys page "
            f"{fmt(moto.list_keys_page_s)}, ListAliases page {fmt(moto.list_aliases_page_s)}"
        )

    write_results(
        args.output,
        "scale",
        repeat=args.repeat,
        measurements=[asdict(m) for m in measurements],
        runs={str(count): [asdict(run) for run in runs[count]] for count in COUNTS},
        store_memory_dominated_by=dominant,
        moto=None if moto is None else asdict(moto),
    )
    return 0 if all(m.met is not False for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
