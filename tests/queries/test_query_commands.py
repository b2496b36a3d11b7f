"""The commands ``queries``, ``query``, ``serve`` and ``push``: results on stdout, messages on
stderr, exit 1 for errors a user can fix and 2 for wrong arguments."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from tiltaksgraf.cli import main
from tiltaksgraf.queries.rq import load_named_queries
from clitools import run



def test_commands_queries_lists_every_named_query_with_parameters() -> None:
    result = run("queries")
    assert result.exit_code == 0
    for name, query in load_named_queries().items():
        assert name in result.stdout and query.title in result.stdout
    assert "agency (agency, required)" in result.stdout
    assert "ministry (agency, optional: all)" in result.stdout


def test_commands_query_named_with_param_as_csv(built) -> None:
    result = run("query", "partners-of", "--param", "agency=NKVTS", "--graph", str(built), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert "Folkehelseinstituttet" in {r["partnerLabel"] for r in rows}
    assert result.stderr == ""


@pytest.mark.parametrize("store", ["rdflib", "oxigraph"])
def test_commands_query_json_is_sparql_results(built, store: str) -> None:
    result = run("query", "measures-by-status", "-p", "status=Ferdig", "-g", str(built), "--store", store,
                 "--format", "json")
    data = json.loads(result.stdout)
    assert data["head"]["vars"] == ["statusLabel", "measure", "ministries", "description"]
    assert {b["statusLabel"]["value"] for b in data["results"]["bindings"]} == {"Ferdig"}


def test_commands_query_table_and_markdown(built) -> None:
    table = run("query", "status-per-ministry", "-g", str(built))
    assert table.exit_code == 0 and "HOD" in table.stdout  # the short name people read
    assert "rows" in table.stderr
    markdown = run("query", "trace-programme", "-p", "programme=TryggEst", "-g", str(built), "--store", "oxigraph",
                   "--format", "md")
    assert markdown.stdout.startswith("| measure | status | ministries | agencies | years |\n|---|")


def test_commands_query_sparql_and_file(built, tmp_path) -> None:
    text = ("PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>\n"
            "SELECT (COUNT(?m) AS ?n) WHERE { ?m tg:measureNumber ?x }")
    inline = run("query", "--sparql", text, "-g", str(built), "--store", "oxigraph", "--format", "tsv")
    path = tmp_path / "count.rq"
    path.write_text(text, encoding="utf-8")
    from_file = run("query", "--file", str(path), "-g", str(built), "--store", "oxigraph", "--format", "tsv")
    assert inline.stdout == from_file.stdout == "?n\n88\n"
    construct = run("query", "--sparql", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 2", "-g", str(built),
                    "--store", "oxigraph", "--format", "nt")
    assert construct.exit_code == 0 and len(construct.stdout.strip().splitlines()) == 2


def test_commands_query_errors_exit_1_with_a_message(built) -> None:
    fast = ["-g", str(built), "--store", "oxigraph"]
    assert main(["query", "partners-of", "-p", "agency=Nobody", *fast]) == 1
    assert main(["query", "--sparql", "SELECT * WHERE { ?s ?p }", *fast]) == 1
    assert main(["query", "--sparql", "DROP ALL", *fast]) == 1
    assert main(["query", "no-such-query", *fast]) == 1
    assert main(["query", "measures-by-status", "-g", str(built / "missing")]) == 1


def test_commands_query_error_message_on_stderr(built, capsys) -> None:
    assert main(["query", "partners-of", "-p", "agency=Nobody", "-g", str(built), "--store", "oxigraph"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no agency is called 'Nobody'" in captured.err and "entity-search" in captured.err


def test_commands_query_usage_errors_exit_2(built) -> None:
    assert main(["query", "-g", str(built)]) == 2  # neither a name nor --sparql/--file
    assert main(["query", "partners-of", "--sparql", "ASK {}", "-g", str(built)]) == 2
    assert main(["query", "partners-of", "-p", "agency", "-g", str(built)]) == 2
    assert main(["query", "partners-of", "-p", "agency=NKVTS", "--format", "pdf", "-g", str(built)]) == 2


def test_commands_push_to_a_real_oxigraph_server(built, oxigraph_server: str) -> None:
    result = run("push", "--endpoint", oxigraph_server + "store", "--graph", str(built))
    assert result.exit_code == 0, result.stderr
    assert "pushed" in result.stderr and result.stdout == ""
    partners = ("query", "partners-of", "-p", "agency=NKVTS", "--format", "csv")
    remote = run(*partners, "--endpoint", oxigraph_server + "query")
    local = run(*partners, "-g", str(built), "--store", "oxigraph")
    assert remote.stdout == local.stdout and "Folkehelseinstituttet" in local.stdout


def test_commands_push_failure_exits_1(built) -> None:
    assert main(["push", "--endpoint", "http://127.0.0.1:9/store", "--graph", str(built)]) == 1


@pytest.mark.server
def test_commands_serve_prints_the_url_and_answers(built) -> None:
    process = subprocess.Popen([sys.executable, "-c", "import sys; from tiltaksgraf.cli import main; sys.exit(main())",
                                "serve", "--graph", str(built), "--port", "0", "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "200"})
    try:
        deadline = time.monotonic() + 30
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            if line.strip().startswith("page:"):
                url = line.split()[-1]
        assert url and url.startswith("http://127.0.0.1:"), "serve did not print its URL"
        with urllib.request.urlopen(url + "queries/measures-by-status?status=Ferdig", timeout=10) as response:
            assert response.status == 200
            assert json.load(response)["results"]["bindings"]
    finally:
        process.terminate()
        process.wait(timeout=10)
