"""What the CLI prints: JSON lines for pipes and ``--json``, aligned tables on a terminal.

``plain`` turns any model into JSON-ready builtins with the SDK's attribute names and money
as exact strings; ``Output`` writes rows either way. ``rich`` (the ``[cli]`` extra) draws
the tables when it is installed; without it the same columns are padded as plain text.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TextIO

import msgspec

from ..models.common import Level

__all__ = ["Output", "StreamTable", "cell", "plain", "render_table"]

#: Columns are separated by this much space in plain-text tables.
GAP: Final = "  "


def _decimal(value: Decimal) -> str:
    """Exact text without an exponent: ``Decimal('1E-8')`` -> ``'0.00000001'``."""
    return format(value, "f") if value.is_finite() else str(value)


def plain(value: Any) -> Any:
    """``value`` as JSON builtins: structs by attribute name, Decimal as exact text, enums by value.

    Book levels become ``[price, quantity]`` pairs of the exchange's own strings.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Level):
        return [value.raw_price, value.raw_quantity]
    if isinstance(value, msgspec.Struct):
        return {name: plain(getattr(value, name)) for name in value.__struct_fields__}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(item) for item in value]
    return str(value)


def cell(value: Any) -> str:
    """One table cell: empty for None, exact text for numbers, ``price x qty`` for a level."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return f"{value[0]} x {value[1]}"
    return str(value)


def _numeric(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return bool(text)


def render_table(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Plain aligned text: a header and one line per row; numeric columns align right."""
    cells = [[cell(row.get(name)) for name in columns] for row in rows]
    widths = [max([len(name), *(len(line[i]) for line in cells)]) for i, name in enumerate(columns)]
    right = [
        bool(cells) and all(_numeric(line[i]) or not line[i] for line in cells)
        for i in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return GAP.join(parts).rstrip()

    return [line(columns), *(line(values) for values in cells)]


def _rich_console(stream: TextIO) -> Any:
    """A rich Console on ``stream``, or None without the ``[cli]`` extra."""
    try:
        from rich.console import Console
    except ImportError:
        return None
    return Console(file=stream, highlight=False)


class Output:
    """Where results go: JSON lines (``json=True``) or tables, on ``stream`` (stdout)."""

    def __init__(self, *, json: bool, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.json = json
        self._console: Any = None if json else _rich_console(self.stream)

    def line(self, record: Any) -> None:
        """One JSON line (already ``plain`` or any model), flushed at once for pipes."""
        self.stream.write(msgspec.json.encode(plain(record)).decode() + "\n")
        self.stream.flush()

    def text(self, message: str) -> None:
        """A line of prose (table mode only; JSON output stays parseable)."""
        if not self.json:
            self.stream.write(message + "\n")
            self.stream.flush()

    def rows(self, columns: Sequence[str], rows: Sequence[Any], *, title: str = "") -> None:
        """Models (or plain dicts) as JSON lines, or as a table of ``columns``."""
        records = [plain(row) for row in rows]
        if self.json:
            for record in records:
                self.line(record)
            return
        if not records:
            return
        if self._console is not None:
            self._rich_table(columns, records, title)
            return
        if title:
            self.stream.write(title + "\n")
        self.stream.write("\n".join(render_table(columns, records)) + "\n")
        self.stream.flush()

    def record(self, record: Any, *, title: str = "") -> None:
        """One object: a JSON line, or a two-column field/value table."""
        data = plain(record)
        if self.json:
            self.line(data)
            return
        pairs = [{"field": key, "value": value} for key, value in data.items()]
        self.rows(("field", "value"), pairs, title=title)

    def _rich_table(self, columns: Sequence[str], records: list[Any], title: str) -> None:
        from rich.table import Table

        table = Table()
        for name in columns:
            numeric = bool(records) and all(
                _numeric(cell(r.get(name))) or r.get(name) is None for r in records
            )
            width = max(len(name), *(len(cell(r.get(name))) for r in records))
            table.add_column(
                name, justify="right" if numeric else "left", no_wrap=True, min_width=width
            )
        for record in records:
            table.add_row(*(cell(record.get(name)) for name in columns))
        if title:
            self._console.print(title, style="bold")
        # Never cut a number short: a table wider than the terminal is printed at full width.
        needed = sum(column.min_width or 0 for column in table.columns) + 3 * len(columns) + 1
        self._console.print(table, width=max(self._console.width, needed), crop=False)


class StreamTable:
    """Rows that arrive one at a time, aligned as they come (header once, columns only widen)."""

    def __init__(self, out: Output, columns: Sequence[str]) -> None:
        self._out = out
        self._columns = tuple(columns)
        self._widths = [len(name) for name in columns]
        self._started = False

    def add(self, record: Any) -> None:
        """Print ``record``: a JSON line, or one aligned row of the table."""
        data = plain(record)
        if self._out.json:
            self._out.line(data)
            return
        values = [cell(data.get(name)) for name in self._columns]
        self._widths = [max(w, len(v)) for w, v in zip(self._widths, values, strict=True)]
        if not self._started:
            self._started = True
            self._out.text(self._format(self._columns))
        self._out.text(self._format(values))

    def _format(self, values: Sequence[str]) -> str:
        return GAP.join(v.ljust(w) for v, w in zip(values, self._widths, strict=True)).rstrip()
