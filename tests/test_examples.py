"""Every recipe in conftest_examples/ runs, as a user would run it, and passes.

Each recipe is copied into pytester's directory (its own rootdir, so its own
ini file counts) and run with warnings as errors and the interceptor leak
check. The expected counts make a recipe that loses a test fail here too.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import leak_check

EXAMPLES = Path(__file__).parent.parent / "conftest_examples"

#: recipe -> number of tests it has, all of which pass.
RECIPES = {
    "fixture_basics": 7,
    "rotation_year": 3,
    "suite_defaults": 5,
    "unittest_testcase": 3,
    "s3_envelope_moto": 2,
    "system_clock": 2,
    "large_suite_autouse": 4,
}
# moto adds its handler to botocore's built-in list each time it is imported:
# this recipe runs in a process of its own, as a user's suite would.
IN_SUBPROCESS = {"s3_envelope_moto"}


@pytest.fixture(autouse=True)
def _interceptor_restored() -> Iterator[None]:
    yield
    assert leak_check.leaks() == []


def test_every_recipe_is_run_and_documented() -> None:
    folders = sorted(
        path.name
        for path in EXAMPLES.iterdir()
        if path.is_dir() and not path.name.startswith(("_", "."))
    )
    assert folders == sorted(RECIPES)
    index = (EXAMPLES / "README.md").read_text()
    for name in folders:
        files = sorted(path.name for path in (EXAMPLES / name).iterdir())
        assert {"conftest.py", "README.md"} <= set(files), name
        assert [file for file in files if file.startswith("test_")], name
        assert f"[`{name}`]({name})" in index, name


@pytest.mark.parametrize(("recipe", "passed"), sorted(RECIPES.items()))
def test_recipe_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recipe: str, passed: int
) -> None:
    shutil.copytree(
        EXAMPLES / recipe,
        pytester.path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    args = leak_check.install(pytester, monkeypatch)
    if recipe in IN_SUBPROCESS:
        result = pytester.runpytest_subprocess(*args)
    else:
        result = pytester.runpytest(*args)
    result.assert_outcomes(passed=passed)
