"""The docs say what the code does: generated pages are current, figures are true.

(That every code block of the docs runs is tests/test_examples.py's job.)
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_operations", DOCS / "gen_operations.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blocks(page: Path, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", page.read_text(), re.MULTILINE | re.DOTALL)


def test_operations_page_is_what_the_generator_writes_now() -> None:
    # After adding an operation: python docs/gen_operations.py
    assert (DOCS / "operations.md").read_text() == _generator().render()


def test_readme_counts_the_served_operations_as_the_page_does() -> None:
    page = re.search(r"serves (\d+) of the (\d+) operations", (DOCS / "operations.md").read_text())
    readme = re.search(r"(\d+) of the (\d+) operations", (ROOT / "README.md").read_text())
    assert page is not None
    assert readme is not None
    assert readme.groups() == page.groups()


def test_every_page_is_in_the_navigation() -> None:
    navigation = re.findall(r":\s*(\S+\.md)$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE)
    assert sorted(navigation) == sorted(page.name for page in DOCS.glob("*.md"))


def test_audit_log_page_shows_the_event_its_example_makes() -> None:
    page = DOCS / "audit-log.md"
    (example,) = _blocks(page, "python")
    (shown,) = _blocks(page, "json")
    namespace: dict[str, Any] = {}
    exec(compile(example, str(page), "exec"), namespace)
    assert namespace["rotated"][0] == json.loads(shown)
