"""The real AWS CLI against a server: the walkthrough of docs/aws-cli-rotation.md, run as
the page shows it, and the often-written forms that the CLI itself refuses.

The ``aws`` executable (awscli, pinned to the suite's botocore) runs in
subprocesses with config files and credentials of the test's own, never the user's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kms_mock import FrozenClock, MockKMS
from kms_mock.server import KmsServer
from tests._servers import loopback_only  # noqa: F401  (the network guard of this module)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

PAGE = Path(__file__).parent.parent / "docs" / "aws-cli-rotation.md"
BIN = Path(sys.executable).parent
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def page_blocks(language: str) -> list[str]:
    """The fenced blocks of the page in ``language``, in order."""
    return [text for found, text in _FENCE.findall(PAGE.read_text()) if found == language]


@pytest.fixture
def cli_env(tmp_path: Path, kms_server: KmsServer) -> dict[str, str]:
    """The environment of the page's commands: the test's server, files, credentials."""
    if shutil.which("aws", path=str(BIN)) is None:
        pytest.fail(f"no aws executable in {BIN}: install the test extra (awscli).")
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return inherited | {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # The CLI reads aliases under ~/.aws/cli: a home of the test's own.
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_KMS": kms_server.url,
    }


def bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_pages_walkthrough_gives_the_pages_output(
    cli_env: dict[str, str],
    tmp_path: Path,
    kms_mock: MockKMS,
    kms_clock: FrozenClock,
    kms_client: KMSClient,
) -> None:
    _, walkthrough, _ = page_blocks("bash")
    (expected,) = page_blocks("text")

    ran = bash("set -euo pipefail\n" + walkthrough, cli_env, tmp_path)

    assert (ran.returncode, ran.stderr) == (0, "")
    assert ran.stdout == expected
    (key,) = kms_client.list_keys()["Keys"]
    materials = kms_mock.key_materials(key["KeyId"])
    assert [(info.rotation_type, info.date.isoformat()) for info in materials] == [
        (None, "2025-01-01T00:00:00+00:00"),
        ("AUTOMATIC", "2026-01-01T00:00:00+00:00"),
    ]
    calls = [(record["eventName"], record["userAgent"][:16]) for record in kms_mock.audit_log]
    assert calls[0] == ("CreateKey", "aws-cli/1.45.11 ")


def test_the_often_written_forms_get_the_clis_own_errors(
    cli_env: dict[str, str], tmp_path: Path, kms_mock: MockKMS
) -> None:
    fictional = page_blocks("bash")[2].splitlines()
    assert fictional == [
        "aws kms create-key --enable-key-rotation",
        'aws kms describe-key --key-id "$key_arn" --query KeyMetadata.KeyRotationStatus',
        "aws kms list-key-versions",
    ]
    create, describe, list_versions = fictional

    refused = bash(create, cli_env, tmp_path)
    assert refused.returncode == 255
    assert refused.stderr.rstrip().endswith("Unknown options: --enable-key-rotation")
    assert kms_mock.audit_log == []  # refused before any request was sent

    made = bash("aws kms create-key --query KeyMetadata.Arn --output text", cli_env, tmp_path)
    described = bash(describe, cli_env | {"key_arn": made.stdout.strip()}, tmp_path)
    assert (described.returncode, described.stdout, described.stderr) == (0, "null\n", "")

    unknown = bash(list_versions, cli_env, tmp_path)
    assert unknown.returncode == 2
    assert "Invalid choice: 'list-key-versions', maybe you meant:\n\n  * list-key-rotations" in (
        unknown.stderr
    )
