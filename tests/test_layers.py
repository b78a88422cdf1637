"""Imports flow one way: no module imports a layer above its own, and no import cycle.

``LAYERS`` is the table; ``docs/ARCHITECTURE.md`` mirrors it (checked below). Every import
counts, also those under ``if TYPE_CHECKING:`` or inside a function: a lazy import is still
a dependency. A new module needs a row (or a package row that covers it).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hashkey_async"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"

#: Module (or package: it covers its submodules) -> layer, relative to ``hashkey_async``.
LAYERS: dict[str, int] = {
    "errors": 0,
    "signing": 0,
    "clock": 0,
    "backoff": 0,
    "stats": 0,
    "enums": 1,
    "params": 1,
    "auth": 1,
    "ratelimit": 1,
    "models": 2,
    "decoding": 2,
    "orders": 2,
    "config": 2,
    "rules": 3,
    "rest": 4,
    "streams": 5,
    "tracking": 6,
    "client": 7,
    "": 8,  # the package itself: the public namespace
    "relay": 8,
    "metrics": 8,
    "testing": 9,
    "cli": 10,
    "__main__": 10,
}


def module_name(path: Path) -> str:
    """``hashkey_async/rest/spot.py`` -> ``hashkey_async.rest.spot`` (a package by its folder)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # ``from . import x`` names a module when x is one, else a name of the package
            subs = {f"{target}.{alias.name}" for alias in node.names} & known
            found.update(subs or {target})
    return {target for target in found if target in known and target != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def layer_of(module: str, layers: Mapping[str, int] = LAYERS) -> int | None:
    """The layer of the longest table row that is ``module`` or a package containing it."""
    relative = module.removeprefix("hashkey_async").removeprefix(".")
    rows = [row for row in layers if row == relative or (row and relative.startswith(row + "."))]
    return layers[max(rows, key=len)] if rows else None


def upward_imports(edges: Mapping[str, set[str]], layers: Mapping[str, int] = LAYERS) -> list[str]:
    """Each import of a module from a higher layer, as ``a (L) -> b (M)``."""
    found = []
    for module, targets in sorted(edges.items()):
        own = layer_of(module, layers)
        for target in sorted(targets):
            theirs = layer_of(target, layers)
            if own is not None and theirs is not None and theirs > own:
                found.append(f"{module} ({own}) -> {target} ({theirs})")
    return found


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import each other round a loop (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in edges.get(node, ()):
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def documented_layers() -> Iterator[tuple[int, str]]:
    """(layer, module) for each module named in the layer table of ARCHITECTURE.md."""
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        row = re.match(r"^\| (\d+) \| ([^|]+) \|", line)
        if row:
            for name in re.findall(r"`([^`]+)`", row.group(2)):
                yield int(row.group(1)), name.removeprefix("hashkey_async").strip("./")


# --- the package as it is ----------------------------------------------------------------


def test_every_module_has_a_layer() -> None:
    missing = [name for name in modules() if layer_of(name) is None]
    assert missing == [], f"add a row to LAYERS (and docs/ARCHITECTURE.md) for {missing}"


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports(graph()) == []


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_the_architecture_doc_mirrors_the_table() -> None:
    assert sorted(documented_layers()) == sorted((layer, name) for name, layer in LAYERS.items())


def test_the_graph_sees_the_imports_it_must() -> None:
    edges = graph()
    assert "hashkey_async.errors" in edges["hashkey_async.rest.transport"]
    assert "hashkey_async.rest.endpoints" in edges["hashkey_async.rest.spot"]  # from . import
    assert "hashkey_async.client" in edges["hashkey_async.testing.pytest_plugin"]  # TYPE_CHECKING
    assert "hashkey_async.enums" in edges["hashkey_async.models.stream"]


# --- the checks can fail --------------------------------------------------------------------


def test_an_upward_import_is_reported() -> None:
    edges = {"hashkey_async.errors": {"hashkey_async.client"}, "hashkey_async.client": set()}
    assert upward_imports(edges) == ["hashkey_async.errors (0) -> hashkey_async.client (7)"]


def test_a_submodule_takes_its_package_row() -> None:
    assert layer_of("hashkey_async.rest.spot") == 4
    assert layer_of("hashkey_async") == 8
    assert layer_of("hashkey_async.testing.rest.spot") == 9
    assert layer_of("hashkey_async.restless") is None  # a prefix of a name is not its package


def test_a_cycle_is_reported_even_within_one_layer() -> None:
    edges = {
        "hashkey_async.rest.a": {"hashkey_async.rest.b"},
        "hashkey_async.rest.b": {"hashkey_async.rest.c"},
        "hashkey_async.rest.c": {"hashkey_async.rest.a"},
        "hashkey_async.rest.d": {"hashkey_async.rest.a"},
    }
    assert cycles(edges) == [
        ["hashkey_async.rest.a", "hashkey_async.rest.b", "hashkey_async.rest.c"]
    ]
    assert cycles({"hashkey_async.x": {"hashkey_async.x"}}) == [["hashkey_async.x"]]
    assert cycles({"hashkey_async.x": {"hashkey_async.y"}, "hashkey_async.y": set()}) == []


def test_no_module_over_500_lines() -> None:
    """One module per concern: a module past ~500 lines is doing two jobs."""
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}
