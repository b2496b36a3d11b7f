"""The safety check every query passes before it runs: one text, parsed, refused if it writes or calls out.

Input: SPARQL text. Output: the text every engine reads alike (``engine_text``) and its form
(``check_query``: SELECT, ASK, CONSTRUCT, DESCRIBE), or ``SparqlSyntaxError`` with line and column,
or ``QueryRefused`` for SPARQL Update, SERVICE and FROM.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


from tiltaksgraf.errors import QueryError
from tiltaksgraf.graph.stores import prepare_rdflib

# --- errors ------------------------------------------------------------------------------------


class SparqlSyntaxError(QueryError):
    """Query text that does not parse; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        self.column = column
        where = f" at line {line}, column {column}" if line and column else ""
        super().__init__(f"SPARQL syntax error{where}: {message}")
        self.line = line


class QueryRefused(QueryError):
    """A query this read-only service does not run (Update, SERVICE, FROM)."""


# --- running -----------------------------------------------------------------------------------

_KINDS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}
# Longer query texts are parsed without rdflib's parse cache: a hand-written query is a few
# kilobytes, and 512 cached one-megabyte queries would hold gigabytes.
_CACHED_CHARS = 65_536


def engine_text(text: str) -> str:
    """``text`` as every engine reads it: ``\\u``/``\\U`` escapes expanded and line breaks as LF.

    The checks below read the query with rdflib, but Oxigraph (or a remote store) may run it,
    and the two tokenise differently: rdflib expands escapes everywhere before parsing (as
    SPARQL 1.1 section 19.2 says) and ends a comment only at LF; Oxigraph expands escapes only
    inside strings and IRIs and ends a comment at CR too. Either way a text that rdflib reads
    as harmless could make Oxigraph call a SERVICE (``# …\\r SERVICE …``, or ``'\\u0027'``:
    a long-string quote to rdflib, a one-character string to Oxigraph). So the one text that is
    checked and run has no escapes left and no CR."""
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes, expandUnicodeEscapes_re

    try:
        expanded = expandUnicodeEscapes(text)
    except ValueError as exc:
        raise SparqlSyntaxError(str(exc)) from None
    if expandUnicodeEscapes_re.search(expanded):
        raise SparqlSyntaxError("a \\u escape spells another escape; write the character itself")
    if re.search("[\ud800-\udfff]", expanded):
        raise SparqlSyntaxError("a \\u escape names a surrogate, which is not a character")
    return expanded.replace("\r\n", "\n").replace("\r", "\n")


def check_query(text: str) -> str:
    """Parse ``text`` and return its form (SELECT, ASK, CONSTRUCT, DESCRIBE).

    Refused, by looking at the parsed query rather than its words: SPARQL Update (LOAD included),
    SERVICE anywhere in the algebra (it makes the engine call another server), and FROM / FROM
    NAMED (rdflib would fetch those URLs). Nothing else in SPARQL reads a file or the network.
    What is checked is ``engine_text(text)``: run that text, not ``text``."""
    return _KINDS[_checked_algebra(text).name]


def _checked_algebra(text: str) -> Any:
    if not text.strip():
        raise SparqlSyntaxError("the query is empty")
    text = engine_text(text)
    try:
        prepared = (prepare_rdflib if len(text) <= _CACHED_CHARS else prepare_rdflib.__wrapped__)(text)
    except RecursionError:
        if _SERVICE_WORD.search(text):  # refused for what it asks, whatever its depth
            raise QueryRefused(_NO_SERVICE) from None
        raise SparqlSyntaxError("the query is nested too deeply") from None
    except MemoryError:
        raise
    except Exception as exc:  # pyparsing's ParseException, or rdflib's plain Exception for a prefix
        if _is_update(text):
            raise QueryRefused("SPARQL Update is not allowed: this service is read-only") from None
        raise _syntax_error(text, exc) from None
    algebra = prepared.algebra
    if algebra.get("datasetClause"):
        raise QueryRefused("FROM and FROM NAMED are not allowed: the service queries its own graph "
                           "and does not fetch others")
    if _contains(algebra, "ServiceGraphPattern"):
        raise QueryRefused(_NO_SERVICE)
    return algebra


_NO_SERVICE = "SERVICE is not allowed: the service does not call other endpoints"
# The keyword as SPARQL spells it (case-insensitive, not part of a longer name or a variable).
_SERVICE_WORD = re.compile(r"(?<![\w?$:])service(?![\w:])", re.IGNORECASE)


def _is_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        return bool(parseUpdate(text).get("request"))
    except Exception:  # not an update either
        return False


def _contains(node: Any, name: str) -> bool:
    # A loop rather than recursion: a 500-way UNION nests deeper than Python's recursion limit.
    stack, seen = [node], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(node, "name", None) == name:
            return True
        if isinstance(node, Mapping):
            stack.extend(v for k, v in node.items() if not str(k).startswith("_"))
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return False


def _syntax_error(text: str, exc: Exception) -> SparqlSyntaxError:
    """The error with a line and column: where the clause rdflib's parser could not read
    begins (Oxigraph's parser mostly reports the end of the text instead, so it is not asked)."""
    message = " ".join(str(getattr(exc, "msg", None) or exc).split())
    line, column = getattr(exc, "lineno", None), getattr(exc, "col", None)
    prefix = re.match(r"Unknown namespace prefix\s*:\s*(\S+)", message)
    if prefix:  # rdflib raises a plain Exception without a position for an undeclared prefix
        line, column = _position_of(text, re.compile(rf"(?<![\w<\"'#]){re.escape(prefix.group(1))}:"))
        return SparqlSyntaxError(f"the prefix {prefix.group(1)}: is not declared (add PREFIX "
                                 f"{prefix.group(1)}: <…>)", line=line, column=column)
    detail = _found_at(text, line, column) if line and column else message[:160]
    return SparqlSyntaxError(detail, line=line, column=column)


def _position_of(text: str, pattern: re.Pattern[str]) -> tuple[int | None, int | None]:
    for number, line in enumerate(text.splitlines(), start=1):
        m = pattern.search(line.split("#", 1)[0] if "<" not in line else line)
        if m:
            return number, m.start() + 1
    return None, None


def _found_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    rest = lines[line - 1][column - 1:] if 0 < line <= len(lines) else ""
    if not rest.strip():
        return "unexpected end of query" if line >= len(lines) else "unexpected end of line"
    token = re.match(r"\S+", rest.lstrip()).group(0)  # type: ignore[union-attr]
    return f"cannot parse from {token[:30]!r}"


# Every word that begins a clause the check refuses or explains (Update operations, SERVICE,
# FROM, GRAPH). A query whose text holds none of them anywhere — not in a keyword, a name, a
# string, an IRI or a comment — cannot contain such a clause for any parser: keywords are
# contiguous ASCII letters, and ``engine_text`` left no escapes. IGNORECASE in Unicode mode
# also matches look-alikes (ſ for s, the Kelvin sign for k), so it errs towards the full check.
_CHECKED_WORDS = re.compile(r"service|from|graph|load|insert|delete|clear|drop|create|add|move|copy|with",
                            re.IGNORECASE)


# Oxigraph's parser recurses once per bracket and overflows its stack (an abort) long before
# a bracket count a person writes; rdflib's check refuses deep nesting with a clear error.
_FAST_BRACKETS = 256


def _brackets(text: str) -> int:
    return text.count("(") + text.count("{") + text.count("[")
