"""Full paths against the offline exchange: varied private frames reach the subscriber, varied
public frames reach theirs, and an order write whose 2xx cannot be read is reconciled, never
misreported and never duplicated."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from fixtures import reference_examples

from hashkey_async import (
    DecodeError,
    DepthUpdate,
    ExecutionStatusUnknown,
    HashKeyClient,
    Order,
    OrderStatus,
    ReconcilePolicy,
    UnknownEvent,
    decode_stats,
)
from hashkey_async.decoding import exact_json
from hashkey_async.streams.connection import ConnectionState
from hashkey_async.streams.protocol import PrivateDecoder
from hashkey_async.testing import OfflineExchange
from hashkey_async.testing.variations import encode, variations

PRIVATE = [exact_json.decode(e.raw) for e in reference_examples() if e.where == "ws/private"]
CREATE_ANSWER = next(e.raw for e in reference_examples() if e.where == "POST /api/v1.1/spot/order")


@pytest.fixture
async def ex() -> AsyncIterator[OfflineExchange]:
    async with OfflineExchange(market_interval=0.05, private_ping_interval=0.5) as exchange:
        yield exchange


@pytest.fixture
async def client(ex: OfflineExchange) -> AsyncIterator[HashKeyClient]:
    c = ex.client(reconcile=ReconcilePolicy(lookups=3, base_delay=0.01, max_delay=0.02))
    yield c
    await c.close()


async def _open(client: HashKeyClient, endpoint: str) -> None:
    """Wait (on the manager's state listener) until ``endpoint`` is open."""
    opened = asyncio.Event()

    def seen(name: str, old: ConnectionState, new: ConnectionState) -> None:
        if name == endpoint and new is ConnectionState.OPEN:
            opened.set()

    client.stream.add_listener(seen)
    if client.stream.state(endpoint) is ConnectionState.OPEN:
        return
    async with asyncio.timeout(5):
        await opened.wait()


async def test_every_private_variation_reaches_the_subscriber_with_its_sibling(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    """Frame ``[varied, intact]`` per variation: the varied event arrives typed (or, for a broken
    identifying field, as UnknownEvent with its payload); the intact sibling always arrives typed."""
    decoder = PrivateDecoder()
    frames: list[tuple[bool, Any, Any]] = []
    for example in PRIVATE:
        intact = example[0]
        for variation in variations(example, PrivateDecoder.MODEL):
            frames.append((variation.site.identifying, variation.payload[0], intact))
    async with client.stream.user() as events:
        await _open(client, "private")
        for _, varied, intact in frames:
            assert await ex.send_raw(encode([varied, intact]), "private") == 1
        async with asyncio.timeout(10):
            received = [await events.get() for _ in range(2 * len(frames))]
    untyped = 0
    for (identifying, varied, intact), first, second in zip(
        frames, received[::2], received[1::2], strict=True
    ):
        assert second == decoder.decode(encode([intact]))[0]  # the sibling, typed and unchanged
        if isinstance(first, UnknownEvent):
            assert identifying, varied
            assert first.data == varied
            untyped += 1
        else:
            assert type(first).__name__ == type(second).__name__
    assert len(frames) > 100 and 0 < untyped < len(frames) // 4


async def test_a_depth_frame_with_number_levels_reaches_the_subscriber_exactly(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    frame = (
        b'{"topic":"depth","params":{"symbol":"ETHUSDT"},"data":{"s":"ETHUSDT","t":1,'
        b'"v":"1_1","b":[[2974.50,0.0202],["2974.4","1"]],"a":[[2975,1E-7]]}}'
    )
    async with client.stream.depth("ETHUSDT") as books:
        await _open(client, "public-v2")
        async with asyncio.timeout(5):
            while True:  # the exchange's own book frames may conflate ours away: resend
                assert await ex.send_raw(frame, "v2") == 1
                book = await books.get()
                if book.time == 1:
                    break
    assert isinstance(book, DepthUpdate)
    assert [(lv.raw_price, lv.raw_quantity) for lv in book.bids] == [
        ("2974.50", "0.0202"),
        ("2974.4", "1"),
    ]
    assert book.asks[0].price == Decimal(2975) and book.asks[0].quantity == Decimal("1E-7")
    assert decode_stats().snapshot()["fallbacks"].get(("Level", "raw_price"), 0) > 0


async def _orders_with(client: HashKeyClient, cid: str) -> list[Any]:
    listed = await client.spot.open_orders(symbol="BTCUSDT")
    return [order for order in listed if order.client_order_id == cid]


@pytest.mark.parametrize(
    "body",
    [
        None,  # the exchange's default corrupt body: not JSON at all
        b'{"code": 0}',  # JSON without the order's identity
        *dict.fromkeys(
            encode(v.payload)
            for v in variations(exact_json.decode(CREATE_ANSWER), Order)
            if v.site.path in (("orderId",), ("symbol",)) and v.kind in ("null", "missing")
        ),
    ],
)
async def test_an_unreadable_create_answer_is_reconciled_never_a_duplicate(
    ex: OfflineExchange, client: HashKeyClient, body: bytes | None
) -> None:
    ex.corrupt_next_order_answers(1, **({} if body is None else {"body": body}))
    order = await client.spot.create_order(
        "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="1000", client_order_id="dec-1"
    )
    assert order.client_order_id == "dec-1" and order.status is OrderStatus.NEW
    assert [o.order_id for o in await _orders_with(client, "dec-1")] == [order.order_id]
    assert "dec-1" not in client.spot.in_doubt


async def test_an_unreadable_batch_answer_is_reconciled_never_a_duplicate(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    ex.corrupt_next_order_answers(1)
    orders = [
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": str(1000 + i),
            "client_order_id": f"dec-b{i}",
        }
        for i in range(3)
    ]
    answer = await client.spot.create_orders(orders)
    assert [o.client_order_id for o in answer.orders] == ["dec-b0", "dec-b1", "dec-b2"]
    for i in range(3):
        assert len(await _orders_with(client, f"dec-b{i}")) == 1


async def test_an_unreadable_cancel_answer_is_status_unknown_not_a_decode_error(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    order = await client.spot.create_order(
        "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="1000", client_order_id="dec-c"
    )
    ex.corrupt_next_order_answers(1)
    with pytest.raises(ExecutionStatusUnknown) as info:
        await client.spot.cancel_order(order_id=order.order_id)
    assert not isinstance(info.value, DecodeError) and info.value.status == 200
    after = await client.spot.get_order(order_id=order.order_id)
    assert after.status is OrderStatus.CANCELED  # it took effect: "unknown" was the truth
