"""``python -m hashkey_async``: ``serve`` in a real subprocess, ``demo`` end to end."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
import pytest

from hashkey_async.cli import main

STARTUP = 15.0


async def test_serve_runs_a_reachable_exchange_until_interrupted() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hashkey_async",
        "serve",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(STARTUP):
            lines = []
            while not lines or not lines[-1].startswith("Ctrl-C"):
                lines.append((await proc.stdout.readline()).decode().strip())
        rest_url = next(line.split()[1] for line in lines if line.startswith("REST"))
        assert rest_url.startswith("http://127.0.0.1:")
        stream_url = rest_url.replace("http://", "ws://")
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"{stream_url}/quote/ws/v2") as ws,
        ):
            await ws.send_json({"ping": 1})
            async with asyncio.timeout(5):
                reply = await ws.receive_json()
            assert set(reply) == {"pong"}
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(STARTUP):
            out, _ = await proc.communicate()
        assert proc.returncode == 0
        assert b"stopped." in out
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_demo_tours_the_offline_exchange(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "tick size     0.01",
        "best bid",
        "sent          BUY 0.01234 @ ",  # 0.0123456 rounded down to the step 0.00001
        "executionReport NEW BUY 0.01234",
        "sent          BUY 0.002 @ ",  # the wire text: no trailing zeros from the step grid
        "ticketInfo",
        "executionReport FILLED",
        "USDT          free",
        "executionReport CANCELED BUY 0.01234",
        "Done.",
    ):
        assert expected in out


def test_live_demo_needs_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HASHKEY_API_KEY", raising=False)
    monkeypatch.delenv("HASHKEY_API_SECRET", raising=False)
    assert main(["demo", "--live"]) == 2
    assert "HASHKEY_API_KEY" in capsys.readouterr().out
