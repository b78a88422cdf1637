"""``python -m hashkey_async.relay``: see ``command.py``."""

from .command import main

__all__: list[str] = []

raise SystemExit(main())
