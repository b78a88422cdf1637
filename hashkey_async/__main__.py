"""``python -m hashkey_async``: see ``cli/``."""

from .cli import main

__all__: list[str] = []

raise SystemExit(main())
