"""The stages wired together: read → parse → nlp → resolve → relate → build → write.

``build`` is what ``tiltaksgraf build`` runs; everything is written into a temporary directory
beside the output and swapped in only when all of it succeeded, so a failed or interrupted run
leaves the previous output exactly as it was. A run killed outright (SIGKILL, SIGTERM) cannot
remove its temporary directory; the next build into the same output removes it — only it: a build
holds a lock on its temporary directory while it runs. Every refusal to write (permissions, a
read-only or full disk, ``ulimit -f``, too little memory) is an ``OutputError`` naming the path.

Over 400 lines: the build's stages plus its output safety (locks, temporary directories, write
errors), which issue 12 changes now.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import json
import os
import re
import resource
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from importlib import resources
from pathlib import Path

from tiltaksgraf.errors import InputError, OutputError
from tiltaksgraf import collector, forked
from tiltaksgraf.extract.anaphora import resolve_anaphors
from tiltaksgraf.extract.corrections import CorrectionOutcome, apply_corrections, load_corrections
from tiltaksgraf.extract.gazetteer import Knowledge, KnowledgeSource, load_knowledge, user_knowledge
from tiltaksgraf.extract.nlp import analyse_report
from tiltaksgraf.extract.layouts import parse_document
from tiltaksgraf.extract.read import read_report
from tiltaksgraf.extract.relations import extract_relations
from tiltaksgraf.extract.resolve import resolve
from tiltaksgraf.records import Extraction, Report, Responsibility

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
    mentions += resolve_anaphors(report, analyses, mentions, entities, knowledge.anaphors)
    relations = extract_relations(report, analyses, mentions, entities, knowledge)
    return Extraction(
        report=report,
        mentions=tuple(mentions),
        entities=tuple(entities),
        relations=tuple(relations),
        responsible=tuple(Responsibility(n, tuple(keys)) for n, keys in sorted(responsible.items())),
    )


def extract_file(path: str | Path, layout: str | None = None, knowledge: Knowledge | None = None) -> Extraction:
    """Read, parse (with ``layout``, or the layout detected) and extract one report (with
    ``knowledge``, or the bundled knowledge)."""
    return extract(parse_document(read_report(path), layout), knowledge)


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
    warnings: tuple[str, ...] = ()  # truncated measures, what was inferred for reports without a sidecar
    knowledge: tuple[KnowledgeSource, ...] = ()  # where the gazetteer's entries came from
    corrections: tuple[CorrectionOutcome, ...] = ()  # each correction, applied or not (and why)


def build(reports: Sequence[str | Path], out_dir: str | Path, *,
          on_report: Callable[[Path], None] | None = None,
          on_note: Callable[[str], None] | None = None,
          write_views: bool = True, layout: str | None = None, knowledge: Sequence[str | Path] = (),
          corrections: str | Path | None = None, views_lang: str = "nb") -> BuildResult:
    """Build the knowledge graph of ``reports`` into ``out_dir`` (replaced only on success), each
    report read with ``layout`` (None: the layout that fits), the bundled knowledge extended by the
    user's ``knowledge`` files and the build corrected by the ``corrections`` file (or the ones
    found beside the reports). Raises ``OutputError`` when the output cannot be written (naming
    the path and what to do); ``on_note`` hears of anything the user should know that is not an
    error."""
    from tiltaksgraf.graph.default_views import views_to_draw, write_pages
    from tiltaksgraf.graph.store import umask  # rdflib is imported only when building

    started = time.perf_counter()
    run_started = time.time()  # wall clock, to compare with directories' modification times
    out = Path(out_dir)
    paths = [Path(p) for p in reports] or [bundled_report()]
    _check_output_path(out)
    with _file_size_signal_ignored(), _out_of_memory_as_error(paths), collector.relaxed(freeze=True), \
            _views_child(paths, views_lang, write_views) as views_child:
        merged, sources = user_knowledge(reports, knowledge)
        extractions = []
        for path in paths:
            extractions.append(extract_file(path, layout, merged))
            if on_report:
                on_report(path)
        corrections_file = corrections_path(reports, corrections)
        outcomes: tuple[CorrectionOutcome, ...] = ()
        if corrections_file is not None:
            extractions, outcomes = apply_corrections(extractions, load_corrections(corrections_file))
        counts = _counts(extractions)
        warnings = tuple(w for e in extractions for w in e.report.warnings)
        views: tuple[str, ...] = ()
        if write_views:
            views, left_out = views_to_draw(counts[1])
            if left_out and on_note:
                on_note(left_out)
        with _output_errors(out):
            out.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale_temp_dirs(out, older_than=run_started, on_note=on_note)
            tmp, lock = _new_locked_temp_dir(out)
            try:
                tmp.chmod(0o777 & ~umask())  # mkdtemp makes it private; the output is an ordinary directory
                if views_child is not None:  # it draws the views while this process writes the graph
                    views_child.send((extractions, outcomes, views_lang, views))
                _write_measures_json(tmp / "measures.json", extractions)
                # while the views' child works, the second core is its: no measures are built apart
                triples, index = _write_graph(extractions, outcomes, tmp, views if views_child is None else (),
                                              apart=views_child is None)
                if views_child is not None:
                    write_pages(views_child.result(), tmp)
                elif views:
                    # the views need only their index: the records go before they render
                    del extractions
                    _write_views(index, tmp, views_lang, views)
                _keep_what_others_wrote(out, tmp)
                _swap_in(tmp, out)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            finally:
                os.close(lock)
    return BuildResult(out, *counts, triples, time.perf_counter() - started,
                       tuple(sorted(p.name for p in out.iterdir())), warnings=warnings, knowledge=sources,
                       corrections=outcomes)


def _counts(extractions: list[Extraction]) -> tuple[int, int, int]:
    """Reports, measures and entities built. Measures of the plans, not records read: two reports
    of one plan give one node per measure."""
    measures = {(e.report.source.metadata.plan_key, m.measure_id) for e in extractions for m in e.report.measures}
    return len(extractions), len(measures), len({en.key for e in extractions for en in e.entities})


# --- the output: checked before the work, errors a user can act on, locks -----------------------


def _check_output_path(out: Path) -> None:
    """Refuse before the work what cannot be an output: a file, or a path under a file."""
    if out.exists() and not out.is_dir():
        raise OutputError("the output path exists and is not a directory", path=str(out),
                          hint="choose another --out (a directory, new or from an earlier build)")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"cannot create the output directory: {parent} is a file", path=str(out),
                                  hint="choose another --out")
            break


_WRITE_PROBLEMS = {
    errno.EACCES: ("permission denied", "choose an --out in a directory you can write to, or make it writable"),
    errno.EPERM: ("operation not permitted (an immutable or protected path)",
                  "choose an --out in a directory you can write to"),
    errno.EROFS: ("the file system is read-only", "choose an --out on a writable disk"),
    errno.ENOSPC: ("the disk is full", "free some space or choose an --out on another disk"),
    errno.EDQUOT: ("the disk quota is exhausted", "free some space or choose an --out on another disk"),
    errno.EFBIG: ("a file grew past the file-size limit (ulimit -f)",
                  "raise the limit ('ulimit -f unlimited') or build fewer reports at once"),
    errno.ENOENT: ("the directory cannot be created there", "choose an --out in an ordinary directory"),
    errno.ENOTDIR: ("a part of the path is not a directory", "choose another --out"),
}


@contextlib.contextmanager
def _output_errors(out: Path) -> Iterator[None]:
    """Turn the operating system's refusals to write into one-line errors naming the output."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _WRITE_PROBLEMS:
            raise
        what, hint = _WRITE_PROBLEMS[exc.errno]
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else ""
        raise OutputError(f"cannot write the output: {what}{where}; the previous output, if any, is unchanged",
                          path=str(out), hint=hint) from exc


@contextlib.contextmanager
def _file_size_signal_ignored() -> Iterator[None]:
    """Past ``ulimit -f`` the kernel sends SIGXFSZ, which kills the process outright (and leaves
    the temporary directory). Ignored, the write fails with EFBIG instead: an error we can explain."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGXFSZ"):
        yield
        return
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGXFSZ, previous)


# Peak memory of a build, as bench/bench_memory.py measures it: a base (Python, spaCy, rdflib, the
# pipeline, an overview of up to OVERVIEW_MAX_MEASURES measures) and bytes per byte of report
# text (~15 measured from 8 to 50 MB), both rounded up.
MEMORY_BASE_BYTES = 300 * 2**20
MEMORY_PER_INPUT_BYTE = 20


@contextlib.contextmanager
def _out_of_memory_as_error(paths: list[Path]) -> Iterator[None]:
    """Refuse at once an input the memory cannot hold, and turn running out of it anyway into an
    error: a build that dies of it (or, in a native library, hangs) helps no one."""
    size = sum(_size(p) for p in paths)
    needed = MEMORY_BASE_BYTES + MEMORY_PER_INPUT_BYTE * size
    available = available_memory()
    if available is not None and needed > available:
        raise OutputError(
            f"not enough memory: {size / 2**20:.0f} MB of reports need about {needed / 2**30:.1f} GiB to "
            f"build, and {available / 2**30:.1f} GiB is available",
            path=str(paths[0]) if len(paths) == 1 else None,
            hint="build fewer reports at once, or on a machine with more memory")
    try:
        yield
    except MemoryError as exc:
        raise OutputError("ran out of memory while building; the previous output is unchanged",
                          hint="build fewer reports at once, or on a machine with more memory") from exc


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def available_memory() -> int | None:
    """Bytes this process may still use: the least of the memory the kernel reports available
    (with free swap), the address-space limit (``ulimit -v``) less what is mapped already, and the
    cgroup's limit less its use; None when none is known."""
    limits = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            info = {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in f)}
        limits.append(info["MemAvailable"] + info.get("SwapFree", 0))
    except (OSError, KeyError, ValueError):
        pass
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        try:
            mapped = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[0]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            mapped = 0
        limits.append(soft - mapped)
    try:
        raw = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        if raw != "max":
            limits.append(int(raw) - int(Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii")))
    except (OSError, ValueError):
        pass
    return min(limits) if limits else None


def _lock_directory(path: Path) -> int:
    """Hold an exclusive ``flock`` on a directory for as long as the returned descriptor is open
    (the kernel drops it when the process dies, however it dies)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _new_locked_temp_dir(out: Path) -> tuple[Path, int]:
    """A new temporary directory beside ``out`` that is locked (proof of life: no other build
    removes a locked one) before it carries the name other builds look for: it is made as
    ``….new``, locked, then renamed to ``….tmp`` (the lock is on the directory, so it goes along)."""
    made = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".new", dir=out.parent))
    try:
        lock = _lock_directory(made)
    except BaseException:
        shutil.rmtree(made, ignore_errors=True)
        raise
    tmp = made.with_suffix(".tmp")
    try:
        os.rename(made, tmp)
    except BaseException:
        os.close(lock)
        shutil.rmtree(made, ignore_errors=True)
        raise
    return tmp, lock


def _locked_by_a_live_build(path: Path) -> bool | None:
    """True if a running build holds ``path``'s lock, False if none does, None if it is gone."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # the probe's own lock, if it got one, goes with it
    return False


def _remove_stale_temp_dirs(out: Path, *, older_than: float,
                            on_note: Callable[[str], None] | None = None) -> None:
    """Remove what killed builds into ``out`` left beside it: directories named exactly as
    ``build`` names its temporary directory (``.NAME.`` + mkdtemp's eight characters + ``.tmp``, or
    ``.new`` before it is locked),
    last changed before this run started, and locked by no running build (a build holds a
    ``flock`` on its directory until it ends, and the kernel releases it when the process dies:
    an unlocked one is provably dead). Anything else is left alone."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.[a-z0-9_]{{8}}\.(?:tmp|new)")
    with _parent_locked(out):
        for entry in out.parent.iterdir():
            if not pattern.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
                continue
            live = _locked_by_a_live_build(entry)
            if live:
                if on_note:
                    on_note(f"another build is writing {out} now ({entry.name} is in use); the one "
                            "that finishes last replaces the other's output")
                continue
            try:
                if live is None or entry.stat().st_mtime >= older_than:
                    continue  # gone, or made after this run started (and perhaps not locked yet)
            except FileNotFoundError:
                continue  # gone meanwhile
            shutil.rmtree(entry, ignore_errors=True)
        _recover_swapped_out(out)


@contextlib.contextmanager
def _parent_locked(out: Path) -> Iterator[None]:
    """Builds into one output take turns at its two renames and at recovering a swapped-out one
    (which would otherwise see the moment between another build's two renames)."""
    fd = os.open(out.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _recover_swapped_out(out: Path) -> None:
    """A build killed between the two renames of ``_swap_in`` left the previous output as
    ``.NAME.old-PID`` and no ``NAME``: put it back."""
    if out.exists():
        return
    previous = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if previous and previous[-1].is_dir() and not previous[-1].is_symlink():
        os.replace(previous[-1], out)


def _write_graph(extractions: list[Extraction], outcomes: Sequence[CorrectionOutcome], out: Path,
                 views: Sequence[str], *, apart: bool = True) -> tuple[int, Any]:
    """Build the graph into graph.ttl and graph.trig in ``out``, measure by measure (each
    measure's own nodes are written and forgotten as soon as it is built: the graph is never held
    whole), and, when ``views`` are to be drawn, the ``TripleIndex`` they read; the number of
    distinct triples and the index (None without views)."""
    from tiltaksgraf.graph.build import Chunk, build_dataset
    from tiltaksgraf.graph.store import GraphWriter

    index = None
    if views:  # the views' modules import networkx and pyvis (0.06 s): not for a build without them
        from tiltaksgraf.graph.build_views import ViewsIndex

        index = ViewsIndex(views)

    with GraphWriter(out) as writer:
        def write_chunk(chunk: Chunk) -> None:
            writer.write_chunk(chunk)
            if index is not None:
                index.add_chunk(chunk)

        # without the index the writer takes the chunks itself, and with ``apart`` half of each
        # report's measures may be built in a child (``BuiltGraph.apart``)
        built = (build_dataset(extractions, outcomes, sink=writer) if index is None and apart
                 else build_dataset(extractions, outcomes, on_chunk=write_chunk))
        triples = writer.finish(built)
    if index is None:
        return triples, None
    index.add_shared(built)
    return triples, index.index


@contextlib.contextmanager
def _views_child(paths: Sequence[Path], lang: str, write_views: bool) -> Iterator[forked.Awaiting | None]:
    """A child process, forked now on a free core, that imports and prepares what the views
    need while this one reads the reports, then draws them from the records it is sent while this
    one writes the graph (``graph/build_views``): ~0.03 s of a build of the bundled report. None
    without views, when no core is free, or when the reports are too large to build twice at
    once. Ended, unused, if the block leaves before its result was collected."""
    child = None
    if write_views and sum(_size(p) for p in paths) <= forked.FORK_MAX_CHARS:
        child = forked.Awaiting(lambda: _prepare_views(lang), _view_pages)
    try:
        yield child if child is not None and child.forked else None
    finally:
        if child is not None:
            child.cancel()


def _prepare_views(lang: str) -> None:
    from tiltaksgraf.graph import build_views

    build_views.prepare(lang)


def _view_pages(job: tuple) -> dict[str, str]:
    from tiltaksgraf.graph.build_views import view_pages

    return view_pages(*job)


def _write_views(index, out: Path, lang: str, views: Sequence[str]) -> None:
    """The HTML networks (collaboration, overview) beside the graph, their interface in ``lang``."""
    from tiltaksgraf.graph.viz import write_default_views

    write_default_views(index, out, lang, views=views)


def _write_measures_json(path: Path, extractions: list[Extraction]) -> None:
    payload = {
        "sources": [
            {"path": e.report.source.path, "name": e.report.source.name, "sha256": e.report.source.sha256,
             "layout": e.report.layout,
             "encoding": e.report.source.encoding, "metadata": dataclasses.asdict(e.report.source.metadata),
             "glossary": {g.abbreviation: g.full_name for g in e.report.glossary},
             "measures": [dataclasses.asdict(m) for m in e.report.measures]}
            for e in extractions
        ]
    }
    with path.open("w", encoding="utf-8") as f:  # streamed: the text of a large report's records
        json.dump(payload, f, ensure_ascii=False, indent=1)  # is never held whole


def _keep_what_others_wrote(out: Path, tmp: Path) -> None:
    """Carry into the new output what ``viz``, ``export-network``, ``export`` or ``screenshot``
    wrote into the old one (anything this build did not write), so a rebuild does not delete a
    user's views and exports. A standard view left out by ``--no-views`` is kept too. Linked (or
    copied), not moved: until the swap succeeds the old output stays whole."""
    if not out.is_dir() or out.is_symlink():
        return
    for entry in out.iterdir():
        target = tmp / entry.name
        if target.exists() or target.is_symlink():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, target)


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` with ``tmp``: the old output is moved aside first and put back if the
    final rename fails, so there is always one complete output directory."""
    if out.exists() and not out.is_dir():
        raise OutputError("the output path exists and is not a directory", path=str(out),
                          hint="choose another --out")
    if out.exists():
        _check_removable(out)
    with _parent_locked(out):
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


def _check_removable(out: Path) -> None:
    """The previous output is removed once the new one is in: a read-only ``out/`` (mounted so,
    immutable, or not ours) could be moved aside but not emptied, and ``.NAME.old-PID`` would stay
    for good. Tried for real (permission bits say nothing to root) before anything moves."""
    probe = out / f".{out.name}.probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
        for entry in out.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                _check_removable(entry)
    except OSError as exc:
        what = _WRITE_PROBLEMS.get(exc.errno or 0, (exc.strerror or str(exc), ""))[0]
        raise OutputError(f"cannot replace the previous output: its files cannot be removed ({what}); "
                          "it is unchanged", path=str(out),
                          hint="make it writable, remove it yourself, or choose another --out") from exc
