"""A bot process for the journal's crash tests: places one order, or recovers after a kill.

``python journal_bot.py place REST_URL STREAM_URL JOURNAL CID`` sends one order with client order
id CID (the test kills the process before the answer arrives). ``... recover ...`` opens the same
journal, waits until the tracker is ready, and prints the order's state as one JSON line.
"""

from __future__ import annotations

import asyncio
import sys

import msgspec

from hashkey_async import HashKeyClient


async def main(mode: str, rest_url: str, stream_url: str, journal: str, cid: str) -> None:
    client = HashKeyClient(
        "offline-api-key",
        "offline-api-secret",
        base_url=rest_url,
        stream_url=stream_url,
        journal=journal,
        recv_window=1000,
        ws_ping_interval=1.0,
    )
    async with asyncio.timeout(120), client:  # never outlive a failed test for long
        if mode == "place":
            # With a journal, entering the client recovered and reconciled before this line.
            print("sending", flush=True)
            await client.spot.create_order(
                "BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="1000", client_order_id=cid
            )
            print("answered", flush=True)  # never reached: the test kills us first
        else:
            tracked = client.orders.get(cid)
            print(msgspec.json.encode(tracked).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
