"""Build time of the bundled report against the floor, measured in one run.

The floor is what any build must pay: starting Python, importing spaCy and rdflib, and
tokenising the report with ``spacy.blank("nb")``. The ratio build/floor is what the speed
issue targets: ≤ 1.3× without the views, ≤ 1.5× with them. Usage: ``python bench/bench_build.py [--repeat 5]``.

Each command runs once unmeasured, then the three are run in turn ``--repeat`` times (floor,
build, build with views, floor, …), so that a change in the machine's load falls on all three.
They run twice over: with Python's bytecode cache, as on a user's machine (pip compiled spaCy's
and rdflib's at install; Python caches ours on the first run) — the targets are judged on these
—, and without it (``PYTHONDONTWRITEBYTECODE=1``, which the development machine sets: there a
build compiles our ~40 modules from source every time, ~0.04 s, while spaCy's come compiled).
The cache goes to a temporary ``PYTHONPYCACHEPREFIX``, never into the source tree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import PYTHON, save, summary

from tiltaksgraf.pipeline import bundled_report

FLOOR = ("import sys, spacy, rdflib; nlp = spacy.blank('nb'); "
         "nlp(open(sys.argv[1], encoding='utf-8').read())")


FLOOR_ROW = "floor (python + import spacy, rdflib + tokenise)"
TARGETS = {"tiltaksgraf build --no-views": 1.3, "tiltaksgraf build (with HTML views)": 1.5}
UNCACHED = " (no bytecode cache)"


def run(repeat: int = 5) -> dict[str, dict]:
    """Median and p95 wall time of the floor and of the two builds, and each one's ratio to its
    floor: the rows named as in ``TARGETS`` with the bytecode cache, the same names + ``UNCACHED``
    without it."""
    report = str(bundled_report())
    work = Path(tempfile.mkdtemp(prefix="tg-bench-"))
    try:
        cli = [PYTHON, "-m", "tiltaksgraf.cli", "build", "--out", str(work / "out")]
        commands = {
            FLOOR_ROW: [PYTHON, "-c", FLOOR, report],
            "tiltaksgraf build --no-views": cli + ["--no-views"],
            "tiltaksgraf build (with HTML views)": cli,
        }
        stats: dict[str, dict] = {}
        for suffix, env in (("", _environment(pycache=work / "pycache")), (UNCACHED, _environment(pycache=None))):
            times = _time_in_turn(commands, repeat, env)
            rows = {name + suffix: summary(t) for name, t in times.items()}
            for s in rows.values():
                s["ratio"] = s["median"] / rows[FLOOR_ROW + suffix]["median"]
            stats.update(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return stats


def _environment(pycache: Path | None) -> dict[str, str]:
    """This environment with Python's bytecode cached in ``pycache``, or not written at all (None)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    return {**env, "PYTHONPYCACHEPREFIX": str(pycache)} if pycache else {**env, "PYTHONDONTWRITEBYTECODE": "1"}


def _time_in_turn(commands: dict[str, list[str]], repeat: int, env: dict[str, str]) -> dict[str, list[float]]:
    """Wall times of each command, run once unmeasured (to fill the caches), then in turn."""
    for argv in commands.values():
        _run(argv, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            started = time.perf_counter()
            _run(argv, env)
            times[name].append(time.perf_counter() - started)
    return times


def _run(argv: list[str], env: dict[str, str]) -> None:
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def table(stats: dict[str, dict]) -> str:
    lines = ["| step | median s | p95 s | × floor |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {s['median']:.2f} | {s['p95']:.2f} | {s['ratio']:.2f} |" for name, s in stats.items()]
    return "\n".join(lines)


def verdicts(stats: dict[str, dict]) -> list[str]:
    """Whether each target holds (judged with the bytecode cache), one line each."""
    return [f"- {name}: ≤ {target}× the floor: {stats[name]['ratio'] <= target} ({stats[name]['ratio']:.2f}×; "
            f"{stats[name + UNCACHED]['ratio']:.2f}× without the bytecode cache)"
            for name, target in TARGETS.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    stats = run(parser.parse_args().repeat)
    print(table(stats))
    print("\n".join(verdicts(stats)))
    save("build", stats)


if __name__ == "__main__":
    main()
