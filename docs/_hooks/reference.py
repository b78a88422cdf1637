"""mkdocs hook: reference pages written from the code, so they follow renames and new names.

A page may hold these markers; each is replaced before the page is rendered:

* ``<!-- reference:public -->``: a mkdocstrings block for every name in ``hashkey_async.__all__``,
  grouped by the module that defines it (a name no group claims lands under "Other").
* ``<!-- reference:resources -->``: the class behind each attribute of a ``HashKeyClient``
  (``client.market``, ``client.spot``, ... ``client.stream``).
* ``<!-- reference:testing -->``: every name in ``hashkey_async.testing.__all__`` and the
  pytest plugin.
* ``<!-- reference:cli -->``: the ``--help`` of every CLI command, from the parser itself.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import os
from collections.abc import Iterator
from typing import Any

#: Groups of the public namespace: title, and the module prefixes whose names it takes.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Client", ("hashkey_async.client", "hashkey_async.config")),
    (
        "Orders and trading rules",
        ("hashkey_async.orders", "hashkey_async.rules", "hashkey_async.rest"),
    ),
    ("Streams", ("hashkey_async.streams",)),
    ("Stream messages and models", ("hashkey_async.models",)),
    ("Enums", ("hashkey_async.enums",)),
    ("Errors", ("hashkey_async.errors",)),
    ("Metrics", ("hashkey_async.stats", "hashkey_async.metrics")),
)

#: The attributes of a client that are resources (in the order the reference shows them).
RESOURCES = ("market", "spot", "account", "subaccount", "wallet", "user_stream", "stream")


def _block(path: str, heading_level: int = 3) -> str:
    return f"::: {path}\n    options:\n      heading_level: {heading_level}\n"


def _where(obj: Any) -> tuple[str, int]:
    """Defining module and line, to list names in source order (an error tree reads top-down)."""
    module = getattr(obj, "__module__", "") or ""
    try:
        line = inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        line = 0
    return module, line


def public_names() -> str:
    package = importlib.import_module("hashkey_async")
    placed: dict[str, list[tuple[tuple[str, int], str]]] = {title: [] for title, _ in GROUPS}
    other: list[tuple[tuple[str, int], str]] = []
    for name in package.__all__:
        obj = getattr(package, name)
        where = _where(obj)
        for title, prefixes in GROUPS:
            if where[0].startswith(prefixes):
                placed[title].append((where, name))
                break
        else:
            other.append((where, name))
    parts = []
    for title, entries in [*placed.items(), ("Other", other)]:
        if entries:
            parts.append(f"## {title}\n")
            parts.extend(_block(f"hashkey_async.{name}") for _, name in sorted(entries))
    return "\n".join(parts)


def resources() -> str:
    client_class = importlib.import_module("hashkey_async").HashKeyClient

    async def classes() -> list[tuple[str, type]]:
        async with client_class() as client:
            return [(name, type(getattr(client, name))) for name in RESOURCES]

    parts = []
    for name, cls in asyncio.run(classes()):
        parts.append(f"## `client.{name}`\n")
        parts.append(_block(f"{cls.__module__}.{cls.__qualname__}"))
    return "\n".join(parts)


def testing() -> str:
    package = importlib.import_module("hashkey_async.testing")
    parts = ["## The exchange\n"]
    parts.extend(_block(f"hashkey_async.testing.{name}") for name in package.__all__)
    parts.append("## The pytest plugin\n")
    parts.append(_block("hashkey_async.testing.pytest_plugin"))
    return "\n".join(parts)


def _commands(parser: argparse.ArgumentParser, prefix: str) -> Iterator[tuple[str, str]]:
    subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subcommands or prefix == "hashkey-async":
        yield prefix, parser.format_help()
    for action in subcommands:
        for name, child in action.choices.items():
            yield from _commands(child, f"{prefix} {name}")


def cli() -> str:
    os.environ["COLUMNS"] = "100"  # help wraps the same on every machine
    parser = importlib.import_module("hashkey_async.cli.parser").build_parser()
    parts = []
    for command, text in _commands(parser, "hashkey-async"):
        parts.append(f"### `{command}`\n\n```text\n{text.rstrip()}\n```\n")
    return "\n".join(parts)


MARKERS = {
    "<!-- reference:public -->": public_names,
    "<!-- reference:resources -->": resources,
    "<!-- reference:testing -->": testing,
    "<!-- reference:cli -->": cli,
}


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace each marker on the page with the reference it names."""
    for marker, render in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, render())
    return markdown
