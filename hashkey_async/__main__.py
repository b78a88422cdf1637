"""``python -m hashkey_async``: see ``cli.py``."""

from .cli import main

__all__: list[str] = []

raise SystemExit(main())
