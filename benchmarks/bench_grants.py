"""Grants benchmark: what a key's many grants cost the calls that use one, and the grant calls.

Run it from the repository root::

    python benchmarks/bench_grants.py            # table + benchmarks/results/grants.json

The permissions issue's target: 10,000 grants on one key keep a granted Decrypt
within 1.5x of an ungranted one (grants indexed by grantee). Measured on the
grant step of the decision alone, end to end with enforcement on, and for the
grant operations:

(a) ``grants_allow`` for a grantee holding one grant (a Decrypt with an
    EncryptionContextSubset constraint) on a key with that grant only.
(b) The same on a key with 10,000 grants, the other 9,999 for other grantees.
    Target: at most 1.5x (a).
(c) CreateGrant per call through a boto3 client, on a key with 10,000 grants.
(d) ListGrants per call (a page of 50) on a key with 10,000 grants.
(e) Decrypt through a boto3 client with registered credentials, on a key with
    10,000 grants: a role session whom only its role's grant (Decrypt, with an
    EncryptionContextSubset constraint) allows, vs the account root, whom the
    default key policy allows, decrypting the same ciphertext. The two sides
    are timed in turn, one repeat each. Target: at most 1.5x.
(f) ListRetirableGrants per page of 10 through a boto3 client, in a Region
    with 100,000 grants that other principals may retire: the first page of a
    principal who may retire 10 grants, and a page from the middle of the
    10,000 of another, each vs the page of 10 of a principal in a Region with
    nothing else (another Region of the same mock). The three timed in turn.
    Target: at most 1.5x each (a page reads the principal's grants in the
    Region's index; before, it read and sorted every grant in the Region).

Medians of per-call times over batches; garbage collection off while timing.
The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import statistics
import sys
import timeit
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

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
    per_call,
    write_results,
)
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._grants import Grant, KeyGrants, grants_allow

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

RESULTS = Path(__file__).resolve().parent / "results" / "grants.json"
ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GRANTEE = f"arn:aws:iam::{ACCOUNT}:role/App"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/App/worker-1"
MANY = 10_000
OTHERS = 100_000
PAGE = 10
RETIRING_FEW = f"arn:aws:iam::{ACCOUNT}:role/RetiresFew"
RETIRING_MANY = f"arn:aws:iam::{ACCOUNT}:role/RetiresMany"
BATCH = 20_000
CALL_BATCH = 200
DECRYPT_PARAMS: dict[str, Any] = {
    "CiphertextBlob": b"\x01\x02\x02\x00x",
    "EncryptionContext": {"tenant": "acme", "purpose": "invoice"},
}


def key_grants(others: int) -> KeyGrants:
    """The grantee's one Decrypt grant, after ``others`` grants for other principals."""
    grants = KeyGrants()
    when = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
    for number in range(others):
        grants.add(
            Grant(
                f"{number:064x}",
                KEY_ARN,
                f"arn:aws:iam::{ACCOUNT}:role/Other{number}",
                frozenset({"Decrypt", "Encrypt"}),
                f"arn:aws:iam::{ACCOUNT}:root",
                when,
            )
        )
    grants.add(
        Grant(
            "f" * 64,
            KEY_ARN,
            GRANTEE,
            frozenset({"Decrypt"}),
            f"arn:aws:iam::{ACCOUNT}:root",
            when,
            encryption_context_subset={"tenant": "acme"},
        )
    )
    return grants


def bench_grants_allow(others: int, repeat: int) -> list[float]:
    grants = key_grants(others)
    grantees = (SESSION, GRANTEE)

    def decide() -> None:
        assert grants_allow(grants, grantees, "Decrypt", DECRYPT_PARAMS)

    per_call(decide, number=1_000, repeat=1)  # warm up
    return per_call(decide, number=BATCH, repeat=repeat)


class CallSamples(NamedTuple):
    """Per-call seconds of the calls through a boto3 client, on a key with 10,000 grants."""

    granted_decrypt: list[float]
    ungranted_decrypt: list[float]
    create_grant: list[float]
    list_grants: list[float]


def bench_grant_calls(repeat: int) -> CallSamples:
    with mock_kms(clock=FrozenClock("2025-01-01T00:00:00Z")) as kms:
        root = kms_client()
        key_id = root.create_key()["KeyMetadata"]["KeyId"]
        for number in range(MANY - 1):
            root.create_grant(
                KeyId=key_id,
                GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/Other{number}",
                Operations=["Decrypt"],
            )
        root.create_grant(
            KeyId=key_id,
            GranteePrincipal=GRANTEE,
            Operations=["Decrypt"],
            Constraints={"EncryptionContextSubset": {"tenant": "acme"}},
        )
        granted, ungranted = bench_decrypts(kms, root, key_id, repeat)

        def create() -> None:
            root.create_grant(KeyId=key_id, GranteePrincipal=GRANTEE, Operations=["Decrypt"])

        def list_page() -> None:
            root.list_grants(KeyId=key_id, Limit=50)

        creating = per_call(create, number=CALL_BATCH, repeat=repeat)
        per_call(list_page, number=20, repeat=1)  # warm up
        listing = per_call(list_page, number=CALL_BATCH, repeat=repeat)
    return CallSamples(granted, ungranted, creating, listing)


def _error_code(call: Callable[[], object]) -> str | None:
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def bench_decrypts(
    kms: MockKMS, root: KMSClient, key_id: str, repeat: int
) -> tuple[list[float], list[float]]:
    """(e): the grantee's Decrypt and the root's, of one ciphertext, repeats in turn."""
    context = DECRYPT_PARAMS["EncryptionContext"]
    blob = root.encrypt(KeyId=key_id, Plaintext=b"x" * 64, EncryptionContext=context)
    session = boto3.session.Session(**kms.principals.register(GRANTEE))
    grantee = session.client("kms", region_name="us-east-1")

    def decrypt_as(client: KMSClient) -> timeit.Timer:
        return timeit.Timer(
            lambda: client.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext=context)
        )

    timers = {"granted": (decrypt_as(grantee), CALL_BATCH), "root": (decrypt_as(root), CALL_BATCH)}
    for timer, _ in timers.values():
        timer.timeit(50)  # warm up
    samples = interleaved(timers, repeat, lambda _: gc_off())
    # The grant alone lets the grantee in: the default key policy delegates to IAM,
    # and the role has no identity policy, so DescribeKey (not granted) is denied.
    assert _error_code(lambda: grantee.describe_key(KeyId=key_id)) == "AccessDeniedException"
    return samples["granted"], samples["root"]


class RetirableSamples(NamedTuple):
    """Per-page seconds of ListRetirableGrants (f), the three sides timed in turn."""

    alone: list[float]  # 10 grants, nothing else in the Region
    few: list[float]  # 10 grants, among 110,000 in the Region
    many: list[float]  # a page from the middle of 10,000, among 110,000


def _make_retirable_grants(client: KMSClient, keys: list[str], count: int, retiring: str) -> None:
    for number in range(count):
        client.create_grant(
            KeyId=keys[number % len(keys)],
            GranteePrincipal=GRANTEE,
            Operations=["Decrypt"],
            RetiringPrincipal=retiring,
        )


def _middle_marker(client: KMSClient, retiring: str, skipped: int) -> str:
    """The marker after the first ``skipped`` grants ``retiring`` may retire."""
    marker: dict[str, str] = {}
    for _ in range(skipped // 100):
        page = client.list_retirable_grants(RetiringPrincipal=retiring, Limit=100, **marker)
        marker = {"Marker": page["NextMarker"]}
    return marker["Marker"]


def bench_retirable(repeat: int, batch: int = CALL_BATCH) -> RetirableSamples:
    """(f): pages of ListRetirableGrants, in a crowded Region and an empty one."""
    with mock_kms(clock=FrozenClock("2025-01-01T00:00:00Z")):
        crowded = kms_client()
        alone = boto3.session.Session(region_name="eu-west-1").client("kms")
        # Three keys: the grants per key quota (50,000) holds 110,010 grants on three.
        keys = [crowded.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)]
        for hundred in range(OTHERS // 100):
            _make_retirable_grants(crowded, keys, 100, f"arn:aws:iam::{ACCOUNT}:role/O{hundred}")
        _make_retirable_grants(crowded, keys, PAGE, RETIRING_FEW)
        _make_retirable_grants(crowded, keys, MANY, RETIRING_MANY)
        _make_retirable_grants(
            alone, [alone.create_key()["KeyMetadata"]["KeyId"]], PAGE, RETIRING_FEW
        )
        middle = _middle_marker(crowded, RETIRING_MANY, MANY // 2)

        def page(client: KMSClient, retiring: str, **marker: str) -> timeit.Timer:
            return timeit.Timer(
                lambda: client.list_retirable_grants(
                    RetiringPrincipal=retiring, Limit=PAGE, **marker
                )
            )

        timers = {
            "alone": (page(alone, RETIRING_FEW), batch),
            "few": (page(crowded, RETIRING_FEW), batch),
            "many": (page(crowded, RETIRING_MANY, Marker=middle), batch),
        }
        for timer, _ in timers.values():
            timer.timeit(max(1, batch // 10))  # warm up
        samples = interleaved(timers, repeat, lambda _: gc_off())
    return RetirableSamples(samples["alone"], samples["few"], samples["many"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="batches per measurement")
    args = parser.parse_args(argv)
    one = bench_grants_allow(0, args.repeat)
    many = bench_grants_allow(MANY - 1, args.repeat)
    ratio = statistics.median(many) / statistics.median(one)
    calls = bench_grant_calls(args.repeat)
    decrypt_ratio = statistics.median(calls.granted_decrypt) / statistics.median(
        calls.ungranted_decrypt
    )
    retirable = bench_retirable(args.repeat)
    alone = statistics.median(retirable.alone)
    few_ratio = statistics.median(retirable.few) / alone
    many_ratio = statistics.median(retirable.many) / alone
    measurements = [
        Measurement(
            "(a) grants_allow, key with 1 grant",
            statistics.median(one),
            "s",
            "baseline",
            None,
            samples={"grants_allow": one},
        ),
        Measurement(
            f"(b) grants_allow, key with {MANY:,} grants",
            statistics.median(many),
            "s",
            "-",
            None,
            samples={"grants_allow": many},
        ),
        Measurement(
            "(b)/(a)",
            ratio,
            "ratio",
            "<= 1.50x",
            ratio <= 1.5,
            detail=f"{fmt(statistics.median(many))} vs {fmt(statistics.median(one))}",
        ),
        Measurement(
            f"(c) CreateGrant per call, key with {MANY:,}+ grants",
            statistics.median(calls.create_grant),
            "s",
            "reported",
            None,
            samples={"create_grant": calls.create_grant},
        ),
        Measurement(
            f"(d) ListGrants per call (50 a page), key with {MANY:,}+ grants",
            statistics.median(calls.list_grants),
            "s",
            "reported",
            None,
            samples={"list_grants": calls.list_grants},
        ),
        Measurement(
            f"(e) Decrypt by grant / by key policy, key with {MANY:,} grants",
            decrypt_ratio,
            "ratio",
            "<= 1.50x",
            decrypt_ratio <= 1.5,
            detail=f"{fmt(statistics.median(calls.granted_decrypt))} vs "
            f"{fmt(statistics.median(calls.ungranted_decrypt))}",
            samples={"granted": calls.granted_decrypt, "root": calls.ungranted_decrypt},
        ),
        Measurement(
            f"(f) ListRetirableGrants page of {PAGE}, Region with nothing else",
            alone,
            "s",
            "baseline",
            None,
            samples=retirable._asdict(),
        ),
        Measurement(
            f"(f) the {PAGE} of one principal among {OTHERS:,} other grants / alone",
            few_ratio,
            "ratio",
            "<= 1.50x",
            few_ratio <= 1.5,
            detail=f"{fmt(statistics.median(retirable.few))} vs {fmt(alone)}",
        ),
        Measurement(
            f"(f) a middle page of {MANY:,} among {OTHERS:,} other grants / alone",
            many_ratio,
            "ratio",
            "<= 1.50x",
            many_ratio <= 1.5,
            detail=f"{fmt(statistics.median(retirable.many))} vs {fmt(alone)}",
        ),
    ]
    print(measurement_table(measurements))
    write_results(RESULTS, "grants", measurements=[asdict(m) for m in measurements])
    return 0 if all(m.met is not False for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
