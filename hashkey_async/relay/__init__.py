"""Market-data relay through Redis Streams (needs the ``hashkey_async[redis]`` extra).

One process runs ``python -m hashkey_async relay --redis URL depth:BTCUSDT trade:BTCUSDT``
(``run_relay``); any number read with ``RedisStreams(url).depth("BTCUSDT")`` and friends, which
give the same iterators, message types and slow-consumer policies as ``client.stream``.
"""

from __future__ import annotations

from .consumer import RedisStreams
from .publisher import run_relay
from .topics import DEFAULT_MAXLEN, DEFAULT_PREFIX, Topic, parse_topic

__all__ = ["DEFAULT_MAXLEN", "DEFAULT_PREFIX", "RedisStreams", "Topic", "parse_topic", "run_relay"]
