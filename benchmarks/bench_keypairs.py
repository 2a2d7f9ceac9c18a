"""Key pair benchmark: what asymmetric keys cost at CreateKey and on first use.

Run it from the repository root::

    python benchmarks/bench_keypairs.py            # table + benchmarks/results/keypairs.json
    python benchmarks/bench_keypairs.py --no-moto  # without moto's figure (saves ~5 s)

The targets of the key pair issue (medians; only the measured calls are timed,
never the set-up of mock and client):

(a) 100 CreateKey calls for RSA_4096 keys that are never used, against 100
    CreateKey calls for symmetric keys, in a fresh mock each repeat, repeats
    taken in turn: ratio <= 2. (Key pairs are made on first use, so an unused
    RSA_4096 key costs a 32-byte seed.) moto's CreateKey of an RSA_4096 key is
    shown for comparison.
(b) Sign with a new RSA_2048 key: the first call pays the key generation
    once, later calls do not. Per repeat, a fresh key: the first Sign, then
    50 more, each timed alone; the key's generation is timed where it
    happens (inside the first Sign). Targets: each key's pair is derived
    exactly once, and the first Sign costs its generation plus little more
    (under five later Signs: the public key's encoding, OpenSSL's first use
    of a new key, one more pass of the checks); the later Signs, and the very
    next one alone, cost under a tenth of the generation.

Also reported: the first Sign on an RSA_2048 key in a seeded mock, whose
primes are searched for in Python so that ``seed=`` reproduces them.
Garbage collection is off while timing. The exit status is 1 when a target
is missed.
"""

from __future__ import annotations

import argparse
import functools
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
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
    write_results,
)

from kms_mock import FrozenClock, _keypairs, mock_kms

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = "2025-01-01T00:00:00Z"
RESULTS = Path(__file__).resolve().parent / "results" / "keypairs.json"
KEYS = 100
LATER_SIGNS = 50


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` takes, garbage collection off."""
    with gc_off():
        started = time.perf_counter()
        action()
        return time.perf_counter() - started


# -- (a) CreateKey: RSA_4096 never used vs symmetric -------------------------------


def _create_keys(client: KMSClient, **kwargs: Any) -> Callable[[], None]:
    def create() -> None:
        for _ in range(KEYS):
            client.create_key(**kwargs)

    return create


def bench_create_key(repeat: int) -> Measurement:
    kinds: dict[str, dict[str, Any]] = {
        "symmetric": {},
        "RSA_4096": {"KeySpec": "RSA_4096", "KeyUsage": "SIGN_VERIFY"},
    }
    samples: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(repeat):
        for name, kwargs in kinds.items():  # taken in turn: a busy spell weighs on both
            gc.collect()
            with mock_kms(clock=FrozenClock(START)) as kms:
                client = kms_client()
                client.describe_key(KeyId="alias/aws/s3")  # warm the client's first call
                samples[name].append(timed(_create_keys(client, **kwargs)) / KEYS)
                secrets = [
                    key.materials.key_secret
                    for store in kms._backend.region_stores()
                    for key in store.keys.values()
                ]
                pending = [secret.peek() is None for secret in secrets if secret is not None]
                assert len(pending) == (KEYS if name == "RSA_4096" else 0)
                assert all(pending), "a key pair was generated at CreateKey"
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["RSA_4096"] / medians["symmetric"]
    return Measurement(
        name=f"(a) CreateKey x{KEYS}: RSA_4096 never used / symmetric",
        value=ratio,
        unit="ratio",
        target="<= 2x",
        met=ratio <= 2.0,
        detail=(
            f"per key: RSA_4096 {fmt(medians['RSA_4096'])}, symmetric {fmt(medians['symmetric'])}"
        ),
        samples=samples,
    )


def bench_moto_create_key(repeat: int) -> Measurement:
    from moto import mock_aws

    samples: list[float] = []
    for _ in range(repeat):
        with mock_aws():
            client = kms_client()
            client.create_key()
            create = functools.partial(
                client.create_key, KeySpec="RSA_4096", KeyUsage="SIGN_VERIFY"
            )
            samples.append(timed(create))
    return Measurement(
        name="    moto: CreateKey of one RSA_4096 key",
        value=statistics.median(samples),
        unit="s",
        target="(for comparison)",
        met=None,
        samples={"moto": samples},
    )


# -- (b) Sign: the first call generates, later ones do not -----------------------------


@contextmanager
def timing_derivations() -> Iterator[list[tuple[str, float]]]:
    """Every key pair derivation (the one place they are made): spec and seconds."""
    made: list[tuple[str, float]] = []
    original = _keypairs.derive_secret

    def timing(key_spec: str, seed: bytes, *, reproducible: bool) -> _keypairs.Secret:
        started = time.perf_counter()
        secret = original(key_spec, seed, reproducible=reproducible)
        made.append((key_spec, time.perf_counter() - started))
        return secret

    _keypairs.derive_secret = timing
    try:
        yield made
    finally:
        _keypairs.derive_secret = original


def _sign_series(client: KMSClient, key_id: str) -> list[float]:
    sign = functools.partial(
        client.sign, KeyId=key_id, Message=b"benchmark", SigningAlgorithm="RSASSA_PSS_SHA_256"
    )
    return [timed(sign) for _ in range(1 + LATER_SIGNS)]


def bench_first_sign(repeat: int) -> list[Measurement]:
    first: list[float] = []
    second: list[float] = []
    last: list[float] = []
    later: list[float] = []
    with timing_derivations() as made:
        for _ in range(repeat):
            gc.collect()
            with mock_kms(clock=FrozenClock(START)):
                client = kms_client()
                key_id = client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")[
                    "KeyMetadata"
                ]["KeyId"]
                client.describe_key(KeyId=key_id)  # warm the client's first call
                series = _sign_series(client, key_id)
            first.append(series[0])
            second.append(series[1])
            last.append(series[-1])
            later.extend(series[1:])
    once = [spec for spec, _ in made] == ["RSA_2048"] * repeat
    generation = [seconds for _, seconds in made]
    # What the first Sign costs beyond its own key generation.
    beyond = [total - generated for total, generated in zip(first, generation, strict=True)]
    medians = {
        "first": statistics.median(first),
        "generation": statistics.median(generation),
        "beyond": statistics.median(beyond),
        "later": statistics.median(later),
        "second": statistics.median(second),
        "last": statistics.median(last),
    }
    return [
        Measurement(
            name="(b) first Sign, new RSA_2048 key",
            value=medians["first"],
            unit="s",
            target="generation + < 5 Signs",
            met=once and medians["beyond"] < 5 * medians["later"],
            detail=(
                f"of which generation {fmt(medians['generation'])} (derived {len(made)} times "
                f"for {repeat} keys), the rest {fmt(medians['beyond'])}"
            ),
            samples={"first": first, "generation": generation},
        ),
        Measurement(
            name=f"    later Sign (next {LATER_SIGNS})",
            value=medians["later"],
            unit="s",
            target="< generation / 10",
            met=medians["later"] < medians["generation"] / 10,
            detail=f"{medians['first'] / medians['later']:.0f}x cheaper than the first",
            samples={"later": later},
        ),
        Measurement(
            name="    2nd Sign (the very next call)",
            value=medians["second"],
            unit="s",
            target="< generation / 10",
            met=medians["second"] < medians["generation"] / 10,
            detail=(
                f"{LATER_SIGNS + 1}st: {fmt(medians['last'])} (the 2nd still warms OpenSSL's "
                "per-key caches)"
            ),
            samples={"second": second, "last": last},
        ),
    ]


def bench_seeded_first_sign(repeat: int) -> Measurement:
    samples: list[float] = []
    for index in range(repeat):
        with mock_kms(clock=FrozenClock(START), seed=index):
            client = kms_client()
            key_id = client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
                "KeyId"
            ]
            sign = functools.partial(
                client.sign,
                KeyId=key_id,
                Message=b"m",
                SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256",
            )
            samples.append(timed(sign))
    return Measurement(
        name="    seeded mock: first Sign, RSA_2048",
        value=statistics.median(samples),
        unit="s",
        target="(reported)",
        met=None,
        detail="deterministic prime search in Python, cached per (spec, seed)",
        samples={"seeded": samples},
    )


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=7, help="repeats (default 7)")
    parser.add_argument("--no-moto", action="store_true", help="skip moto's CreateKey")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)

    measurements = [bench_create_key(args.repeat)]
    if not args.no_moto:
        measurements.append(bench_moto_create_key(3))
    measurements.extend(bench_first_sign(args.repeat))
    measurements.append(bench_seeded_first_sign(3))
    print(measurement_table(measurements))
    write_results(args.output, "keypairs", measurements=[asdict(m) for m in measurements])
    return 0 if all(m.met is not False for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
