"""The ``.rq`` format of the named queries: a SPARQL query under a header of ``# key: value`` lines.

Input: the ``.rq`` files beside this module (or another directory, or a text). Output: ``NamedQuery``
records with their ``Param``s, ``load_named_queries``/``get_named_query`` by name.

A ``.rq`` file starts with a header of ``# key: value`` comment lines::

    # title: Partners of an agency
    # answers: Whom an agency collaborates with, in which measures, …
    #   (indented lines continue the value before them)
    # param: agency agency required -- the agency, as a label or an IRI
    # list: programmes " | "
    # example: tiltaksgraf query partners-of --param agency=NKVTS

``param`` is ``NAME TYPE required|optional|default=VALUE -- description``; the query uses the
variable ``?NAME`` and projects it. Entity-typed values are a label (matched case- and
accent-insensitively against ``skos:prefLabel``, ``skos:altLabel`` and ``tg:entityKey``) or an
IRI, resolved to one IRI before the query runs; the value reaches the query only as an rdflib
term passed to the store (never pasted into the text). A bound parameter's column is left out
of the results: it would repeat the value given. ``list`` names a ``GROUP_CONCAT`` column and its
separator (add ``numeric`` for numbers): SPARQL leaves the order inside a group open, so the
runner sorts and de-duplicates the items, and every store gives the same rows.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from rdflib import URIRef

from tiltaksgraf.entity_types import DEFINITIONS as ENTITY_TYPE_DEFS
from tiltaksgraf.errors import DataError, QueryError

# --- the named queries -------------------------------------------------------------------------

PARAM_TYPES: dict[str, tuple[URIRef, ...] | None] = {
    **{d.param: (d.class_iri,) for d in ENTITY_TYPE_DEFS},
    "entity": tuple(d.class_iri for d in ENTITY_TYPE_DEFS),
    "status": (URIRef("http://www.w3.org/2004/02/skos/core#Concept"),),
    "measure": None,  # a measure id as numbered ("5", "29a", "2.1"), checked against the graph
    "integer": None,
    "text": None,
}
_HEADER_KEYS = ("title", "answers", "param", "list", "example")
_PARAM_RE = re.compile(r"(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)\s+"
                       r"(?P<need>required|optional|default=(?P<default>\S+))\s*(?:--\s*(?P<text>.*))?$")
_LIST_RE = re.compile(r'(?P<name>[A-Za-z_]\w*)\s+"(?P<sep>[^"]+)"\s*(?P<numeric>numeric)?\s*$')


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    default: str | None
    description: str

    def usage(self) -> str:
        need = "required" if self.required else (f"default {self.default}" if self.default else "optional: all")
        return f"{self.name} ({self.type}, {need})"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    answers: str
    params: tuple[Param, ...]
    lists: tuple[tuple[str, str, bool], ...]  # (column, separator, numeric)
    examples: tuple[str, ...]
    text: str
    path: str

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "answers": self.answers,
                "params": [{"name": p.name, "type": p.type, "required": p.required, "default": p.default,
                            "description": p.description} for p in self.params],
                "examples": list(self.examples), "text": self.text}


def queries_dir() -> Path:
    return Path(str(resources.files("tiltaksgraf.queries")))


@lru_cache(maxsize=4)
def load_named_queries(directory: str | None = None) -> dict[str, NamedQuery]:
    """Every ``*.rq`` in ``directory`` (default: the bundled ones), by name, sorted."""
    folder = Path(directory) if directory else queries_dir()
    found = {}
    for path in sorted(folder.glob("*.rq")):
        query = parse_rq(path.read_text(encoding="utf-8"), path.stem, str(path))
        found[query.name] = query
    return found


def get_named_query(name: str) -> NamedQuery:
    queries = load_named_queries()
    if name not in queries:
        close = difflib.get_close_matches(name.lower(), list(queries), n=3, cutoff=0.6)
        raise QueryError(f"no named query {name!r}",
                         hint=f"did you mean {', '.join(close)}?" if close
                         else "'tiltaksgraf queries' lists them")
    return queries[name]


def parse_rq(text: str, name: str, path: str = "<text>") -> NamedQuery:
    """A named query from its text; a header that does not follow the format raises DataError
    naming the file and line."""
    values: dict[str, list[tuple[int, str]]] = {k: [] for k in _HEADER_KEYS}
    last: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            if line.strip():
                break
            last = None
            continue
        body = line[1:]
        match = re.match(r"\s?([a-z]+):\s*(.*)$", body)
        if match and match.group(1) in _HEADER_KEYS:
            last = match.group(1)
            values[last].append((number, match.group(2).strip()))
        elif body.startswith("  ") and last in ("title", "answers", "example") and values[last]:
            at, previous = values[last][-1]
            values[last][-1] = (at, f"{previous} {body.strip()}")
        elif match:
            raise DataError(f"unknown header key {match.group(1)!r}", path=path, line=number,
                            hint=f"use one of {', '.join(_HEADER_KEYS)}")
    if len(values["title"]) != 1 or len(values["answers"]) != 1:
        raise DataError("the header needs one 'title:' and one 'answers:' line", path=path, line=1)
    params = []
    for number, spec in values["param"]:
        m = _PARAM_RE.match(spec)
        if not m or m.group("type") not in PARAM_TYPES:
            raise DataError(f"bad param line {spec!r}", path=path, line=number,
                            hint="NAME TYPE required|optional|default=VALUE -- description; TYPE is one of "
                                 + ", ".join(PARAM_TYPES))
        params.append(Param(m.group("name"), m.group("type"), m.group("need") == "required",
                            m.group("default"), (m.group("text") or "").strip()))
    lists = []
    for number, spec in values["list"]:
        m = _LIST_RE.match(spec)
        if not m:
            raise DataError(f"bad list line {spec!r}", path=path, line=number,
                            hint='COLUMN "SEPARATOR" [numeric]')
        lists.append((m.group("name"), m.group("sep"), bool(m.group("numeric"))))
    return NamedQuery(name, values["title"][0][1], values["answers"][0][1], tuple(params), tuple(lists),
                      tuple(v for _n, v in values["example"]), text, path)
