"""REST: the endpoint table, the transport, and one thin typed resource per reference section."""

__all__: list[str] = []
