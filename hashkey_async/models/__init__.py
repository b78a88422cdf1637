"""Typed msgspec structs for every REST response and stream frame.

Conventions: snake_case attributes renamed from the exchange's camelCase or
one-letter keys; money as ``Decimal`` (REST) or exact strings with Decimal
properties on hot stream paths; unknown fields ignored; ids and timestamps
accepted as string or int.
"""

__all__: list[str] = []
