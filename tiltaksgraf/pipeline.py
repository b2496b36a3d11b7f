"""The stages wired together: read → parse → nlp → resolve → relate → build → write.

``build`` is what ``tiltaksgraf build`` runs; everything is written into a temporary directory
beside the output and swapped in only when all of it succeeded, so a failed or interrupted run
leaves the previous output exactly as it was. A run killed outright (SIGKILL, SIGTERM) cannot
remove its temporary directory; the next build into the same output removes it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tiltaksgraf.errors import InputError
from tiltaksgraf.extract.corrections import CorrectionOutcome, apply_corrections, load_corrections
from tiltaksgraf.extract.gazetteer import Knowledge, KnowledgeSource, load_knowledge, user_knowledge
from tiltaksgraf.extract.nlp import analyse_report
from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.extract.read import read_report
from tiltaksgraf.extract.relations import extract_relations
from tiltaksgraf.extract.resolve import resolve
from tiltaksgraf.records import Extraction, Report

BUNDLED_REPORT_NAME = "opptrappingsplan-mot-vold-og-overgrep-2017-2021-status.txt"


def bundled_report() -> Path:
    """The report the project ships and builds by default."""
    return Path(str(resources.files("tiltaksgraf.data").joinpath(BUNDLED_REPORT_NAME)))


def extract(report: Report, knowledge: Knowledge | None = None) -> Extraction:
    """NLP, resolution and relations for one parsed report (with the bundled knowledge, or
    ``knowledge`` — the bundled merged with the user's, see ``user_knowledge``)."""
    knowledge = knowledge or load_knowledge()
    analyses, learned = analyse_report(report, knowledge)
    mentions, entities, responsible = resolve(report, analyses, knowledge, learned)
    relations = extract_relations(report, analyses, mentions, entities, knowledge)
    return Extraction(
        report=report,
        mentions=tuple(mentions),
        entities=tuple(entities),
        relations=tuple(relations),
        responsible=tuple((n, tuple(keys)) for n, keys in sorted(responsible.items())),
    )


def extract_file(path: str | Path, knowledge: Knowledge | None = None) -> Extraction:
    return extract(parse_report(read_report(path)), knowledge)


CORRECTIONS_FILE = "corrections.jsonl"


def corrections_path(reports: Sequence[str | Path], given: str | Path | None = None) -> Path | None:
    """The corrections file for a build: the one given, else ``corrections.jsonl`` beside the
    first report that has one, else none."""
    if given is not None:
        if not Path(given).is_file():
            raise InputError("no such corrections file", path=str(given),
                             hint='give a JSON-lines file of lines like {"action": "reject-entity", "target": "KEY"}')
        return Path(given)
    for folder in dict.fromkeys(Path(r).resolve().parent for r in reports):
        if (folder / CORRECTIONS_FILE).is_file():
            return folder / CORRECTIONS_FILE
    return None


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    reports: int
    measures: int
    entities: int
    triples: int
    seconds: float
    files: tuple[str, ...]
    knowledge: tuple[KnowledgeSource, ...] = ()  # where the gazetteer's entries came from
    corrections: tuple[CorrectionOutcome, ...] = ()  # each correction, applied or not (and why)


def build(reports: Sequence[str | Path], out_dir: str | Path, *,
          on_report: Callable[[Path], None] | None = None,
          write_views: bool = True, knowledge: Sequence[str | Path] = (),
          corrections: str | Path | None = None) -> BuildResult:
    """Build the knowledge graph of ``reports`` into ``out_dir`` (replaced only on success)."""
    from tiltaksgraf.graph.build import build_dataset  # rdflib is imported only when building
    from tiltaksgraf.graph.store import umask, write_outputs

    started = time.perf_counter()
    run_started = time.time()  # wall clock, to compare with directories' modification times
    out = Path(out_dir)
    paths = [Path(p) for p in reports] or [bundled_report()]
    merged, sources = user_knowledge(reports, knowledge)
    extractions = []
    for path in paths:
        extractions.append(extract_file(path, merged))
        if on_report:
            on_report(path)
    corrections_file = corrections_path(reports, corrections)
    outcomes: tuple[CorrectionOutcome, ...] = ()
    if corrections_file is not None:
        extractions, outcomes = apply_corrections(extractions, load_corrections(corrections_file))
    dataset = build_dataset(extractions, outcomes)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_dirs(out, older_than=run_started)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        tmp.chmod(0o777 & ~umask())  # mkdtemp makes it private; the output is an ordinary directory
        _write_measures_json(tmp / "measures.json", extractions)
        triples = write_outputs(dataset, tmp)
        if write_views:
            _write_views(dataset, tmp)
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # Measures of the plans, not records read: two reports of one plan give one node per measure.
    measures = {(e.report.source.metadata.plan_key, m.number) for e in extractions for m in e.report.measures}
    return BuildResult(out, len(extractions), len(measures),
                       len({en.key for e in extractions for en in e.entities}), triples,
                       time.perf_counter() - started, tuple(sorted(p.name for p in out.iterdir())), sources,
                       outcomes)


def _remove_stale_temp_dirs(out: Path, *, older_than: float) -> None:
    """Remove what killed builds into ``out`` left beside it: directories named exactly as
    ``build`` names its temporary directory (``.NAME.`` + mkdtemp's eight characters + ``.tmp``)
    and last changed before this run started. Anything else is left alone."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.[a-z0-9_]{{8}}\.tmp")
    for entry in out.parent.iterdir():
        if not pattern.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            if entry.stat().st_mtime >= older_than:
                continue  # a build that started after this one (or the clock says so): not stale
        except FileNotFoundError:
            continue  # gone meanwhile
        shutil.rmtree(entry, ignore_errors=True)
    _recover_swapped_out(out)


def _recover_swapped_out(out: Path) -> None:
    """A build killed between the two renames of ``_swap_in`` left the previous output as
    ``.NAME.old-PID`` and no ``NAME``: put it back."""
    if out.exists():
        return
    previous = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if previous and previous[-1].is_dir() and not previous[-1].is_symlink():
        os.replace(previous[-1], out)


def _write_views(built, out: Path) -> None:
    """The HTML networks (collaboration, overview) beside the graph."""
    from tiltaksgraf.graph.network import UNREAD_PREDICATES, TripleIndex
    from tiltaksgraf.graph.viz import write_default_views

    write_default_views(TripleIndex(built.quads, without=UNREAD_PREDICATES), out)


def _write_measures_json(path: Path, extractions: list[Extraction]) -> None:
    payload = {
        "sources": [
            {"path": e.report.source.path, "name": e.report.source.name, "sha256": e.report.source.sha256,
             "encoding": e.report.source.encoding, "metadata": dataclasses.asdict(e.report.source.metadata),
             "glossary": {g.abbreviation: g.full_name for g in e.report.glossary},
             "measures": [dataclasses.asdict(m) for m in e.report.measures]}
            for e in extractions
        ]
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` with ``tmp``: the old output is moved aside first and put back if the
    final rename fails, so there is always one complete output directory."""
    if out.exists() and not out.is_dir():
        raise InputError("the output path exists and is not a directory", path=str(out),
                         hint="choose another --out")
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
