"""Build time of the bundled report against the floor, measured in one run.

The floor is what any build must pay: starting Python, importing spaCy and rdflib, and
tokenising the report with ``spacy.blank("nb")``. The ratio build/floor is what the speed
issue targets: ≤ 1.3× without the views, ≤ 1.5× with them. Usage: ``python bench/bench_build.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from common import PYTHON, save, summary, time_command

from tiltaksgraf.pipeline import bundled_report

FLOOR = ("import sys, spacy, rdflib; nlp = spacy.blank('nb'); "
         "nlp(open(sys.argv[1], encoding='utf-8').read())")


FLOOR_ROW = "floor (python + import spacy, rdflib + tokenise)"
TARGETS = {"tiltaksgraf build --no-views": 1.3, "tiltaksgraf build (with HTML views)": 1.5}


def run(repeat: int = 5) -> dict[str, dict]:
    """Median and p95 wall time of the floor and of the two builds, and each one's ratio to the floor."""
    report = str(bundled_report())
    work = Path(tempfile.mkdtemp(prefix="tg-bench-"))
    try:
        cli = [PYTHON, "-m", "tiltaksgraf.cli", "build", "--out", str(work / "out")]
        rows = {
            FLOOR_ROW: time_command([PYTHON, "-c", FLOOR, report], repeat),
            "tiltaksgraf build --no-views": time_command(cli + ["--no-views"], repeat),
            "tiltaksgraf build (with HTML views)": time_command(cli, repeat),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stats = {name: summary(times) for name, times in rows.items()}
    for s in stats.values():
        s["ratio"] = s["median"] / stats[FLOOR_ROW]["median"]
    return stats


def table(stats: dict[str, dict]) -> str:
    lines = ["| step | median s | p95 s | × floor |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {s['median']:.2f} | {s['p95']:.2f} | {s['ratio']:.2f} |" for name, s in stats.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    stats = run(parser.parse_args().repeat)
    print(table(stats))
    for name, target in TARGETS.items():
        print(f"- {name}: ≤ {target}× the floor: {stats[name]['ratio'] <= target} ({stats[name]['ratio']:.2f}×)")
    save("build", stats)


if __name__ == "__main__":
    main()
