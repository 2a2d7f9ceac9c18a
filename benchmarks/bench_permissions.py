"""Permissions benchmark: what enforcing key policies and identity policies adds to Encrypt.

Run it from the repository root::

    python benchmarks/bench_permissions.py   # table + benchmarks/results/permissions.json

The permissions issue's targets, end to end through a boto3 client (medians of
per-call times; the two sides of each ratio are timed in turn, one repeat each,
so that a busy spell on the machine weighs on both):

(a) Encrypt by the account root under the default key policy, enforcement on
    vs off (``MockKMS.enforce_permissions``): ratio <= 1.1.
(b) Encrypt by a role session under a 20-statement key policy whose
    statements carry conditions (``bench_policy``'s), with an identity policy
    of its own and an encryption context the conditions read, enforcement on
    vs off: ratio <= 1.3.

Grants are measured by the grants work, not here. Garbage collection is off
while timing. The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import boto3

# The foundation benchmark's hermetic set-up (AWS_* removed, config files
# pointing nowhere) runs on import; its helpers keep the methods identical.
from bench_foundation import (
    Measurement,
    fmt,
    gc_off,
    interleaved,
    kms_client,
    measurement_table,
    write_results,
)
from bench_policy import twenty_statement_policy

from kms_mock import FrozenClock, MockKMS, mock_kms

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

RESULTS = Path(__file__).resolve().parent / "results" / "permissions.json"
ACCOUNT = "123456789012"
APP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/App"
CONTEXT = {"tenant": "acme", "purpose": "invoice"}
IDENTITY_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"},
            {"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
        ],
    }
)


def _on_vs_off(
    kms: MockKMS, name: str, target: float, number: int, repeat: int, encrypt: timeit.Timer
) -> Measurement:
    """Encrypt's median with enforcement on over its median with enforcement off."""

    @contextmanager
    def enforcement(side: str) -> Iterator[None]:
        kms.enforce_permissions = side == "on"
        with gc_off():
            yield

    encrypt.timeit(50)  # warm up: compile the policies, fill the caches
    samples = interleaved({"on": (encrypt, number), "off": (encrypt, number)}, repeat, enforcement)
    on, off = statistics.median(samples["on"]), statistics.median(samples["off"])
    kms.enforce_permissions = True
    return Measurement(
        name,
        on / off,
        "ratio",
        f"<= {target}",
        on / off <= target,
        detail=f"{fmt(on)} vs {fmt(off)}",
        samples=samples,
    )


def bench_default_policy(number: int, repeat: int) -> Measurement:
    with mock_kms(clock=FrozenClock("2025-01-01T00:00:00Z")) as kms:
        client = kms_client()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        encrypt = timeit.Timer(lambda: client.encrypt(KeyId=key_id, Plaintext=b"x" * 64))
        measurement = _on_vs_off(
            kms, "(a) Encrypt, root, default policy: on / off", 1.1, number, repeat, encrypt
        )
        assert client.encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"].endswith(key_id)
    return measurement


def bench_twenty_statements(number: int, repeat: int) -> Measurement:
    with mock_kms(clock=FrozenClock("2025-01-01T00:00:00Z")) as kms:
        key_id = kms_client().create_key(Policy=twenty_statement_policy())["KeyMetadata"]["KeyId"]
        kms.iam.attach(APP_ROLE, IDENTITY_POLICY)
        app_client = _client_as(kms, APP_ROLE)

        def call() -> object:
            return app_client.encrypt(KeyId=key_id, Plaintext=b"x" * 64, EncryptionContext=CONTEXT)

        measurement = _on_vs_off(
            kms,
            "(b) Encrypt, role session, 20-statement policy: on / off",
            1.3,
            number,
            repeat,
            timeit.Timer(call),
        )
        call()  # still allowed: the conditions the session meets
    return measurement


def _client_as(kms: MockKMS, arn: str) -> KMSClient:
    """A client in a session of its own whose calls ``arn`` makes."""
    session = boto3.session.Session(**kms.principals.register(arn))
    return session.client("kms", region_name="us-east-1")


def main(argv: list[str] | None = None) -> int:
    """Run both measurements, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=9, help="repeats (default 9)")
    parser.add_argument("--number", type=int, default=1000, help="calls per repeat (default 1000)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)

    measurements = [
        bench_default_policy(args.number, args.repeat),
        bench_twenty_statements(args.number, args.repeat),
    ]
    print(f"kms_mock permissions benchmark: medians of {args.repeat} repeats, gc off\n")
    print(measurement_table(measurements))
    write_results(
        args.output,
        "permissions",
        repeat=args.repeat,
        number=args.number,
        measurements=[asdict(m) for m in measurements],
    )
    return 0 if all(m.met for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
