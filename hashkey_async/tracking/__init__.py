"""Order tracking: a pure state machine (``state``, ``ledger``), the journal and ``client.orders``."""

from .journal import JournalError, OrderJournal
from .state import TrackedOrder
from .tracker import OrderTracker

__all__ = ["JournalError", "OrderJournal", "OrderTracker", "TrackedOrder"]
