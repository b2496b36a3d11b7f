"""Storage: write the built dataset (Turtle union, TriG per source, other formats on export),
and load a built graph back for querying.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import Dataset, Graph

from tiltaksgraf.errors import InputError
from tiltaksgraf.graph.build import PREFIXES, BuiltGraph

GRAPH_FILE = "graph.ttl"
DATASET_FILE = "graph.trig"
# format name → (rdflib serializer, file name)
EXPORT_FORMATS = {
    "turtle": ("turtle", "graph.ttl"),
    "trig": ("trig", "graph.trig"),
    "nt": ("nt", "graph.nt"),
    "nquads": ("nquads", "graph.nq"),
    "jsonld": ("json-ld", "graph.jsonld"),
    "xml": ("xml", "graph.rdf"),
}


def write_outputs(built: BuiltGraph, out_dir: Path) -> int:
    """Write graph.ttl (all triples) and graph.trig (one named graph per source); return the
    number of distinct triples. Serialised by Oxigraph (an order of magnitude faster than rdflib's
    writers) straight into the files, from the build's groups: neither a sorted copy of the quads
    nor the serialised text is ever held whole in memory (both were most of the peak on a large
    report). Grouped by graph and subject so the writers can nest; within a group, the build's
    own deterministic order."""
    triples = 0

    def counted(items: Iterator[ox.Triple]) -> Iterator[ox.Triple]:
        nonlocal triples
        for item in items:
            triples += 1
            yield item

    write_atomic_with(out_dir / GRAPH_FILE, lambda f: ox.serialize(
        counted(built.iter_triples_sorted()), f, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES))
    write_atomic_with(out_dir / DATASET_FILE, lambda f: ox.serialize(
        built.iter_quads_sorted(), f, format=ox.RdfFormat.TRIG, prefixes=PREFIXES))
    return triples


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    write_atomic_with(path, lambda f: f.write(data))


def write_atomic_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write(f)`` into a temporary file beside ``path``, then rename it to ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes it private; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def umask() -> int:
    """The process umask (reading it means setting it; it is put back at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def build_file(graph_dir: str | Path, name: str = GRAPH_FILE) -> Path:
    """``DIR/name`` of a build (or the file itself when a file is given), checked to exist."""
    path = Path(graph_dir)
    if path.is_dir():
        path = path / name
    if not path.is_file():
        raise InputError(f"no built {'dataset' if name == DATASET_FILE else 'graph'} here", path=str(path),
                         hint="run 'tiltaksgraf build' first, or pass --graph DIR of a build")
    return path


def graph_file(graph_dir: str | Path) -> Path:
    return build_file(graph_dir, GRAPH_FILE)


def dataset_file(graph_dir: str | Path) -> Path:
    return build_file(graph_dir, DATASET_FILE)


def load_graph(graph_dir: str | Path, *, into: Graph | None = None) -> Graph:
    """The built graph (``DIR/graph.ttl``) as an rdflib Graph (parsed into ``into`` if given,
    e.g. a Graph subclass with its own evaluation)."""
    path = graph_file(graph_dir)
    g = Graph() if into is None else into
    try:
        g.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many parser-specific types
        raise _unreadable("graph", path, exc) from exc
    return g


def load_dataset(graph_dir: str | Path) -> Dataset:
    """The built dataset (``DIR/graph.trig``, one named graph per source) as an rdflib Dataset."""
    path = dataset_file(graph_dir)
    ds = Dataset()
    try:
        ds.parse(path, format="trig")
    except Exception as exc:  # rdflib raises many parser-specific types
        raise _unreadable("dataset", path, exc) from exc
    return ds


def _unreadable(what: str, path: Path, exc: Exception) -> InputError:
    """A damaged build file, named with the line the parser stopped at when it says (its
    ``BadSyntax`` counts lines from 0)."""
    line = getattr(exc, "lines", None)
    why = getattr(exc, "_why", None) or str(exc).splitlines()[0]
    return InputError(f"cannot read the {what}: {why}", path=str(path),
                      line=line + 1 if isinstance(line, int) else None, hint="rebuild it with 'tiltaksgraf build'")


def export(graph_dir: str | Path, fmt: str, out: str | Path) -> Path:
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown format {fmt!r}", hint=f"choose one of {', '.join(EXPORT_FORMATS)}")
    serializer, name = EXPORT_FORMATS[fmt]
    target = Path(out)
    if target.is_dir():
        target = target / name
    source = load_dataset(graph_dir) if fmt in ("trig", "nquads") else load_graph(graph_dir)
    write_atomic(target, source.serialize(format=serializer))
    return target
