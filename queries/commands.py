"""CLI commands of this stage; ``tiltaksgraf.cli`` adds them to its app with ``register(app)``.

``queries`` lists the named queries, ``query`` runs one (or any SPARQL) on a build or an
endpoint, ``serve`` starts the SPARQL endpoint, ``push`` loads the graph into a Graph Store
Protocol server. Each command checks its arguments and calls library functions; results go to
stdout, messages to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from tiltaksgraf.console import err
from tiltaksgraf.errors import InputError, UsageError

# This stage's commands. The CLI copies them onto its own app in register(), so this module
# never imports the CLI.
app = typer.Typer()


def register(cli_app: typer.Typer) -> None:
    """Add this stage's commands to ``cli_app`` (``tiltaksgraf.cli`` calls this)."""
    cli_app.registered_commands.extend(app.registered_commands)


GraphOption = Annotated[Path, typer.Option("--graph", "-g", help="A build directory (from 'tiltaksgraf build').")]
StoreOption = Annotated[str, typer.Option(
    "--store", help="Query engine: oxigraph (fast) or rdflib (in memory, pure Python).")]
LocationOption = Annotated[Optional[Path], typer.Option(
    "--oxigraph-dir", help="Keep the Oxigraph store on disk here and reuse it while the build is unchanged.")]


@app.command("queries")
def list_queries() -> None:
    """List the named queries with their parameters."""
    from tiltaksgraf.queries.rq import load_named_queries

    for query in load_named_queries().values():
        params = ", ".join(p.usage() for p in query.params) or "no parameters"
        typer.echo(f"{query.name}  [{params}]\n  {query.title}: {query.answers}")
        for example in query.examples:
            typer.echo(f"  e.g. {example}")


@app.command()
def query(
    name: Annotated[Optional[str], typer.Argument(help="A named query (see 'tiltaksgraf queries').")] = None,
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", help="NAME=VALUE; a label or IRI for entities. Repeatable.")] = None,
    sparql: Annotated[Optional[str], typer.Option("--sparql", help="Run this SPARQL query instead.")] = None,
    file: Annotated[Optional[Path], typer.Option(
        "--file", "-f", help="Run the SPARQL query in this file instead.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, tsv, json (SPARQL 1.1 JSON results), md, "
                                     "xml; turtle, nt or jsonld for CONSTRUCT/DESCRIBE.")] = "table",
    graph: GraphOption = Path("out"),
    store: StoreOption = "oxigraph",
    location: LocationOption = None,
    endpoint: Annotated[Optional[str], typer.Option(
        "--endpoint", help="Ask this SPARQL query URL instead of a local build.")] = None,
) -> None:
    """Run a named query (with --param) or a SPARQL query (--sparql / --file); print the results."""
    from tiltaksgraf.graph.stores import open_store
    from tiltaksgraf.queries.formats import CLI_FORMATS, format_result
    from tiltaksgraf.queries.runner import run_named_query, run_sparql
    from tiltaksgraf.queries.text_results import short_names

    if sum(x is not None for x in (name, sparql, file)) != 1:
        raise UsageError("give exactly one of: a query NAME, --sparql TEXT or --file PATH",
                         hint="'tiltaksgraf queries' lists the named queries")
    if fmt not in CLI_FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"choose one of {', '.join(CLI_FORMATS)}")
    params = _parse_params(param or [])
    if params and name is None:
        raise UsageError("--param is for named queries")
    text = _read_query(file) if file is not None else sparql
    with open_store(endpoint or graph, store, location=location) as opened:
        result = run_named_query(opened, name, params) if name else run_sparql(opened, text or "")
        hint = _name_hint(opened, params.get("text", "")) if name == "entity-search" and not result.rows else None
        short = short_names(opened) if fmt == "table" and result.graph is None and result.rows else {}
    if fmt == "table" and result.graph is None:
        _print_table(result, short)
    else:
        typer.echo(format_result(result, fmt), nl=False)
    if hint:
        err.print(hint, highlight=False)


@app.command()
def serve(
    graph: GraphOption = Path("out"),
    host: Annotated[
        str, typer.Option(help="Interface to listen on; 0.0.0.0 shares it with the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port; 0 picks a free one.")] = 7878,
    store: StoreOption = "oxigraph",
    location: LocationOption = None,
    timeout: Annotated[float, typer.Option(help="Time limit per query, in seconds.")] = 10.0,
    max_rows: Annotated[int, typer.Option(help="Most rows (or triples) one query may return.")] = 10_000,
    workers: Annotated[int, typer.Option(help="Queries run at the same time, each in a worker process.")] = 4,
    memory_limit: Annotated[int, typer.Option(
        help="Memory one query may use, in MiB (its worker's address space beyond the loaded graph); "
             "a query that needs more gets 503. 0: no limit.")] = 1024,
    allow_host: Annotated[Optional[list[str]], typer.Option(
        "--allow-host", help="Also answer requests for this host name (any port); localhost, IP addresses "
                             "and the --host name always are. Repeatable.")] = None,
    idle_timeout: Annotated[float, typer.Option(
        help="Close a connection that sends nothing for this many seconds.")] = 30.0,
    max_connections: Annotated[int, typer.Option(
        help="Open connections at most; past it, the longest-waiting one is closed.")] = 1000,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not log requests.")] = False,
) -> None:
    """Serve the graph: a SPARQL 1.1 endpoint at /sparql, a query page at /, and the explorer at
    /explore/ with a page per entity, measure, plan and report at the path of its IRI."""
    from tiltaksgraf.graph.stores import open_store
    from tiltaksgraf.queries.connections import raise_file_limit
    from tiltaksgraf.queries.endpoint import host_name, make_server

    if timeout <= 0 or max_rows < 1 or workers < 1 or idle_timeout <= 0 or max_connections < 1 or memory_limit < 0:
        raise UsageError("--timeout, --max-rows, --workers, --idle-timeout and --max-connections must be positive, "
                         "--memory-limit 0 or more")
    bad = [name for name in allow_host or [] if host_name(name) is None]
    if bad:
        raise UsageError(f"--allow-host wants a host name such as tiltaksgraf.example.org, not {bad[0]!r}")
    raise_file_limit()
    opened = open_store(graph, store, location=location)
    try:
        server = make_server(opened, host, port, timeout=timeout, max_rows=max_rows, workers=workers, quiet=quiet,
                             idle_timeout=idle_timeout, max_connections=max_connections, allow_hosts=allow_host or (),
                             memory_limit_mb=memory_limit or None)
    except BaseException:
        opened.close()
        raise
    err.print(f"serving {opened.description}\n  page:   {server.url}\n  SPARQL: {server.url}sparql\n"
              f"  explorer: {server.url}explore/\n"
              "press Ctrl-C to stop", highlight=False, soft_wrap=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        err.print("stopped")
    finally:
        server.server_close()
        opened.close()


@app.command()
def push(
    endpoint: Annotated[str, typer.Option(
        "--endpoint", "-e", help="The server's Graph Store endpoint, e.g. http://127.0.0.1:7878/store.")],
    graph: GraphOption = Path("out"),
) -> None:
    """Load the graph into a SPARQL 1.1 Graph Store Protocol server, one named graph per source."""
    from tiltaksgraf.graph.push import push as run_push

    pushed = run_push(graph, endpoint,
                      on_graph=lambda g: err.print(f"PUT <{g.graph}>: {g.triples} triples ({g.status})",
                                                  highlight=False, soft_wrap=True))
    err.print(f"pushed {len(pushed)} graphs, {sum(g.triples for g in pushed)} triples to {endpoint}",
              highlight=False, soft_wrap=True)


def _name_hint(store, text: str) -> str | None:
    """entity-search found no name containing the text: the names spelt like it, if any."""
    from tiltaksgraf.names import NoMatch
    from tiltaksgraf.queries.params import find_in_store

    found = find_in_store(store, text)
    if isinstance(found, NoMatch) and found.suggestions:
        return f"no name contains {text!r}; {found.hint()}"
    return None


def _parse_params(items: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param wants NAME=VALUE, not {item!r}")
        params[key.strip()] = value
    return params


def _read_query(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", path=str(path),
                         hint="give a file with a SPARQL query, or run a named one: tiltaksgraf queries") from None
    except IsADirectoryError:
        raise InputError("a directory, not a query file", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the query: {exc.strerror}", path=str(path)) from exc


def _print_table(result, short: dict[str, str]) -> None:
    """The result as a table that fits the terminal, names shortened as the views draw them
    (``short``: full name → short name; the other formats keep the full names)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from tiltaksgraf.queries.text_results import display, shortened

    # Fits the terminal; piped, a page of 160 columns (COLUMNS overrides) rather than one line per
    # row thousands of characters wide.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else _piped_width())
    if result.kind == "ASK":
        console.print("true" if result.boolean else "false")
        return
    def cell(term) -> str:  # the PDF's line breaks inside a sentence are no breaks to keep here
        return shortened(" ".join(display(term).split()), short)

    shown = _table_columns(result)
    table = Table(show_lines=False, header_style="bold")
    # A column is never narrower than its longest word, so words wrap whole — up to an equal share
    # of the console (each column costs 3 characters of border and padding), so the table is
    # never wider than the console and rich never crops a column away.
    share = max(8, (console.width - 1) // max(len(shown), 1) - 3)
    for i in shown:
        texts = [cell(row[i]) for row in result.rows]
        longest_word = max((len(w) for t in texts for w in t.split()), default=0)
        width = min(max(longest_word, len(result.vars[i])), 24, share)
        table.add_column(result.vars[i], overflow="fold", min_width=width)
    for row in result.rows:
        table.add_row(*(Text(cell(row[i])) for i in shown))  # Text: no markup in data
    console.print(table)
    hidden = [result.vars[i] for i in range(len(result.vars)) if i not in shown]
    note = f"; left out, IRIs only: {', '.join(hidden)} (--format csv has them)" if hidden else ""
    err.print(f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}{note}", highlight=False, soft_wrap=True)


def _piped_width() -> int:
    import os

    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) >= 40 else 160


def _table_columns(result) -> list[int]:
    """The columns a table shows: an IRI column is left out when the row has labels to read
    (``status`` beside ``statusLabel``, ``programme`` beside its measures), so the names get the
    width; a table of IRIs only keeps them."""
    from rdflib import URIRef

    iri_only = [i for i in range(len(result.vars))
                if result.rows and all(row[i] is None or isinstance(row[i], URIRef) for row in result.rows)
                and any(isinstance(row[i], URIRef) for row in result.rows)]
    rest = [i for i in range(len(result.vars)) if i not in iri_only]
    return rest if rest else list(range(len(result.vars)))
