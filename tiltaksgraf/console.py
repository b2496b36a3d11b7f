"""What every stage's CLI commands share: the message console, markup escaping and exit codes.

The stages' ``commands`` modules import this, never ``tiltaksgraf.cli``: the CLI imports the
stages and calls their ``register(app)``, so imports run one way only.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape as _rich_escape

EXIT_OK = 0
EXIT_USER_ERROR = 1  # a TiltaksgrafError: the message says what to do
EXIT_USAGE = 2  # arguments that do not fit together (UsageError, click's own usage errors)
EXIT_INTERRUPTED = 130

# Messages and progress go to stderr, results to stdout. Soft wrap: paths in messages stay whole.
# No emoji codes: a name or path with ":smile:" in it is printed as written (and their table is
# not loaded for every message).
err = Console(stderr=True, soft_wrap=True, emoji=False)


def escape(text: str) -> str:
    """``text`` with rich markup characters escaped, to print user data through ``err``."""
    return _rich_escape(text)
