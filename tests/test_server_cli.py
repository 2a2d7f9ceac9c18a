"""``kms-mock serve`` and ``kms-mock clock``: a server in a subprocess, as a script runs it."""

from __future__ import annotations

import http.server
import io
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from kms_mock import cli
from kms_mock.cli import main
from tests import _servers
from tests._servers import (
    control,
    http_client,
    kms_request,
    loopback_only,  # noqa: F401  (the network guard of this module)
)

FIRST_LINE = re.compile(
    r"kms-mock serve: (?P<url>http://127\.0\.0\.1:\d+) region=(?P<region>\S+) "
    r"account=(?P<account>\d{12}) clock=(?P<clock>\S+)"
)


CLOCK_ADVANCE_7_DAYS = [sys.executable, "-m", "kms_mock", "clock", "advance", "--days", "7"]


def start_server(*options: str) -> tuple[subprocess.Popen[str], re.Match[str]]:
    """``python -m kms_mock serve --port 0 <options>``, and its first line, parsed."""
    return _servers.start_server(*options, first_line=FIRST_LINE)


@pytest.fixture
def frozen_server() -> Iterator[str]:
    """The URL of a ``kms-mock serve`` subprocess on a frozen clock, seeded; killed after."""
    process, first = start_server("--clock", "frozen:2025-01-01T00:00:00Z", "--seed", "7")
    try:
        yield first["url"]
    finally:
        process.kill()
        process.communicate()


def test_first_line_says_where_and_calls_are_served() -> None:
    process, first = start_server("--region", "eu-west-1", "--account-id", "111122223333")
    try:
        assert (first["region"], first["account"], first["clock"]) == (
            "eu-west-1",
            "111122223333",
            "system",
        )
        client = http_client(first["url"], region="eu-west-1")
        arn = client.create_key()["KeyMetadata"]["Arn"]
        assert arn.startswith("arn:aws:kms:eu-west-1:111122223333:key/")
        assert client.list_keys()["Keys"][0]["KeyArn"] == arn
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_server_cleanly(stop: signal.Signals) -> None:
    process, first = start_server()
    kms_request(first["url"], "CreateKey")  # a keep-alive connection was served, and closed
    process.send_signal(stop)
    # How fast is the benchmark's to measure; here only that it exits, and cleanly.
    _, stderr = process.communicate(timeout=30)
    assert (process.returncode, stderr) == (0, "")


def test_clock_commands_move_the_servers_clock(
    frozen_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id = kms_request(frozen_server, "CreateKey")[1]["KeyMetadata"]["KeyId"]
    kms_request(frozen_server, "EnableKeyRotation", {"KeyId": key_id})

    assert main(["clock", "show", "--endpoint", frozen_server]) == 0
    assert main(["clock", "advance", "--days", "365", "--endpoint", frozen_server]) == 0
    assert main(["clock", "advance", "--hours", "1.5", "--endpoint", frozen_server]) == 0
    assert main(["clock", "move-to", "2027-06-01T00:00:00Z", "--endpoint", frozen_server]) == 0
    assert capsys.readouterr() == (
        "2025-01-01T00:00:00Z\n2026-01-01T00:00:00Z\n2026-01-01T01:30:00Z\n2027-06-01T00:00:00Z\n",
        "",
    )
    rotations = kms_request(frozen_server, "ListKeyRotations", {"KeyId": key_id})[1]
    assert [entry["RotationType"] for entry in rotations["Rotations"]] == ["AUTOMATIC"] * 2


def test_clock_command_as_a_shell_script_runs_it(frozen_server: str) -> None:
    result = subprocess.run(
        CLOCK_ADVANCE_7_DAYS,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Without --endpoint it calls the default one, where nothing listens in the suite.
    assert result.returncode == 1
    assert result.stderr.startswith("kms-mock clock: no kms-mock server answers at ")
    result = subprocess.run(
        [*CLOCK_ADVANCE_7_DAYS, "--endpoint", frozen_server],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == "2025-01-08T00:00:00Z\n"


def test_clock_command_says_what_the_server_refused(
    frozen_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["clock", "move-to", "2020-01-01T00:00:00Z", "--endpoint", frozen_server]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"kms-mock clock: {frozen_server}: cannot move a FrozenClock backwards from "
        "2025-01-01T00:00:00+00:00 to 2020-01-01T00:00:00+00:00; time only moves forward "
        "in kms_mock, so start a new mock (or a new FrozenClock) to go back.\n"
    )
    assert control(frozen_server, "GET", "clock")[1]["now"] == "2025-01-01T00:00:00Z"


def test_bad_clock_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["serve", "--clock", "frozen:tomorrow"])
    assert excinfo.value.code == 2
    assert "argument --clock: 'tomorrow' is not an ISO-8601 date-time" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["serve", "--clock", "sundial"])
    assert (
        "argument --clock: 'sundial' is not a clock: use system, or frozen:<ISO-8601> such as "
        "frozen:2025-01-01T00:00:00Z." in capsys.readouterr().err
    )


def test_the_audit_log_limit_is_a_serve_option() -> None:
    process, first = start_server("--audit-log-limit", "2")
    try:
        for _ in range(5):
            assert kms_request(first["url"], "ListKeys")[0] == 200
        status, headers, body = _servers.exchange(first["url"], "GET", "/_kms_mock/audit-log")
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert status == 200
    assert len(body.decode().splitlines()) == 2
    assert headers["x-kms-mock-audit-log-dropped"] == "3"


def test_audit_log_limit_option_values(capsys: pytest.CaptureFixture[str]) -> None:
    parse = cli._parser().parse_args
    assert parse(["serve"]).audit_log_limit == 10_000
    assert parse(["serve", "--audit-log-limit", "none"]).audit_log_limit is None
    assert parse(["serve", "--audit-log-limit", "50000"]).audit_log_limit == 50_000
    for value in ("0", "lots", "2.5"):
        with pytest.raises(SystemExit) as excinfo:
            main(["serve", "--audit-log-limit", value])
        assert excinfo.value.code == 2
        assert (
            f"argument --audit-log-limit: {value!r} is not a number of records >= 1; "
            "use none to keep every record." in capsys.readouterr().err
        )


def test_a_port_in_use_is_said_in_one_line(
    frozen_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    port = frozen_server.rsplit(":", 1)[1]
    assert main(["serve", "--port", port]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("kms-mock serve: [Errno 98]")


def test_bad_setting_is_said_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", "--region", "mars"]) == 1
    assert capsys.readouterr().err == (
        "kms-mock serve: region='mars' is not an AWS region name such as 'us-east-1'.\n"
    )


class FirstLine(io.StringIO):
    """Stands for stdout: says when the first line has been flushed."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed = threading.Event()

    def flush(self) -> None:
        super().flush()
        self.flushed.set()


def test_serve_in_this_process_until_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same command in the test's own process (so that coverage sees it)."""
    out = FirstLine()
    monkeypatch.setattr(sys, "stdout", out)
    handlers = {number: signal.getsignal(number) for number in cli.STOP_SIGNALS}
    answers: list[int] = []

    def call_then_stop() -> None:
        try:
            assert out.flushed.wait(30)
            url = out.getvalue().split()[2]
            answers.append(kms_request(url, "ListKeys")[0])
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    caller = threading.Thread(target=call_then_stop)
    caller.start()
    assert main(["serve", "--port", "0", "--seed", "1"]) == 0
    caller.join()
    assert answers == [200]
    # The test process's own handlers are back.
    assert {number: signal.getsignal(number) for number in cli.STOP_SIGNALS} == handlers


def test_clock_command_against_another_http_server(capsys: pytest.CaptureFixture[str]) -> None:
    class BadGateway(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(502, "Bad Gateway")

        def log_message(self, *args: object) -> None:
            """Quiet."""

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), BadGateway) as proxy:
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        endpoint = f"http://127.0.0.1:{proxy.server_address[1]}"
        assert main(["clock", "show", "--endpoint", endpoint]) == 1
        proxy.shutdown()
    assert capsys.readouterr().err == f"kms-mock clock: {endpoint}: HTTP 502 Bad Gateway\n"


@pytest.mark.parametrize(
    ("option", "allowed"), [((), False), (("--no-enforce-permissions",), True)]
)
def test_enforcement_is_a_serve_option(option: tuple[str, ...], allowed: bool) -> None:
    # A direct Encrypt with an AWS managed key: AWS denies it; leniency allows it.
    process, first = start_server(*option)
    try:
        client = http_client(first["url"])
        if allowed:
            assert client.encrypt(KeyId="alias/aws/s3", Plaintext=b"x")["KeyId"]
        else:
            with pytest.raises(client.exceptions.ClientError) as denied:
                client.encrypt(KeyId="alias/aws/s3", Plaintext=b"x")
            assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    finally:
        process.terminate()
        process.communicate(timeout=30)
