"""OfflineExchange lifecycle: a start that fails leaves nothing running."""

from __future__ import annotations

import socket

import pytest

from hashkey_async.testing import OfflineExchange


async def test_a_start_on_a_taken_port_cleans_up_what_it_started() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        exchange = OfflineExchange(port=port)
        with pytest.raises(OSError):
            await exchange.start()
        assert exchange._runner is None  # the app runner was cleaned up, not left set up
    await exchange.close()  # and closing again is harmless
