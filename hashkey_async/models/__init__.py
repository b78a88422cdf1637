"""Typed msgspec structs for every REST response and stream frame.

Conventions: snake_case attributes renamed from the exchange's camelCase or
one-letter keys; money as ``Decimal`` (REST) or exact strings with Decimal
properties on hot stream paths; unknown fields ignored; ids and timestamps
accepted as string or int. Every field but a model's identifying ones (listed in
``hashkey_async.decoding.IDENTIFYING``) is ``Optional``: the exchange may blank it.

Classes live by wire: ``models.market`` holds the REST answers of ``client.market``
(``Depth``, ``Trade``, ``Kline``), ``models.stream`` the WebSocket frames (``DepthUpdate``,
``TradeUpdate``, ``KlineUpdate``); the stream names are exported by ``hashkey_async``.
"""

__all__: list[str] = []
