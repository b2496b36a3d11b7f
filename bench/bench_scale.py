"""Build time and peak memory of a synthetic corpus of 1, 10 and 50 reports, one
``tiltaksgraf build`` run per corpus size.

Each report is a variant of the bundled one, presented as a plan of its own (``synthetic-plan-NN``
with its own metadata JSON): some agencies' names permuted among themselves, the «quoted» titles
renamed per plan, about a tenth of the reporting paragraphs dropped and a twentieth duplicated,
about a fifth of the statuses changed. Every variant is parsed before the build, so the run
measures a build, not a refusal.

Reported per size: wall time, time per report, the marginal cost of each further report
((T(n) − T(previous n)) / (n − previous n); start-up and imports, paid once, cancel out), and
the build process's peak RSS. Targets (issue 7): the marginal per-report cost flat within 20%,
peak memory at 50 reports ≤ 2 GiB.

Each size is built twice: as ``tiltaksgraf build`` does by default (with the HTML views) and with
``--no-views``, which separates the cost of the views from the rest of the pipeline.

Usage: ``python bench/bench_scale.py [--sizes 1,10,50] [--views both|yes|no] [--keep DIR]``.
``--keep`` builds the largest corpus into DIR and leaves it there (graph.ttl, graph.trig,
measures.json, the views) for the query benchmark (``bench/bench_queries.py --graph DIR``); its
path is recorded in results.json under ``scale.kept_out``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import PYTHON, run_measured, save

from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.extract.read import read_report
from tiltaksgraf.pipeline import bundled_report

GIB = 2**30
FLAT_WITHIN = 0.20
MEMORY_LIMIT = 2 * GIB

# Agencies (not the ministries of the ANSVAR column: those decide the sections) whose names a
# variant permutes among themselves, so each plan tells of other collaborations.
AGENCIES = ("Bufdir", "NKVTS", "Hdir", "NOVA", "Kripos", "Udir", "FHI", "IMDi", "ATV", "POD", "UDI", "SSB")
ROW = re.compile(r"^\s*\d{1,3}\.\s+\S")
LAYOUT = re.compile(r"^\s*(?:Ferdig|Påbegynt|løpende|NR\.\s+ANSVAR|Forkort|https?://|www\.)", re.IGNORECASE)


def make_variant(text: str, number: int, rng: random.Random) -> str:
    """One synthetic plan's report: the bundled text with its names, paragraphs and statuses varied."""
    shuffled = list(AGENCIES)
    rng.shuffle(shuffled)
    rename = dict(zip(AGENCIES, shuffled))
    text = re.sub(rf"\b({'|'.join(AGENCIES)})(?=s?\b)", lambda m: rename[m[1]], text)
    text = re.sub(r"«([^»\n]{3,80})»", lambda m: f"«{m[1]} {number:02d}»" if rng.random() < 0.5 else m[0], text)
    blocks = re.split(r"(\n[ \t]*\n)", text)  # paragraphs and the blank lines between them
    out = []
    for k, block in enumerate(blocks):
        reporting = k % 2 == 0 and len(block) > 200 and not any(
            ROW.match(line) or LAYOUT.match(line) for line in block.split("\n"))
        roll = rng.random()
        if reporting and roll < 0.10:
            continue  # dropped (with the blank line after it)
        out.append(block)
        if reporting and roll > 0.95:
            out += ["\n\n", block]  # duplicated
    text = "".join(out)
    flip = {"Ferdig": "Påbegynt", "Påbegynt": "Ferdig"}
    # a status cell starting its line, the reporting perhaps after it on the same line;
    # "Påbegynt -" / "løpende" (ongoing) is left alone
    return re.sub(r"(?m)^(Ferdig|Påbegynt)(?=[ \t]|$)(?![ \t]*[-–])",
                  lambda m: flip[m[1]] if rng.random() < 0.2 else m[1], text)


def write_corpus(directory: Path, size: int) -> list[Path]:
    text = bundled_report().read_text(encoding="utf-8")
    paths = []
    for number in range(1, size + 1):
        key = f"synthetic-plan-{number:02d}"
        path = directory / f"{key}.txt"
        path.write_text(make_variant(text, number, random.Random(number)), encoding="utf-8")
        meta = {"plan_key": key, "plan_title": f"Syntetisk handlingsplan {number:02d} mot vold og overgrep",
                "date": f"{2015 + number % 8}-{1 + number % 12:02d}",
                "period": f"{2012 + number % 8}–{2016 + number % 8}"}
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        parse_report(read_report(path))  # a variant that does not parse is a bug here, not a measurement
        paths.append(path)
    return paths


def measure(corpus: list[Path], sizes: list[int], views: bool, work: Path, keep: Path | None) -> dict:
    """One ``tiltaksgraf build`` per corpus size; the rows and the verdicts on the targets."""
    rows = []
    for size in sizes:
        mode = "views" if views else "no-views"
        out = keep if keep is not None and size == sizes[-1] else work / f"out-{size}-{mode}"
        argv = [PYTHON, "-m", "tiltaksgraf.cli", "build", "--out", str(out),
                *([] if views else ["--no-views"]), *map(str, corpus[:size])]
        measured = run_measured(argv)
        summary = re.search(r"built .*", measured.stderr)
        row = {"reports": size, "seconds": measured.seconds, "seconds_per_report": measured.seconds / size,
               "peak_rss_mib": measured.peak_rss / 2**20, "summary": summary[0] if summary else ""}
        if rows:  # start-up and imports, paid once per run, cancel out
            row["marginal_seconds_per_report"] = (row["seconds"] - rows[-1]["seconds"]) / (size - rows[-1]["reports"])
        rows.append(row)
        print(f"  {'with' if views else 'without'} views, {size} report(s): {measured.seconds:.1f} s", file=sys.stderr)
    marginals = [r["marginal_seconds_per_report"] for r in rows if "marginal_seconds_per_report" in r]
    spread = max(marginals) / min(marginals) - 1 if len(marginals) >= 2 else None
    return {
        "views": views,
        "rows": rows,
        "marginal_spread": spread,
        "per_report_cost_flat_within_20pct": None if spread is None else spread <= FLAT_WITHIN,
        "peak_rss_at_largest_within_2gib": rows[-1]["peak_rss_mib"] * 2**20 <= MEMORY_LIMIT,
    }


def table(data: dict) -> str:
    results = data["results"]
    lines = ["| build | reports | wall s | s / report | marginal s / report | peak RSS MiB |",
             "|---|---:|---:|---:|---:|---:|"]
    for mode, result in results.items():
        for r in result["rows"]:
            marginal = f"{r['marginal_seconds_per_report']:.2f}" if "marginal_seconds_per_report" in r else "–"
            lines.append(f"| {mode} | {r['reports']} | {r['seconds']:.1f} | {r['seconds_per_report']:.2f} | "
                         f"{marginal} | {r['peak_rss_mib']:.0f} |")
    lines.append("")
    for mode, result in results.items():
        spread = result["marginal_spread"]
        lines.append(f"- {mode}: marginal cost per report flat within 20%: "
                     f"{result['per_report_cost_flat_within_20pct']}"
                     + (f" (spread {spread:.0%})" if spread is not None else "")
                     + f"; peak RSS at {result['rows'][-1]['reports']} reports ≤ 2 GiB: "
                       f"{result['peak_rss_at_largest_within_2gib']}")
    return "\n".join(lines)


def run(sizes: list[int], modes: list[bool], keep: Path | None = None) -> dict:
    """Build each corpus size in each mode (True: with the views); ``keep`` receives the largest
    corpus built in the first mode."""
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="tg-bench-scale-"))
    results: dict[str, dict] = {}
    try:
        corpus = write_corpus(work, sizes[-1])  # the first n reports are the corpus of size n
        for views in modes:
            kept = keep.resolve() if keep and views == modes[0] else None
            results["build" if views else "build --no-views"] = measure(corpus, sizes, views, work, kept)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    data: dict = {"results": results, "seconds_total": time.perf_counter() - started}
    if keep:
        data["kept_out"] = str(keep.resolve())
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10,50", help="corpus sizes, comma-separated (default 1,10,50)")
    parser.add_argument("--views", choices=("both", "yes", "no"), default="both",
                        help="build with the HTML views (what `tiltaksgraf build` does), without, or both (default)")
    parser.add_argument("--keep", type=Path,
                        help="build the largest corpus into this directory and keep it (with views, if built)")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    data = run(sizes, {"both": [True, False], "yes": [True], "no": [False]}[args.views], args.keep)
    print(table(data))
    if args.keep:
        print(f"kept the {sizes[-1]}-report build in {data['kept_out']}")
    save("scale", data)


if __name__ == "__main__":
    main()
