"""Benchmark the named queries and the SPARQL endpoint on the bundled report.

1. Latency of every named query (typical parameters) on both embedded stores: median and p95
   over repeated runs, after warm-up runs (which fill the parse cache and the label index).
2. Endpoint throughput and p50/p99 latency: ``tiltaksgraf serve`` in its own process on
   loopback, 8 client threads with keep-alive connections sending ``measures-by-status``
   (all 88 measures, JSON results) through ``GET /sparql?query=…``, ≥ 2,000 requests.

Prints markdown tables and merges the numbers into ``bench/results.json`` (section ``queries``,
or ``--section``). Loopback only; every loop is bounded: ``--cap`` stops a store's query after
that many seconds and records it as capped (rdflib takes tens of seconds per query on 50 reports).

    python bench/bench_queries.py                 # builds the bundled report into a temp dir
    python bench/bench_queries.py --graph out     # or uses a build directory

Over 400 lines: one benchmark script whose cases share one measured setup.
"""

from __future__ import annotations

import argparse
import gc
import http.client
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

from common import percentile, save

from tiltaksgraf.graph.stores import QueryTimeout, open_store
from tiltaksgraf.queries.rq import get_named_query
from tiltaksgraf.queries.runner import run_named_query

# Each named query with typical parameters (those of its header's example), and measures-by-status
# also without one: every measure of every plan with its description, a bulk listing (4,400 rows
# on 50 reports) whose time is mostly the size of its answer.
CASES: list[tuple[str, dict[str, str]]] = [
    ("agencies-collaborating", {}),
    ("partners-of", {"agency": "NKVTS"}),
    ("trace-programme", {"programme": "TryggEst"}),
    ("measures-by-ministry", {"ministry": "HOD"}),
    ("measures-by-status", {"status": "Ferdig"}),
    ("measures-by-status", {}),
    ("status-per-ministry", {}),
    ("laws-by-measure", {}),
    ("reports-by-agency", {}),
    ("commissioned-by", {"agency": "Bufdir"}),
    ("related-measures", {"measure": "5"}),
    ("entity-search", {"text": "barnehus"}),
]


def bench_queries(graph: Path, stores: list[str], min_runs: int, budget: float,
                  cap: float | None = None) -> list[dict]:
    """Median and p95 of every named query on each store, after two warm-up runs. A run longer
    than ``cap`` seconds is stopped and the query recorded as capped (no further runs)."""
    rows = []
    for kind in stores:
        started = time.perf_counter()
        store = open_store(graph, kind)
        load_seconds = time.perf_counter() - started
        print(f"  {kind}: loaded in {load_seconds:.1f} s", file=sys.stderr)
        for name, params in CASES:
            row = {"store": kind, "query": name, "params": params, "store_load_s": load_seconds}
            times: list[float] = []
            try:
                for _ in range(2 if cap is None else 0):  # warm-up: parse cache, label index
                    run_named_query(store, name, params)
                deadline = time.perf_counter() + budget
                while len(times) < min_runs or (time.perf_counter() < deadline and len(times) < 200):
                    t0 = time.perf_counter()
                    result = run_named_query(store, name, params,
                                             deadline=None if cap is None else time.monotonic() + cap)
                    times.append(time.perf_counter() - t0)
            except QueryTimeout:
                row.update(capped_s=cap, runs=len(times))
                rows.append(row)
                print(f"  {kind:8} {case_label(name, params):34} stopped after {cap:.0f} s", file=sys.stderr)
                continue
            row.update(rows=len(result.rows), runs=len(times), median_ms=statistics.median(times) * 1000,
                       p95_ms=percentile(times, 0.95) * 1000)
            rows.append(row)
            print(f"  {kind:8} {case_label(name, params):34} {row['median_ms']:9.2f} ms  p95 {row['p95_ms']:9.2f} ms"
                  f"  ({len(times)} runs, {len(result.rows)} rows)", file=sys.stderr)
        store.close()
        del store
        gc.collect()  # an rdflib graph left for the collector would slow whatever is timed next
    return rows


def case_label(name: str, params: dict[str, str]) -> str:
    """'partners-of agency=NKVTS', 'measures-by-status (every status)'."""
    if params:
        return f"{name} " + " ".join(f"{k}={v}" for k, v in params.items())
    query = get_named_query(name)
    return f"{name} (every {query.params[0].name})" if query.params else name


def queries_table(rows: list[dict], target_ms: float | None = None) -> str:
    """One line per named query and parameters, a median and p95 column pair per store; with
    ``target_ms``, a column saying whether Oxigraph's p95 meets it."""
    stores = sorted({r["store"] for r in rows}, key=["rdflib", "oxigraph"].index)
    by_case: dict[str, dict[str, dict]] = {}
    for row in rows:
        by_case.setdefault(case_label(row["query"], row["params"]), {})[row["store"]] = row

    def cells(row: dict | None) -> str:
        if row is None:
            return " – | – |"
        if "capped_s" in row:
            return f" > {row['capped_s']:.0f} s | – |"
        return f" {row['median_ms']:.1f} | {row['p95_ms']:.1f} |"

    head = "| named query |" + "".join(f" {s} median ms | {s} p95 ms |" for s in stores) + " rows |"
    rule = "|---|" + "---:|---:|" * len(stores) + "---:|"
    if target_ms is not None:
        head += f" p95 ≤ {target_ms:.0f} ms |"
        rule += ":---:|"
    lines = [head, rule]
    for case, found in sorted(by_case.items()):
        oxigraph = found.get("oxigraph", {})
        counted = next((r["rows"] for r in found.values() if "rows" in r), "–")
        line = f"| {case} |" + "".join(cells(found.get(s)) for s in stores) + f" {counted} |"
        if target_ms is not None:
            line += " yes |" if oxigraph.get("p95_ms", float("inf")) <= target_ms else " **no** |"
        lines.append(line)
    return "\n".join(lines)


def endpoint_table(rows: list[dict]) -> str:
    lines = ["| endpoint (measures-by-status, JSON) | requests | errors | req/s | p50 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {e['store']}, {e['clients']} clients | {e['requests']} | {e['errors']} | "
              f"{e['requests_per_s']:.0f} | {e['p50_ms']:.1f} | {e['p99_ms']:.1f} |" for e in rows]
    return "\n".join(lines)


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
            "requests_per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "max_ms": max(latencies) * 1000,
            "first_error": errors[0] if errors else None}


# --- distinct queries: the endpoint beside the bare engine -----------------------------------------

PREFIX = "PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>\n"


def distinct_queries(count: int) -> list[str]:
    """``count`` ad-hoc queries, no two texts alike (their parameters varied): counts, sums and
    lists of measures in a range of numbers, and ASK for one number."""
    texts = []
    for i in range(count):
        low, high = i % 80, i % 80 + 1 + i // 80
        where = f"WHERE {{ ?m a tg:Measure ; tg:measureNumber ?x FILTER(?x > {low} && ?x <= {high}) }}"
        texts.append(PREFIX + [f"SELECT (COUNT(?m) AS ?n) {where}", f"SELECT (SUM(?x) AS ?n) {where}",
                               f"SELECT ?x {where} ORDER BY ?x", f"ASK {{ ?m tg:measureNumber {i} }}"][i % 4])
    return texts


def distinct_named(count: int) -> list[str]:
    """``count`` named-query requests with varied parameters (paths for ``/queries/…``)."""
    searches = ["barn", "hus", "vold", "senter", "lov", "plan", "nasjonal", "helse", "bufdir", "rvts", "krise"]
    paths = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            paths.append(f"/queries/laws-by-measure?measure={1 + i % 88}")
        elif kind == 1:
            paths.append(f"/queries/related-measures?measure={1 + i % 88}")
        else:
            prefix = searches[i % len(searches)][:2 + i % 4]
            paths.append("/queries/entity-search?" + urllib.parse.urlencode({"text": prefix}))
    return paths


def start_oxigraph_serve(graph: Path, location: Path) -> tuple[subprocess.Popen, str]:
    """``oxigraph serve`` (PyPI ``oxigraph``) read-only over the build's union graph."""
    import shutil
    import socket

    binary = shutil.which("oxigraph")
    if binary is None:
        raise RuntimeError("the 'oxigraph' server is not installed (pip install oxigraph)")
    subprocess.run([binary, "load", "--location", str(location), "--file", str(graph / "graph.ttl")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([binary, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/query?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
            if connection.getresponse().status == 200:
                return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("oxigraph serve did not start")


def load_paths(url: str, paths: list[str], clients: int) -> dict:
    """Send ``paths`` (each once) from ``clients`` keep-alive connections; throughput, latency,
    and the answers by path."""
    parts = urllib.parse.urlsplit(url)
    headers = {"Accept": "application/sparql-results+json"}
    latencies: list[float] = []
    answers: dict[str, bytes] = {}
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(k: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, got = [], {}
        barrier.wait()
        try:
            for path in paths[k::clients]:
                t0 = time.perf_counter()
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                mine.append(time.perf_counter() - t0)
                got[path] = body
                if response.status != 200:
                    with lock:
                        errors.append(f"{response.status}: {body[:200]!r}")
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)
                answers.update(got)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "errors": len(errors), "seconds": elapsed,
            "requests_per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "max_ms": max(latencies) * 1000,
            "first_error": errors[0] if errors else None, "answers": answers}


def _values(body: bytes) -> object:
    """An answer's values, whatever server wrote it (the same JSON may differ in spacing)."""
    import json

    document = json.loads(body)
    if "boolean" in document:
        return document["boolean"]
    if "results" not in document:  # an error document
        return ("error", document.get("error"))
    return [{k: v["value"] for k, v in row.items()} for row in document["results"]["bindings"]]


def bench_endpoint_distinct(graph: Path, clients: int, requests: int, workers: int) -> list[dict]:
    """The endpoint (Oxigraph store) and ``oxigraph serve`` on the same graph, answering the same
    ``requests`` distinct ad-hoc queries from ``clients`` clients, one server after the other in
    this run; then the endpoint alone on distinct named-query requests. Every answer of the
    endpoint is compared with the bare engine's."""
    texts = distinct_queries(requests)
    warm = distinct_queries(requests + 40)[requests:]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-oxigraph-serve-") as location:
        bare, bare_url = start_oxigraph_serve(graph, Path(location))
        try:
            load_paths(bare_url, ["/query?" + urllib.parse.urlencode({"query": t}) for t in warm], clients)
            bare_run = load_paths(bare_url, ["/query?" + urllib.parse.urlencode({"query": t}) for t in texts], clients)
        finally:
            bare.terminate()
            bare.wait(timeout=10)
    ours, our_url = start_server(graph, "oxigraph", workers)
    try:
        load_paths(our_url, ["/sparql?" + urllib.parse.urlencode({"query": t}) for t in warm], clients)
        our_run = load_paths(our_url, ["/sparql?" + urllib.parse.urlencode({"query": t}) for t in texts], clients)
        named_paths = distinct_named(requests)
        named_run = load_paths(our_url, named_paths, clients)
    finally:
        ours.terminate()
        ours.wait(timeout=10)
    differing = sum(1 for t in texts
                    if _values(our_run["answers"]["/sparql?" + urllib.parse.urlencode({"query": t})])
                    != _values(bare_run["answers"]["/query?" + urllib.parse.urlencode({"query": t})]))
    for server, run, mix in (("oxigraph serve", bare_run, "ad-hoc"), ("tiltaksgraf serve", our_run, "ad-hoc"),
                             ("tiltaksgraf serve", named_run, "named")):
        run = {k: v for k, v in run.items() if k != "answers"}
        rows.append({"server": server, "mix": mix, "clients": clients, "server_workers": workers, **run})
    rows[1]["answers_differing_from_oxigraph_serve"] = differing
    rows[1]["ratio_to_bare"] = rows[1]["requests_per_s"] / rows[0]["requests_per_s"]
    return rows


def distinct_table(rows: list[dict]) -> str:
    lines = ["| server (distinct queries, JSON) | mix | requests | errors | req/s | p50 ms | p99 ms |",
             "|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['server']}, {r['clients']} clients | {r['mix']} | {r['requests']} | {r['errors']} | "
              f"{r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |" for r in rows]
    ours = rows[1]
    lines.append(f"\nThe endpoint served {ours['ratio_to_bare']:.2f}× the bare engine's requests per second on the "
                 f"same {ours['requests']} distinct ad-hoc queries; answers differing from it: "
                 f"{ours['answers_differing_from_oxigraph_serve']}.")
    return "\n".join(lines)


def machine() -> dict:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", type=Path, help="a build directory (default: build the bundled report)")
    parser.add_argument("--runs", type=int, default=20, help="at least this many timed runs per query and store")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per query and store after the minimum runs")
    parser.add_argument("--cap", type=float, help="stop a query after this many seconds (record it as capped)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000, help="endpoint requests (0 skips the endpoint)")
    parser.add_argument("--rdflib-requests", type=int, default=240,
                        help="requests for the rdflib-backed endpoint (slower; 0 skips it)")
    parser.add_argument("--stores", default="rdflib,oxigraph",
                        help="comma-separated stores to time the named queries on")
    parser.add_argument("--section", default="queries", help="the section of results.json to write")
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
        queries = bench_queries(graph, stores, args.runs, args.budget, args.cap)
        endpoint, distinct = [], []
        if args.requests:
            print("endpoint:", file=sys.stderr)
            endpoint.append(bench_endpoint(graph, "oxigraph", args.clients, args.requests, workers=4))
            if args.rdflib_requests:
                endpoint.append(bench_endpoint(graph, "rdflib", args.clients, args.rdflib_requests, workers=4))
            distinct = bench_endpoint_distinct(graph, args.clients, args.requests, workers=4)

    print(queries_table(queries))
    if endpoint:
        print("\n" + endpoint_table(endpoint))
    if distinct:
        print("\n" + distinct_table(distinct))
    save(args.section, {"machine": machine(), "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                        "graph": str(args.graph or "bundled report"), "named_queries": queries,
                        "endpoint": endpoint, "endpoint_distinct": distinct})
    return 0 if all(e["errors"] == 0 for e in endpoint + distinct) else 1


if __name__ == "__main__":
    sys.exit(main())
