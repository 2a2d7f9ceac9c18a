"""The ``kms-mock`` command line: ``demo`` tells the rotation and lifecycle stories
(``serve`` and ``clock``: tests/test_server_cli.py)."""

from __future__ import annotations

import datetime as _dt
import re
import subprocess
import sys

import pytest

from kms_mock import __version__, cli
from kms_mock.cli import Narrator, main

KEY_ARN = re.compile(r"arn:aws:kms:us-east-1:123456789012:key/[0-9a-f-]{36}")
START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
# The ten yearly rotations of the rotation story: every 365 days from the enable date.
ROTATION_DATES = [
    (START + _dt.timedelta(days=365 * n)).strftime("%Y-%m-%d %H:%M:%S UTC") for n in range(1, 11)
]


def demo_lines(output: str) -> list[str]:
    """The demo's lines, wall times masked: ``[   0.42 ms]`` -> ``[t]``, ``0.16 ms`` -> ``t``."""
    lines = [re.sub(r"^\[ *\d+\.\d\d ms\]", "[t]", line) for line in output.splitlines()]
    return [re.sub(r"\b\d+\.\d\d ms\b", "t", line) for line in lines]


def section(lines: list[str], title: str) -> list[str]:
    """The lines of the story titled ``title``, up to the next blank line."""
    start = lines.index(title)
    end = lines.index("", start)
    return lines[start:end]


def test_demo_tells_the_rotation_story_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    lines = demo_lines(out)
    title = "Key rotation on the clock: a decade of yearly rotations in one advance"
    assert lines[3] == ""
    assert lines[4] == title
    story = section(lines, title)
    key_id = re.fullmatch(r" {13}-> KeyId ([0-9a-f-]{36})", story[4])
    original = re.fullmatch(r" {13}-> CurrentKeyMaterialId ([0-9a-f]{64})", story[5])
    assert key_id is not None
    assert original is not None
    old = original[1]
    assert story[:4] == [
        title,
        "-" * len(title),
        "             clock: FrozenClock('2025-01-01T00:00:00Z'), now 2025-01-01 00:00:00 UTC",
        "[t] CreateKey (the first call also loads botocore's KMS model)",
    ]
    assert story[6:20] == [
        "[t] EnableKeyRotation (RotationPeriodInDays: the default, 365)",
        "[t] GetKeyRotationStatus",
        "             -> KeyRotationEnabled True, RotationPeriodInDays 365, "
        "NextRotationDate 2026-01-01 00:00:00 UTC",
        "[t] Encrypt Plaintext=b'written on 2025-01-01'",
        # 158 + n bytes in us-east-1 (the README's "Ciphertext format").
        f"             -> CiphertextBlob of {158 + len(b'written on 2025-01-01')} bytes",
        f"             -> kms.inspect_ciphertext(blob).key_material_id {old}",
        "[t] clock.advance(days=3650)",
        "             -> now 2034-12-30 00:00:00 UTC",
        "[t] Decrypt the ten-year-old CiphertextBlob",
        "             -> Plaintext b'written on 2025-01-01'",
        f"             -> KeyMaterialId {old}",
        "             -> kms.key_materials(key_id)[0]: the ORIGINAL material of "
        "2025-01-01 00:00:00 UTC, the same id",
        "[t] ListKeyRotations via boto3's paginator, PageSize=4 "
        "(its first use loads the paginator model)",
        "             -> 10 rotations in 3 pages, oldest first:",
    ]
    listed = [
        re.fullmatch(
            r" {13}-> (.{23})  AUTOMATIC  (NON_CURRENT|CURRENT) *  ([0-9a-f]{16})\.\.\.", line
        )
        for line in story[20:30]
    ]
    assert all(entry is not None for entry in listed)
    assert [entry[1] for entry in listed if entry] == ROTATION_DATES
    assert [entry[2] for entry in listed if entry] == ["NON_CURRENT"] * 9 + ["CURRENT"]
    assert old[:16] not in {entry[3] for entry in listed if entry}
    current = re.fullmatch(r" {13}-> CurrentKeyMaterialId ([0-9a-f]{64})", story[33])
    assert current is not None
    assert listed[-1] is not None
    assert current[1].startswith(listed[-1][3])  # the latest rotation's material
    assert story[30:33] + story[34:] == [
        "             Each dated on its schedule, every 365 days from the enable date "
        "(leap years pull the calendar date back a day).",
        "[t] DescribeKey",
        f"             -> KeyId {key_id[1]} (unchanged)",
        "             A simulated decade (3650 days, 10 automatic rotations) took t of wall time.",
    ]


def test_demo_tells_the_lifecycle_story(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    lines = demo_lines(out)
    title = "The key lifecycle: a 7-day deletion window, executed by the clock"
    story = section(lines, title)
    key_id = re.fullmatch(r" {13}-> KeyId ([0-9a-f-]{36})", story[4])
    assert key_id is not None
    key_arn = f"arn:aws:kms:us-east-1:123456789012:key/{key_id[1]}"
    assert story[:4] == [
        title,
        "-" * len(title),
        "             clock: FrozenClock('2025-01-01T00:00:00Z'), now 2025-01-01 00:00:00 UTC",
        "[t] CreateKey",
    ]
    assert story[4:] == [
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


def test_demo_opens_and_closes_with_the_totals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0

    lines = demo_lines(capsys.readouterr().out)
    assert lines[:3] == [
        f"kms_mock {__version__} demo: a real boto3 client, served in-process by mock_kms",
        "(no AWS account, no credentials, no network). Times are wall times.",
        '[t] boto3.session.Session(region_name="us-east-1").client("kms")',
    ]
    assert re.fullmatch(
        r"Total wall time: \d+\.\d ms \(boto3 client creation included\) "
        r"for 3657 simulated days in 2 stories\.",
        lines[-1],
    )


def test_each_story_has_its_own_keys(capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo"])

    key_ids = re.findall(r"-> KeyId ([0-9a-f-]{36})$", capsys.readouterr().out, re.MULTILINE)
    assert len(key_ids) == 2
    assert key_ids[0] != key_ids[1]


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
    assert "-> 10 rotations in 3 pages, oldest first:" in result.stdout
    assert f"-> {ROTATION_DATES[-1]}  AUTOMATIC  CURRENT" in result.stdout
    assert "the ORIGINAL material of 2025-01-01 00:00:00 UTC, the same id" in result.stdout
    assert "-> KeyState PendingDeletion, DeletionDate 2025-01-08 00:00:00 UTC" in result.stdout
    assert KEY_ARN.search(result.stdout) is not None
    assert "does not exist" in result.stdout
