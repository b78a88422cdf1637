"""The offline exchange is built in layers: read its source and check the rules hold."""

from __future__ import annotations

import ast
from pathlib import Path

import hashkey_async
import hashkey_async.testing

PACKAGE = Path(hashkey_async.__file__).parent
TESTING = Path(hashkey_async.testing.__file__).parent
#: The only modules allowed to import ``exchange.py``: the package front and the pytest plugin.
EXCHANGE_IMPORTERS = {"hashkey_async.testing", "hashkey_async.testing.pytest_plugin"}
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every hashkey_async module ``path`` imports, at any level (TYPE_CHECKING included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = f"{base}.{node.module}" if node.level and node.module else node.module
            module = module or base
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("hashkey_async")}


def _testing_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(TESTING.rglob("*.py"))}


def test_only_the_package_front_and_the_plugin_import_exchange() -> None:
    offenders = sorted(
        name
        for name, path in _testing_modules().items()
        if "hashkey_async.testing.exchange" in _imports(path) and name not in EXCHANGE_IMPORTERS
    )
    assert offenders == []


def test_the_offline_exchange_has_no_import_cycle() -> None:
    modules = _testing_modules()
    graph = {name: _imports(path) & set(modules) for name, path in modules.items()}
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(path: list[str]) -> None:
        for nxt in sorted(graph[path[-1]]):
            if nxt in path:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in done:
                visit([*path, nxt])
        done.add(path[-1])

    for name in sorted(graph):
        if name not in done:
            visit([name])
    assert cycles == []


def test_no_module_of_the_offline_exchange_is_over_500_lines() -> None:
    sizes = {name: len(p.read_text().splitlines()) for name, p in _testing_modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def _classes(paths: list[Path]) -> set[str]:
    return {
        node.name
        for path in paths
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
    }


def test_no_offline_exchange_class_shares_a_name_with_an_sdk_class() -> None:
    testing = list(TESTING.rglob("*.py"))
    sdk = [p for p in PACKAGE.rglob("*.py") if TESTING not in p.parents]
    shared = _classes(testing) & _classes(sdk)
    assert shared == set()
    assert "BookOrder" in _classes(testing)  # the walk really reads the exchange's classes


def test_the_import_reader_sees_relative_imports() -> None:
    imports = _imports(TESTING / "exchange.py")
    assert {"hashkey_async.testing.engine", "hashkey_async.client"} <= imports
