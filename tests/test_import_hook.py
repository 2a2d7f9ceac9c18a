"""What importing kms_mock does: nothing heavy, and the hook in place before any session.

``import kms_mock`` (which the pytest plugin does in every run) imports neither
botocore nor cryptography; the hook goes into botocore when botocore is
loaded, before the first session can exist, whichever is imported first.
Each check runs in a fresh interpreter, where nothing is loaded yet.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# What a suite that never touches KMS must not pay for: the AWS libraries, and what
# kms_mock's state files, server and requests transport use.
HEAVY = (
    "boto3",
    "botocore",
    "cryptography",
    "aiobotocore",
    "sqlite3",
    "waitress",
    "requests",
    "responses",
    "urllib3",
)


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return done.stdout


def _loaded_heavy() -> str:
    return f"sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})"


@pytest.mark.parametrize("statement", ["import kms_mock", "import pytest, kms_mock.plugin"])
def test_importing_kms_mock_or_its_plugin_loads_no_aws_library(statement: str) -> None:
    out = _run(
        f"""
        import sys
        {statement}
        print({_loaded_heavy()}, "kms_mock._interceptor" in sys.modules)
        """
    )
    assert out == "[] False\n"


def test_a_pytest_run_that_never_touches_kms_loads_no_aws_library(tmp_path: Path) -> None:
    # The plugin as pytest loads it (its entry point, options, marker and fixtures).
    (tmp_path / "test_plain.py").write_text(
        textwrap.dedent(
            f"""
            import sys

            def test_plain():
                assert "kms_mock.plugin" in sys.modules
                assert {_loaded_heavy()} == []
                assert "kms_mock._interceptor" not in sys.modules
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout.splitlines()[-1][:8]) == (0, "1 passed"), done.stdout


def test_the_hook_loads_no_service_layer_until_a_mock_serves() -> None:
    # Suites that import boto3 and never mock KMS pay for the hook alone.
    out = _run(
        """
        import sys
        import kms_mock, boto3
        print("kms_mock._interceptor" in sys.modules, "kms_mock._dispatch" in sys.modules,
              "cryptography" in sys.modules)
        """
    )
    assert out == "True False False\n"


def test_a_client_made_at_import_time_after_kms_mock_is_served() -> None:
    out = _run(
        """
        import kms_mock
        import boto3  # the hook goes in as botocore loads

        CLIENT = boto3.client(
            "kms", region_name="us-east-1", aws_access_key_id="A", aws_secret_access_key="B"
        )

        from kms_mock import mock_kms

        with mock_kms():
            key_id = CLIENT.create_key()["KeyMetadata"]["KeyId"]
            print([key["KeyId"] for key in CLIENT.list_keys()["Keys"]] == [key_id])
        """
    )
    assert out == "True\n"


def test_kms_mock_imported_after_botocore_hooks_the_sessions_made_afterwards() -> None:
    out = _run(
        """
        import boto3
        import kms_mock
        from kms_mock import mock_kms

        with mock_kms():
            print(boto3.client("kms", region_name="eu-west-1").list_keys()["Keys"])
        """
    )
    assert out == "[]\n"


def test_the_hooked_module_keeps_its_own_loader_and_source() -> None:
    out = _run(
        """
        import inspect
        import kms_mock
        import botocore.session

        print(type(botocore.session.__loader__).__name__,
              type(botocore.session.__spec__.loader).__name__,
              "class Session" in inspect.getsource(botocore.session))
        """
    )
    assert out == "SourceFileLoader SourceFileLoader True\n"


def test_every_public_name_is_there() -> None:
    out = _run(
        """
        import kms_mock
        from kms_mock import *

        star = dir()
        print(sorted(name for name in kms_mock.__all__ if name not in star))
        try:
            kms_mock.no_such_name
        except AttributeError as error:
            print(error)
        """
    )
    assert out == "[]\nmodule 'kms_mock' has no attribute 'no_such_name'\n"
