"""HMAC-SHA256 request signing, shared by the client and the offline exchange's verifier.

Reference, "Signature Authentication": the signature is the hex HMAC-SHA256 of
totalParams = query string concatenated with the request body, keyed by the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

__all__ = ["API_KEY_HEADER", "sign", "verify"]

#: The header that carries the API key. The reference's table says ``X-APIKEY``;
#: its samples and curl lines send ``X-HK-APIKEY``, which is what we send.
API_KEY_HEADER: Final = "X-HK-APIKEY"


def sign(secret: str, query: str, body: bytes | str = b"") -> str:
    """Return the lower-case hex signature of ``query + body``."""
    payload = query.encode() + (body.encode() if isinstance(body, str) else body)
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def verify(secret: str, query: str, body: bytes | str, signature: str) -> bool:
    """Check a signature in constant time; the reference says it is case-insensitive."""
    return hmac.compare_digest(sign(secret, query, body), signature.lower())
