"""Shared helpers for the benchmarks: timing subprocesses, statistics, the results file."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")


def time_command(argv: list[str], repeat: int, cwd: Path | None = None) -> list[float]:
    """Wall times of ``repeat`` runs of a command (its output discarded; a failure aborts)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, check=True, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


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
