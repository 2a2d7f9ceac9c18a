"""Policy engine benchmark: what one authorization decision costs next to an Encrypt.

Run it from the repository root::

    python benchmarks/bench_policy.py            # table + benchmarks/results/policy.json

The permissions issue's targets are end to end: Encrypt with enforcement on
within 1.1x of enforcement off with the default key policy, and within 1.3x
with a 20-statement policy with conditions. Enforcement is not wired into the
operations yet, so this measures what the engine alone adds to a call:

(a) Encrypt per call through a boto3 client inside ``mock_kms`` (the baseline).
(b) ``evaluate`` for the account root under the default key policy, with the
    condition keys an Encrypt carries. Target: at most 0.10 of (a).
(c) ``evaluate`` for a role session under a 20-statement key policy whose
    statements carry conditions (Deny statements the call must test and
    escape, Allows for other principals and actions, delegation to the
    account), with an identity policy of its own. Target: at most 0.30 of (a).
(d) Compile once: after the first evaluation, further evaluations of the same
    texts parse nothing (the compile cache records no new miss). Also
    reported: what compiling the 20-statement policy costs, once.

Medians of per-evaluation times over batches; garbage collection off while
timing. The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

# The foundation benchmark's hermetic set-up (AWS_* removed, config files
# pointing nowhere) runs on import; its helpers keep the methods identical.
from bench_foundation import (
    Measurement,
    fmt,
    gc_off,
    kms_client,
    measurement_table,
    per_call,
    write_results,
)

from kms_mock import FrozenClock, mock_kms
from kms_mock._authz import KeyRef, caller, compile_policy, evaluate

RESULTS = Path(__file__).resolve().parent / "results" / "policy.json"
ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/App/worker-1"
KEY = KeyRef(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", ACCOUNT)
BATCH = 2_000
ENCRYPT_BATCH = 200

DEFAULT_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": ROOT},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
)

ENCRYPT_CONTEXT: dict[str, Any] = {
    "kms:CallerAccount": ACCOUNT,
    "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    "kms:EncryptionContext:tenant": "acme",
    "kms:EncryptionContext:purpose": "invoice",
    "kms:EncryptionContextKeys": ["tenant", "purpose"],
    "kms:KeySpec": "SYMMETRIC_DEFAULT",
    "kms:KeyUsage": "ENCRYPT_DECRYPT",
    "kms:KeyOrigin": "AWS_KMS",
    "kms:MultiRegion": False,
    "aws:CurrentTime": "2025-01-01T00:00:00Z",
}


def _statement(effect: str, principal: Any, action: Any, condition: Any = None) -> dict[str, Any]:
    statement = {"Effect": effect, "Principal": principal, "Action": action, "Resource": "*"}
    return statement if condition is None else {**statement, "Condition": condition}


def twenty_statement_policy() -> str:
    """A realistic large key policy: denies with conditions first, then allows for many roles."""
    role = f"arn:aws:iam::{ACCOUNT}:role/"
    statements = [
        _statement("Allow", {"AWS": ROOT}, "kms:*"),
        _statement("Deny", "*", "kms:*", {"Bool": {"aws:SecureTransport": "false"}}),
        _statement("Deny", "*", "kms:Decrypt", {"StringNotEquals": {"kms:CallerAccount": ACCOUNT}}),
        _statement(
            "Deny",
            "*",
            ["kms:Encrypt", "kms:GenerateDataKey*"],
            {"Null": {"kms:EncryptionContext:tenant": "true"}},
        ),
        _statement(
            "Deny",
            "*",
            "kms:*",
            {"ForAnyValue:StringLike": {"kms:EncryptionContextKeys": ["secret*", "pii*"]}},
        ),
        _statement(
            "Deny",
            {"AWS": f"{role}Intern"},
            "kms:*",
            {"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}},
        ),
    ]
    for index in range(10):
        statements.append(
            _statement(
                "Allow",
                {"AWS": f"{role}Service{index}"},
                ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                {"StringEquals": {f"kms:EncryptionContext:service{index}": f"svc-{index}"}},
            )
        )
    statements += [
        _statement("Allow", {"AWS": f"{role}Admin"}, ["kms:Create*", "kms:Describe*", "kms:Put*"]),
        _statement(
            "Allow",
            {"AWS": f"{role}Auditor"},
            ["kms:Get*", "kms:List*"],
            {"Bool": {"kms:MultiRegion": "false"}},
        ),
        _statement(
            "Allow",
            {"AWS": f"{role}App"},
            ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
            {
                "StringEquals": {
                    "kms:EncryptionContext:tenant": "acme",
                    "kms:CallerAccount": ACCOUNT,
                },
                "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant", "purpose"]},
            },
        ),
        _statement("Allow", {"AWS": ROOT}, "kms:Describe*"),
    ]
    assert len(statements) == 20
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


IDENTITY_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": KEY.arn},
            {"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
        ],
    }
)


def bench_encrypt(repeat: int) -> Measurement:
    with mock_kms(clock=FrozenClock("2025-01-01T00:00:00Z")):
        client = kms_client()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        context = {"tenant": "acme", "purpose": "invoice"}

        def encrypt() -> None:
            client.encrypt(KeyId=key_id, Plaintext=b"x" * 64, EncryptionContext=context)

        per_call(encrypt, number=20, repeat=1)  # warm up
        samples = per_call(encrypt, number=ENCRYPT_BATCH, repeat=repeat)
    return Measurement(
        "(a) Encrypt per call (boto3, enforcement off)",
        statistics.median(samples),
        "s",
        "baseline",
        None,
        samples={"encrypt": samples},
    )


def bench_evaluation(
    name: str, decide: Callable[[], object], encrypt_s: float, share: float, repeat: int
) -> Measurement:
    decide()  # compiles the texts once
    samples = per_call(decide, number=BATCH, repeat=repeat)
    median = statistics.median(samples)
    return Measurement(
        name,
        median,
        "s",
        f"<= {share:.2f} of an Encrypt ({fmt(encrypt_s * share)})",
        median <= encrypt_s * share,
        detail=f"{median / encrypt_s:.3f} of an Encrypt",
        samples={"evaluate": samples},
    )


def default_decision() -> object:
    return evaluate(caller(ROOT), "kms:Encrypt", KEY, ENCRYPT_CONTEXT, DEFAULT_POLICY)


def large_decision(policy: str) -> Callable[[], object]:
    def decide() -> object:
        decision = evaluate(
            caller(SESSION), "kms:Encrypt", KEY, ENCRYPT_CONTEXT, policy, [IDENTITY_POLICY]
        )
        assert decision.allowed
        return decision

    return decide


def bench_compile_once(policy: str) -> list[Measurement]:
    large_decision(policy)()
    misses = compile_policy.cache_info().misses
    for _ in range(1_000):
        large_decision(policy)()
        default_decision()
    new_misses = compile_policy.cache_info().misses - misses
    compile_policy.cache_clear()
    with gc_off():
        started = time.perf_counter()
        compile_policy(policy)
        compiled_in = time.perf_counter() - started
    return [
        Measurement(
            "(d) texts parsed again in 2,000 later evaluations",
            float(new_misses),
            "texts",
            "0",
            new_misses == 0,
        ),
        Measurement(
            "(d) compiling the 20-statement policy, once", compiled_in, "s", "reported", None
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=9, help="batches per figure (default 9)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)

    policy = twenty_statement_policy()
    encrypt = bench_encrypt(args.repeat)
    measurements = [
        encrypt,
        bench_evaluation(
            "(b) evaluate: root, default key policy",
            default_decision,
            encrypt.value,
            0.10,
            args.repeat,
        ),
        bench_evaluation(
            "(c) evaluate: role session, 20 statements + IAM",
            large_decision(policy),
            encrypt.value,
            0.30,
            args.repeat,
        ),
        *bench_compile_once(policy),
    ]
    print(measurement_table(measurements))
    write_results(args.output, "policy", measurements=[asdict(m) for m in measurements])
    return 0 if all(m.met is not False for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
