"""``client.stream`` facade (placeholder until the streams issue fills it)."""

from __future__ import annotations

from ..config import ClientConfig
from ..rest.user_stream import UserStreamResource

__all__ = ["StreamManager"]


class StreamManager:
    """Placeholder: owns every stream connection of a client."""

    def __init__(self, config: ClientConfig, user_stream: UserStreamResource) -> None:
        self._config = config
        self._user_stream = user_stream

    async def close(self) -> None:
        """Close every connection and cancel every task."""
