"""The ``tiltaksgraf`` command: thin wrappers over library functions.

Results go to stdout, progress and messages to stderr. Errors a user can fix
(``TiltaksgrafError``) exit 1 with their message — 2 for usage errors — and no traceback;
anything else is a bug and shows its traceback only under ``--debug``.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import click
import typer
from tiltaksgraf import collector
from tiltaksgraf.console import EXIT_INTERRUPTED, EXIT_USAGE, EXIT_USER_ERROR, err, escape
from tiltaksgraf.errors import TiltaksgrafError, UsageError
from tiltaksgraf.explorer import commands as explorer_commands
from tiltaksgraf.extract import commands as extract_commands
from tiltaksgraf.graph import commands as graph_commands
from tiltaksgraf.queries import commands as query_commands

app = typer.Typer(
    name="tiltaksgraf",
    help="Turn policy status reports into a knowledge graph you can query (SPARQL) and look at.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_state = {"debug": False}


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def build(
    reports: Annotated[Optional[list[Path]], typer.Argument(
        help="Report text files; default: the bundled report.")] = None,
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Output directory (replaced only when the build succeeds).")] = Path("out"),
    views: Annotated[bool, typer.Option(help="Also write the HTML network views.")] = True,
    lang: graph_commands.ViewLanguage = "nb",
    layout: Annotated[Optional[str], typer.Option(
        "--layout", help="Read every report as this layout (table, budget-table, blocks, numbered, tagged); "
                         "default: detected per report.")] = None,
    knowledge: Annotated[Optional[list[Path]], typer.Option(
        "--knowledge", "-k", help="Your own knowledge file (JSON lines, the gazetteer's schema; repeatable). "
        "Files in a knowledge/ folder beside the reports are read too.")] = None,
    corrections: Annotated[Optional[Path], typer.Option(
        "--corrections", "-c", help="Your corrections file (JSON lines: reject-mention, reject-entity, "
        "reject-relation, merge, retype); default: corrections.jsonl beside the reports.")] = None,
) -> None:
    """Build the knowledge graph: measures.json, graph.ttl, graph.trig and the HTML views in OUT."""
    from rich.progress import Progress

    with collector.paused():  # spaCy, rdflib and the stages: module state, not garbage
        from tiltaksgraf.graph.default_views import check_language
        from tiltaksgraf.pipeline import build as run_build

    if views:
        check_language(lang)
    paths = list(reports or [])

    def note(message: str) -> None:
        err.print(f"note: {escape(message)}", highlight=False)

    if len(paths) > 1:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("building", total=len(paths))
            result = run_build(paths, out, on_report=lambda p: progress.advance(task), on_note=note,
                               write_views=views, layout=layout, knowledge=knowledge or [], corrections=corrections,
                               views_lang=lang)
    else:
        result = run_build(paths, out, on_note=note, write_views=views, layout=layout, knowledge=knowledge or [],
                           corrections=corrections, views_lang=lang)
    for warning in result.warnings:
        err.print(f"warning: {escape(warning)}")
    err.print(f"built {result.out_dir}/: {result.reports} report(s), {result.measures} measures, "
              f"{result.entities} entities, {result.triples} triples in {result.seconds:.1f} s")
    if len(result.knowledge) > 1:
        err.print("knowledge: " + "; ".join(
            f"{s.name}: {s.entries} entries" + (f" ({s.added} new, {s.overridden} overriding)" if s.overridden else "")
            for s in result.knowledge), highlight=False)
    if result.corrections:
        applied = sum(o.applied for o in result.corrections)
        err.print(f"corrections: {applied} of {len(result.corrections)} applied", highlight=False)
        for o in result.corrections:
            if not o.applied:
                c = o.correction
                err.print(f"[yellow]warning:[/yellow] {escape(c.path)}:{c.line}: {c.action} {escape(c.target)}: "
                          f"{escape(o.detail)} (the target no longer exists; fix or remove the line)",
                          markup=True, highlight=False)


@app.command()
def export(
    fmt: Annotated[str, typer.Argument(help="turtle, trig, nt, nquads, jsonld or xml.")],
    graph: Annotated[Path, typer.Option("--graph", "-g", help="A build directory.")] = Path("out"),
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="File or directory to write; default: the build directory.")] = None,
) -> None:
    """Write the built graph in another RDF format."""
    from tiltaksgraf.graph.store import DATASET_FILE, EXPORT_FORMATS, GRAPH_FILE, export as run_export

    own = Path(graph) / EXPORT_FORMATS[fmt][1] if fmt in EXPORT_FORMATS else None
    if out is None and own is not None and own.name in (GRAPH_FILE, DATASET_FILE):
        # The build wrote this very file: rewriting it would only risk the build's own copy.
        err.print(f"the build already holds the graph as {fmt}: {own}", highlight=False, soft_wrap=True)
        return
    target = run_export(graph, fmt, out or graph)
    err.print(f"wrote {target}")


@app.command()
def evaluate(
    gold: Annotated[Path, typer.Argument(help="Gold annotations (entities JSON).")],
    graph: Annotated[Path, typer.Option("--graph", "-g", help="A build directory.")] = Path("out"),
    show_errors: Annotated[bool, typer.Option("--show-errors", help="List misses and extras per measure.")] = False,
    relations: Annotated[Optional[Path], typer.Option(
        "--relations", "-r",
        help="Relation gold for the same measures: also print the relation table "
             "(collaboration pairs, commissions, fundings).")] = None,
) -> None:
    """Score the built graph's entities (and with --relations its relations) against gold annotations."""
    from tiltaksgraf.evaluate import evaluate_graph, evaluate_relations, format_relation_scores, format_scores

    scores = evaluate_graph(gold, graph)
    typer.echo(format_scores(scores, show_errors=show_errors))
    if relations is not None:
        typer.echo(format_relation_scores(evaluate_relations(relations, gold, graph), show_errors=show_errors))


@app.command()
def docs(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the HTML.")] = Path("docs/ontology"),
) -> None:
    """Render the ontology's HTML documentation (pyLODE)."""
    from tiltaksgraf.ontology.docs import build_docs

    page = build_docs(out)
    err.print(f"wrote {page}")


# The query, serve/push and stats/viz commands live beside their stages; each stage adds its own.
query_commands.register(app)
graph_commands.register(app)
explorer_commands.register(app)
extract_commands.register(app)


def _click_exceptions() -> list:
    """Typer ≥ 0.26 raises its own vendored copy of click's exceptions; older ones raise click's."""
    modules = [click.exceptions]
    try:
        from typer._click import exceptions as vendored  # only in newer typer
        modules.append(vendored)
    except ImportError:
        pass
    return modules


_CLICK = _click_exceptions()
_EXIT = (click.exceptions.Exit, typer.Exit)
_ABORT = (click.exceptions.Abort, typer.Abort)
_CLICK_ERROR = tuple(m.ClickException for m in _CLICK)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and turns errors into exit codes."""
    with collector.relaxed():
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    """Run the app and turn errors into exit codes."""
    try:
        code = app(args=argv, prog_name="tiltaksgraf", standalone_mode=False)
    except _ABORT:
        err.print("aborted")
        return EXIT_INTERRUPTED
    except _EXIT as exc:
        return exc.exit_code
    except _CLICK_ERROR as exc:
        exc.show(file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False)
        return EXIT_USAGE
    except TiltaksgrafError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        err.print("interrupted")
        return EXIT_INTERRUPTED
    except Exception:
        if _state["debug"] or "--debug" in (argv if argv is not None else sys.argv):
            raise
        err.print("[red]internal error[/red]: this is a bug in tiltaksgraf; rerun with --debug for the "
                  "traceback and report it", markup=True)
        return EXIT_USER_ERROR
    return code if isinstance(code, int) else 0


def run() -> NoReturn:
    """The ``tiltaksgraf`` command as a process (its console script, ``python -m tiltaksgraf``):
    ``main``, then exit with its code, leaving the objects still alive to the operating system.
    (``main`` itself stays free of this: tests call it in their own process.)"""
    code = main()
    _exit_without_teardown(code)


def _exit_without_teardown(code: int) -> NoReturn:
    """Exit with ``code`` as ``sys.exit`` would — other threads joined, ``atexit`` handlers run
    (temporary files' finalizers, logging's flush), standard streams flushed — but without tearing
    the modules down: that frees, one by one, the few hundred thousand objects spaCy, rdflib and
    the build leave (~0.03 s of every command; with the collector run over them as well, ~0.15 s).
    Every file a command writes is closed (and renamed into place) before ``main`` returns, so
    nothing is lost. Instagram's servers end their processes the same way, for the same reason."""
    if threading.active_count() > 1:  # non-daemon threads are joined by the ordinary exit only
        gc.freeze()  # still: the collector is not run over what lives on
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken pipe: nothing more can be said there
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover  (``python -m tiltaksgraf.cli``, as bench/ runs it)
    run()
