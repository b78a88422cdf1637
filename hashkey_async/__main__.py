"""``python -m hashkey_async``: see ``cli.py``."""

from .cli import main

raise SystemExit(main())
