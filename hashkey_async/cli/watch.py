"""A block of lines redrawn in place on a terminal (``depth --watch``).

With ``rich`` (the ``[cli]`` extra) it is a ``rich.live.Live``; without it, ANSI cursor moves
rewrite the previous block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["LiveView", "redraw"]


def redraw(previous_lines: int, lines: Sequence[str]) -> str:
    """Terminal text that moves up over ``previous_lines`` and writes ``lines`` in their place."""
    up = f"\x1b[{previous_lines}F" if previous_lines else ""
    return up + "".join(f"{line}\x1b[K\n" for line in lines) + "\x1b[J"


class LiveView:
    """Shows the latest block of lines, replacing the one before; ``close()`` leaves it on screen."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._shown = 0
        self._live: Any = None
        try:
            from rich.console import Console
            from rich.live import Live
        except ImportError:
            return
        self._live = Live(console=Console(file=stream), auto_refresh=False, transient=False)
        self._live.start()

    def show(self, title: str, lines: Sequence[str]) -> None:
        """Replace what is on screen with ``title`` and ``lines``."""
        block = [title, *lines]
        if self._live is not None:
            from rich.text import Text

            self._live.update(Text("\n".join(block)), refresh=True)
            return
        self._stream.write(redraw(self._shown, block))
        self._stream.flush()
        self._shown = len(block)

    def close(self) -> None:
        """Stop redrawing (the last block stays)."""
        if self._live is not None:
            self._live.stop()
            self._live = None
