"""Offline exchange for tests, examples and the demo: ``OfflineExchange``."""

from .exchange import ExchangeConfig, OfflineExchange

__all__ = ["ExchangeConfig", "OfflineExchange"]
