"""Fault-rule benchmark: what fault rules cost calls they do not fail.

Run it from the repository root::

    python benchmarks/bench_faults.py                          # table + results/faults.json
    python benchmarks/bench_faults.py --baseline main.json     # (a) against another tree

Every figure is the median of several interleaved ``timeit`` repeats of an
Encrypt through a boto3 client, in one activation (gc off while timing). The
targets of the fault-injection issue:

(a) No rules: the per-call cost is unchanged, within 2%. The fast path pays one
    ``is None`` branch for fault rules. kms_mock is timed against botocore's
    ``Stubber`` in the same run (as ``bench_rotation.py`` (e) does); with
    ``--baseline`` (the JSON that ``bench_rotation.py`` wrote on the tree to
    compare with, such as main) the target is this run's kms_mock/Stubber ratio
    over the baseline's: <= 1.02. Ratios, not absolute times, cancel machine load.
(b) 100 rules that do not match (on other operations): per call / no rules <= 1.10.
    A call that no rule names stays on the fast path.
(c) For information: 100 rules on Encrypt for other keys. Encrypt may now be
    failed, so it is answered at ``before-send`` (botocore's retry path) and
    every rule resolves its key: no target, reported per call / no rules.

The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

# bench_rotation imports bench_foundation, whose hermetic set-up (AWS_* removed,
# config files pointing nowhere) runs on import.
from bench_foundation import (
    Measurement,
    fmt,
    gc_off,
    interleaved,
    kms_client,
    measurement_table,
    versions,
    write_results,
)
from bench_rotation import PLAINTEXT, Rig
from botocore.stub import Stubber

if TYPE_CHECKING:
    from kms_mock import MockKMS

RESULTS = Path(__file__).resolve().parent / "results" / "faults.json"
RULES = 100
# Operations the 100 rules of (b) name, none of them Encrypt.
OTHER_OPERATIONS = ("ListAliases", "DescribeKey", "Decrypt", "CreateKey", "TagResource")


def _other_operations(kms: MockKMS) -> None:
    for number in range(RULES):
        operation = OTHER_OPERATIONS[number % len(OTHER_OPERATIONS)]
        kms.faults.error("KMSInternalException", operation=operation)


def _other_keys(kms: MockKMS) -> None:
    for number in range(RULES):
        kms.faults.error("KMSInternalException", operation="Encrypt", key=f"alias/other-{number}")


def bench(rig: Rig, number: int, repeat: int) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Per-call Encrypt: no rules, (b)'s rules, (c)'s rules, and the Stubber, interleaved."""
    client = rig.client
    with ExitStack() as stack:
        kms, _ = rig.mock(stack)
        [key_id] = rig.keys(1, period=None)
        response = client.encrypt(KeyId=key_id, Plaintext=PLAINTEXT)
        params = {"KeyId": key_id, "Plaintext": PLAINTEXT}

        stubbed = kms_client(placeholder_credentials=True)
        stubber = Stubber(stubbed)
        stubber.activate()
        answer = {name: value for name, value in response.items() if name != "ResponseMetadata"}

        def queue() -> None:
            for _ in range(number):
                stubber.add_response("encrypt", answer, params)

        rules: dict[str, Callable[[MockKMS], None]] = {
            "other operations": _other_operations,
            "other keys": _other_keys,
        }

        @contextmanager
        def around(name: str) -> Iterator[None]:
            with gc_off():
                add = rules.get(name)
                if add is None:
                    yield
                    return
                add(kms)
                try:
                    yield
                finally:
                    kms.faults.clear()

        def call(target: Any) -> Callable[[], object]:
            return lambda: target.encrypt(**params)

        for name in ("no rules", *rules):  # warm up every path
            with around(name):
                for _ in range(number):
                    call(client)()
        queue()
        for _ in range(number):
            call(stubbed)()
        samples = interleaved(
            {
                "no rules": (timeit.Timer(call(client)), number),
                "other operations": (timeit.Timer(call(client)), number),
                "other keys": (timeit.Timer(call(client)), number),
                "stubber": (timeit.Timer(call(stubbed), queue), number),
            },
            repeat,
            around,
        )
        stubber.deactivate()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return samples, medians


def baseline_ratio(path: Path) -> float:
    """kms_mock / Stubber for Encrypt in a results JSON that bench_rotation.py wrote."""
    document = json.loads(path.read_text())
    for measurement in document["measurements"]:
        if measurement["name"].startswith("(e) Encrypt per call"):
            medians = measurement["extra"]["medians_s"]
            return float(medians["kms_mock"] / medians["stubber"])
    raise SystemExit(f"{path} holds no '(e) Encrypt per call' measurement of bench_rotation.py")


def measurements(
    samples: dict[str, list[float]], medians: dict[str, float], baseline: float | None
) -> list[Measurement]:
    """The table's rows: (a), (b) and (c)."""
    plain = medians["no rules"]
    ratio = plain / medians["stubber"]
    if baseline is None:
        first = Measurement(
            "(a) Encrypt, no rules / botocore Stubber",
            ratio,
            "ratio",
            "(--baseline for the 2% target)",
            None,
            detail=f"{fmt(plain)} vs {fmt(medians['stubber'])}",
        )
    else:
        first = Measurement(
            "(a) Encrypt, no rules: (kms_mock/Stubber) / baseline's",
            ratio / baseline,
            "ratio",
            "<= 1.02",
            ratio / baseline <= 1.02,
            detail=f"{ratio:.3f} here vs {baseline:.3f} in the baseline",
        )
    rows = [first]
    for label, name, target in (
        ("(b) Encrypt, 100 rules on other operations / no rules", "other operations", 1.10),
        ("(c) Encrypt, 100 rules on Encrypt for other keys / no rules", "other keys", None),
    ):
        value = medians[name] / plain
        rows.append(
            Measurement(
                label,
                value,
                "ratio",
                "<= 1.10" if target else "(information)",
                None if target is None else value <= target,
                detail=f"{fmt(medians[name])} vs {fmt(plain)}",
            )
        )
    for row in rows:
        row.samples = samples
        row.extra = {"medians_s": medians}
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the measurements, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=9, help="repeats (default 9)")
    parser.add_argument("--number", type=int, default=2000, help="calls per repeat")
    parser.add_argument("--baseline", type=Path, help="bench_rotation.py results of another tree")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)

    baseline = None if args.baseline is None else baseline_ratio(args.baseline)
    rig = Rig()
    samples, medians = bench(rig, args.number, args.repeat)
    rows = measurements(samples, medians, baseline)

    print(f"kms_mock fault-rule benchmark ({', '.join(f'{k} {v}' for k, v in versions().items())})")
    print(f"medians of {args.repeat} interleaved repeats of {args.number} Encrypts, gc off\n")
    print(measurement_table(rows))
    write_results(
        args.output,
        "faults",
        repeat=args.repeat,
        number=args.number,
        measurements=[asdict(row) for row in rows],
    )
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
