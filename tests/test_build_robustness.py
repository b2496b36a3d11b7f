"""``tiltaksgraf build`` where writing fails or another build runs (issue 12): a read-only parent,
a new directory under a read-only one, ``/proc``, a read-only ``out/``, a full disk, ``ulimit -f``,
too little memory, and a second build started while a first one runs. Each ends in a one-line
error naming the path (never "internal error"), leaves nothing behind, and keeps the previous
``out/`` byte for byte.

The tests run as root, which ignores permission bits: "read-only" here is a real read-only mount
(tmpfs, or a read-only bind mount), and the full disk a 9 MB tmpfs. Without the right to mount,
those tests are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tiltaksgraf.pipeline import build

BUILD_TIMEOUT_S = 300


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def run_build(*args: str, cwd: Path, preexec=None) -> subprocess.CompletedProcess:
    """The real command in its own process (signals, resource limits and exit codes as a user sees them)."""
    return subprocess.run([sys.executable, "-m", "tiltaksgraf.cli", "build", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=BUILD_TIMEOUT_S, preexec_fn=preexec)


def assert_one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    first = done.stderr.splitlines()[0]
    flat = " ".join(done.stderr.split())
    assert first.startswith("error: "), done.stderr
    for fragment in fragments:
        assert fragment in flat, done.stderr


def leftovers(site: Path) -> list[str]:
    return sorted(p.name for p in site.iterdir() if p.name.startswith(".out."))


@contextlib.contextmanager
def mount(target: Path, *argv: str) -> Iterator[Path]:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *argv, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()}): needs root with CAP_SYS_ADMIN")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """A complete build (with the views): the output a failed build must not touch."""
    out = tmp_path_factory.mktemp("previous") / "out"
    build([], out)
    return out


# --- an output that cannot be written ---------------------------------------------------------


@pytest.mark.parametrize("out", ["out", "new/deeper/out"], ids=["out-in-read-only-dir", "new-dir-under-read-only"])
def test_robust_read_only_parent(tmp_path, out):
    with mount(tmp_path / "ro", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs") as ro:
        done = run_build("--no-views", "--out", str(ro / out), cwd=tmp_path)
        assert_one_line_error(done, f"error: {ro / out}: cannot write the output: the file system is read-only",
                              "hint: choose an --out on a writable disk")
        assert list(ro.iterdir()) == []


def test_robust_out_in_proc(tmp_path):
    done = run_build("--no-views", "--out", "/proc/tiltaksgraf-out", cwd=tmp_path)
    assert_one_line_error(done, "error: /proc/tiltaksgraf-out: cannot write the output")
    assert not Path("/proc/tiltaksgraf-out").exists()


def test_robust_out_under_a_file(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    done = run_build("--no-views", "--out", str(tmp_path / "file" / "out"), cwd=tmp_path)
    assert_one_line_error(done, f"cannot create the output directory: {tmp_path / 'file'} is a file")


def test_robust_read_only_out_is_refused_and_nothing_left(tmp_path, previous):
    site = tmp_path / "site"
    site.mkdir()
    shutil.copytree(previous, site / "out")
    before = snapshot(site / "out")
    with mount(site / "out", "--bind", str(site / "out")):
        remounted = subprocess.run(["mount", "-o", "remount,bind,ro", str(site / "out")], capture_output=True)
        if remounted.returncode != 0:
            pytest.skip("cannot remount a bind mount read-only here")
        done = run_build("--no-views", "--out", str(site / "out"), cwd=site)
        assert_one_line_error(done, f"error: {site / 'out'}: cannot replace the previous output: its files "
                                    "cannot be removed (the file system is read-only)")
        assert leftovers(site) == [], "no .out.old-PID, no temporary directory"
        assert snapshot(site / "out") == before


# --- a full disk, a file-size limit, too little memory ----------------------------------------


def test_robust_full_disk_keeps_previous_out(tmp_path, previous):
    with mount(tmp_path / "small", "-t", "tmpfs", "-o", "size=9m", "tmpfs") as site:
        shutil.copytree(previous, site / "out")  # 6 MB: room for a part of the new build only
        before = snapshot(site / "out")
        done = run_build("--out", str(site / "out"), cwd=tmp_path)
        assert_one_line_error(done, f"error: {site / 'out'}: cannot write the output: the disk is full",
                              "the previous output, if any, is unchanged", "hint: free some space")
        assert leftovers(site) == []
        assert snapshot(site / "out") == before


def _file_size_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, resource.RLIM_INFINITY))


def test_robust_file_size_limit_is_an_error_not_a_signal(tmp_path, previous):
    site = tmp_path / "site"
    site.mkdir()
    shutil.copytree(previous, site / "out")
    before = snapshot(site / "out")
    done = run_build("--out", str(site / "out"), cwd=site, preexec=_file_size_limit)  # graph.ttl is 2 MB
    assert done.returncode != -signal.SIGXFSZ, "killed by SIGXFSZ"
    assert_one_line_error(done, "cannot write the output: a file grew past the file-size limit (ulimit -f)",
                          "hint: raise the limit")
    assert leftovers(site) == []
    assert snapshot(site / "out") == before


def test_robust_too_little_memory_is_refused_at_once(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bigreport import write_report

    report = write_report(tmp_path, 10_000)  # about 16 MB (15 MiB, as the error says)

    def limit_memory() -> None:  # less than 16 MB of reports need; enough to start Python (~280 MiB)
        resource.setrlimit(resource.RLIMIT_AS, (700 * 2**20, resource.RLIM_INFINITY))

    started = time.monotonic()
    done = run_build(str(report), "--no-views", "--out", str(tmp_path / "out"), cwd=tmp_path, preexec=limit_memory)
    assert_one_line_error(done, f"error: {report}: not enough memory: 15 MB of reports need about",
                          "hint: build fewer reports at once")
    assert time.monotonic() - started < 60, "refused before the work, not after"
    assert not (tmp_path / "out").exists()


# --- a second build while one runs ------------------------------------------------------------


def test_robust_second_build_leaves_a_running_build_alone(tmp_path, previous):
    """Build A is stopped (SIGSTOP) right after its temporary directory appears; build B runs to
    the end into the same out/ meanwhile, and must not take A's directory for a dead one; A then
    goes on and finishes. Before the fix B removed it, and A died with 'internal error'."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copytree(previous, site / "out")
    a = subprocess.Popen([sys.executable, "-m", "tiltaksgraf.cli", "build", "--no-views", "--out", str(site / "out")],
                         cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + BUILD_TIMEOUT_S
        while not list(site.glob(".out.*.tmp")):
            assert a.poll() is None, f"build A ended before its temporary directory was seen: {a.stderr.read()}"
            assert time.monotonic() < deadline, "build A made no temporary directory"
            time.sleep(0.001)
        a.send_signal(signal.SIGSTOP)
        a_tmp = list(site.glob(".out.*.tmp"))
        old = time.time() - 3600  # as old as a stale one: only the lock tells that A is alive
        for d in a_tmp:
            os.utime(d, (old, old))
        b = run_build("--no-views", "--out", str(site / "out"), cwd=site)
        assert b.returncode == 0, b.stderr
        assert all(d.exists() for d in a_tmp), "build B removed the running build's directory"
        assert "another build is writing" in " ".join(b.stderr.split())
    finally:
        a.send_signal(signal.SIGCONT)
    assert a.wait(timeout=BUILD_TIMEOUT_S) == 0, a.stderr.read()
    assert leftovers(site) == []
    assert (site / "out" / "graph.ttl").stat().st_size > 1_000_000


# --- a 50 MB report -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.slow  # ~2 minutes: in the whole suite (and CI), not in the quick subset
def test_robust_50_mb_report_builds(tmp_path):
    """31,000 measures in one 50 MB report build, every one of them (before: 11.5 GB of memory,
    then a pyo3 "allocation failed" panic and a hang). Its memory and time are bench_memory.py's."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bigreport import report_of_size

    text, measures = report_of_size(50_000_000)
    report = tmp_path / "big-status.txt"
    report.write_text(text, encoding="utf-8")
    del text
    done = subprocess.run([sys.executable, "-m", "tiltaksgraf.cli", "build", str(report), "--no-views",
                           "--out", str(tmp_path / "out")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=3600)
    assert done.returncode == 0, done.stderr
    assert f"1 report(s), {measures} measures," in done.stderr
    import json

    built = json.loads((tmp_path / "out" / "measures.json").read_text(encoding="utf-8"))
    assert [m["number"] for m in built["sources"][0]["measures"]] == list(range(1, measures + 1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big-status.txt", "out"]


def test_robust_running_out_of_memory_is_an_error_not_a_crash(tmp_path):
    """With the up-front check switched off, a build under a 500 MiB address-space limit runs out
    of memory for real, midway: one line, exit 1, nothing written (not a traceback or a hang)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bigreport import write_report

    report = write_report(tmp_path, 1800)  # about 3 MB: more than 500 MiB can build
    code = ("import sys\nimport tiltaksgraf.pipeline as p\n"
            "p.MEMORY_PER_INPUT_BYTE = p.MEMORY_BASE_BYTES = 0  # the check off: run out for real\n"
            "from tiltaksgraf.cli import main\n"
            f"sys.exit(main(['build', {str(report)!r}, '--no-views', '--out', {str(tmp_path / 'out')!r}]))\n")

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (500 * 2**20, resource.RLIM_INFINITY))

    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT_S, preexec_fn=limit_memory)
    assert_one_line_error(done, "error: ran out of memory while building; the previous output is unchanged")
    assert sorted(p.name for p in tmp_path.iterdir()) == [report.name]


# --- what a build leaves of the process's state --------------------------------------------------


def test_robust_build_gives_back_the_garbage_collector_as_it_found_it(tmp_path):
    """A build spares the collector (frozen objects, a higher threshold) only while it runs: after
    it, failed or not, the caller's thresholds and unfrozen objects are as they were."""
    import gc

    from tiltaksgraf.collector import relaxed

    before = gc.get_threshold()
    with pytest.raises(RuntimeError), relaxed(freeze=True):
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] > before[0]
        raise RuntimeError("a build that fails")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    gc.freeze()  # a caller that froze objects itself keeps them frozen
    try:
        with relaxed(freeze=True):
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_paused_collector_makes_no_collection_and_leaves_nothing_young():
    """Imports under ``paused``: no collection runs inside, what was made counts as old after it
    (the next allocations do not trigger a traversal of it all), and the collector's state (on or
    off, a caller's frozen objects) is given back as it was."""
    import gc

    from tiltaksgraf.collector import paused

    collections: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        with paused():
            assert not gc.isenabled()
            made = [[i] for i in range(50_000)]  # containers: each one counted by the collector
        assert collections == [] and gc.isenabled()
        assert gc.get_count()[0] < 100 and gc.get_freeze_count() == 0
    finally:
        gc.callbacks.remove(count)
    del made
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()  # off before: off after
    finally:
        gc.enable()
    gc.freeze()  # a caller that froze objects itself keeps them frozen
    try:
        with paused():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
