"""CLI command of this stage: ``site`` writes the explorer as static files; ``tiltaksgraf.cli``
adds it with ``register(app)`` (``serve`` serves the same pages, see ``queries/endpoint``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tiltaksgraf.console import err

app = typer.Typer()


def register(cli_app: typer.Typer) -> None:
    """Add this stage's commands to ``cli_app`` (``tiltaksgraf.cli`` calls this)."""
    cli_app.registered_commands.extend(app.registered_commands)


@app.command()
def site(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write the site into.")] = Path("site"),
    graph: Annotated[Path, typer.Option("--graph", "-g", help="A build directory.")] = Path("out"),
) -> None:
    """Write the explorer (a page per entity, measure, plan and report, with search) as static
    files that work from disk or any web server, offline."""
    from tiltaksgraf.explorer.site import write_site
    from tiltaksgraf.graph.stores import open_store

    with open_store(graph, "oxigraph") as store:
        count = write_site(store, out)
    err.print(f"wrote {count} files to {out}/; open {out / 'index.html'}", highlight=False, soft_wrap=True)
