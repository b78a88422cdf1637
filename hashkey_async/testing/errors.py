"""``EngineError``: a refusal of the offline exchange, as the reference's "Error Codes" table has it."""

from __future__ import annotations

__all__ = ["EngineError"]


class EngineError(Exception):
    """A rejection with the reference's error code, its HTTP status and any Retry-After."""

    def __init__(
        self, code: str, msg: str, status: int = 400, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.retry_after = retry_after
