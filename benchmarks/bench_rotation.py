"""Rotation benchmark: what time travel and old ciphertexts cost, in one run.

Run it from the repository root::

    python benchmarks/bench_rotation.py            # table + benchmarks/results/rotation.json
    python benchmarks/bench_rotation.py --profile  # also cProfile every measurement

The targets of the rotation issue (medians of several repeats; only the
measured step is timed, never the set-up that creates keys):

(a) One key with a 90-day period, ``clock.advance(days=36500)`` (100 years,
    405 rotations in one advance): < 20 ms.
(b) 1,000 keys rotating every 365 days, ``clock.advance(days=365)``
    (1,000 rotations): < 50 ms.
(c) 10,000 keys without rotation, ``clock.advance(days=3650)``: < 5 ms
    (idle keys cost nothing; an empty mock's advance is shown beside it).
(d) Decrypt of a ciphertext made before 1,000 automatic rotations of its key
    (90-day period) vs Decrypt with a key that never rotated, same client and
    mock, repeats taken in turn: ratio <= 1.1.
(e) Encrypt and Decrypt per call through a boto3 client: vs the same call
    answered by botocore's ``Stubber`` (as ``bench_foundation.py`` measures
    DescribeKey: one ``add_response(..., expected_params=...)`` queued per
    call; ratio <= 1.5), and vs moto's ``mock_aws`` (at least 3x faster).
(f) A multi-Region key with 10 replicas, 90-day period, 100 years in one
    advance, vs the single-Region key of (a): ratio <= 1.5 (replicas share
    the material set, so a rotation costs the same however many there are).

Every scenario checks its outcome after timing (the rotations really
happened, the plaintext came back), so that a fast figure cannot come from
work not done. Garbage collection is off while timing, as ``timeit`` does.
The exit status is 1 when a target is missed; the profile of each missed
measurement is printed then.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as _dt
import gc
import io
import pstats
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The foundation benchmark's hermetic set-up (AWS_* removed, config files
# pointing nowhere) runs on import; its helpers keep the methods identical.
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
from botocore.stub import Stubber
from moto import mock_aws

from kms_mock import FrozenClock, MockKMS, mock_kms

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = "2025-01-01T00:00:00Z"
RESULTS = Path(__file__).resolve().parent / "results" / "rotation.json"
PLAINTEXT = b"a 32-byte secret for the benchmk"


# -- (a) to (c): one clock.advance, after an untimed set-up ----------------------

Step = Callable[[], object]
Check = Callable[[], None]
# A scenario enters its mock into the ExitStack, builds the state, and returns
# the step to time and a check of the outcome (run after the timing).
Scenario = Callable[[ExitStack], tuple[Step, Check]]


def time_step(scenario: Scenario, repeat: int) -> list[float]:
    """Seconds of the scenario's step, once per repeat, each on a fresh set-up."""
    samples: list[float] = []
    for _ in range(repeat):
        # Collect before the set-up, not just before the step: a collection
        # walks the whole heap and leaves the CPU caches cold, which would make
        # a microseconds-long step look ten times slower than it is in a test.
        gc.collect()
        with ExitStack() as stack:
            step, check = scenario(stack)
            with gc_off():
                started = time.perf_counter()
                step()
                samples.append(time.perf_counter() - started)
            check()
    return samples


class Rig:
    """One boto3 client for every scenario (made inside a mock: no credentials needed)."""

    def __init__(self) -> None:
        with mock_kms():
            self.client: KMSClient = kms_client()
            self.client.create_key()  # loads botocore's model and kms_mock's caches

    def mock(self, stack: ExitStack) -> tuple[MockKMS, FrozenClock]:
        """A fresh mock on a fresh FrozenClock at START, active until the stack closes."""
        clock = FrozenClock(START)
        kms = stack.enter_context(mock_kms(clock=clock, seed=7))
        return kms, clock

    def keys(self, count: int, period: int | None) -> list[str]:
        """``count`` new symmetric keys, rotating every ``period`` days (None: not rotating)."""
        ids = []
        for _ in range(count):
            key_id = self.client.create_key()["KeyMetadata"]["KeyId"]
            if period is not None:
                self.client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=period)
            ids.append(key_id)
        return ids


def century_at_90_days(rig: Rig) -> Scenario:
    """(a) One key, 90-day period, 100 years in one advance: 405 rotations."""

    def scenario(stack: ExitStack) -> tuple[Step, Check]:
        kms, clock = rig.mock(stack)
        [key_id] = rig.keys(1, period=90)

        def check() -> None:
            materials = kms.key_materials(key_id)
            assert len(materials) == 1 + 36500 // 90, len(materials)
            assert materials[-1].date == clock.now() - _dt.timedelta(days=36500 % 90)

        return (lambda: clock.advance(days=36500)), check

    return scenario


def thousand_keys_one_year(rig: Rig) -> Scenario:
    """(b) 1,000 keys rotating every 365 days, one year in one advance: 1,000 rotations."""

    def scenario(stack: ExitStack) -> tuple[Step, Check]:
        kms, clock = rig.mock(stack)
        ids = rig.keys(1000, period=365)

        def check() -> None:
            assert all(len(kms.key_materials(key_id)) == 2 for key_id in ids)

        return (lambda: clock.advance(days=365)), check

    return scenario


def idle_keys(rig: Rig, count: int) -> Scenario:
    """(c) ``count`` keys without rotation, ten years in one advance: nothing to do."""

    def scenario(stack: ExitStack) -> tuple[Step, Check]:
        kms, clock = rig.mock(stack)
        ids = rig.keys(count, period=None)
        # One call after the set-up, so that the empty mock's request path is as
        # warm as the one that has just created 10,000 keys.
        rig.client.list_keys(Limit=1)

        def check() -> None:
            assert all(len(kms.key_materials(key_id)) == 1 for key_id in ids[:100])
            assert len(kms._backend.schedule) == 0

        return (lambda: clock.advance(days=3650)), check

    return scenario


def bench_advance(rig: Rig, repeat: int) -> list[Measurement]:
    """(a), (b), (c)."""
    century = time_step(century_at_90_days(rig), repeat)
    thousand = time_step(thousand_keys_one_year(rig), repeat)
    # 10,000 keys take seconds to create: fewer repeats, each on a fresh set-up.
    idle_repeat = max(3, repeat // 2)
    idle = time_step(idle_keys(rig, 10_000), idle_repeat)
    empty = time_step(idle_keys(rig, 0), repeat)
    a, b, c = (statistics.median(s) for s in (century, thousand, idle))
    return [
        Measurement(
            "(a) 1 key, 90-day period, advance 100 years (405 rotations)",
            a,
            "s",
            "< 20 ms",
            a < 0.020,
            detail=f"{fmt(a / 405)} per rotation",
            samples={"kms_mock": century},
        ),
        Measurement(
            "(b) 1,000 keys rotating yearly, advance 1 year (1,000 rotations)",
            b,
            "s",
            "< 50 ms",
            b < 0.050,
            detail=f"{fmt(b / 1000)} per rotation",
            samples={"kms_mock": thousand},
        ),
        Measurement(
            "(c) 10,000 keys without rotation, advance 10 years",
            c,
            "s",
            "< 5 ms",
            c < 0.005,
            detail=f"an empty mock: {fmt(statistics.median(empty))}",
            samples={"kms_mock": idle, "empty_mock": empty},
            extra={"repeat": idle_repeat, "empty_mock_s": statistics.median(empty)},
        ),
    ]


# -- (f) a multi-Region key with 10 replicas vs a single-Region key ----------------

REPLICA_REGIONS = (
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "us-west-1",
    "us-west-2",
)


def century_with_ten_replicas(rig: Rig) -> Scenario:
    """(f) A primary with 10 replicas, 90-day period, 100 years in one advance."""

    def scenario(stack: ExitStack) -> tuple[Step, Check]:
        kms, clock = rig.mock(stack)
        key_id = rig.client.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
        rig.client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
        for region in REPLICA_REGIONS:
            rig.client.replicate_key(KeyId=key_id, ReplicaRegion=region)

        def check() -> None:
            primary = kms.key_materials(key_id)
            assert len(primary) == 1 + 36500 // 90, len(primary)
            for region in REPLICA_REGIONS:
                arn = f"arn:aws:kms:{region}:123456789012:key/{key_id}"
                assert kms.key_materials(arn) == primary

        return (lambda: clock.advance(days=36500)), check

    return scenario


def bench_replicas(rig: Rig, repeat: int) -> Measurement:
    """(f): the two scenarios' repeats taken in turn, so that machine load hits both alike."""
    single: list[float] = []
    replicated: list[float] = []
    for _ in range(repeat):
        single.extend(time_step(century_at_90_days(rig), 1))
        replicated.extend(time_step(century_with_ten_replicas(rig), 1))
    ratio = statistics.median(replicated) / statistics.median(single)
    return Measurement(
        "(f) 1 primary + 10 replicas / 1 single-Region key, advance 100 years at 90 days",
        ratio,
        "ratio",
        "<= 1.5",
        ratio <= 1.5,
        detail=f"{fmt(statistics.median(replicated))} vs {fmt(statistics.median(single))}",
        samples={"replicated": replicated, "single_region": single},
    )


# -- (d) Decrypt after 1,000 rotations vs after none -----------------------------


def bench_decrypt_after_rotations(rig: Rig, number: int, repeat: int) -> Measurement:
    """Decrypt the oldest ciphertext of a key rotated 1,000 times vs one of a fresh key."""
    client = rig.client
    with ExitStack() as stack:
        kms, clock = rig.mock(stack)
        [rotated] = rig.keys(1, period=90)
        original = client.describe_key(KeyId=rotated)["KeyMetadata"]["CurrentKeyMaterialId"]
        old_blob = client.encrypt(KeyId=rotated, Plaintext=PLAINTEXT)["CiphertextBlob"]
        clock.advance(days=90 * 1000)
        assert len(kms.key_materials(rotated)) == 1001
        new_blob = client.encrypt(KeyId=rotated, Plaintext=PLAINTEXT)["CiphertextBlob"]
        [fresh] = rig.keys(1, period=None)
        fresh_blob = client.encrypt(KeyId=fresh, Plaintext=PLAINTEXT)["CiphertextBlob"]
        decrypted = client.decrypt(CiphertextBlob=old_blob)
        assert (decrypted["Plaintext"], decrypted["KeyMaterialId"]) == (PLAINTEXT, original)

        def decrypt(blob: bytes) -> Step:
            return lambda: client.decrypt(CiphertextBlob=blob)

        for _ in range(number):  # warm up
            for blob in (fresh_blob, old_blob, new_blob):
                client.decrypt(CiphertextBlob=blob)
        samples = interleaved(
            {
                "after_none": (timeit.Timer(decrypt(fresh_blob)), number),
                "after_1000_oldest": (timeit.Timer(decrypt(old_blob)), number),
                "after_1000_newest": (timeit.Timer(decrypt(new_blob)), number),
            },
            repeat,
        )
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["after_1000_oldest"] / medians["after_none"]
    per_repeat = [
        old / none
        for old, none in zip(samples["after_1000_oldest"], samples["after_none"], strict=True)
    ]
    return Measurement(
        "(d) Decrypt after 1,000 rotations / after none",
        ratio,
        "ratio",
        "<= 1.1",
        ratio <= 1.1,
        detail=(
            f"{fmt(medians['after_1000_oldest'])} vs {fmt(medians['after_none'])}; "
            f"newest material {fmt(medians['after_1000_newest'])}"
        ),
        samples=samples,
        extra={
            "medians_s": medians,
            "median_of_ratios_per_repeat": statistics.median(per_repeat),
        },
    )


# -- (e) Encrypt and Decrypt vs Stubber and moto --------------------------------


def _capture(client: KMSClient, operation: str, call: Step) -> tuple[Any, dict[str, Any]]:
    """kms_mock's (http_response, parsed) answer to ``call``, as botocore saw it."""
    answers: list[tuple[Any, dict[str, Any]]] = []

    def capture(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        answers.append((http_response, parsed))

    event = f"after-call.kms.{operation}"
    client.meta.events.register(event, capture)
    try:
        call()
    finally:
        client.meta.events.unregister(event, capture)
    return answers[0]


def bench_vs_stubber(
    rig: Rig, operation: str, number: int, repeat: int
) -> tuple[Measurement, dict[str, Any]]:
    """Per-call ``operation`` (Encrypt or Decrypt): kms_mock, Stubber, and botocore's floor.

    As in bench_foundation: all in one activation of kms_mock, repeats in turn;
    the Stubber's and the floor's handlers are registered for the operation's
    own event, so botocore calls them before kms_mock's.
    """
    client = rig.client
    method = "encrypt" if operation == "Encrypt" else "decrypt"
    with ExitStack() as stack:
        rig.mock(stack)
        [key_id] = rig.keys(1, period=None)
        blob = client.encrypt(KeyId=key_id, Plaintext=PLAINTEXT)["CiphertextBlob"]
        params: dict[str, Any] = (
            {"KeyId": key_id, "Plaintext": PLAINTEXT}
            if operation == "Encrypt"
            else {"CiphertextBlob": blob}
        )
        http_response, parsed = _capture(
            client, operation, lambda: getattr(client, method)(**params)
        )
        assert parsed.get("Plaintext", PLAINTEXT) == PLAINTEXT

        def ready_answer(**_: Any) -> Any:
            return http_response, parsed

        floor_client = kms_client(placeholder_credentials=True)
        floor_client.meta.events.register(f"before-call.kms.{operation}", ready_answer)

        response = {name: value for name, value in parsed.items() if name != "ResponseMetadata"}
        stubbed_client = kms_client(placeholder_credentials=True)
        stubber = Stubber(stubbed_client)
        stubber.activate()

        def queue() -> None:
            for _ in range(number):
                stubber.add_response(method, response, params)

        def call(target: KMSClient) -> Step:
            bound = getattr(target, method)
            return lambda: bound(**params)

        queue()  # warm up
        for _ in range(number):
            call(stubbed_client)()
            call(client)()
            call(floor_client)()
        samples = interleaved(
            {
                "kms_mock": (timeit.Timer(call(client)), number),
                "stubber": (timeit.Timer(call(stubbed_client), queue), number),
                "floor": (timeit.Timer(call(floor_client)), number),
            },
            repeat,
        )
        stubber.assert_no_pending_responses()
        stubber.deactivate()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["kms_mock"] / medians["stubber"]
    per_repeat = [m / s for m, s in zip(samples["kms_mock"], samples["stubber"], strict=True)]
    measurement = Measurement(
        f"(e) {operation} per call / botocore Stubber",
        ratio,
        "ratio",
        "<= 1.5",
        ratio <= 1.5,
        detail=f"{fmt(medians['kms_mock'])} vs {fmt(medians['stubber'])}",
        samples=samples,
        extra={
            "medians_s": medians,
            "median_of_ratios_per_repeat": statistics.median(per_repeat),
            "best_ratio": min(samples["kms_mock"]) / min(samples["stubber"]),
            "kms_mock_own_share_s": medians["kms_mock"] - medians["floor"],
            "stubber_own_share_s": medians["stubber"] - medians["floor"],
            "floor_note": "a before-call handler returning a ready (http, parsed) answer",
        },
    )
    return measurement, medians


def bench_vs_moto(rig: Rig, operation: str, repeat: int) -> Measurement:
    """Per-call ``operation``: kms_mock vs moto's ``mock_aws``, each repeat in a fresh mock.

    Each repeat's set-up (inside its mock, untimed) creates the key and, for
    Decrypt, the ciphertext.
    """
    mocked_client = rig.client
    moto_client = kms_client(placeholder_credentials=True)
    clients = {"kms_mock": mocked_client, "moto": moto_client}
    mocks: dict[str, Callable[[], AbstractContextManager[object]]] = {
        "kms_mock": lambda: mock_kms(clock=FrozenClock(START)),
        "moto": mock_aws,
    }
    state: dict[str, dict[str, Any]] = {"kms_mock": {}, "moto": {}}

    def setup(name: str) -> Callable[[], None]:
        def prepare() -> None:
            client = clients[name]
            key_id = client.create_key()["KeyMetadata"]["KeyId"]
            blob = client.encrypt(KeyId=key_id, Plaintext=PLAINTEXT)["CiphertextBlob"]
            state[name].update(key_id=key_id, blob=blob)

        return prepare

    def stmt(name: str) -> Step:
        client, values = clients[name], state[name]
        if operation == "Encrypt":
            return lambda: client.encrypt(KeyId=values["key_id"], Plaintext=PLAINTEXT)
        return lambda: client.decrypt(CiphertextBlob=values["blob"])

    for name in ("kms_mock", "moto"):  # warm up
        with mocks[name]():
            setup(name)()
            for _ in range(20):
                stmt(name)()
    samples = interleaved(
        {
            "kms_mock": (timeit.Timer(stmt("kms_mock"), setup("kms_mock")), 2000),
            "moto": (timeit.Timer(stmt("moto"), setup("moto")), 200),
        },
        repeat,
        around=lambda name: mocks[name](),
    )
    mocked_s, moto_s = statistics.median(samples["kms_mock"]), statistics.median(samples["moto"])
    return Measurement(
        f"(e) {operation} per call: moto / kms_mock",
        moto_s / mocked_s,
        "ratio",
        ">= 3 (kms_mock faster)",
        moto_s / mocked_s >= 3,
        detail=f"moto {fmt(moto_s)} vs kms_mock {fmt(mocked_s)}",
        samples=samples,
    )


# -- profiles -------------------------------------------------------------------


def _stats(profiler: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(r"kms_mock|botocore/parsers", top)
    return out.getvalue()


def profile_scenario(scenario: Scenario, top: int = 20) -> str:
    """cProfile of one timed step of ``scenario`` (its set-up unprofiled)."""
    profiler = cProfile.Profile()
    with ExitStack() as stack:
        step, check = scenario(stack)
        profiler.enable()
        step()
        profiler.disable()
        check()
    return _stats(profiler, top)


def profile_calls(rig: Rig, operation: str, calls: int = 5000, top: int = 20) -> str:
    """cProfile of ``calls`` Encrypt or Decrypt calls under kms_mock."""
    client = rig.client
    profiler = cProfile.Profile()
    with ExitStack() as stack:
        rig.mock(stack)
        [key_id] = rig.keys(1, period=None)
        blob = client.encrypt(KeyId=key_id, Plaintext=PLAINTEXT)["CiphertextBlob"]

        def call() -> object:
            if operation == "Encrypt":
                return client.encrypt(KeyId=key_id, Plaintext=PLAINTEXT)
            return client.decrypt(CiphertextBlob=blob)

        call()
        profiler.enable()
        for _ in range(calls):
            call()
        profiler.disable()
    return _stats(profiler, top)


# -- report ---------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=9, help="repeats (default 9)")
    parser.add_argument("--profile", action="store_true", help="profile every measurement")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)

    rig = Rig()
    measurements = bench_advance(rig, args.repeat)
    measurements.append(bench_decrypt_after_rotations(rig, number=2000, repeat=args.repeat))
    call_medians: dict[str, dict[str, float]] = {}
    for operation in ("Encrypt", "Decrypt"):
        measurement, medians = bench_vs_stubber(rig, operation, number=2000, repeat=args.repeat)
        measurements.append(measurement)
        call_medians[operation] = medians
    measurements.extend(bench_vs_moto(rig, operation, args.repeat) for operation in call_medians)
    measurements.append(bench_replicas(rig, args.repeat))

    print(f"kms_mock rotation benchmark ({', '.join(f'{k} {v}' for k, v in versions().items())})")
    print(f"medians of {args.repeat} repeats (10,000 idle keys: fewer), gc off while timing\n")
    print(measurement_table(measurements))
    for operation, medians in call_medians.items():
        print(
            f"{operation}: botocore's own path with a ready before-call answer "
            f"{fmt(medians['floor'])}, so kms_mock adds "
            f"{fmt(medians['kms_mock'] - medians['floor'])} and the Stubber "
            f"{fmt(medians['stubber'] - medians['floor'])} per call."
        )

    profiles: dict[str, str] = {}
    profilers: dict[str, Callable[[], str]] = {
        measurements[0].name: lambda: profile_scenario(century_at_90_days(rig)),
        measurements[1].name: lambda: profile_scenario(thousand_keys_one_year(rig)),
        measurements[2].name: lambda: profile_scenario(idle_keys(rig, 10_000)),
        measurements[3].name: lambda: profile_calls(rig, "Decrypt"),
        measurements[4].name: lambda: profile_calls(rig, "Encrypt"),
        measurements[5].name: lambda: profile_calls(rig, "Decrypt"),
        measurements[6].name: lambda: profile_calls(rig, "Encrypt"),
        measurements[7].name: lambda: profile_calls(rig, "Decrypt"),
        measurements[8].name: lambda: profile_scenario(century_with_ten_replicas(rig)),
    }
    for measurement in measurements:
        if args.profile or not measurement.met:
            profiles[measurement.name] = profilers[measurement.name]()
            print(f"\ncProfile for {measurement.name}:\n{profiles[measurement.name]}")

    write_results(
        args.output,
        "rotation",
        repeat=args.repeat,
        measurements=[asdict(m) for m in measurements],
        profiles=profiles,
    )
    return 0 if all(m.met for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
