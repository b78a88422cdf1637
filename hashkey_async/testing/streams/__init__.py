"""WebSocket side of the offline exchange: the pure stream protocol (``protocol.py``) and
the I/O shell that serves it (``hub.py``), mirroring ``hashkey_async.streams``."""
