"""WebSocket streams: pure protocol and bookkeeping, one supervisor, and the ``client.stream`` facade.

- ``protocol``: sub/unsub messages (V1, V2), one-pass typed frame decoding and routing keys,
  heartbeat and liveness rules; no I/O.
- ``backoff``: reconnect schedule (immediate first retry, full jitter, reset once a new link
  delivered data, a cap on connects per minute); pacing.
- ``health``: the stall rule for topics with a known cadence (seconds, not two ping intervals).
- ``subscription``: bounded subscriber queues (conflate / raise on overflow / gap event), the
  registry replayed after reconnects, and the ``Subscription`` handle users iterate.
- ``connection``: the one supervisor per endpoint (state machine, pings, watchdog, reconnect).
- ``manager``: ``client.stream`` and the private stream's listenKey lifecycle.
"""

__all__: list[str] = []
