"""The shape docs/architecture.md describes, checked: imports run one way (the CLI imports the
stages, never the reverse) and every stage's commands reach the CLI through ``register(app)``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGE_DIRS = ("extract", "graph", "queries", "ontology")
LIBRARY = [p for d in STAGE_DIRS for p in sorted((ROOT / d).rglob("*.py"))] + [
    p for p in sorted((ROOT / "tiltaksgraf").glob("*.py")) if p.name not in ("cli.py", "__main__.py")]


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_library_module_imports_the_cli(path):
    assert "tiltaksgraf.cli" not in _imported_modules(path), f"{path.name} imports the CLI back"


@pytest.mark.parametrize("stage", ["graph", "queries"])
def test_stage_commands_reach_the_cli_through_register(stage):
    import importlib

    import typer
    from typer.main import get_command

    module = importlib.import_module(f"tiltaksgraf.{stage}.commands")
    fresh = typer.Typer()
    module.register(fresh)

    @fresh.command("noop")
    def noop() -> None:  # a group needs two commands to list them by name
        pass

    names = set(get_command(fresh).commands)
    from tiltaksgraf.cli import app

    main_names = set(get_command(app).commands)
    assert names - {"noop"} and names - {"noop"} <= main_names


def test_no_noqa_e402_left_in_the_cli():
    text = (ROOT / "tiltaksgraf" / "cli.py").read_text("utf-8")
    assert "E402" not in text and "package_main" not in text


def _tiltaksgraf_imports(path: Path) -> set[str]:
    return {m for m in _imported_modules(path) if m.startswith("tiltaksgraf.")}


@pytest.mark.parametrize("path", sorted((ROOT / "extract").glob("*.py")), ids=lambda p: p.name)
def test_extract_imports_no_later_stage(path):
    later = {m for m in _tiltaksgraf_imports(path)
             if m.startswith(("tiltaksgraf.graph", "tiltaksgraf.queries", "tiltaksgraf.pipeline"))}
    assert later <= {"tiltaksgraf.graph.iri", "tiltaksgraf.graph.iri.slug"}, later


@pytest.mark.parametrize("path", sorted((ROOT / "graph").glob("*.py")), ids=lambda p: p.name)
def test_graph_imports_no_queries(path):
    assert not {m for m in _tiltaksgraf_imports(path) if m.startswith("tiltaksgraf.queries")}


@pytest.mark.parametrize("name", ["records", "errors", "names", "entity_types", "console"])
def test_base_modules_import_no_stage(name):
    stages = ("tiltaksgraf.extract", "tiltaksgraf.graph", "tiltaksgraf.queries", "tiltaksgraf.pipeline")
    assert not {m for m in _tiltaksgraf_imports(ROOT / "tiltaksgraf" / f"{name}.py") if m.startswith(stages)}
