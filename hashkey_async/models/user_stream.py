"""ListenKey answers (reference, "Create Listen Key")."""

from __future__ import annotations

from .common import Model

__all__ = ["ListenKey"]


class ListenKey(Model):
    """``{"listenKey": "..."}``."""

    listen_key: str
