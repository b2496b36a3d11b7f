"""The graph commands besides build: export to other RDF formats, the ontology's HTML docs."""

from __future__ import annotations

import importlib.util

import pytest
from rdflib import Dataset, Graph

from tiltaksgraf.cli import main


@pytest.mark.parametrize("fmt, name, parse_as", [
    ("jsonld", "graph.jsonld", "json-ld"), ("nt", "graph.nt", "nt"), ("xml", "graph.rdf", "xml"),
    ("turtle", "graph.ttl", "turtle"),
])
def test_cli_export_round_trips(built, tmp_path, capsys, fmt, name, parse_as):
    assert main(["export", fmt, "--graph", str(built), "--out", str(tmp_path)]) == 0
    assert f"wrote {tmp_path / name}" in capsys.readouterr().err
    original = Graph().parse(built / "graph.ttl")
    assert len(Graph().parse(tmp_path / name, format=parse_as)) == len(original)


def test_cli_export_nquads_keeps_one_graph_per_source(built, tmp_path):
    assert main(["export", "nquads", "--graph", str(built), "--out", str(tmp_path / "g.nq")]) == 0
    ds = Dataset()
    ds.parse(tmp_path / "g.nq", format="nquads")
    names = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert any(n.endswith("/graph/derived") for n in names) and len(names) == 2


def test_cli_export_unknown_format_is_a_usage_error(built, capsys):
    assert main(["export", "yaml", "--graph", str(built)]) == 1
    assert "unknown format 'yaml'" in capsys.readouterr().err


def test_cli_export_without_a_build_says_what_to_do(tmp_path, capsys):
    assert main(["export", "nt", "--graph", str(tmp_path)]) == 1
    assert "run 'tiltaksgraf build' first" in capsys.readouterr().err


def test_cli_docs_renders_the_ontology(tmp_path):
    if importlib.util.find_spec("pylode") is None:  # importing it here would bypass docs.py's workaround
        pytest.skip("pyLODE renders the docs; it is in the dev extra")
    assert main(["docs", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Collaboration" in page and "<script src=" not in page


@pytest.mark.parametrize("module, argv, code", [
    ("tiltaksgraf", ["no-such-command"], 2),
    ("tiltaksgraf.cli", ["export", "no-such-format"], 1),
    ("tiltaksgraf", ["--help"], 0),
])
def test_cli_process_exits_with_mains_code(module, argv, code):
    """``run`` (the console script, ``python -m``) exits with ``main``'s code without tearing
    the interpreter down."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", module, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == code, done.stderr


@pytest.mark.parametrize("thread", [False, True], ids=["alone", "with-a-thread"])
def test_cli_process_exit_loses_nothing(thread):
    """Leaving the modules to the operating system loses nothing: everything printed arrives
    (here into a pipe, block-buffered), ``atexit`` handlers run, and a thread still working is
    waited for (it may be writing)."""
    import subprocess
    import sys

    probe = ("import atexit, sys, threading, time\n"
             "from tiltaksgraf.cli import run\n"
             "atexit.register(lambda: print('atexit ran'))\n"
             f"if {thread}:\n"
             "    threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n"
             "sys.argv = ['tiltaksgraf', 'queries']\n"
             "run()\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run([sys.executable, "-m", "tiltaksgraf", "queries"], capture_output=True, text=True,
                            timeout=120).stdout
    assert len(listed) > 4096 and "partners-of" in listed  # kept in stdout's block buffer until flushed
    expected = listed + ("thread done\n" if thread else "") + "atexit ran\n"
    assert done.stdout == expected


def test_cli_messages_print_names_as_written(tmp_path, capsys):
    """A path with an emoji code in it (":smile:") is named as written, not as 😄."""
    missing = tmp_path / "report:smile:.txt"
    assert main(["build", str(missing), "--out", str(tmp_path / "out")]) == 1
    message = "".join(capsys.readouterr().err.split())
    assert "report:smile:.txt:nosuchfile" in message and "😄" not in message


def test_package_version_is_the_installed_one():
    """``tiltaksgraf.__version__`` is read on first use (not at import), from the installed metadata."""
    import importlib.metadata

    import tiltaksgraf

    assert tiltaksgraf.__version__ == importlib.metadata.version("tiltaksgraf")
    assert "__version__" in tiltaksgraf.__all__
