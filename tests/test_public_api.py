"""One public namespace: what users import is in ``hashkey_async.__all__`` (or a public subpackage).

The public modules are listed once, here and in the package docstring; everything else under
``hashkey_async`` is internal. No two public classes share a name, and no internal class
borrows a public class's name for something else.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import hashkey_async

#: The modules users may import from; the rest of the package is internal.
PUBLIC_MODULES = (
    "hashkey_async",
    "hashkey_async.testing",
    "hashkey_async.ratelimit",
    "hashkey_async.relay",
    "hashkey_async.metrics",
)
ROOT = Path(__file__).resolve().parents[1]


def _present(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def public_modules() -> list[ModuleType]:
    """The public modules this tree has (relay and metrics arrive with their features)."""
    return [importlib.import_module(name) for name in PUBLIC_MODULES if _present(name)]


def public_names() -> dict[str, object]:
    """``module.name`` -> object, for every name a public module exports."""
    return {
        f"{module.__name__}.{name}": getattr(module, name)
        for module in public_modules()
        for name in module.__all__
    }


def all_modules() -> list[ModuleType]:
    """Every module of the package, imported (``__main__`` would run the CLI: it defines nothing)."""
    return [hashkey_async] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(hashkey_async.__path__, "hashkey_async.")
        if not info.name.endswith("__main__")
    ]


def test_the_package_docstring_names_the_public_modules() -> None:
    doc = " ".join((hashkey_async.__doc__ or "").split())
    for name in PUBLIC_MODULES[1:]:
        assert f"``{name}``" in doc


def test_every_public_name_is_importable() -> None:
    assert {"hashkey_async", "hashkey_async.testing", "hashkey_async.ratelimit"} <= {
        module.__name__ for module in public_modules()
    }
    for module in public_modules():
        assert module.__all__, module.__name__
        assert len(set(module.__all__)) == len(module.__all__), module.__name__
        for name in module.__all__:
            assert getattr(module, name, None) is not None, f"{module.__name__}.{name}"


@pytest.mark.parametrize(
    "name",
    [
        "HashKeyClient",
        "ClientConfig",
        "Subscription",
        "Level",
        "DepthUpdate",
        "TradeUpdate",
        "KlineUpdate",
        "Depth",
        "Order",
        "OrderRequest",
        "Side",
        "HashKeyError",
        "APIError",
        "BatchStatusUnknown",
        "FilterViolation",
        "ConnectionState",
        "StreamGap",
    ],
)
def test_what_users_handle_is_at_the_top(name: str) -> None:
    assert name in hashkey_async.__all__


def test_no_two_public_classes_share_a_name() -> None:
    by_name: dict[str, set[type]] = {}
    for obj in public_names().values():
        if inspect.isclass(obj):
            by_name.setdefault(obj.__name__, set()).add(obj)
    assert {name: classes for name, classes in by_name.items() if len(classes) > 1} == {}


def test_no_internal_class_reuses_a_public_class_name() -> None:
    public = {obj.__name__: obj for obj in public_names().values() if inspect.isclass(obj)}
    clashes = [
        f"{module.__name__}.{name}"
        for module in all_modules()
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and name in public
        and public[name] is not obj
    ]
    assert clashes == []


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every ``from hashkey_async... import ...`` / ``import hashkey_async...``."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hashkey_async"):
            found.append((node.module or "", [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("hashkey_async")]
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_import_only_public_names(path: Path) -> None:
    for module, names in _imports(path):
        assert module in PUBLIC_MODULES, f"{path.name} imports internal {module}"
        exported = set(importlib.import_module(module).__all__)
        assert set(names) <= exported, f"{path.name}: {set(names) - exported} not in {module}"


def test_every_exception_class_lives_in_errors() -> None:
    """Exempt: private control flow (``_Retryable``), and the two applications built on the SDK,
    the offline exchange (its own answers) and the command line (its usage errors)."""
    elsewhere = [
        f"{module.__name__}.{name}"
        for module in all_modules()
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == module.__name__
        and module.__name__ != "hashkey_async.errors"
        and not name.startswith("_")
        and not module.__name__.startswith(("hashkey_async.testing", "hashkey_async.cli"))
    ]
    assert elsewhere == []
