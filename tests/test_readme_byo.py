"""The README's "Bring your own report" walkthrough, run as written on its page (a copy of
``docs/examples/``): candidates → knowledge file → rebuild → correction. What the README shows
(the candidates, the error line, the knowledge and correction lines) is what the code does."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF

from tiltaksgraf.cli import main
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
    listing, to_file, _build = _commands()
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
    assert {" ".join(r[2:-2]) for r in _rows(capsys.readouterr().out)} == {"Norge", "Anna-Lena Andersson", "Sverige"}

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

    # 3. build with the knowledge: the build's lines as the README shows them
    build = next(c for c in _commands() if c[0] == "build")
    assert build == ["build", PAGE, "--out", "out", "--no-views"]
    capsys.readouterr()
    assert main(build) == 0
    shown_build = next(b for b in BLOCKS if b.startswith("$ tiltaksgraf build")).split("\n", 1)[1]
    assert _normalised(capsys.readouterr().err) == _normalised(shown_build)

    # 4. reject the co-mention by its key, as the README shows, and build again
    (correction,) = _json_lines("action")
    (tmp_path / "corrections.jsonl").write_text(json.dumps(correction, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(build) == 0
    assert "corrections: 1 of 1 applied" in capsys.readouterr().err
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


def _normalised(lines: str) -> list[str]:
    """The build's stderr lines, with its timing and the absolute path of the knowledge folder
    written as the README writes them."""
    return [re.sub(r" in [0-9.]+ s$", " in … s", re.sub(r"\S*/knowledge/", "…/knowledge/", line))
            for line in " ".join(lines.split("\n  ")).splitlines() if line.strip()]
