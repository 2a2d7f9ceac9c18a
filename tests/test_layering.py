"""kms_mock's modules form layers: no module imports, even for a type, one that imports it back.

An import circle makes the lower module impossible to read, test or change on its
own. The graph counts every relative import: module level, ``if TYPE_CHECKING:``
and inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kms_mock

PACKAGE_ROOT = Path(kms_mock.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The kms_mock modules that ``path`` imports anywhere in its text."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            # ``from . import _rotation`` names a module; ``from ._x import y`` a member.
            submodules = {f"{target}.{alias.name}" for alias in node.names}
            found.update(submodules & modules or {target})
    return found - {name}


def import_graph() -> dict[str, set[str]]:
    """Each kms_mock module and the kms_mock modules it imports."""
    paths = sorted(PACKAGE_ROOT.rglob("*.py"))
    modules = {_module_name(path) for path in paths}
    return {_module_name(path): _imported_modules(path, modules) for path in paths}


def _circle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path of imports from ``start`` back to itself, if there is one."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        module, path = stack.pop()
        for imported in sorted(graph.get(module, ())):
            if imported == start:
                return [*path, start]
            if imported not in seen:
                seen.add(imported)
                stack.append((imported, [*path, imported]))
    return None


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert "kms_mock._models" in graph["kms_mock._store"]  # module level
    assert "kms_mock._ciphertext" in graph["kms_mock._operations.crypto"]  # ``from .. import``
    assert "kms_mock._operations" in graph["kms_mock._mock"]  # a package


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = import_graph()
    circles = [circle for module in graph if (circle := _circle_through(graph, module))]
    assert circles == [], "\n".join(" -> ".join(circle) for circle in circles)


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        for imported in graph.get(stack.pop(), ()):
            if imported not in seen:
                seen.add(imported)
                stack.append(imported)
    return seen


@pytest.mark.parametrize("module", ["kms_mock._rotation", "kms_mock._lifecycle"])
def test_what_the_clock_calls_reaches_no_dispatch_and_no_operation(module: str) -> None:
    reached = _reachable(import_graph(), module)
    above = {
        name for name in reached if name.startswith(("kms_mock._dispatch", "kms_mock._operations"))
    }
    assert above == set()
