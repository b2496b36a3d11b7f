"""No data lost: a real ``tiltaksgraf build`` killed midway (SIGKILL, SIGTERM) leaves the previous
``out/`` byte for byte as it was, and the next build removes the killed one's temporary directory
and succeeds. Also: that cleanup touches only stale directories named exactly as a build of that
output names its own."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tiltaksgraf.pipeline import build, bundled_report

POLL_S = 0.002
BUILD_TIMEOUT_S = 120


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every file's bytes and every directory (None) under ``directory``, by relative path."""
    return {str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(directory.rglob("*"))}


def build_command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tiltaksgraf.cli", "build", "--out", str(out), *extra]


def temp_dirs(site: Path, name: str = "out") -> list[Path]:
    return sorted(site.glob(f".{name}.*.tmp"))


@pytest.fixture(scope="module")
def previous_build(tmp_path_factory) -> Path:
    """One complete build (with the HTML views), made by the CLI: the output to protect."""
    site = tmp_path_factory.mktemp("previous")
    subprocess.run(build_command(site / "out"), cwd=site, check=True, timeout=BUILD_TIMEOUT_S,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return site / "out"


@pytest.fixture()
def site(previous_build, tmp_path) -> Path:
    shutil.copytree(previous_build, tmp_path / "out")
    return tmp_path


def kill_midway(site: Path, sig: signal.Signals, *, after_first_file: bool) -> None:
    """Start a build over ``site/out``; once its temporary directory appears beside ``out``
    (and, if asked, holds a first file) send ``sig``, and wait for the process to die of it."""
    earlier = set(temp_dirs(site))  # stale ones of builds killed before
    proc = subprocess.Popen(build_command(site / "out"), cwd=site, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + BUILD_TIMEOUT_S
        while True:
            tmps = [d for d in temp_dirs(site) if d not in earlier]
            if tmps and (not after_first_file or _has_a_file(tmps[0])):
                break
            if proc.poll() is not None:
                pytest.fail(f"the build ended (exit {proc.returncode}) before it could be killed: "
                            f"{proc.stderr.read().decode(errors='replace')[-500:]}")
            if time.monotonic() > deadline:
                pytest.fail("no temporary output directory appeared")
            time.sleep(POLL_S)
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:  # only ever this test's own build
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -sig, f"expected death by {sig.name}, got exit {proc.returncode}"


def _has_a_file(directory: Path) -> bool:
    try:
        return any(directory.iterdir())
    except FileNotFoundError:  # swapped in meanwhile
        return False


@pytest.mark.parametrize("after_first_file", [False, True], ids=["tmp-created", "tmp-being-written"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_kill_build_midway_leaves_previous_out_and_next_build_cleans_up(site, sig, after_first_file):
    out = site / "out"
    before = snapshot(out)

    kill_midway(site, sig, after_first_file=after_first_file)

    assert snapshot(out) == before  # every file, byte for byte; no file added or lost
    stale = temp_dirs(site)
    assert len(stale) == 1, "a killed build cannot remove its temporary directory"
    assert not list(site.glob(".out.old-*"))

    done = subprocess.run(build_command(out, "--no-views"), cwd=site, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    assert temp_dirs(site) == [], "the next build removes the stale temporary directory"
    assert sorted(p.name for p in site.iterdir()) == ["out"]
    measures = json.loads((out / "measures.json").read_text(encoding="utf-8"))
    assert len(measures["sources"][0]["measures"]) == 88


def test_kill_repeated_kills_do_not_accumulate_temp_dirs(site):
    """Each build removes the temporary directories of builds killed before it, so after three
    killed builds one is left (the last one's), and a good build leaves none."""
    before = snapshot(site / "out")
    for _ in range(3):
        kill_midway(site, signal.SIGKILL, after_first_file=False)
    assert len(temp_dirs(site)) == 1
    assert snapshot(site / "out") == before
    build([bundled_report()], site / "out", write_views=False)
    assert temp_dirs(site) == []


def test_kill_cleanup_removes_only_stale_temp_dirs_of_that_output(tmp_path):
    out = tmp_path / "out"
    old = time.time() - 3600

    def make(name: str, mtime: float = old) -> Path:
        d = tmp_path / name
        d.mkdir()
        (d / "graph.ttl").write_text("partial")
        os.utime(d, (mtime, mtime))
        return d

    stale = [make(".out.abcd_123.tmp"), make(".out.zzzzzzzz.tmp")]
    kept = [
        make(".out.abcdefgh.tmp", mtime=time.time() + 3600),  # newer than this run: another build's
        make(".out2.abcdefgh.tmp"),  # another output's
        make(".out.abc.tmp"), make(".out.abcdefgh.tmp.bak"), make(".out.ABCDEFGH.tmp"),  # not the pattern
        make("out.abcdefgh.tmp"),
    ]
    (tmp_path / ".out.qwertyui.tmp").write_text("a file, not a directory")
    (tmp_path / ".out.symlink1.tmp").symlink_to(kept[1], target_is_directory=True)

    build([bundled_report()], out, write_views=False)

    assert not any(d.exists() for d in stale)
    assert all(d.is_dir() and (d / "graph.ttl").read_text() == "partial" for d in kept)
    assert (tmp_path / ".out.qwertyui.tmp").is_file()
    assert (tmp_path / ".out.symlink1.tmp").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["out", ".out.qwertyui.tmp", ".out.symlink1.tmp", *(d.name for d in kept)])


def test_kill_between_the_renames_recovers_previous_out(tmp_path):
    """Killed after the old output was moved aside and before the new one was renamed in: the
    next build finds .out.old-PID, puts it back first, and then replaces it as usual."""
    from tiltaksgraf.pipeline import _recover_swapped_out

    out = tmp_path / "out"
    aside = tmp_path / ".out.old-12345"
    aside.mkdir()
    (aside / "graph.ttl").write_text("previous", encoding="utf-8")
    _recover_swapped_out(out)
    assert (out / "graph.ttl").read_text(encoding="utf-8") == "previous" and not aside.exists()
