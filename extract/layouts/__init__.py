"""Stage 2, parse, for any layout: ``SourceDocument`` → ``Report``.

Each layout family is one module here with one ``Layout`` object: ``name``, ``describe`` (what it
reads, for the refusal message), ``fit(doc)`` (None when the text has this layout's shape, else the
reason it does not) and ``parse(doc)``. ``parse_document`` tries them in ``LAYOUTS`` order and
parses with the first that fits, or with the one ``--layout NAME`` forces; a text none fits is
refused with every layout tried and why it did not fit. Adding a family is one module and one
line in ``LAYOUTS``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from tiltaksgraf.errors import ParseError, UsageError
from tiltaksgraf.extract.layouts import blocks, budget_table, numbered, table, tagged
from tiltaksgraf.extract.layouts.plan import infer_metadata
from tiltaksgraf.records import Report, SourceDocument


class Layout(Protocol):
    name: str
    describe: str

    def fit(self, doc: SourceDocument) -> str | None: ...

    def parse(self, doc: SourceDocument) -> Report: ...


# Most specific first: the bundled table, then labelled blocks, then looser shapes.
LAYOUTS: tuple[Layout, ...] = (table.LAYOUT, budget_table.LAYOUT, blocks.LAYOUT, numbered.LAYOUT, tagged.LAYOUT)


def layout_names() -> tuple[str, ...]:
    return tuple(layout.name for layout in LAYOUTS)


def choose_layout(doc: SourceDocument) -> Layout:
    """The first layout whose shape the text has, or a ``ParseError`` naming every one tried."""
    reasons = []
    for layout in LAYOUTS:
        reason = layout.fit(doc)
        if reason is None:
            return layout
        reasons.append(f"{layout.name}: {reason}")
    raise ParseError("no measures found: the text fits none of the layouts tried", path=doc.path,
                     hint="; ".join(reasons) + ". Force one with --layout NAME if it is one of these")


def parse_document(doc: SourceDocument, layout: str | None = None) -> Report:
    """Parse ``doc`` with ``layout`` (a name of ``LAYOUTS``) or the one detected; then, for a report
    without a sidecar, infer its plan and date from the text."""
    if layout is None:
        chosen = choose_layout(doc)
    else:
        by_name = {candidate.name: candidate for candidate in LAYOUTS}
        if layout not in by_name:
            raise UsageError(f"unknown layout {layout!r}", hint=f"choose one of: {', '.join(by_name)}")
        chosen = by_name[layout]
    report = chosen.parse(doc)
    report = replace(report, layout=chosen.name)
    truncated = [m.measure_id for m in report.measures if m.truncated]
    warnings = list(report.warnings)
    if truncated:
        warnings.append(f"{doc.name}: the text ends inside measure {truncated[-1]}; it is kept, marked truncated")
    if doc.metadata.inferred:
        metadata, said = infer_metadata(doc, min((m.span.start for m in report.measures), default=None))
        report = replace(report, source=replace(doc, metadata=metadata))
        warnings.append(f"{doc.name}: no sidecar JSON; {said}")
    return replace(report, warnings=tuple(warnings))
