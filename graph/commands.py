"""CLI commands of this stage; ``tiltaksgraf.cli`` adds them to its app with ``register(app)``.

``stats`` prints centrality and communities, ``viz`` writes an HTML view, ``export-network``
writes a projection for Gephi and friends, ``screenshot`` renders a PNG of a view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from tiltaksgraf.console import err, escape

# This stage's commands. The CLI copies them onto its own app in register(), so this module
# never imports the CLI.
app = typer.Typer()


def register(cli_app: typer.Typer) -> None:
    """Add this stage's commands to ``cli_app`` (``tiltaksgraf.cli`` calls this)."""
    cli_app.registered_commands.extend(app.registered_commands)


GraphDir = Annotated[Path, typer.Option("--graph", "-g", help="A build directory.")]
PlanOption = Annotated[Optional[str], typer.Option(
    "--plan", help="Only this plan's measures (its key or title), in a graph of several plans.")]
ViewLanguage = Annotated[str, typer.Option(
    "--lang", help="The views' interface language: nb (Norwegian Bokmål, as the reports) or en.")]


def _load(graph: Path, plan: str | None):
    """The build's graph, or one plan of it."""
    from tiltaksgraf.graph.plans import only_plan
    from tiltaksgraf.graph.store import load_graph

    g = load_graph(graph)
    return only_plan(g, plan) if plan else g


@app.command()
def stats(
    graph: GraphDir = Path("out"),
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="Rows per table.")] = 10,
    plan: PlanOption = None,
) -> None:
    """Print the most central agencies, programmes and laws, the bridging agencies and the
    communities of the collaboration network."""
    from tiltaksgraf.graph.network import network_stats

    s = network_stats(_load(graph, plan), top=top)
    out = Console()
    out.print(f"collaboration network: {s.collaboration_size[0]} agencies, {s.collaboration_size[1]} links; "
              f"overview: {s.overview_size[0]} nodes, {s.overview_size[1]} links")
    for title, rows in (("Agencies by degree (collaboration network)", s.agencies_by_degree),
                        ("Agencies by betweenness (collaboration network)", s.agencies_by_betweenness),
                        ("Programmes (overview network)", s.programmes), ("Laws (overview network)", s.laws)):
        table = Table(title=title, title_justify="left")
        for column in ("", "name", "degree", "weighted", "betweenness"):
            table.add_column(column, justify="right" if column not in ("name",) else "left")
        for i, r in enumerate(rows, 1):
            short = r.label != r.name and not r.label.endswith("…")
            table.add_row(str(i), f"{r.name} ({r.label})" if short else r.name, str(r.degree),
                          f"{r.weighted_degree:g}", f"{r.betweenness:.3f}")
        out.print(table)
    bridges = Table(title="Bridging agencies: named in measures of ministries that share none",
                    title_justify="left")
    bridges.add_column("agency")
    bridges.add_column("ministries: measures")
    for b in s.bridges:
        bridges.add_row(b.label, "; ".join(f"{m}: {', '.join(map(str, ns))}" for m, ns in b.ministries.items()))
    out.print(bridges)
    communities = Table(title="Communities (Louvain, collaboration network)", title_justify="left")
    communities.add_column("", justify="right")
    communities.add_column("members")
    for i, members in enumerate(s.communities, 1):
        communities.add_row(str(i), "; ".join(members))
    out.print(communities)


@app.command()
def viz(
    view: Annotated[str, typer.Argument(help="collaboration, programme NAME, measure N, entity NAME or overview.")],
    target: Annotated[Optional[str], typer.Argument(
        help="The programme or entity name (or IRI), or the measure number.")] = None,
    graph: GraphDir = Path("out"),
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="HTML file to write; default: VIEW[-NAME].html in the build directory.")] = None,
    radius: Annotated[int, typer.Option(min=1, max=4, help="Steps around the measure or entity to include.")] = 1,
    plan: PlanOption = None,
    lang: ViewLanguage = "nb",
) -> None:
    """Write an interactive network view as one HTML file that works offline."""
    from tiltaksgraf.graph.viz import check_language, check_view, default_view_path, write_view

    check_view(view, target)
    check_language(lang)
    path = write_view(_load(graph, plan), view, out or default_view_path(graph, view, target), target, radius=radius,
                      lang=lang)
    err.print(f"wrote {path}")


@app.command("export-network")
def export_network(
    fmt: Annotated[str, typer.Argument(help="graphml, gexf (Gephi) or csv (edge list).")],
    network: Annotated[str, typer.Option(
        "--network", "-n", help="collaboration, measure-entity, overview or crossref.")] = "collaboration",
    graph: GraphDir = Path("out"),
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="File or directory; default: the build directory.")] = None,
) -> None:
    """Write a network projection for other tools (Gephi, Cytoscape, yEd, a spreadsheet)."""
    from tiltaksgraf.graph.store import load_graph
    from tiltaksgraf.graph.exports import check_export
    from tiltaksgraf.graph.exports import export_network as run_export

    check_export(fmt, network)
    target = run_export(load_graph(graph), fmt, out or graph, network=network)
    err.print(f"wrote {target}")


@app.command()
def screenshot(
    graph: GraphDir = Path("out"),
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="PNG file to write; default: VIEW.png in the build directory.")] = None,
    view: Annotated[str, typer.Option(help="The view to picture: collaboration or overview.")] = "collaboration",
    width: Annotated[int, typer.Option(min=400, help="Viewport width in pixels.")] = 1400,
    height: Annotated[int, typer.Option(min=300, help="Viewport height in pixels.")] = 900,
    chromium: Annotated[Optional[str], typer.Option(help="Chromium executable; default: chromium on PATH.")] = None,
    lang: ViewLanguage = "nb",
) -> None:
    """Render a PNG of a network view with headless Chromium (for the README)."""
    from tiltaksgraf.graph.store import load_graph
    from tiltaksgraf.graph.viz import render_screenshot

    # Not into docs/img by default: that picture is tracked, and a user's run should not change it.
    target = out if out is not None else Path(graph) / f"{view}.png"
    path = render_screenshot(load_graph(graph), target, view=view, width=width, height=height, chromium=chromium,
                             lang=lang)
    err.print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier report (text file).")],
    new: Annotated[Path, typer.Argument(help="The later report (text file).")],
    layout: Annotated[Optional[str], typer.Option(
        "--layout", help="Read both as this layout; default: detected per report.")] = None,
) -> None:
    """List the measures whose status class (Done, Ongoing, NotStarted) changed between two reports
    of one plan, and those that appeared or disappeared."""
    from tiltaksgraf.extract.layouts import parse_document
    from tiltaksgraf.extract.read import read_report
    from tiltaksgraf.graph.timeline import diff_reports

    before, after = parse_document(read_report(old), layout), parse_document(read_report(new), layout)
    for report in (before, after):
        for warning in report.warnings:
            err.print(f"warning: {escape(warning)}")
    plans = {r.source.metadata.plan_key for r in (before, after)}
    if len(plans) > 1:
        err.print(f"warning: the reports name different plans ({', '.join(sorted(plans))}); measures are matched by id")
    changes = diff_reports(before, after)
    table = Table(title=f"{old.name} → {new.name}: {len(changes)} measure(s) changed, appeared or disappeared")
    for column in ("measure", "change", "old class", "old status", "new class", "new status"):
        table.add_column(column)
    for c in changes:
        table.add_row(c.measure_id, c.change, c.old_class or "—", c.old_raw or "—", c.new_class or "—",
                      c.new_raw or "—")
    Console(width=140).print(table)
