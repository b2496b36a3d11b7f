"""All the benchmarks of issue 7 in one run: ``python bench/run.py`` (about 7 minutes here).

1. the build of the bundled report against the floor (``bench_build``);
2. builds of 1, 10 and 50 synthetic reports, with and without the HTML views (``bench_scale``),
   keeping the 50-report build for step 4;
3. the named queries on the bundled report (1×), rdflib and Oxigraph, and the endpoint under 8
   clients: one query repeated, and distinct queries beside ``oxigraph serve`` (``bench_queries``);
4. the named queries on the 50-report graph: Oxigraph in full, rdflib one run per query, stopped
   after ``--rdflib-cap`` seconds;
5. the query workers: start-up, replacement and memory, forked from the zygote against each
   loading the store itself, on the bundled and the largest graph (``bench_workers``).

Writes every number to ``bench/results.json`` and the tables to ``bench/results.md`` (both
git-ignored; the README quotes the tables), and prints the tables. Timings are ratios or
per-report costs within this one run, so a busier machine shifts the numbers, not the verdicts.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import bench_build
import bench_queries
import bench_scale
import bench_workers
import common
from common import save

QUERY_TARGET_MS = 100.0
SMALL_TARGET_MS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each build for step 1")
    parser.add_argument("--sizes", default="1,10,50", help="corpus sizes for step 2")
    parser.add_argument("--rdflib-cap", type=float, default=10.0,
                        help="seconds after which a named query on rdflib at the largest size is stopped")
    parser.add_argument("--runs", type=int, default=20, help="at least this many runs of each named query")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per named query after the minimum runs")
    parser.add_argument("--requests", type=int, default=2000,
                        help="endpoint requests on the Oxigraph store (an eighth of them on rdflib)")
    parser.add_argument("--results", type=Path, default=common.RESULTS.parent,
                        help="the directory for results.json and results.md (default: bench/)")
    args = parser.parse_args()
    common.RESULTS = args.results / "results.json"
    results_md = args.results / "results.md"
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="tg-bench-all-"))
    sections: list[tuple[str, str]] = []
    try:
        step("build against the floor")
        build = bench_build.run(args.repeat)
        save("build", build)
        sections.append(("Build of the bundled report against the floor (targets ≤ 1.3× without views, ≤ 1.5× with)",
                         bench_build.table(build) + "\n\n" + "\n".join(bench_build.verdicts(build))))

        step(f"builds of {', '.join(map(str, sizes))} reports")
        largest = work / f"scale-{sizes[-1]}"
        scale = bench_scale.run(sizes, [True, False], keep=largest)
        save("scale", scale)
        sections.append((f"Builds of {', '.join(map(str, sizes))} synthetic reports (targets: marginal cost per "
                         "report flat within 20%, peak RSS ≤ 2 GiB)", bench_scale.table(scale)))

        step("named queries and the endpoint on the bundled report")
        from tiltaksgraf.pipeline import build as build_graph

        one = work / "one"
        build_graph([], one, write_views=False)
        queries_1 = bench_queries.bench_queries(one, ["rdflib", "oxigraph"], args.runs, args.budget)
        endpoint = [bench_queries.bench_endpoint(one, "oxigraph", 8, args.requests, workers=4),
                    bench_queries.bench_endpoint(one, "rdflib", 8, max(8, args.requests // 8), workers=4)]
        distinct = bench_queries.bench_endpoint_distinct(one, 8, args.requests, workers=4)
        save("queries", {"machine": bench_queries.machine(), "graph": "bundled report",
                         "named_queries": queries_1, "endpoint": endpoint, "endpoint_distinct": distinct})
        sections.append((f"Named queries on the bundled report (1×; target: Oxigraph p95 ≤ {SMALL_TARGET_MS:.0f} ms)",
                         bench_queries.queries_table(queries_1, target_ms=SMALL_TARGET_MS)))
        sections.append(("Endpoint on the bundled report, one query repeated (issue 7 targets: ≥ 300 req/s, "
                         "p99 ≤ 100 ms)", bench_queries.endpoint_table(endpoint)))
        sections.append(("Endpoint with 8 clients sending distinct queries, beside `oxigraph serve` on the same "
                         "graph and queries (targets: ≥ 500 req/s, p99 ≤ 50 ms)",
                         bench_queries.distinct_table(distinct)))

        step(f"named queries on {sizes[-1]} reports")
        # Oxigraph first: rdflib's million-triple graph would leave the collector work to do
        queries_n = (bench_queries.bench_queries(largest, ["oxigraph"], args.runs, 2 * args.budget)
                     + bench_queries.bench_queries(largest, ["rdflib"], min_runs=1, budget=0, cap=args.rdflib_cap))
        save(f"queries_{sizes[-1]}x", {"machine": bench_queries.machine(), "graph": f"{sizes[-1]} reports",
                                       "named_queries": queries_n})
        sections.append((f"Named queries on {sizes[-1]} reports ({built_triples(scale)}; rdflib: one run, "
                         f"stopped after {args.rdflib_cap:.0f} s; target: Oxigraph p95 ≤ {QUERY_TARGET_MS:.0f} ms)",
                         bench_queries.queries_table(queries_n, target_ms=QUERY_TARGET_MS)))

        step("query workers: forked from the zygote, or loading the store themselves")
        workers = [bench_workers.measure(one, "oxigraph", 4), bench_workers.measure(one, "rdflib", 4),
                   bench_workers.measure(largest, "oxigraph", 4)]
        save("workers", {"rows": workers})
        sections.append(("Query workers: forked from the zygote, or each loading the store",
                         bench_workers.table(workers)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60
    text = "\n\n".join(f"### {title}\n\n{table}" for title, table in sections)
    text += f"\n\nAll of it in one run of `python bench/run.py`: {minutes:.1f} minutes.\n"
    results_md.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {results_md} and {common.RESULTS}", file=sys.stderr)


def step(what: str) -> None:
    print(f"\n== {what}", file=sys.stderr, flush=True)


def built_triples(scale: dict) -> str:
    """'N triples' of the largest build, as its own summary line gave them."""
    found = re.search(r"(\d+) triples", scale["results"]["build"]["rows"][-1]["summary"])
    return f"{int(found[1]):,} triples" if found else "the largest build"


if __name__ == "__main__":
    main()
