"""README.md checked against the code: every documented command and SPARQL example runs as
written, and the numbers it quotes are the ones the build and the store give. A change that
makes the README wrong fails here, not in a reader's terminal."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from tiltaksgraf.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")

# Documented commands that cannot run here, each with the reason.
NOT_RUN = {
    "serve": "runs until stopped (tests/queries/test_endpoint.py starts it on port 0)",
    "push": "needs the team's server (tests/queries/test_push.py pushes to a real oxigraph serve)",
    "--endpoint": "asks the team's server at graphs.internal",
    "screenshot": "needs Chromium and writes docs/img (tests/graph/test_browser.py covers it)",
    "selvmord-arsrapport-2024-2025-tiltak-14.txt": "runs in tests/test_readme_byo.py, beside a copy of the page",
}
# Documented failures: the command and the exit status the README shows.
FAILS = {"build broken.txt": 1}


def _blocks(language: str | None = None) -> list[str]:
    fence = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
    return [m.group(2) for m in fence.finditer(README) if language is None or m.group(1) == language]


def _commands() -> list[str]:
    """Each ``tiltaksgraf …`` line of the README's code blocks (``$ `` prompts and trailing
    ``# comments`` removed, a quoted argument continued over lines joined), except synopsis
    lines with ``[optional]`` parts."""
    found = []
    for block in _blocks():
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i].removeprefix("$ ")
            i += 1
            if not line.startswith("tiltaksgraf "):
                continue
            while line.count("'") % 2 and i < len(lines):  # a quoted argument goes on
                line += "\n" + lines[i]
                i += 1
            words = shlex.split(line, comments=True)
            if ">" in words:
                words = words[: words.index(">")]
            if not any(w.startswith("[") for w in words):
                found.append(shlex.join(words[1:]))
    return found


COMMANDS = _commands()


def test_readme_documents_commands():
    assert len(COMMANDS) >= 15 and any(c.startswith("query --sparql") for c in COMMANDS)


@pytest.fixture(scope="module")
def workdir(built, tmp_path_factory):
    """A directory with ``out/`` (a copy of the session's build) and the reader's own query file."""
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(built, work / "out")
    (work / "my-question.rq").write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n", "utf-8")
    (work / "broken.txt").write_text("not a status report\n", "utf-8")
    # the multi-plan examples: the layout pages and the bundled report with its sidecar
    shutil.copytree(ROOT / "tests" / "extract" / "layouts" / "pages", work / "plans")
    for bundled in (ROOT / "data").glob("opptrappingsplan-*-status.*"):
        shutil.copy(bundled, work / "plans" / bundled.name)
    return work


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command, workdir, monkeypatch, capsys):
    reason = next((why for word, why in NOT_RUN.items() if word in shlex.split(command)), None)
    if reason:
        pytest.skip(reason)
    monkeypatch.chdir(workdir)
    argv = shlex.split(command)
    if argv[0] == "build" and "--out" in argv:
        argv += ["--no-views"]  # the views are tested elsewhere; keep it quick
    code = main(argv)
    captured = capsys.readouterr()
    assert code == FAILS.get(command, 0), captured.err
    assert "internal error" not in captured.err


@pytest.fixture(scope="module")
def store(built):
    from tiltaksgraf.api import load

    return load(built, "oxigraph")


# A block with "…" outlines a file's format (the .rq header); the others are examples to run.
SPARQL_EXAMPLES = [text for text in _blocks("sparql") if "…" not in text]


def test_readme_has_sparql_examples():
    assert len(SPARQL_EXAMPLES) >= 2


@pytest.mark.parametrize("text", SPARQL_EXAMPLES, ids=lambda t: t.splitlines()[-2][:40])
def test_readme_sparql_example_runs_as_written_without_repeated_rows(text, store):
    from tiltaksgraf.api import sparql

    rows = sparql(store, text)
    assert rows, "the example finds nothing"
    as_tuples = [tuple(sorted(r.items())) for r in rows]
    assert len(as_tuples) == len(set(as_tuples)), "the example returns rows twice"


def test_readme_numbers_are_the_builds(tmp_path, capsys):
    """The build summary and the triple counts quoted in the README are what the code gives."""
    assert main(["build", "--out", str(tmp_path / "out"), "--no-views"]) == 0
    summary = re.search(r"(\d+) report\(s\), (\d+) measures, (\d+) entities, (\d+) triples",
                        capsys.readouterr().err).groups()
    quoted = re.search(r"`built out/: (\d+) report\(s\), (\d+) measures, (\d+) entities, (\d+)\s+triples",
                       README).groups()
    assert quoted == summary

    from tiltaksgraf.api import load, sparql

    store_count = sparql(load(tmp_path / "out", "oxigraph"), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
    assert f"# [{{'n': {store_count}}}]" in README
    pushed = re.search(r"pushed 3 graphs, (\d+) triples", README).group(1)
    assert int(pushed) == store_count  # push sends the same triples the local store holds


def test_readme_gazetteer_size_is_the_files():
    from tiltaksgraf.extract.gazetteer import load_knowledge

    quoted = int(re.search(r"`gazetteer.jsonl` \((\d+) entities", README).group(1))
    assert quoted == len(load_knowledge().gazetteer)


def test_readme_lists_every_named_query():
    from tiltaksgraf.queries.rq import load_named_queries

    section = README.split("### Named queries", 1)[1].split("\n#", 1)[0]
    listed = set(re.findall(r"^\| `([a-z-]+)` \|", section, re.M))
    assert listed == set(load_named_queries())


def test_readme_mentions_every_command():
    from typer.main import get_command

    from tiltaksgraf.cli import app

    missing = [name for name in get_command(app).commands if f"tiltaksgraf {name}" not in README]
    assert missing == []


def test_readme_large_input_numbers_are_the_codes():
    """The memory check and the overview's bound the README quotes are the constants the build uses."""
    from tiltaksgraf import pipeline
    from tiltaksgraf.graph.default_views import OVERVIEW_MAX_MEASURES

    need = re.search(r"compares its need \((\d+) MiB \+ (\d+) bytes per byte of report", README).groups()
    assert (int(need[0]) * 2**20, int(need[1])) == (pipeline.MEMORY_BASE_BYTES, pipeline.MEMORY_PER_INPUT_BYTE)
    bound = re.search(r"the overview, which draws every measure, is not drawn past ([\d,]+)\s+measures", README)
    assert int(bound.group(1).replace(",", "")) == OVERVIEW_MAX_MEASURES
    assert f"more than {OVERVIEW_MAX_MEASURES:,} measures is not drawn" in README
