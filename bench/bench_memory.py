"""Peak memory and time of ``tiltaksgraf build`` against the size of one report: 1, 8 and 50 MB
(issue 12), each the bundled report's rows repeated and renumbered (``bigreport.py``), one real
build process per size.

Reported per size: measures, wall time, time per measure, the marginal time per further measure
((T(n) − T(previous n)) / (measures(n) − measures(previous n))), the process's peak RSS, the peak
as a multiple of the input, and the marginal memory per further input byte ((RSS(n) − RSS(previous
n)) / (size(n) − size(previous n))): what the input costs, start-up and imports cancelled out.
Targets: peak at the largest size under 20× the input; the marginal bytes per byte flat or
falling (linear growth); the marginal time per measure flat within 30 %.

Usage: ``python bench/bench_memory.py [--sizes 1,8,50] [--no-views]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bigreport import report_of_size
from common import PYTHON, run_measured, save

MB = 1_000_000
TARGET_TIMES_INPUT = 20
FLAT_WITHIN = 0.30


def run(sizes_mb: list[int], views: bool = True) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="tg-bench-memory-") as tmp:
        for size in sizes_mb:
            text, measures = report_of_size(size * MB)
            report = Path(tmp) / f"report-{size}mb.txt"
            report.write_text(text, encoding="utf-8")
            argv = [PYTHON, "-m", "tiltaksgraf.cli", "build", str(report), "--out", str(Path(tmp) / f"out-{size}")]
            if not views:
                argv.append("--no-views")
            measured = run_measured(argv)
            input_bytes = report.stat().st_size
            rows.append({"size_mb": size, "input_bytes": input_bytes, "measures": measures,
                         "seconds": measured.seconds, "ms_per_measure": 1000 * measured.seconds / measures,
                         "peak_rss": measured.peak_rss, "times_input": measured.peak_rss / input_bytes})
            report.unlink()
            print(f"  {size} MB: {measures} measures, {measured.seconds:.1f} s, "
                  f"peak {measured.peak_rss / 2**20:.0f} MiB", file=sys.stderr)
    for previous, row in zip(rows, rows[1:]):
        grown = row["peak_rss"] - previous["peak_rss"]
        row["marginal_bytes_per_byte"] = grown / (row["input_bytes"] - previous["input_bytes"])
        row["marginal_ms_per_measure"] = (1000 * (row["seconds"] - previous["seconds"])
                                          / (row["measures"] - previous["measures"]))
    largest = rows[-1]
    # the time per measure of the smallest size is mostly start-up: the marginal times compare
    per_measure = [r["marginal_ms_per_measure"] for r in rows[1:]] or [rows[0]["ms_per_measure"]]
    verdicts = {
        "under_20x_at_largest": largest["times_input"] <= TARGET_TIMES_INPUT,
        "time_per_measure_flat": max(per_measure) <= (1 + FLAT_WITHIN) * min(per_measure),
    }
    return {"views": views, "rows": rows, "verdicts": verdicts}


def table(result: dict) -> str:
    lines = ["| input | measures | wall | per measure | per further measure | peak RSS | peak / input "
             "| marginal bytes per input byte |",
             "|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        marginal = f"{r['marginal_bytes_per_byte']:.1f}" if "marginal_bytes_per_byte" in r else "—"
        further = f"{r['marginal_ms_per_measure']:.1f} ms" if "marginal_ms_per_measure" in r else "—"
        lines.append(f"| {r['input_bytes'] / MB:.1f} MB | {r['measures']} | {r['seconds']:.1f} s | "
                     f"{r['ms_per_measure']:.1f} ms | {further} | {r['peak_rss'] / 2**20:.0f} MiB | "
                     f"{r['times_input']:.1f}× | {marginal} |")
    v = result["verdicts"]
    lines.append("")
    lines.append(f"peak ≤ {TARGET_TIMES_INPUT}× the input at the largest size: "
                 f"{'yes' if v['under_20x_at_largest'] else 'NO'}; "
                 f"time per further measure flat within {FLAT_WITHIN:.0%}: "
                 f"{'yes' if v['time_per_measure_flat'] else 'NO'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,3,8,50", help="report sizes in MB, comma-separated")
    parser.add_argument("--no-views", action="store_true", help="build without the HTML views")
    args = parser.parse_args()
    result = run([int(s) for s in args.sizes.split(",")], views=not args.no_views)
    save("memory", result)
    print(table(result))


if __name__ == "__main__":
    main()
