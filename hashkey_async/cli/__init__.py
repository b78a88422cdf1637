"""The ``hashkey-async`` command line (also ``python -m hashkey_async``).

One module per concern: ``parser`` (arguments), ``session`` (where to connect), ``output``
(JSON lines / tables), ``failures`` (messages and exit codes), ``market``, ``account`` and
``streams`` (the commands), ``demo`` and ``serve``; ``app`` runs one command.
"""

from .app import main

__all__ = ["main"]
