"""Foundation benchmark: kms_mock against botocore's Stubber and moto, in one run.

Run it from the repository root::

    python benchmarks/bench_foundation.py            # table + benchmarks/results/foundation.json
    python benchmarks/bench_foundation.py --profile  # also profile kms_mock's DescribeKey path

Every figure is the median of several ``timeit`` repeats (garbage collection
off while timing, as ``timeit`` does). What is compared, and the targets of the
foundation issue:

(a) DescribeKey through a boto3 client: kms_mock vs botocore's ``Stubber`` with
    a queued response per call (kms_mock / Stubber <= 1.5).
(b) ``with mock_kms(): pass`` vs ``with moto.mock_aws(): pass`` (>= 100x cheaper).
(c) CreateKey (symmetric): kms_mock vs moto's ``mock_aws`` (>= 100x faster).

What importing kms_mock costs is ``bench_import.py``'s measurement.

The process runs with no AWS configuration (AWS_* variables removed, config
files pointing nowhere), so nothing can reach AWS. kms_mock needs no
credentials; moto's ``mock_aws`` sets fake ones itself while it is active; the
Stubber's client gets explicit placeholder credentials.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as _dt
import gc
import io
import json
import os
import platform
import pstats
import statistics
import sys
import timeit
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Hermetic before boto3 reads anything: only this process is affected.
for _name in [name for name in os.environ if name.startswith("AWS_") and name != "AWS_CA_BUNDLE"]:
    del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.devnull + "/no-config"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull + "/no-credentials"

import boto3  # noqa: E402
from botocore.stub import Stubber  # noqa: E402
from moto import mock_aws  # noqa: E402

from kms_mock import FrozenClock, mock_kms  # noqa: E402

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

REGION = "us-east-1"
RESULTS = Path(__file__).resolve().parent / "results" / "foundation.json"


@dataclass
class Comparison:
    """One measurement: kms_mock against a baseline, per operation, in seconds."""

    name: str
    kms_mock_s: float
    baseline: str
    baseline_s: float
    target: str
    met: bool | None  # None: no numeric target
    samples: dict[str, list[float]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """kms_mock time / baseline time (below 1: kms_mock is faster)."""
        return self.kms_mock_s / self.baseline_s


def per_call(
    stmt: Callable[[], object],
    *,
    number: int,
    repeat: int,
    setup: Callable[[], object] | None = None,
) -> list[float]:
    """Seconds per call of ``stmt``, one figure per repeat (``setup`` runs untimed)."""
    timer = timeit.Timer(stmt, setup if setup is not None else "pass")
    return [total / number for total in timer.repeat(repeat=repeat, number=number)]


def interleaved(
    timers: dict[str, tuple[timeit.Timer, int]],
    repeat: int,
    around: Callable[[str], AbstractContextManager[object]] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call for each named ``(timer, number)``, repeats taken in turn.

    Taking one repeat of each in turn, rather than all repeats of one and then
    all of the other, lets a busy spell on the machine weigh on both sides.
    ``around(name)`` (if given) is the context each repeat of ``name`` runs in.
    """
    samples: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(repeat):
        for name, (timer, number) in timers.items():
            with around(name) if around is not None else nullcontext():
                samples[name].append(timer.timeit(number) / number)
    return samples


@contextmanager
def gc_off() -> Iterator[None]:
    """No garbage collection inside (as ``timeit`` times)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def fmt(seconds: float) -> str:
    """A duration with a sensible unit."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


MB = 1024 * 1024


@dataclass
class Measurement:
    """One figure against its target; ``value`` in ``unit`` ("s", "ratio", "B", or a count's)."""

    name: str
    value: float
    unit: str
    target: str
    met: bool | None  # None: reported, no target
    detail: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def shown(self) -> str:
        """The figure with its unit."""
        if self.unit == "s":
            return fmt(self.value)
        if self.unit == "ratio":
            return f"{self.value:.2f}x"
        if self.unit == "B":
            return f"{self.value / MB:.2f} MB" if abs(self.value) >= MB else f"{self.value:.0f} B"
        return f"{self.value:,.0f} {self.unit}"


def measurement_table(measurements: Sequence[Measurement]) -> str:
    """Measurements as a plain-text table: figure, target and whether it was met."""
    verdict = {True: "yes", False: "NO", None: "-"}
    rows = [("measurement", "median", "target", "met", "detail")]
    rows.extend((m.name, m.shown(), m.target, verdict[m.met], m.detail) for m in measurements)
    return text_table(rows)


def kms_client(*, placeholder_credentials: bool = False) -> KMSClient:
    """A KMS client in its own session (boto3's default session stays untouched).

    kms_mock needs no credentials; clients used with no mock active get
    placeholder ones so that botocore never looks for real ones.
    """
    secret = "placeholder" if placeholder_credentials else None
    session = boto3.session.Session(
        region_name=REGION, aws_access_key_id=secret, aws_secret_access_key=secret
    )
    return session.client("kms")


# -- (a) DescribeKey: kms_mock vs Stubber ------------------------------------


def bench_describe_key(number: int, repeat: int) -> tuple[Comparison, dict[str, Any]]:
    """Per-call DescribeKey under kms_mock, the same call answered by a Stubber, and the floor.

    The floor is botocore's own path with a before-call handler that hands back
    a ready answer: what any mock answering at ``before-call`` costs at least.
    All run inside one activation of kms_mock, repeats taken in turn: the
    Stubber's handler and the floor's are registered for the operation's own
    event, so botocore calls them before kms_mock's (registered for ``kms``).
    """
    answers: list[tuple[Any, dict[str, Any]]] = []

    def capture(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        answers.append((http_response, parsed))

    with mock_kms(clock=FrozenClock("2025-01-01T00:00:00Z")):
        client = kms_client()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        client.meta.events.register("after-call.kms.DescribeKey", capture)
        client.describe_key(KeyId=key_id)
        client.meta.events.unregister("after-call.kms.DescribeKey", capture)
        http_response, parsed = answers[0]

        def ready_answer(**_: Any) -> Any:
            return http_response, parsed

        floor_client = kms_client(placeholder_credentials=True)
        floor_client.meta.events.register("before-call.kms.DescribeKey", ready_answer)

        # The same KeyMetadata as kms_mock gave, queued once per call.
        response = {"KeyMetadata": parsed["KeyMetadata"]}
        stubbers: list[Stubber] = []
        stubber_timers: dict[str, timeit.Timer] = {}
        for name, expected in (("stubber", {"KeyId": key_id}), ("stubber_bare", None)):
            stubbed_client = kms_client(placeholder_credentials=True)
            stubber = Stubber(stubbed_client)
            stubber.activate()
            stubbers.append(stubber)

            def queue(stubber: Stubber = stubber, expected: Any = expected) -> None:
                for _ in range(number):
                    stubber.add_response("describe_key", response, expected)

            def call(stubbed_client: KMSClient = stubbed_client) -> object:
                return stubbed_client.describe_key(KeyId=key_id)

            queue()  # warm up
            for _ in range(number):
                call()
            stubber_timers[name] = timeit.Timer(call, queue)

        for _ in range(number):  # warm up: botocore's caches, kms_mock's model
            client.describe_key(KeyId=key_id)
            floor_client.describe_key(KeyId=key_id)
        samples = interleaved(
            {
                "kms_mock": (timeit.Timer(lambda: client.describe_key(KeyId=key_id)), number),
                "stubber": (stubber_timers["stubber"], number),
                "stubber_bare": (stubber_timers["stubber_bare"], number),
                "floor": (timeit.Timer(lambda: floor_client.describe_key(KeyId=key_id)), number),
            },
            repeat,
        )
        for stubber in stubbers:
            stubber.assert_no_pending_responses()
            stubber.deactivate()

    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratios = [m / s for m, s in zip(samples["kms_mock"], samples["stubber"], strict=True)]
    comparison = Comparison(
        name="DescribeKey per call",
        kms_mock_s=medians["kms_mock"],
        baseline="botocore Stubber",
        baseline_s=medians["stubber"],
        target="<= 1.5x Stubber",
        met=medians["kms_mock"] / medians["stubber"] <= 1.5,
        samples={"kms_mock": samples["kms_mock"], "stubber": samples["stubber"]},
    )
    extra = {
        "stubber_note": "add_response(..., expected_params={'KeyId': key_id}) queued per call",
        "median_of_ratios_per_repeat": statistics.median(ratios),
        "best_ratio": min(samples["kms_mock"]) / min(samples["stubber"]),
        "stubber_without_expected_params_s": medians["stubber_bare"],
        "ratio_vs_stubber_without_expected_params": medians["kms_mock"] / medians["stubber_bare"],
        "botocore_floor_s": medians["floor"],
        "botocore_floor_note": "a before-call handler returning a ready (http, parsed) answer",
        "kms_mock_own_share_s": medians["kms_mock"] - medians["floor"],
        "stubber_own_share_s": medians["stubber"] - medians["floor"],
        "samples_stubber_without_expected_params": samples["stubber_bare"],
        "samples_botocore_floor": samples["floor"],
    }
    return comparison, extra


# -- (b) activation: with mock_kms(): pass vs with mock_aws(): pass -----------


def _enter_mock_kms() -> None:
    with mock_kms():
        pass


def _enter_mock_aws() -> None:
    with mock_aws():
        pass


def bench_activation(repeat: int) -> Comparison:
    """The cost of starting and stopping each mock, empty."""
    for _ in range(3):
        _enter_mock_aws()
        _enter_mock_kms()
    samples = interleaved(
        {
            "kms_mock": (timeit.Timer(_enter_mock_kms), 5000),
            "moto": (timeit.Timer(_enter_mock_aws), 50),
        },
        repeat,
    )
    mocked_s, moto_s = statistics.median(samples["kms_mock"]), statistics.median(samples["moto"])
    return Comparison(
        name="with mock(): pass",
        kms_mock_s=mocked_s,
        baseline="moto.mock_aws()",
        baseline_s=moto_s,
        target="moto / kms_mock >= 100",
        met=moto_s / mocked_s >= 100,
        samples=samples,
    )


# -- (c) CreateKey (symmetric): kms_mock vs moto ------------------------------


def bench_create_key(repeat: int) -> Comparison:
    """Per-call CreateKey with default arguments (a symmetric encryption key).

    Each repeat runs in a fresh activation of its own mock (outside the timing).
    """
    mocked_client = kms_client(placeholder_credentials=True)
    moto_client = kms_client(placeholder_credentials=True)
    mocks: dict[str, Callable[[], AbstractContextManager[object]]] = {
        "kms_mock": mock_kms,
        "moto": mock_aws,
    }
    for name, client in (("kms_mock", mocked_client), ("moto", moto_client)):
        with mocks[name]():
            for _ in range(3 if name == "moto" else 50):
                client.create_key()
    samples = interleaved(
        {
            "kms_mock": (timeit.Timer(mocked_client.create_key), 500),
            "moto": (timeit.Timer(moto_client.create_key), 10),
        },
        repeat,
        around=lambda name: mocks[name](),
    )
    mocked_s, moto_s = statistics.median(samples["kms_mock"]), statistics.median(samples["moto"])
    return Comparison(
        name="CreateKey (symmetric)",
        kms_mock_s=mocked_s,
        baseline="moto.mock_aws()",
        baseline_s=moto_s,
        target="moto / kms_mock >= 100",
        met=moto_s / mocked_s >= 100,
        samples=samples,
    )


# -- profile --------------------------------------------------------------------


def profile_describe_key(calls: int = 5000, top: int = 25) -> str:
    """cProfile of ``calls`` DescribeKey calls under kms_mock: where the time goes."""
    with mock_kms(clock=FrozenClock("2025-01-01T00:00:00Z")):
        client = kms_client()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        client.describe_key(KeyId=key_id)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            client.describe_key(KeyId=key_id)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    # kms_mock's own functions and botocore's response parser, which it runs.
    stats.sort_stats("cumulative").print_stats(r"kms_mock|botocore/parsers", top)
    return out.getvalue()


# -- report -------------------------------------------------------------------


def _verdict(met: bool | None) -> str:
    return "-" if met is None else ("yes" if met else "NO")


def _ratio(c: Comparison) -> str:
    if c.ratio > 1:
        return f"{c.ratio:.2f}x slower"
    return f"{1 / c.ratio:,.0f}x faster"


def table(comparisons: list[Comparison]) -> str:
    """The results as a plain-text table."""
    header = ("measurement", "kms_mock", "baseline", "its time", "kms_mock is", "target", "met")
    rows = [header]
    rows.extend(
        (
            c.name,
            fmt(c.kms_mock_s),
            c.baseline,
            fmt(c.baseline_s),
            _ratio(c),
            c.target,
            _verdict(c.met),
        )
        for c in comparisons
    )
    return text_table(rows)


def text_table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns, a rule under the first (header) row."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def write_results(path: Path, benchmark: str, **fields: Any) -> None:
    """Write a run's results as JSON: which benchmark, when, where, what versions, ``fields``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": benchmark,
        "when": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "versions": versions(),
        **fields,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nResults written to {path}")


def versions() -> dict[str, str]:
    """Versions of everything measured."""
    found = {"python": platform.python_version()}
    for dist in ("kms-mock", "boto3", "botocore", "moto"):
        found[dist] = metadata.version(dist)
    return found


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=9, help="timeit repeats (default 9)")
    parser.add_argument("--profile", action="store_true", help="profile DescribeKey too")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)

    describe, describe_extra = bench_describe_key(number=2000, repeat=args.repeat)
    activation = bench_activation(repeat=args.repeat)
    create = bench_create_key(repeat=args.repeat)
    comparisons = [describe, activation, create]

    print(f"kms_mock foundation benchmark ({', '.join(f'{k} {v}' for k, v in versions().items())})")
    print(f"medians of {args.repeat} timeit repeats, per operation\n")
    print(table(comparisons))
    floor_s = describe_extra["botocore_floor_s"]
    print(
        f"\nDescribeKey: median of the per-repeat ratios "
        f"{describe_extra['median_of_ratios_per_repeat']:.2f}x, best against best "
        f"{describe_extra['best_ratio']:.2f}x; Stubber without expected_params "
        f"{fmt(describe_extra['stubber_without_expected_params_s'])} "
        f"(kms_mock {describe_extra['ratio_vs_stubber_without_expected_params']:.2f}x); "
        f"botocore's own path with a ready before-call answer {fmt(floor_s)}, so kms_mock "
        f"adds {fmt(describe_extra['kms_mock_own_share_s'])} and the Stubber "
        f"{fmt(describe_extra['stubber_own_share_s'])} per call."
    )

    profile = None
    if args.profile or describe.met is False:
        profile = profile_describe_key()
        print("\ncProfile of kms_mock's DescribeKey path:\n" + profile)

    write_results(
        args.output,
        "foundation",
        repeat=args.repeat,
        comparisons=[
            {**asdict(c), "ratio": c.ratio, "baseline_over_kms_mock": 1 / c.ratio}
            for c in comparisons
        ],
        describe_key_extra=describe_extra,
        describe_key_profile=profile,
    )
    return 0 if all(c.met is not False for c in comparisons) else 1


if __name__ == "__main__":
    sys.exit(main())
