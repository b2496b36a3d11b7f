"""The stage's CLI commands through ``tiltaksgraf.cli.main``: exit codes, where output goes."""

from __future__ import annotations

import pytest

from tiltaksgraf.cli import main


def test_commands_stats_prints_centrality_and_communities(built, capsys):
    assert main(["stats", "--graph", str(built), "--top", "5"]) == 0
    out = capsys.readouterr().out
    for heading in ("Agencies by degree", "Agencies by betweenness", "Programmes", "Laws", "Bridging agencies",
                    "Communities"):
        assert heading in out
    assert "Bufdir" in out and "NKVTS" in out


def test_commands_viz_writes_into_the_build_directory_by_default(built, capsys):
    assert main(["viz", "entity", "NKVTS", "--graph", str(built)]) == 0
    path = built / "entity-nkvts.html"
    assert path.is_file() and f"wrote {path}" in capsys.readouterr().err.replace("\n", "")


def test_commands_viz_out(built, tmp_path):
    out = tmp_path / "sub" / "collab.html"
    assert main(["viz", "collaboration", "--graph", str(built), "--out", str(out)]) == 0
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["viz", "pie"], 2, "unknown view"),
    (["viz", "entity"], 2, "needs a name"),
    (["viz", "measure", "twelve"], 2, "by its number"),
    (["viz", "entity", "Bufdirr"], 1, "did you mean"),
    (["viz", "measure", "999"], 1, "no measure number 999"),
    (["export-network", "pdf"], 2, "unknown format"),
])
def test_commands_errors_exit_with_a_message(built, capsys, argv, code, message):
    assert main([*argv, "--graph", str(built)]) == code
    assert message in capsys.readouterr().err.replace("\n", " ")


def test_commands_viz_without_a_build(tmp_path, capsys):
    assert main(["viz", "overview", "--graph", str(tmp_path)]) == 1
    assert "tiltaksgraf build" in capsys.readouterr().err


def test_commands_export_network(built, tmp_path):
    assert main(["export-network", "gexf", "--network", "measure-entity", "--graph", str(built),
                 "--out", str(tmp_path)]) == 0
    assert (tmp_path / "measure-entity.gexf").read_text("utf-8").lstrip().startswith("<?xml")
    assert main(["export-network", "csv", "--graph", str(built), "--out", str(tmp_path / "edges.csv")]) == 0
    assert (tmp_path / "edges.csv").read_text("utf-8").startswith("source,target,")


def test_commands_are_documented():
    from typer.main import get_command

    from tiltaksgraf.cli import app

    group = get_command(app)
    for name in ("stats", "viz", "export-network", "screenshot"):
        command = group.commands[name]
        assert command.help, name
        assert all(p.help for p in command.params if p.param_type_name == "option"), name


@pytest.mark.parametrize(("fmt", "name", "what"), [("trig", "graph.trig", "dataset"), ("turtle", "graph.ttl", "graph")])
def test_commands_export_of_a_damaged_file_names_file_and_line(built, tmp_path, capsys, fmt, name, what):
    import shutil

    damaged = tmp_path / "build"
    shutil.copytree(built, damaged, ignore=shutil.ignore_patterns("*.html"))
    lines = (damaged / name).read_text("utf-8").splitlines()
    line = next(i for i, text in enumerate(lines) if text.rstrip().endswith(";")) + 1
    lines[line - 1] += " <<damaged"
    (damaged / name).write_text("\n".join(lines) + "\n", "utf-8")
    assert main(["export", fmt, "-g", str(damaged), "--out", str(tmp_path / f"x.{fmt}")]) == 1
    err = capsys.readouterr().err
    assert f"{damaged / name}:{line}: cannot read the {what}" in err and "internal error" not in err
