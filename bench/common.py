"""Shared helpers for the benchmarks: timing subprocesses, statistics, the results file."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")


@dataclass(frozen=True)
class Measured:
    seconds: float  # wall time
    peak_rss: int  # bytes: the process's own peak resident set size
    stderr: str


def run_measured(argv: list[str], cwd: Path | None = None) -> Measured:
    """Run a command once; its wall time and peak RSS, from ``os.wait4`` on that process alone
    (``getrusage(RUSAGE_CHILDREN)`` would give the largest child of this whole benchmark)."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen.wait()
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, argv, stderr=stderr)
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    return Measured(seconds, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024), stderr)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "p95": percentile(values, 0.95), "min": min(values),
            "runs": len(values)}


def save(section: str, data: dict) -> None:
    """Merge one benchmark's numbers into bench/results.json."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[section] = data
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


PYTHON = sys.executable
