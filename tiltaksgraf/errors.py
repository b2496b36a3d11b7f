"""One error base for everything a user can cause. The CLI catches these (exit 1) and prints
``message``; anything else is a bug and keeps its traceback under ``--debug``."""

from __future__ import annotations


class TiltaksgrafError(Exception):
    """A problem the user can fix: says what went wrong, where, and what to do."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        self.path = path
        self.line = line
        self.hint = hint
        self.detail = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}{self.detail}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class InputError(TiltaksgrafError):
    """A file that cannot be read as a report (missing, a directory, empty, binary, undecodable)."""


class ParseError(TiltaksgrafError):
    """A report whose text does not have the shape of a measures table."""


class OutputError(TiltaksgrafError):
    """An output that cannot be written: no permission, a read-only or full disk, a file-size
    limit, another build holding it, not enough memory to build it."""


class DataError(TiltaksgrafError):
    """Bundled knowledge (gazetteer, patterns, ontology) that fails validation."""


class QueryError(TiltaksgrafError):
    """A SPARQL query or named-query parameter that cannot be run."""


class UsageError(TiltaksgrafError):
    """Arguments that do not fit together (the CLI exits 2 for these)."""


class ParameterError(QueryError, UsageError):
    """A query parameter of the wrong kind (a word where a number goes): a usage error for the
    CLI (exit 2), and a ``QueryError`` for Python and HTTP callers."""


class UnwritableResult(QueryError):
    """A query result the asked-for format cannot hold (an IRI with a quote as Turtle, say)."""
