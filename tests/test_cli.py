"""The ``kms-mock`` command line: ``demo`` tells the lifecycle story, ``serve`` is not built."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from kms_mock import __version__, cli
from kms_mock.cli import SERVE_NOT_IMPLEMENTED, Narrator, main

KEY_ARN = re.compile(r"arn:aws:kms:us-east-1:123456789012:key/[0-9a-f-]{36}")


def demo_lines(output: str) -> list[str]:
    """The demo's lines with wall times masked (``[   0.42 ms]`` -> ``[t]``)."""
    return [re.sub(r"^\[ *\d+\.\d\d ms\]", "[t]", line) for line in output.splitlines()]


def test_demo_tells_the_lifecycle_story(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    lines = demo_lines(out)
    key_id = re.search(r"-> KeyId ([0-9a-f-]{36})$", out, re.MULTILINE)
    assert key_id is not None
    key_arn = f"arn:aws:kms:us-east-1:123456789012:key/{key_id[1]}"
    story = [
        "[t] CreateKey (the first call also loads botocore's KMS model)",
        f"             -> KeyId {key_id[1]}",
        "             -> KeyState Enabled, CreationDate 2025-01-01 00:00:00 UTC",
        "[t] CreateAlias alias/kms-mock-demo",
        "[t] DescribeKey alias/kms-mock-demo",
        "             -> KeyState Enabled",
        "[t] ScheduleKeyDeletion PendingWindowInDays=7",
        "             -> KeyState PendingDeletion, DeletionDate 2025-01-08 00:00:00 UTC",
        "[t] clock.advance(days=6)",
        "             -> now 2025-01-07 00:00:00 UTC",
        "[t] DescribeKey (day 6 of 7)",
        "             -> KeyState PendingDeletion, DeletionDate 2025-01-08 00:00:00 UTC",
        "[t] clock.advance(days=1)",
        "             -> now 2025-01-08 00:00:00 UTC",
        "[t] DescribeKey (day 7: the deletion date)",
        f"             -> NotFoundException: Key '{key_arn}' does not exist",
        "[t] DescribeKey alias/kms-mock-demo",
        "             -> NotFoundException: Alias "
        "arn:aws:kms:us-east-1:123456789012:alias/kms-mock-demo is not found.",
    ]
    start = lines.index(story[0])
    assert lines[start : start + len(story)] == story
    assert lines[0] == (
        f"kms_mock {__version__} demo: a real boto3 client, served in-process by mock_kms"
    )
    assert re.fullmatch(
        r"Total wall time: \d+\.\d ms \(boto3 client creation included\) "
        r"for 7 simulated days\.",
        lines[-1],
    )


def test_demo_is_reproducible(capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo"])
    first = demo_lines(capsys.readouterr().out)[:-1]
    main(["demo"])
    second = demo_lines(capsys.readouterr().out)[:-1]
    assert first == second


def test_demo_reports_a_failed_step(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_story(story: Narrator) -> None:
        story.title("A story that asks for a key that does not exist")
        with story.step("DescribeKey"):
            story.client.describe_key(KeyId="no-such-key")

    monkeypatch.setattr(cli, "STORIES", (failing_story,))

    assert main(["demo"]) == 1

    lines = demo_lines(capsys.readouterr().out)
    assert lines[-3:] == [
        "[t] DescribeKey",
        "",
        "The demo failed: NotFoundException: Invalid keyId 'no-such-key'",
    ]


def test_serve_is_not_implemented_yet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve"]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err == SERVE_NOT_IMPLEMENTED + "\n"
    assert err.startswith("kms-mock serve: the HTTP server mode is not implemented yet.\n")


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: kms-mock [-h] [--version] COMMAND ...")
    assert "demo" in err
    assert "serve" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])

    assert excinfo.value.code == 0
    assert capsys.readouterr().out == f"kms-mock {__version__}\n"


def test_python_dash_m_kms_mock_demo() -> None:
    # A fresh interpreter, with the suite's environment: no AWS configuration.
    result = subprocess.run(
        [sys.executable, "-m", "kms_mock", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "-> KeyState PendingDeletion, DeletionDate 2025-01-08 00:00:00 UTC" in result.stdout
    assert KEY_ARN.search(result.stdout) is not None
    assert "does not exist" in result.stdout
