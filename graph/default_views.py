"""The views there are, the languages of their interface, and the build's default views: which
it draws, what they read, the files they go to. What the CLI and the build decide and write
without importing the views' module (``graph/viz``: networkx and pyvis, ~0.06 s of a build).
"""

from __future__ import annotations

from pathlib import Path

from tiltaksgraf.errors import UsageError
from tiltaksgraf.graph.store import write_atomic
from tiltaksgraf.ontology.terms import TG

VIEWS = ("collaboration", "programme", "measure", "entity", "overview")
LANGUAGES = ("nb", "en")  # the interface's; the data stays as the report wrote it
VIEWS_WITH_TARGET = ("programme", "measure", "entity")
DEFAULT_VIEWS = ("collaboration", "overview")
# The classes of the nodes of one measure (itself, its mentions, its relations) each default view
# reads (graph/projections.py): the build's index for the views keeps no others.
DEFAULT_VIEW_NODES = {
    "collaboration": frozenset({str(TG.Measure), str(TG.Collaboration)}),
    "overview": frozenset({str(TG.Measure), str(TG.Mention), str(TG.CrossReference), str(TG.Collaboration)}),
}
# The overview draws every measure: in headless Chromium here its page was ready (laid out) in
# 3 s for 88 measures, 20 s for 1,856 and 28 s for 4,951 (a 32 MB page). Past this many a
# browser is no way to read it; ``tiltaksgraf viz`` draws parts (a measure, an entity, a programme).
OVERVIEW_MAX_MEASURES = 2_000


def check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise UsageError(f"unknown interface language {lang!r}", hint=f"choose one of {', '.join(LANGUAGES)}")


def views_to_draw(measures: int) -> tuple[tuple[str, ...], str | None]:
    """The default views a build of ``measures`` measures draws, and a note when one is left out."""
    if measures <= OVERVIEW_MAX_MEASURES:
        return DEFAULT_VIEWS, None
    note = (f"overview.html not drawn: {measures:,} measures are more than a browser can lay out "
            f"(at most {OVERVIEW_MAX_MEASURES:,}); draw parts with 'tiltaksgraf viz measure N' or "
            "'tiltaksgraf viz entity NAME'")
    return tuple(v for v in DEFAULT_VIEWS if v != "overview"), note


def write_pages(pages: dict[str, str], out_dir: str | Path) -> list[Path]:
    """Each page (HTML by view) as ``VIEW.html`` in ``out_dir``, atomically."""
    paths = []
    for view, html in pages.items():
        path = Path(out_dir) / f"{view}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, html)
        paths.append(path)
    return paths
