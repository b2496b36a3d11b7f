"""Storage: write the built dataset (Turtle union, TriG per source, other formats on export),
and load a built graph back for querying.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, BinaryIO, cast

import pyoxigraph as ox
from rdflib import Dataset, Graph

from tiltaksgraf.errors import InputError
from tiltaksgraf.graph.build import PREFIXES, BuiltGraph, Chunk

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
    """Write graph.ttl (all triples) and graph.trig (one named graph per source) of a graph held
    whole; return the number of distinct triples."""
    with GraphWriter(out_dir) as writer:
        return writer.finish(built)


_HEADER = "".join(f"@prefix {prefix}: <{iri}> .\n" for prefix, iri in sorted(PREFIXES.items())).encode("utf-8")


class GraphWriter:
    """graph.ttl (all triples) and graph.trig (one named graph per source), written while the
    graph is built: ``write_chunk`` takes the quads of nodes no other chunk has (one measure's,
    see ``BuiltGraph.chunk``) and ``finish`` the rest, the nodes that reports and measures share
    (one triple in several graphs is written once to graph.ttl). Serialised by Oxigraph (an
    order of magnitude faster than rdflib's writers), chunk by chunk, so neither the quads nor the
    text is ever held whole (they were most of a large report's memory). A graph's nodes may
    come in several blocks of graph.trig, as TriG allows.

    Both files are written beside their names and renamed by ``finish``; leaving the ``with``
    block any other way removes them."""

    def __init__(self, out_dir: Path) -> None:
        self._targets = (out_dir / GRAPH_FILE, out_dir / DATASET_FILE)
        self._files: list[tuple[BinaryIO, str]] = []
        self.triples = 0

    def __enter__(self) -> "GraphWriter":
        for target in self._targets:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            f = os.fdopen(fd, "wb")
            self._files.append((f, tmp))
            f.write(_HEADER)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for f, tmp in self._files:
            f.close()
            Path(tmp).unlink(missing_ok=True)  # gone already when ``finish`` renamed it
        self._files = []

    def write_chunk(self, chunk: Chunk) -> None:
        (turtle, _), (trig, _) = self._files
        _write_chunk(turtle, trig, chunk)
        self.triples += len(chunk.triples)

    def buffer(self) -> ChunkBuffer:
        """A writer of chunks like this one that keeps their text (chunks built in a child
        process: ``write_buffered`` then writes it here, in their place)."""
        return ChunkBuffer()

    def write_buffered(self, chunks: ChunkBuffer) -> None:
        (turtle, _), (trig, _) = self._files
        turtle.write(chunks.turtle.getvalue())
        trig.write(chunks.trig.getvalue())
        self.triples += chunks.triples

    def finish(self, built: BuiltGraph) -> int:
        """Write what ``built`` holds, close and rename both files; the number of distinct triples."""
        (turtle, _), (trig, _) = self._files
        self.triples += _serialise_into(turtle, built.iter_triples_sorted(), ox.RdfFormat.TURTLE)
        _serialise_into(trig, built.iter_quads_sorted(), ox.RdfFormat.TRIG)
        for (f, tmp), target in zip(self._files, self._targets):
            f.close()
            os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes it private; outputs are ordinary files
            os.replace(tmp, target)
        return self.triples


class ChunkBuffer:
    """Chunks written as ``GraphWriter`` writes them, into memory (picklable)."""

    def __init__(self) -> None:
        self.turtle, self.trig = io.BytesIO(), io.BytesIO()
        self.triples = 0

    def write_chunk(self, chunk: Chunk) -> None:
        _write_chunk(self.turtle, self.trig, chunk)
        self.triples += len(chunk.triples)


def _write_chunk(turtle: BinaryIO, trig: BinaryIO, chunk: Chunk) -> None:
    body = _turtle_body(chunk.triples)
    turtle.write(body)
    trig.write(_trig_block(chunk.graph, chunk.triples, body))


def _turtle_body(triples: list[ox.Triple]) -> bytes:
    """``triples`` as Oxigraph writes them in Turtle, without the ``@prefix`` lines it writes
    first (the file has them once, at its top)."""
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
    start = 0
    while text.startswith(b"@prefix ", start):
        start = text.index(b"\n", start) + 1
    return text[start:]


def _trig_block(graph: ox.NamedNode, triples: list[ox.Triple], turtle: bytes) -> bytes:
    """One graph's ``triples`` in TriG, made from their ``turtle``: the same statements, each
    line one tab in, inside the graph's braces — byte for byte what Oxigraph's TriG writer makes
    of them (tested), without serialising the chunk a second time (~0.01 s of a build). Turtle
    with a long string (line breaks inside a literal, which the indent would change) is never
    made so: Oxigraph escapes line breaks; were it to write one, the triples are serialised as TriG."""
    if not turtle:
        return b""
    if b'"""' in turtle or b"'''" in turtle or not turtle.endswith(b"\n"):
        out = io.BytesIO()
        _serialise_into(out, (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples), ox.RdfFormat.TRIG)
        return out.getvalue()
    return b"%s {\n\t%s\n}\n" % (str(graph).encode("utf-8"), turtle[:-1].replace(b"\n", b"\n\t"))


def _serialise_into(f: BinaryIO, items: Iterable, format: ox.RdfFormat) -> int:
    """Serialise ``items`` into ``f`` below the header already there; how many there were."""
    count = 0

    def counted() -> Iterator:
        nonlocal count
        for item in items:
            count += 1
            yield item

    body = _WithoutHeader(f)
    ox.serialize(counted(), cast(IO[bytes], body), format=format, prefixes=PREFIXES)  # it only writes
    body.close()
    return count


class _WithoutHeader:
    """A file that drops the ``@prefix`` lines Oxigraph writes first (in an order of its own):
    the file has them once, at its top."""

    _PREFIX = b"@prefix "

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self._head: bytes | None = b""  # what came so far while it may be header lines; None after

    def write(self, data: bytes) -> int:
        if self._head is None:
            self._f.write(data)
            return len(data)
        self._head += data
        while self._head.startswith(self._PREFIX) and (end := self._head.find(b"\n")) >= 0:
            self._head = self._head[end + 1:]
        if len(self._head) >= len(self._PREFIX) and not self._head.startswith(self._PREFIX):
            self.close()
        return len(data)

    def flush(self) -> None:
        pass  # what it holds may still be header; ``close`` writes it

    def close(self) -> None:
        """Write what is held (the text after the header, once the writer has ended)."""
        if self._head:
            self._f.write(self._head)
        self._head = None


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
