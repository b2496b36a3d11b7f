"""Issue 17's frictions, each with the test that would have caught it: what a new user met
trying the README and every command."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

from tiltaksgraf import api
from tiltaksgraf.cli import main
from tiltaksgraf.graph.stores import OxigraphStore
from tiltaksgraf.pipeline import build
from clitools import run



class Ran:
    def __init__(self, capsys: pytest.CaptureFixture[str], *args: str) -> None:
        self.exit_code = main(list(args))
        captured = capsys.readouterr()
        self.stdout, self.stderr = captured.out, " ".join(captured.err.split())


@pytest.mark.parametrize(("typo", "meant"), [("Trygest", "TryggEst (Programme)"), ("Bufdirr", "Bufdir ("),
                                             ("NKTVS", "NKVTS (")])
def test_a_misspelt_name_in_query_gets_did_you_mean_even_of_another_type(built, capsys, typo: str,
                                                                         meant: str) -> None:
    result = Ran(capsys, "query", "partners-of", "-p", f"agency={typo}", "-g", str(built))
    assert result.exit_code == 1
    assert "did you mean: " + meant in result.stderr
    assert "entity-search" not in result.stderr  # it would find nothing for the same text


def test_trace_entity_traces_an_agency_and_trace_programme_says_what_the_name_is(built, capsys) -> None:
    traced = run("query", "trace-entity", "-p", "entity=Statens barnehus", "-g", str(built), "--format", "csv")
    assert traced.exit_code == 0, traced.stderr
    assert [line.split(",")[0] for line in traced.stdout.splitlines()[1:]] == ["83", "84", "85", "86", "87"]
    programme = Ran(capsys, "query", "trace-programme", "-p", "programme=Statens barnehus", "-g", str(built))
    assert programme.exit_code == 1
    assert "Statens barnehus is an Agency, not a Programme" in programme.stderr
    assert "trace-entity" in programme.stderr
    # the old name still answers for programmes, as trace-entity does
    old = run("query", "trace-programme", "-p", "programme=TryggEst", "-g", str(built), "--format", "csv")
    new = run("query", "trace-entity", "-p", "entity=TryggEst", "-g", str(built), "--format", "csv")
    assert old.stdout.splitlines()[1:] == new.stdout.splitlines()[1:] and len(old.stdout.splitlines()) == 4


def test_query_and_the_api_use_oxigraph_by_default(built) -> None:
    with api.load(built) as store:
        assert isinstance(store, OxigraphStore)
    assert "oxigraph" in run("query", "--help").stdout.split("--store")[1][:200]


def test_a_piped_table_is_a_page_wide_and_leaves_iri_columns_out(built) -> None:
    result = run("query", "measures-by-status", "-g", str(built))
    assert result.exit_code == 0
    widths = {len(line) for line in result.stdout.splitlines()}
    assert max(widths) <= 160
    assert "id:status/" not in result.stdout and "Ferdig" in result.stdout
    assert "left out, IRIs only: status" in result.stderr
    # words wrap whole: every word of the descriptions appears unbroken somewhere in the table
    assert "kvalitetsreformen" in result.stdout


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_a_table_shows_short_names_fits_the_width_and_breaks_no_word(built, columns: int) -> None:
    from clitools import runner
    from tiltaksgraf.cli import app

    argv = ["query", "partners-of", "-p", "agency=NKVTS", "-g", str(built)]
    table = runner.invoke(app, argv, env={"COLUMNS": str(columns)}, catch_exceptions=False)
    csv_rows = list(csv.DictReader(io.StringIO(run(*argv, "--format", "csv").stdout)))
    assert table.exit_code == 0 and csv_rows
    assert max(len(line) for line in table.stdout.splitlines()) <= columns
    # the names people read in the table; CSV keeps the full names
    assert {"FHI", "NOVA", "NTNU", "RVTS"} <= set(re.findall(r"\w+", table.stdout))
    assert "Folkehelseinstituttet" not in table.stdout
    assert "Folkehelseinstituttet" in {r["partnerLabel"] for r in csv_rows}
    # every word of every sentence stands whole in some line of the table (none cut mid-word)
    words = {w for r in csv_rows for w in r["sentence"].split() if len(w) <= 16}
    shown = {w for line in table.stdout.splitlines() for w in re.findall(r"[^\s│|]+", line)}
    assert words <= shown, sorted(words - shown)[:10]


def test_build_keeps_what_viz_and_exports_wrote_and_no_views_keeps_the_standard_views(tmp_path: Path,
                                                                                     report_path: Path) -> None:
    out = tmp_path / "out"
    build([report_path], out)
    assert main(["viz", "entity", "Bufdir", "-g", str(out)]) == 0
    assert main(["export-network", "csv", "-g", str(out)]) == 0
    before = {p.name for p in out.iterdir()}
    assert "entity-bufdir.html" in before
    build([report_path], out, write_views=False)
    assert {p.name for p in out.iterdir()} == before


def test_export_turtle_without_out_leaves_the_builds_graph_ttl_alone(built, tmp_path: Path) -> None:
    copy = tmp_path / "b"
    shutil.copytree(built, copy)
    graph = copy / "graph.ttl"
    stamp = graph.stat().st_mtime_ns
    graph.chmod(0o444)  # a rewrite would fail here, whatever the clock's resolution
    result = run("export", "turtle", "-g", str(copy))
    assert result.exit_code == 0, result.stderr
    assert "already holds" in result.stderr and graph.stat().st_mtime_ns == stamp
    assert run("export", "nt", "-g", str(copy)).exit_code == 0 and (copy / "graph.nt").is_file()


def test_screenshot_does_not_default_to_the_tracked_picture() -> None:
    help_text = run("screenshot", "--help").stdout
    assert "docs/img" not in help_text and "build directory" in help_text


def test_usage_and_user_errors_exit_as_documented(built, capsys) -> None:
    fast = ["-g", str(built)]
    assert main(["query", "related-measures", "-p", "measure=abc", *fast]) == 2
    assert main(["query", "related-measures", "-p", "measure=200", *fast]) == 1
    assert main(["query", "--format", "xlsx", "--sparql", "ASK {}", *fast]) == 2
    missing = Ran(capsys, "query", "--file", "nope.rq", *fast)
    assert missing.exit_code == 1 and "Errno" not in missing.stderr and "no such file" in missing.stderr
    status = Ran(capsys, "query", "measures-by-status", "-p", "status=Done", *fast)
    assert status.exit_code == 1 and "the statuses: Ferdig, Forsinket, Ikke påbegynt, Påbegynt" in status.stderr


def test_readme_gives_a_clone_an_evaluation_it_can_run_and_says_shared_is_outside(built, capsys) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    command = re.search(r"`tiltaksgraf (evaluate tests/golden/\S+)`", readme).group(1).split()
    assert (Path(__file__).resolve().parents[1] / command[1]).is_file()
    assert main([*command, "--graph", str(built)]) == 0 and "Agency" in capsys.readouterr().out
    accuracy = readme.split("### Accuracy", 1)[1].split("\n## ", 1)[0]
    assert readme.count("../shared") == accuracy.count("../shared")  # nowhere else
    assert "a clone does not have" in accuracy


@pytest.mark.parametrize("typo", ["Trygest", "Bufdirr", "NKTVS"])
def test_query_viz_and_the_api_say_the_same_about_a_misspelt_name(built, capsys, typo: str) -> None:
    query = Ran(capsys, "query", "trace-entity", "-p", f"entity={typo}", "-g", str(built))
    view = Ran(capsys, "viz", "entity", typo, "-g", str(built), "--out", "/dev/null")
    with api.load(built) as store, pytest.raises(Exception) as caught:
        api.find(store, typo)
    hints = {r.stderr.split("hint: ", 1)[1] for r in (query, view)} | {str(caught.value).split("hint: ", 1)[1]}
    assert len(hints) == 1 and hints.pop().startswith("did you mean: ")
