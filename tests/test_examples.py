"""Every example runs, as a user would run it, and passes: so the docs cannot rot.

The recipes in conftest_examples/ and the Python code blocks of the README and
of the docs/ pages are each written into pytester's directory (its own
rootdir, so an ini file of its own counts) and run with warnings as errors and
the interceptor leak check. Every ``def test_`` of an example must pass, so an
example that loses a test, or whose top-level code raises, fails here.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import leak_check

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "conftest_examples"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: recipe -> number of tests it has, all of which pass.
RECIPES = {
    "fixture_basics": 7,
    "rotation_year": 3,
    "suite_defaults": 5,
    "unittest_testcase": 3,
    "s3_envelope_moto": 2,
    "system_clock": 2,
    "large_suite_autouse": 4,
    "failure_paths": 3,
    "roles_and_permissions": 3,
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


# -- code blocks of the README and the docs pages -----------------------------------

# A fenced block, indented as inside a list item or not; its language, its text.
_FENCE = re.compile(r"^( *)```(\w+)\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)
# A block that starts with "# <file name>" is that file of a small project; the
# file blocks that follow one another in a page make one project (conftest.py,
# an ini file, a test module), run together.
_FILE_HEADER = re.compile(r"# ([\w.]+\.(?:py|toml|ini))\n")
# Blocks in these languages are run; the others (bash, text, json) are shown only.
_RUN = {"python", "toml"}


@dataclass
class Example:
    """One runnable example: the files its code blocks make, and where it is written."""

    where: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def tests(self) -> int:
        return sum(
            text.count("def test_") for name, text in self.files.items() if name.startswith("test_")
        )


def _examples(document: Path) -> list[Example]:
    examples: list[Example] = []
    text = document.read_text()
    project: Example | None = None
    for fence in _FENCE.finditer(text):
        if fence.group(2) not in _RUN:
            project = None
            continue
        block = textwrap.dedent(fence.group(3))
        line = text.count("\n", 0, fence.start()) + 1
        header = _FILE_HEADER.match(block)
        if header is None:
            assert fence.group(2) == "python", f"{document.name}:{line} names no file"
            examples.append(Example(f"{document.name}:{line}", {"test_example.py": block}))
            project = None
            continue
        if project is None:
            project = Example(f"{document.name}:{line}")
            examples.append(project)
        project.files[header.group(1)] = block
    return examples


EXAMPLE_BLOCKS = [example for document in DOCUMENTS for example in _examples(document)]


def test_every_python_block_is_run() -> None:
    fences = sum(len(re.findall(r"^ *```python$", doc.read_text(), re.M)) for doc in DOCUMENTS)
    run = [name for example in EXAMPLE_BLOCKS for name in example.files if name.endswith(".py")]
    assert len(run) == fences
    pages = {example.where.split(":")[0] for example in EXAMPLE_BLOCKS}
    assert {"README.md", "rotation.md", "pytest-plugin.md", "audit-log.md"} <= pages


def test_examples_import_names_from_kms_mock() -> None:
    # In an example that takes the kms_mock fixture, `import kms_mock` would be
    # hidden by the argument: every example imports the names it uses instead.
    for example in EXAMPLE_BLOCKS:
        for name, text in example.files.items():
            assert not re.search(r"^import kms_mock\b", text, re.MULTILINE), (example.where, name)


@pytest.mark.parametrize("example", EXAMPLE_BLOCKS, ids=lambda example: example.where)
def test_example_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, example: Example
) -> None:
    for name, text in example.files.items():
        (pytester.path / name).write_text(text)
    args = leak_check.install(pytester, monkeypatch)
    # moto: as for the recipe, above; endpoint_url: a client that goes over HTTP to a
    # server, which this suite's network guard would refuse in its own process;
    # requests: pytester's in-process runs drop the modules each run imported, and a
    # second import of requests cannot merge the first one's cookie jars.
    in_subprocess = ("moto", "endpoint_url", "import requests")
    if any(marker in text for text in example.files.values() for marker in in_subprocess):
        result = pytester.runpytest_subprocess(*args)
    else:
        result = pytester.runpytest(*args)
    result.assert_outcomes(passed=example.tests)
