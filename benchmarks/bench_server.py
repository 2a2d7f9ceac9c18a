"""Server benchmark: ``kms-mock serve`` over HTTP against moto's server and the in-process hook.

Run it from the repository root (it needs the ``server`` extra; moto's server
needs flask and flask-cors, and is skipped without them)::

    python benchmarks/bench_server.py            # table + benchmarks/results/server.json
    python benchmarks/bench_server.py --no-load  # without the 10,000-call run

What is measured, each the median of several repeats taken in turn:

(a) Encrypt per call through a boto3 client over HTTP keep-alive: kms_mock's
    server vs moto's ``ThreadedMotoServer`` (at least 3x faster), and the same
    call answered in-process by the botocore hook (reported).
(b) Starting a server with an empty state, until its health route answers:
    ``KmsServer`` in-process, and ``kms-mock serve`` as a subprocess until its
    first line (interpreter start-up included). Reported.
(c) Stopping: ``KmsServer.stop()`` with a keep-alive connection open, and a
    ``kms-mock serve`` subprocess from SIGTERM and SIGINT to its exit (within 1 s).
(d) 16 client threads, 10,000 mixed calls against one server: the suite's
    ``tests/test_server_load.py`` at full size (0 errors, a consistent state).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import time
import timeit
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

# Importing bench_foundation makes this process hermetic (no AWS configuration).
from bench_foundation import (
    Measurement,
    fmt,
    gc_off,
    interleaved,
    measurement_table,
    write_results,
)
from botocore.config import Config

from kms_mock import FrozenClock, mock_kms
from kms_mock.server import KmsServer, serve

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

RESULTS = Path(__file__).resolve().parent / "results" / "server.json"
REGION = "us-east-1"
PLAINTEXT = b"x" * 64
REPO = Path(__file__).resolve().parent.parent


def http_client(url: str) -> KMSClient:
    """A boto3 client of ``url`` with placeholder credentials (it signs, as real clients do)."""
    session = boto3.session.Session(
        aws_access_key_id="AKIDBENCHMARK", aws_secret_access_key="not-a-secret", region_name=REGION
    )
    return session.client("kms", endpoint_url=url, config=Config(retries={"max_attempts": 1}))


@contextmanager
def moto_server() -> Iterator[str | None]:
    """The URL of a moto ``ThreadedMotoServer`` on a free port, or None without moto[server]."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:  # flask or flask-cors missing
        yield None
        return
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def bench_encrypt(repeat: int) -> list[Measurement]:
    """(a) Encrypt per call: over HTTP to kms_mock's and moto's servers, and in-process."""
    numbers = {"kms_mock server": 300, "moto server": 100, "in-process hook": 2000, "raw": 1000}
    with serve() as server, moto_server() as moto_url:
        clients = {"kms_mock server": http_client(server.url)}
        if moto_url is not None:
            clients["moto server"] = http_client(moto_url)
        timers = {
            name: (timeit.Timer(_encrypt_call(client)), numbers[name])
            for name, client in clients.items()
        }
        timers["raw"] = (timeit.Timer(_raw_encrypt_call(server.port)), numbers["raw"])
        with gc_off():
            samples = interleaved(timers, repeat)
    # Apart: while a mock intercepts, it would answer the server clients too.
    with mock_kms(clock=FrozenClock("2025-01-01T00:00:00Z")), gc_off():
        in_process = _encrypt_call(boto3.session.Session(region_name=REGION).client("kms"))
        number = numbers["in-process hook"]
        samples["in-process hook"] = timeit.Timer(in_process).repeat(repeat, number)
        samples["in-process hook"] = [total / number for total in samples["in-process hook"]]
    medians = {name: statistics.median(values) for name, values in samples.items()}
    server_s = medians["kms_mock server"]
    results = [
        Measurement(
            "(a) Encrypt over HTTP keep-alive: kms_mock server",
            server_s,
            "s",
            "reported",
            None,
            detail=f"in-process hook {fmt(medians['in-process hook'])}; "
            f"plain http.client, no botocore: {fmt(medians['raw'])}",
            samples=samples,
        )
    ]
    if "moto server" in medians:
        ratio = medians["moto server"] / server_s
        results.append(
            Measurement(
                "(a) Encrypt over HTTP: moto server / kms_mock server",
                ratio,
                "ratio",
                ">= 3 (kms_mock faster)",
                ratio >= 3,
                detail=f"moto {fmt(medians['moto server'])} vs kms_mock {fmt(server_s)}",
            )
        )
    else:
        print("moto's server is not installed (pip install flask flask-cors): not compared")
    return results


def _raw_encrypt_call(port: int) -> Callable[[], object]:
    """Encrypt as plain HTTP on one keep-alive connection: what the server itself costs."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK/20250101/us-east-1/kms/"
        "aws4_request, SignedHeaders=host, Signature=00",
    }

    def call(target: str, members: dict[str, str]) -> dict[str, Any]:
        request_headers = headers | {"X-Amz-Target": f"TrentService.{target}"}
        connection.request("POST", "/", json.dumps(members).encode(), request_headers)
        answer: dict[str, Any] = json.loads(connection.getresponse().read())
        return answer

    key_id = call("CreateKey", {})["KeyMetadata"]["KeyId"]
    members = {"KeyId": key_id, "Plaintext": base64.b64encode(PLAINTEXT).decode()}
    return lambda: call("Encrypt", members)


def _encrypt_call(client: KMSClient) -> Callable[[], object]:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(20):  # warm up: the model, the connection
        client.encrypt(KeyId=key_id, Plaintext=PLAINTEXT)
    return lambda: client.encrypt(KeyId=key_id, Plaintext=PLAINTEXT)


def bench_start(repeat: int) -> list[Measurement]:
    """(b) Start-up with an empty state, until the server answers its health route."""
    in_process: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        server = KmsServer(port=0).start()
        urllib.request.urlopen(server.url + "/_kms_mock/health", timeout=30).read()
        in_process.append(time.perf_counter() - started)
        server.stop()
    subprocess_s: list[float] = []
    for _ in range(max(3, repeat // 3)):
        started = time.perf_counter()
        process, _ = _serve_subprocess()
        subprocess_s.append(time.perf_counter() - started)
        process.terminate()
        process.wait(30)
    return [
        Measurement(
            "(b) KmsServer start, empty state, until health answers",
            statistics.median(in_process),
            "s",
            "reported",
            None,
            samples={"in-process": in_process},
        ),
        Measurement(
            "(b) kms-mock serve subprocess, until its first line",
            statistics.median(subprocess_s),
            "s",
            "reported",
            None,
            detail="a fresh interpreter: imports included",
            samples={"subprocess": subprocess_s},
        ),
    ]


def _serve_subprocess() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kms_mock", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().split()[2]


def bench_stop(repeat: int) -> list[Measurement]:
    """(c) Stopping with a keep-alive connection open; a subprocess from a signal to its exit."""
    in_process: list[float] = []
    for _ in range(repeat):
        server = KmsServer(port=0).start()
        http_client(server.url).list_keys()  # its connection stays open in the client's pool
        started = time.perf_counter()
        server.stop()
        in_process.append(time.perf_counter() - started)
    results = [
        Measurement(
            "(c) KmsServer.stop() with a keep-alive connection open",
            statistics.median(in_process),
            "s",
            "< 1 s",
            max(in_process) < 1,
            detail=f"slowest {fmt(max(in_process))}",
            samples={"in-process": in_process},
        )
    ]
    for stop in (signal.SIGTERM, signal.SIGINT):
        exits: list[float] = []
        for _ in range(max(3, repeat // 3)):
            process, url = _serve_subprocess()
            http_client(url).list_keys()
            started = time.perf_counter()
            process.send_signal(stop)
            process.wait(30)
            exits.append(time.perf_counter() - started)
            assert process.returncode == 0, process.returncode
        results.append(
            Measurement(
                f"(c) kms-mock serve: {stop.name} to exit (status 0)",
                statistics.median(exits),
                "s",
                "< 1 s",
                max(exits) < 1,
                detail=f"slowest {fmt(max(exits))}, interpreter shutdown included",
                samples={stop.name: exits},
            )
        )
    return results


def bench_load() -> Measurement:
    """(d) The suite's load test at full size, as its own pytest run."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/test_server_load.py"],
        env=os.environ | {"KMS_MOCK_FULL_LOAD": "1"},
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    passed = result.returncode == 0 and "2 passed" in result.stdout
    if not passed:
        print(result.stdout[-3000:], result.stderr[-3000:])
    return Measurement(
        "(d) 16 threads x 10,000 mixed calls, one server: 0 errors, consistent",
        elapsed,
        "s",
        "passes",
        passed,
        detail=f"{10_000 / elapsed:,.0f} calls/s with pytest's start-up and the 400-call run",
    )


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=9, help="repeats (default 9)")
    parser.add_argument("--no-load", action="store_true", help="skip the 10,000-call run")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)

    measurements = bench_encrypt(args.repeat) + bench_start(args.repeat) + bench_stop(args.repeat)
    if not args.no_load:
        measurements.append(bench_load())
    print(f"kms_mock server benchmark: medians of {args.repeat} repeats\n")
    print(measurement_table(measurements))
    write_results(
        args.output, "server", measurements=[asdict(measurement) for measurement in measurements]
    )
    return 0 if all(m.met is not False for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
