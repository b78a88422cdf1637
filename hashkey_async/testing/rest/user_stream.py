"""ListenKey endpoints (reference, "User Data Stream"): create, keep alive, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...rest import endpoints as ep
from ..errors import EngineError
from .base import Section
from .call import Call, Handler

__all__ = ["UserStreamSection"]


class UserStreamSection(Section):
    """The caller's listenKeys in the engine's registry."""

    def routes(self) -> Mapping[ep.Endpoint[Any], Handler]:
        """Rows of ``rest.user_stream``."""
        return {
            ep.CREATE_LISTEN_KEY: self.create_listen_key,
            ep.KEEPALIVE_LISTEN_KEY: self.keepalive_listen_key,
            ep.DELETE_LISTEN_KEY: self.delete_listen_key,
        }

    def create_listen_key(self, call: Call) -> dict[str, Any]:
        """Reference, "Create Listen Key"."""
        return {"listenKey": self.engine.listen_keys.create(call.caller().api_key, call.now)}

    def keepalive_listen_key(self, call: Call) -> dict[str, Any]:
        """Reference, "Reset Listen Key"."""
        key = self._own_listen_key(call)
        self.engine.listen_keys.keepalive(key, call.now)
        return {}

    def delete_listen_key(self, call: Call) -> dict[str, Any]:
        """Reference, "Delete Listen Key"."""
        self.engine.listen_keys.delete(self._own_listen_key(call))
        return {}

    def _own_listen_key(self, call: Call) -> str:
        key = call.need("listenKey")
        if self.engine.listen_keys.owner(key, call.now) != call.caller().api_key:
            raise EngineError("-1130", "Illegal parameter 'listenKey'")
        return key
