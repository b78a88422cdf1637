"""WebSocket streams: pure protocol and bookkeeping, one supervisor, and the ``client.stream`` facade."""
