"""Benchmark the named queries and the SPARQL endpoint on the bundled report.

1. Latency of every named query (typical parameters) on both embedded stores: median and p95
   over repeated runs, after warm-up runs (which fill the parse cache and the label index).
2. Endpoint throughput and p50/p99 latency: ``tiltaksgraf serve`` in its own process on
   loopback, 8 client threads with keep-alive connections sending ``measures-by-status``
   (all 88 measures, JSON results) through ``GET /sparql?query=…``, ≥ 2,000 requests.

Prints a table and writes ``bench/results-queries.json``. Loopback only; every loop is bounded.

    python bench/bench_queries.py                 # builds the bundled report into a temp dir
    python bench/bench_queries.py --graph out     # or uses a build directory
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from tiltaksgraf.graph.oxigraph_store import open_store
from tiltaksgraf.queries.runner import get_named_query, load_named_queries, run_named_query

CASES: list[tuple[str, dict[str, str]]] = [
    ("agencies-collaborating", {}),
    ("partners-of", {"agency": "NKVTS"}),
    ("trace-programme", {"programme": "TryggEst"}),
    ("measures-by-ministry", {"ministry": "HOD"}),
    ("measures-by-status", {}),
    ("status-per-ministry", {}),
    ("laws-by-measure", {}),
    ("reports-by-agency", {}),
    ("commissioned-by", {"agency": "Bufdir"}),
    ("related-measures", {"measure": "5"}),
    ("entity-search", {"text": "barnehus"}),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def bench_queries(graph: Path, stores: list[str], min_runs: int, budget: float) -> list[dict]:
    rows = []
    for kind in stores:
        started = time.perf_counter()
        store = open_store(graph, kind)
        load_seconds = time.perf_counter() - started
        for name, params in CASES:
            for _ in range(2):  # warm-up: parse cache, label index
                run_named_query(store, name, params)
            times = []
            deadline = time.perf_counter() + budget
            while len(times) < min_runs or (time.perf_counter() < deadline and len(times) < 200):
                t0 = time.perf_counter()
                result = run_named_query(store, name, params)
                times.append(time.perf_counter() - t0)
                if len(times) >= min_runs and time.perf_counter() > deadline:
                    break
            rows.append({"store": kind, "query": name, "params": params, "rows": len(result.rows), "runs": len(times),
                         "median_ms": statistics.median(times) * 1000, "p95_ms": percentile(times, 95) * 1000,
                         "store_load_s": load_seconds})
            print(f"  {kind:8} {name:24} {rows[-1]['median_ms']:9.2f} ms  p95 {rows[-1]['p95_ms']:9.2f} ms"
                  f"  ({len(times)} runs, {len(result.rows)} rows)", file=sys.stderr)
        store.close()
    return rows


def start_server(graph: Path, store: str, workers: int) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from tiltaksgraf.cli import main; sys.exit(main())", "serve",
         "--graph", str(graph), "--store", store, "--port", "0", "--quiet", "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        if line.strip().startswith("page:"):
            return process, line.split()[-1]
    process.kill()
    raise RuntimeError("the server did not start")


def bench_endpoint(graph: Path, store: str, clients: int, requests: int, workers: int) -> dict:
    process, url = start_server(graph, store, workers)
    try:
        parts = urllib.parse.urlsplit(url)
        path = "/sparql?" + urllib.parse.urlencode({"query": get_named_query("measures-by-status").text})
        headers = {"Accept": "application/sparql-results+json"}
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        per_client = -(-requests // clients)

        def client() -> None:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            mine = []
            try:
                for _ in range(per_client):
                    t0 = time.perf_counter()
                    connection.request("GET", path, headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                    mine.append(time.perf_counter() - t0)
                    if response.status != 200 or b'"bindings"' not in body:
                        with lock:
                            errors.append(f"{response.status}: {body[:200]!r}")
            finally:
                connection.close()
                with lock:
                    latencies.extend(mine)

        for _ in range(20):  # warm-up on one connection
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            connection.request("GET", path, headers=headers)
            connection.getresponse().read()
            connection.close()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)
    return {"store": store, "query": "measures-by-status", "clients": clients, "server_workers": workers,
            "requests": len(latencies), "errors": len(errors), "seconds": elapsed,
            "requests_per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "max_ms": max(latencies) * 1000,
            "first_error": errors[0] if errors else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", type=Path, help="a build directory (default: build the bundled report)")
    parser.add_argument("--runs", type=int, default=20, help="at least this many timed runs per query and store")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per query and store after the minimum runs")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rdflib-requests", type=int, default=240,
                        help="requests for the rdflib-backed endpoint (slower; 0 skips it)")
    parser.add_argument("--stores", default="rdflib,oxigraph",
                        help="comma-separated stores to time the named queries on (rdflib takes seconds per "
                             "query on the 50-report graph)")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results-queries.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-queries-") as tmp:
        graph = args.graph
        if graph is None:
            from tiltaksgraf.pipeline import build

            graph = Path(tmp) / "out"
            print("building the bundled report …", file=sys.stderr)
            build([], graph, write_views=False)
        print("named queries:", file=sys.stderr)
        stores = [s.strip() for s in args.stores.split(",") if s.strip()]
        queries = bench_queries(graph, stores, args.runs, args.budget)
        print("endpoint:", file=sys.stderr)
        endpoint = [bench_endpoint(graph, "oxigraph", args.clients, args.requests, workers=4)]
        if args.rdflib_requests:
            endpoint.append(bench_endpoint(graph, "rdflib", args.clients, args.rdflib_requests, workers=4))

    by_query: dict[str, dict[str, dict]] = {}
    for row in queries:
        by_query.setdefault(row["query"], {})[row["store"]] = row
    print(f"\n{'named query':26}" + "".join(f"{s + ' median':>18}{'p95':>10}" for s in stores) + f"{'rows':>7}")
    for name in load_named_queries():
        if name in by_query:
            cells = "".join(f"{by_query[name][s]['median_ms']:15.2f} ms{by_query[name][s]['p95_ms']:7.1f} ms"
                            for s in stores)
            print(f"{name:26}{cells}{by_query[name][stores[-1]]['rows']:7d}")
    print(f"\n{'endpoint (measures-by-status)':32}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50':>10}{'p99':>10}")
    for e in endpoint:
        label = f"{e['store']}, {e['clients']} clients"
        print(f"{label:32}{e['requests']:9d}{e['errors']:8d}"
              f"{e['requests_per_s']:9.0f}{e['p50_ms']:7.1f} ms{e['p99_ms']:7.1f} ms")
    results = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                           "cpus": os.cpu_count()},
               "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "named_queries": queries, "endpoint": endpoint,
               "targets": {"endpoint_requests_per_s": 300, "endpoint_p99_ms": 100}}
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}", file=sys.stderr)
    main_endpoint = endpoint[0]
    return 0 if main_endpoint["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
