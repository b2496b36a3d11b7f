"""``tiltaksgraf build`` end to end: the bundled report into ``out/`` (measures.json and a
graph.ttl in the issue's vocabulary), several reports of one plan, ``--help`` everywhere, and
every bad input refused with a clear message and nothing written."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from tiltaksgraf.cli import app, main
from tiltaksgraf.errors import TiltaksgrafError
from tiltaksgraf.ontology.terms import STATUS_CONCEPTS, TG
from tiltaksgraf.pipeline import build

STATUS_LABELS = {"Ferdig", "Påbegynt", "Påbegynt - løpende"}
SUMMARY = re.compile(r"^built \S+: 1 report\(s\), 88 measures, \d+ entities, \d+ triples in \d+\.\d s$")


def squash(text: str) -> str:
    """Whitespace removed: the CLI's console may wrap long messages anywhere."""
    return "".join(text.split())


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# --- one real build of the bundled report, shared by the tests of its output -------------------


@dataclass(frozen=True)
class Built:
    cwd: Path
    exit_code: int
    stderr: str

    @property
    def out(self) -> Path:
        return self.cwd / "out"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    """``tiltaksgraf build`` with no arguments, run in an empty working directory."""
    cwd = tmp_path_factory.mktemp("cwd")
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(stderr):
        mp.chdir(cwd)
        code = main(["build"])
    return Built(cwd, code, stderr.getvalue())


@pytest.fixture(scope="module")
def graph(built) -> Graph:
    g = Graph()
    g.parse(built.out / "graph.ttl", format="turtle")
    return g


@pytest.fixture()
def previous_out(built, tmp_path) -> Path:
    """A copy of a good build in ``tmp_path/site/out``: the output a bad build must not touch."""
    out = tmp_path / "site" / "out"
    shutil.copytree(built.out, out)
    return out


def _measure(g: Graph, number: int):
    (node,) = [m for m in g.subjects(TG.measureNumber, Literal(number)) if (m, RDF.type, TG.Measure) in g]
    return node


def test_cli_build_without_arguments_writes_out(built):
    assert built.exit_code == 0, built.stderr
    assert (built.out / "measures.json").is_file() and (built.out / "graph.ttl").is_file()
    assert sorted(p.name for p in built.cwd.iterdir()) == ["out"]  # no temporary directories left


def test_cli_build_out_is_an_ordinary_directory(built):
    umask = os.umask(0o022)
    os.umask(umask)
    assert built.out.stat().st_mode & 0o777 == 0o777 & ~umask  # not the 0700 of a temporary directory


def test_cli_build_prints_one_line_summary(built):
    lines = [ln for ln in built.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, built.stderr
    assert SUMMARY.match(lines[0]), lines[0]


def test_cli_build_measures_json(built):
    payload = json.loads((built.out / "measures.json").read_text(encoding="utf-8"))
    (source,) = payload["sources"]
    assert source["encoding"] == "utf-8"
    assert source["metadata"]["plan_key"] == "opptrappingsplan-mot-vold-og-overgrep-2017-2021"
    assert len(source["glossary"]) == 19
    measures = source["measures"]
    assert [m["number"] for m in measures] == list(range(1, 89))
    assert {m["status"] for m in measures} == STATUS_LABELS
    m13 = measures[12]
    assert (m13["ministries"], m13["status"]) == (["BFD", "HOD"], "Påbegynt - løpende")


def test_cli_build_graph_has_88_measures_with_integer_numbers(graph):
    measures = set(graph.subjects(RDF.type, TG.Measure))
    assert len(measures) == 88
    numbers = [graph.value(m, TG.measureNumber) for m in measures]
    assert all(n.datatype == XSD.integer for n in numbers)
    assert sorted(n.toPython() for n in numbers) == list(range(1, 89))


def test_cli_build_graph_measure_texts(graph, report):
    m36 = _measure(graph, 36)
    assert graph.value(m36, DCTERMS.description) == Literal(report.measure(36).description, lang="nb")
    assert graph.value(m36, TG.reportText) == Literal(report.measure(36).report_text, lang="nb")


def test_cli_build_graph_statuses_are_skos_concepts(graph, report):
    for m in report.measures:
        node = _measure(graph, m.number)
        (status,) = graph.objects(node, TG.status)
        assert status == STATUS_CONCEPTS[m.status]
    for label in STATUS_LABELS:
        concept = STATUS_CONCEPTS[label]
        assert (concept, RDF.type, SKOS.Concept) in graph, f"{concept} is not a skos:Concept in graph.ttl"
        assert Literal(label, lang="nb") in set(graph.objects(concept, SKOS.prefLabel)), concept


@pytest.mark.parametrize(("number", "agencies"), [
    (12, {("Barne- og familiedepartementet", "BFD"), ("Justis- og beredskapsdepartementet", "JD")}),
    (13, {("Barne- og familiedepartementet", "BFD"), ("Helse- og omsorgsdepartementet", "HOD")}),
    (1, {("Alle departementer", "ALLE")}),
    (7, {("Justis- og beredskapsdepartementet", "JD"), ("Alle departementer", "ALLE")}),
    (54, {("Justis- og beredskapsdepartementet", "JD"), ("Alle departementer", "ALLE")}),
    (11, {("Kulturdepartementet", "KUD")}),  # KUD is not in the report's glossary
])
def test_cli_build_graph_responsible_agencies(graph, number, agencies):
    found = set()
    for agency in graph.objects(_measure(graph, number), TG.responsible):
        assert (agency, RDF.type, TG.Agency) in graph
        (pref,) = [p for p in graph.objects(agency, SKOS.prefLabel) if p.language == "nb"]
        alts = {str(a) for a in graph.objects(agency, SKOS.altLabel)}
        code = next(code for _name, code in agencies if code in alts)
        found.add((str(pref), code))
    assert found == agencies


def test_cli_build_graph_one_alle_node(graph):
    alle = {a for a in graph.subjects(SKOS.prefLabel, Literal("Alle departementer", lang="nb"))}
    assert len(alle) == 1


# --- several reports of one plan ---------------------------------------------------------------


def test_cli_build_two_reports_one_measure_node_two_assessments(tmp_path, report_path, report_text, capsys):
    later = tmp_path / "later-status.txt"
    changed = report_text.replace("Påbegynt Departementet er i gang", "Ferdig Departementet er i gang", 1)
    assert changed != report_text  # measure 5: Påbegynt → Ferdig
    later.write_text(changed, encoding="utf-8")
    meta = json.loads(report_path.with_suffix(".json").read_text(encoding="utf-8"))
    later.with_suffix(".json").write_text(json.dumps({**meta, "date": "2023-04"}), encoding="utf-8")
    out = tmp_path / "out"

    # the later report first on the command line: the date decides, not the order
    code = main(["build", "--no-views", "--out", str(out), str(later), str(report_path)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert squash("2 report(s), 88 measures,") in squash(err)  # measures of the plan, not records read

    g = Graph()
    g.parse(out / "graph.ttl", format="turtle")
    assert len(set(g.subjects(RDF.type, TG.Measure))) == 88
    m5 = _measure(g, 5)
    assessments = set(g.objects(m5, TG.hasStatusAssessment))
    assert len(assessments) == 2
    by_date = {str(g.value(a, DCTERMS.date)): g.value(a, TG.status) for a in assessments}
    assert by_date == {"2022-04": STATUS_CONCEPTS["Påbegynt"], "2023-04": STATUS_CONCEPTS["Ferdig"]}
    assert set(g.objects(m5, TG.status)) == {STATUS_CONCEPTS["Ferdig"]}
    assert set(g.objects(_measure(g, 6), TG.status)) == {STATUS_CONCEPTS["Ferdig"]}
    assert len(set(g.objects(_measure(g, 6), TG.hasStatusAssessment))) == 2
    sources = json.loads((out / "measures.json").read_text(encoding="utf-8"))["sources"]
    assert [s["metadata"]["date"] for s in sources] == ["2023-04", "2022-04"]


# --- help and usage ---------------------------------------------------------------------------


def _command_paths(command, prefix=()):
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield (*prefix, name)
        yield from _command_paths(sub, (*prefix, name))


COMMANDS = [()] + list(_command_paths(typer.main.get_command(app)))


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "tiltaksgraf")
def test_cli_help_for_every_command(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage" in out and "--help" in out


def test_cli_without_arguments_shows_help(capsys):
    code = main([])
    captured = capsys.readouterr()
    assert "Usage" in captured.out + captured.err and "build" in captured.out + captured.err
    assert "internal error" not in captured.err
    assert code in (0, 2)


@pytest.mark.parametrize("argv", [
    ["build", "--no-such-option"],
    ["build", "--out"],  # option without its value
    ["no-such-command"],
], ids=["unknown-option", "missing-value", "unknown-command"])
def test_cli_usage_errors_exit_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "internal error" not in captured.err
    assert list(tmp_path.iterdir()) == []


# --- bad input ---------------------------------------------------------------------------------


def _lines_without(text: str, prefix: str) -> str:
    return "\n".join(ln for ln in text.split("\n") if not ln.startswith(prefix))


def _with_measure_40_twice(text: str) -> str:
    start = text.index("\n40. BFD ") + 1
    end = text.index("\n41. JD ") + 1
    return text[:end] + text[start:end] + text[end:]


def _status_of_12_unreadable(text: str) -> str:
    start = text.index("\n12. BFD / JD")
    at = text.index("\nFerdig ", start) + 1
    return text[:at] + "Uklart " + text[at + len("Ferdig "):]


def _line_of(path: Path, prefix: str, nth: int = 1) -> int:
    hits = [i for i, ln in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if ln.startswith(prefix)]
    return hits[nth - 1]


@dataclass(frozen=True)
class Bad:
    id: str
    make: Callable[[Path, str], Path]  # (directory, bundled text) → the path to build
    says: tuple[str, ...]  # what the message must contain besides the file name
    line: Callable[[Path], int] | None = None


def _file(name: str, content: bytes | Callable[[str], str]) -> Callable[[Path, str], Path]:
    def make(directory: Path, text: str) -> Path:
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content(text), encoding="utf-8")
        return path
    return make


def _directory(directory: Path, _text: str) -> Path:
    (directory / "rapporter").mkdir()
    return directory / "rapporter"


BAD_INPUTS = [
    Bad("empty", _file("tom.txt", b""), ("the file is empty", "expected the text of a status report")),
    Bad("whitespace", _file("blank.txt", b"  \n\t\n \r\n"), ("empty", "expected the text of a status report")),
    Bad("binary", _file("bilde.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32),
        ("binary", "not text", "pdftotext")),
    Bad("undecodable", _file("rar.txt", "Glød".encode("utf-8") + b"\x81\x8d"), ("cannot decode", "UTF-8")),
    Bad("no-measures", _file("ingen.txt", lambda t: t[:t.index("\n1. ALLE")]),
        ("no measures found", "expected table rows")),
    Bad("missing-measure", _file("mangler40.txt", lambda t: _lines_without(t, "40. BFD ")),
        ("measure 40 is missing", "measure 39", "followed by measure 41", "expected the measures numbered"),
        line=lambda p: _line_of(p, "41. JD ")),
    Bad("duplicated-measure", _file("dobbel40.txt", _with_measure_40_twice),
        ("measure 40 appears twice", "each measure number must occur once"),
        line=lambda p: _line_of(p, "40. BFD ", 2)),
    Bad("unreadable-status", _file("status.txt", _status_of_12_unreadable),
        ("measure 12", "cannot read its status", "Ferdig, Påbegynt, Påbegynt - løpende"),
        line=lambda p: _line_of(p, "12. BFD / JD")),
    Bad("no-such-file", lambda d, _t: d / "finnes-ikke.txt", ("no such file", "report text file")),
    Bad("directory", _directory, ("is a directory", "expected a report text file")),
]


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda b: b.id)
def test_cli_build_bad_input_exit_1_nothing_written(bad, previous_out, report_text, capsys):
    inputs = previous_out.parent.parent / "in"
    inputs.mkdir()
    path = bad.make(inputs, report_text)
    before = snapshot(previous_out)
    inode = previous_out.stat().st_ino

    code = main(["build", "--no-views", "--out", str(previous_out), str(path)])

    captured = capsys.readouterr()
    message = squash(captured.err)
    assert code == 1, captured.err
    where = f"{path}:{bad.line(path)}:" if bad.line else f"{path}:"
    assert squash(where) in message, captured.err
    for words in bad.says:
        assert squash(words) in message, f"{words!r} not in {captured.err!r}"
    assert "Traceback" not in captured.out + captured.err and "internal error" not in captured.err
    assert captured.out == ""
    assert snapshot(previous_out) == before and previous_out.stat().st_ino == inode
    assert sorted(os.listdir(previous_out.parent)) == ["out"]


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda b: b.id)
def test_pipeline_build_bad_input_raises_and_writes_nothing(bad, previous_out, report_text):
    inputs = previous_out.parent.parent / "in"
    inputs.mkdir()
    path = bad.make(inputs, report_text)
    before = snapshot(previous_out)

    with pytest.raises(TiltaksgrafError) as caught:
        build([path], previous_out, write_views=False)

    assert caught.value.path == str(path)
    assert caught.value.line == (bad.line(path) if bad.line else None)
    assert snapshot(previous_out) == before
    assert sorted(os.listdir(previous_out.parent)) == ["out"]


# --- an interrupted build ----------------------------------------------------------------------


def _interrupt_after_one_file(monkeypatch) -> list[Path]:
    """Make the graph writer write graph.ttl, then stop as if Ctrl-C was pressed."""
    import tiltaksgraf.graph.store as store

    written: list[Path] = []

    def finish(writer, built) -> int:
        out_dir = writer._targets[0].parent
        store.write_atomic(out_dir / store.GRAPH_FILE, "# half a build\n")
        written.append(out_dir)
        raise KeyboardInterrupt

    monkeypatch.setattr(store.GraphWriter, "finish", finish)
    return written


def test_cli_build_interrupted_keeps_previous_out(previous_out, monkeypatch, capsys):
    written = _interrupt_after_one_file(monkeypatch)
    before = snapshot(previous_out)

    code = main(["build", "--no-views", "--out", str(previous_out)])

    assert written and written[0] != previous_out  # it was writing somewhere else
    assert snapshot(previous_out) == before
    assert sorted(os.listdir(previous_out.parent)) == ["out"]  # no temporary directory left
    assert "Traceback" not in capsys.readouterr().err
    assert code == 130  # 128 + SIGINT, as shells report an interrupted command


def test_pipeline_build_interrupted_keeps_previous_out(previous_out, monkeypatch):
    written = _interrupt_after_one_file(monkeypatch)
    before = snapshot(previous_out)

    with pytest.raises(KeyboardInterrupt):
        build([], previous_out, write_views=False)

    assert written and not written[0].exists()
    assert snapshot(previous_out) == before
    assert sorted(os.listdir(previous_out.parent)) == ["out"]


def test_pipeline_build_replaces_its_own_files_and_keeps_what_others_wrote(previous_out, tmp_path):
    # Issue 17: a rebuild deleted the views and exports other commands had written into out/.
    (previous_out / "graph.ttl").write_text("# from an older build")
    (previous_out / "entity-bufdir.html").write_text("a view viz wrote")
    result = build([], previous_out, write_views=False)
    assert result.measures == 88
    assert (previous_out / "entity-bufdir.html").read_text() == "a view viz wrote"
    assert (previous_out / "graph.ttl").read_text() != "# from an older build"
    assert sorted(os.listdir(previous_out.parent)) == ["out"]


@pytest.mark.slow
def test_cli_build_without_views_never_imports_the_views_libraries(tmp_path):
    """networkx and pyvis cost a build ~0.06 s to import: a ``--no-views`` build (what bench/
    times against the floor) must not pay for views it does not draw."""
    import subprocess
    import sys

    views_modules = ("networkx", "pyvis", "tiltaksgraf.graph.viz", "tiltaksgraf.graph.index")
    probe = ("import sys; from tiltaksgraf.cli import main; "
             "code = main(['build', '--no-views', '--out', sys.argv[1]]); "
             f"print(code, sorted(m for m in {views_modules!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.split("\n")[0] == "0 []", done.stdout + done.stderr
    assert (tmp_path / "out" / "graph.ttl").is_file() and not (tmp_path / "out" / "collaboration.html").exists()
