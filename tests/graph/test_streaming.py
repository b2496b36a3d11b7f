"""The build writes the graph measure by measure (``BuiltGraph.chunk`` → ``GraphWriter``): the
files must hold exactly the graph a build holding it whole writes, and the graph held must not
grow with the text."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph

from tiltaksgraf import forked
from tiltaksgraf.graph import default_views
from tiltaksgraf.graph.build import _SHARED_PREFIXES, DERIVED_GRAPH, Chunk, build_dataset
from tiltaksgraf.graph.build import PREFIXES
from tiltaksgraf.graph.store import DATASET_FILE, GRAPH_FILE, GraphWriter, _trig_block, _turtle_body, write_outputs
from tiltaksgraf.records import ReportMetadata


def _streamed(extractions, out: Path) -> tuple[int, list[Chunk], object]:
    chunks: list[Chunk] = []
    with GraphWriter(out) as writer:
        def on_chunk(chunk: Chunk) -> None:
            chunks.append(chunk)
            writer.write_chunk(chunk)

        built = build_dataset(extractions, on_chunk=on_chunk)
        return writer.finish(built), chunks, built


def _parsed(path: Path) -> set:
    fmt = ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE
    return set(ox.parse(path=str(path), format=fmt))


def _second_report_of_the_plan(ex):
    """The bundled report again as a later report of the same plan (another source, same measures)."""
    doc = ex.report.source
    later = dataclasses.replace(doc, sha256="f" * 64, path="later.txt",
                                metadata=dataclasses.replace(doc.metadata, date="2023-01"))
    return dataclasses.replace(ex, report=dataclasses.replace(ex.report, source=later))


@pytest.fixture(scope="module", params=["one report", "two reports of one plan"])
def extractions(request, bundled_extraction):
    if request.param == "one report":
        return [bundled_extraction]
    return [bundled_extraction, _second_report_of_the_plan(bundled_extraction)]


def test_streamed_files_hold_the_graph_held_whole(extractions, tmp_path):
    whole, streamed = tmp_path / "whole", tmp_path / "streamed"
    whole.mkdir(), streamed.mkdir()

    expected = write_outputs(build_dataset(extractions), whole)
    triples, chunks, _built = _streamed(extractions, streamed)

    assert triples == expected == len(_parsed(streamed / GRAPH_FILE))  # each triple once in graph.ttl
    assert _parsed(streamed / GRAPH_FILE) == _parsed(whole / GRAPH_FILE)
    assert _parsed(streamed / DATASET_FILE) == _parsed(whole / DATASET_FILE)
    measures = {(ex.report.source.metadata.plan_key, m.measure_id) for ex in extractions for m in ex.report.measures}
    # one per measure of each report, and one per measure of the derived graph
    assert len(chunks) == sum(len(ex.report.measures) for ex in extractions) + len(measures)


def test_streamed_files_read_back_in_rdflib(bundled_extraction, tmp_path):
    """graph.trig has a source's graph in several blocks (its measures', then the shared nodes'),
    as TriG allows; rdflib, which the explorer and ``export`` use, must read it as one graph."""
    triples, _chunks, _built = _streamed([bundled_extraction], tmp_path)
    ds = Dataset()
    ds.parse(tmp_path / DATASET_FILE, format="trig")
    graphs = {str(c.identifier) for c in ds.graphs()} - {"urn:x-rdflib:default"}
    assert len(graphs) == 2  # the source's graph and the derived graph, however many blocks
    assert str(DERIVED_GRAPH) in graphs
    assert len(Graph().parse(tmp_path / GRAPH_FILE, format="turtle")) == triples
    assert (tmp_path / GRAPH_FILE).read_text("utf-8").count("@prefix tg:") == 1


def test_streaming_keeps_only_shared_nodes(extractions, tmp_path):
    """What the build holds at the end is the nodes measures and reports share (measures,
    entities, plans, sources, status concepts): no mention, evidence or relation node, and no
    measure's texts (the derived graph's measures are chunks of their own)."""
    _triples, chunks, built = _streamed(extractions, tmp_path)
    held = {(g.value, s.value) for g, s in built._groups}
    streamed = {(chunk.graph.value, t.subject.value) for chunk in chunks for t in chunk.triples}
    assert streamed and not held & streamed
    alone = len({ex.report.source.metadata.plan_key for ex in extractions}) == len(extractions)
    for graph, subject in streamed:
        if subject.startswith(_SHARED_PREFIXES):  # a measure, in a graph only it adds to
            assert "/measure/" in subject and (graph == str(DERIVED_GRAPH) or alone), (graph, subject)
    assert not any(o.value in (ex.report.measures[0].report_text for ex in extractions)
                   for pairs in built._groups.values() for _p, o in pairs)


def test_no_local_subject_in_two_chunks(extractions, tmp_path):
    """graph.ttl counts a chunk's triples as written: a node in two chunks would be counted (and
    written) twice."""
    _triples, chunks, _built = _streamed(extractions, tmp_path)
    owner: dict[tuple[str, str], int] = {}
    for k, chunk in enumerate(chunks):
        for t in chunk.triples:
            node = (chunk.graph.value, t.subject.value)
            assert owner.setdefault(node, k) == k, node


def _oxigraph_trig(chunk: Chunk) -> bytes:
    text = ox.serialize([ox.Quad(t.subject, t.predicate, t.object, chunk.graph) for t in chunk.triples],
                        format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    return b"".join(line for line in text.splitlines(keepends=True) if not line.startswith(b"@prefix "))


_S, _P = ox.NamedNode("https://w3id.org/tiltaksgraf/id/x/s"), ox.NamedNode("https://w3id.org/tiltaksgraf/ontology#p")
_TRICKY = [  # what a report's text can hold: line breaks, tabs, quotes, escapes, other scripts, tags, types
    ox.Literal("to\nlinjer\r\n\tmed tab"), ox.Literal('«sitat» "quoted" \\ bak'), ox.Literal("ʻokina 北 😀"),
    ox.Literal("Bokmål", language="nb"), ox.Literal("12", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ox.Literal('"""'), ox.Literal("'''"), ox.Literal(""), ox.NamedNode("https://w3id.org/tiltaksgraf/id/x/o"),
]


def test_trig_of_a_chunk_is_what_oxigraph_writes(bundled_extraction, tmp_path):
    """Each chunk's TriG is made from its Turtle (one serialisation, not two): it must be byte for
    byte Oxigraph's own TriG of the chunk, for every chunk of the bundled report and for literals
    with line breaks, tabs, quotes and other scripts."""
    _triples, chunks, _built = _streamed([bundled_extraction], tmp_path)
    tricky = Chunk(ox.NamedNode("https://w3id.org/tiltaksgraf/id/graph/x"),
                   [ox.Triple(_S, _P, o) for o in _TRICKY] + [ox.Triple(ox.NamedNode(_S.value + "2"), _P, _TRICKY[0])])
    for chunk in [*chunks, tricky]:
        assert _trig_block(chunk.graph, chunk.triples, _turtle_body(chunk.triples)) == _oxigraph_trig(chunk)
    # Turtle with a long string (a raw line break inside a literal) is not indented: it is written as TriG
    long_string = b'<https://w3id.org/tiltaksgraf/id/x/s> tg:p """to\nlinjer""" .\n'
    assert _trig_block(tricky.graph, tricky.triples, long_string) == _oxigraph_trig(tricky)


def _written(extractions, out: Path) -> dict[str, bytes]:
    """graph.ttl and graph.trig as the build writes them (its writer the sink: measures may be built apart)."""
    out.mkdir()
    with GraphWriter(out) as writer:
        writer.finish(build_dataset(extractions, sink=writer))
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture
def core_free(monkeypatch):
    # a core free for the build's child whatever the load (it runs only our code and Oxigraph's)
    monkeypatch.setattr(forked, "can_fork", lambda: True)


def test_measures_built_apart_write_the_files_of_one_process(extractions, tmp_path, monkeypatch, core_free):
    """Half of each report's measures built and serialised in a child: the same bytes."""
    from tiltaksgraf.graph.build import BuiltGraph

    taken: list[int] = []
    take_apart = BuiltGraph.take_apart
    monkeypatch.setattr(BuiltGraph, "take_apart", lambda self, *sent: taken.append(1) or take_apart(self, *sent))
    apart = _written(extractions, tmp_path / "apart")
    assert len(taken) == len(extractions)  # each report split

    monkeypatch.setattr(forked, "can_fork", lambda: False)
    assert _written(extractions, tmp_path / "here") == apart
    assert list(apart) == [DATASET_FILE, GRAPH_FILE]


def test_measures_built_apart_are_built_here_when_the_child_dies(bundled_extraction, tmp_path, monkeypatch,
                                                                 core_free):
    from tiltaksgraf.graph.store import ChunkBuffer

    parent = os.getpid()
    write_chunk = ChunkBuffer.write_chunk

    def dies_in_the_child(self, chunk):
        if os.getpid() != parent:
            os._exit(1)  # killed, say
        write_chunk(self, chunk)

    monkeypatch.setattr(ChunkBuffer, "write_chunk", dies_in_the_child)
    apart = _written([bundled_extraction], tmp_path / "apart")
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    assert _written([bundled_extraction], tmp_path / "here") == apart


def test_writer_removes_its_files_when_the_build_fails(tmp_path):
    with pytest.raises(RuntimeError), GraphWriter(tmp_path) as writer:
        writer.write_chunk(Chunk(ox.NamedNode("http://x/g"),
                                 [ox.Triple(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("o"))]))
        raise RuntimeError("the build failed")
    assert list(tmp_path.iterdir()) == []


def test_metadata_record_is_slotted():
    """Records are slotted (no per-instance dict): a large report makes hundreds of thousands."""
    assert not hasattr(ReportMetadata("k", "t"), "__dict__")


@pytest.mark.slow
def test_build_views_from_its_lean_index_equal_views_of_the_whole_graph(tmp_path):
    """The build draws its views from an index that keeps only what they read (no selectors,
    sections, status assessments, fundings …): the pages must be those drawn from the graph."""
    from tiltaksgraf.graph.store import load_graph
    from tiltaksgraf.graph.viz import write_default_views
    from tiltaksgraf.pipeline import build

    build([], tmp_path / "out")
    redrawn = write_default_views(load_graph(tmp_path / "out"), tmp_path / "again")
    assert [p.name for p in redrawn] == ["collaboration.html", "overview.html"]
    for page in redrawn:
        assert (tmp_path / "out" / page.name).read_bytes() == page.read_bytes(), page.name


@pytest.mark.slow
def test_overview_of_too_many_measures_is_not_drawn(tmp_path, monkeypatch):
    from tiltaksgraf import pipeline

    monkeypatch.setattr(default_views, "OVERVIEW_MAX_MEASURES", 87)  # the bundled report has 88
    notes: list[str] = []
    pipeline.build([], tmp_path / "out", on_note=notes.append)
    assert sorted(p.name for p in (tmp_path / "out").glob("*.html")) == ["collaboration.html"]
    assert notes == ["overview.html not drawn: 88 measures are more than a browser can lay out (at most 87); "
                     "draw parts with 'tiltaksgraf viz measure N' or 'tiltaksgraf viz entity NAME'"]
    # its index then keeps no mention: the collaboration network must not miss anything it reads
    from tiltaksgraf.graph.store import load_graph
    from tiltaksgraf.graph.viz import write_view

    again = write_view(load_graph(tmp_path / "out"), "collaboration", tmp_path / "again.html")
    assert (tmp_path / "out" / "collaboration.html").read_bytes() == again.read_bytes()
