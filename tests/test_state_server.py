"""``kms-mock serve --state FILE``: a server's state survives SIGKILL and restarts."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests._servers import (
    control,
    http_client,
    loopback_only,  # noqa: F401  (the network guard of this module)
    start_server,
)

START = "frozen:2025-01-01T00:00:00Z"
FIRST_LINE = re.compile(r"kms-mock serve: (?P<url>http://127\.0\.0\.1:\d+) .* state=(?P<state>.+)")


@contextmanager
def server(*options: str, stop: signal.Signals = signal.SIGKILL) -> Iterator[str]:
    """``kms-mock serve --port 0 <options>`` in a subprocess: its URL; ended with ``stop``."""
    process, first = start_server(*options, first_line=FIRST_LINE)
    try:
        yield first["url"]
    finally:
        process.send_signal(stop)
        process.communicate(timeout=10)


def key_ids(url: str) -> list[str]:
    return [key["KeyId"] for key in http_client(url).list_keys(Limit=1000)["Keys"]]


def test_a_killed_server_restarts_with_every_acknowledged_key(tmp_path: Path) -> None:
    state = str(tmp_path / "kms.db")
    with server("--clock", START, "--state", state) as url:
        client = http_client(url)
        made = [client.create_key()["KeyMetadata"]["KeyId"] for _ in range(25)]
    # SIGKILL: no shutdown ran. Each CreateKey was in the file before its answer.
    with server("--clock", START, "--state", state) as url:
        assert key_ids(url) == made


def test_rotations_due_while_the_server_was_down_happen_on_their_dates(tmp_path: Path) -> None:
    state = str(tmp_path / "kms.db")
    with server("--clock", START, "--state", state) as url:
        client = http_client(url)
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
        blob = client.encrypt(KeyId=key_id, Plaintext=b"written in January")["CiphertextBlob"]
        assert control(url, "POST", "clock/advance", {"days": 100})[0] == 200
    with server("--clock", START, "--state", state) as url:  # the clock stays where it was moved
        assert control(url, "GET", "clock")[1]["now"] == "2025-04-11T00:00:00Z"
    with server("--clock", "frozen:2026-01-01T00:00:00Z", "--state", state) as url:
        client = http_client(url)
        rotations = client.list_key_rotations(KeyId=key_id)["Rotations"]
        assert [
            (entry["RotationType"], entry["RotationDate"].date().isoformat())
            for entry in rotations
            if "RotationType" in entry  # not the first material
        ] == [
            ("AUTOMATIC", "2025-06-30"),
            ("AUTOMATIC", "2025-12-27"),
        ]
        assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"written in January"


def test_sigterm_writes_what_reads_left_for_the_next_write(tmp_path: Path) -> None:
    state = str(tmp_path / "kms.db")
    with server("--clock", START, "--state", state, stop=signal.SIGTERM) as url:
        client = http_client(url)
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        client.encrypt(KeyId=key_id, Plaintext=b"x")  # a read: its last use waits
    with server("--clock", START, "--state", state) as url:
        usage = http_client(url).get_key_last_usage(KeyId=key_id)["KeyLastUsage"]
        assert usage["Operation"] == "Encrypt"


def test_a_read_only_server_serves_the_file_and_leaves_it_as_it_is(tmp_path: Path) -> None:
    state = tmp_path / "kms.db"
    with server("--clock", START, "--state", str(state), stop=signal.SIGTERM) as url:
        key_id = http_client(url).create_key()["KeyMetadata"]["KeyId"]
    written = state.read_bytes()
    options = ("--clock", START, "--state", str(state), "--read-only")
    for _ in range(2):
        with server(*options, stop=signal.SIGTERM) as url:
            client = http_client(url)
            assert key_ids(url) == [key_id]
            client.create_key()  # in memory only
            assert control(url, "POST", "clock/advance", {"days": 30})[0] == 200
            assert len(key_ids(url)) == 2
    assert state.read_bytes() == written
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kms.db"]


def test_a_file_the_server_cannot_use_is_said_in_one_line_and_left_alone(tmp_path: Path) -> None:
    state = tmp_path / "notes.txt"
    state.write_text("not a state file\n" * 10)
    result = subprocess.run(
        [sys.executable, "-m", "kms_mock", "serve", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"kms-mock serve: {state} is not a kms_mock state file (not an SQLite database); "
        "kms_mock leaves the file as it is. Pass the path of a kms_mock state file, or of a "
        "file that does not exist yet.\n"
    )
    assert state.read_text() == "not a state file\n" * 10


def test_read_only_without_a_state_file_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kms_mock", "serve", "--port", "0", "--read-only"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (result.returncode, result.stderr) == (
        1,
        "kms-mock serve: state_read_only=True needs a state file to read: pass "
        "state='path/to/file.db' too.\n",
    )
