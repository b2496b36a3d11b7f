"""How a query worker gets the store: forked from the zygote (what ``QueryService`` does) against
loading the build in a fresh process of its own, on a build directory.

Prints, for each store kind: the time to start the service with N workers, the time to replace
one worker (fork from the zygote, measured around ``_spawn``), and each worker's memory (its
proportional set size, Pss, and the pages it does not share, from ``/proc/PID/smaps_rollup``);
beside them the time and peak RSS of one process that imports the package and loads the same
store (what each worker would pay to load its own). All in this one run.

    python bench/bench_workers.py --graph out [--graph out-50] [--workers 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from common import PYTHON, run_measured, save

from tiltaksgraf.graph.stores import open_store
from tiltaksgraf.queries.service import QueryService


def smaps_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name.strip()] = int(value.split()[0]) / 1024
    return {"pss_mib": fields.get("Pss", 0.0),
            "private_mib": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)}


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(graph: Path, kind: str, workers: int) -> dict:
    loaded = time.perf_counter()
    store = open_store(graph, kind)
    load_s = time.perf_counter() - loaded
    started = time.perf_counter()
    service = QueryService(store, workers=workers)
    start_s = time.perf_counter() - started
    try:
        service.sparql("ASK { ?s ?p ?o }")
        spawns = []
        for _ in range(10):
            t0 = time.perf_counter()
            worker = service._pool._spawn()
            spawns.append(time.perf_counter() - t0)
            worker.kill()
            with service._pool._lock:
                service._pool._all.discard(worker)
            worker.release()
        for _ in range(workers * 4):  # every worker has answered a few queries
            service.named("partners-of", {"agency": "NKVTS"})
        memory = [smaps_mib(pid) for pid in service.worker_pids()]
    finally:
        service.close()
    own = run_measured([PYTHON, "-c", "import sys; from tiltaksgraf.graph.stores import open_store; "
                                      "open_store(sys.argv[1], sys.argv[2]).query('ASK { ?s ?p ?o }')",
                        str(graph), kind])
    row = {"graph": str(graph), "store": kind, "workers": workers, "server_rss_mib": rss_mib(),
           "store_load_s": load_s, "service_start_s": start_s, "spawn_ms_median": statistics.median(spawns) * 1000,
           "spawn_ms_max": max(spawns) * 1000,
           "worker_pss_mib": statistics.mean(m["pss_mib"] for m in memory),
           "worker_private_mib": statistics.mean(m["private_mib"] for m in memory),
           "own_load_s": own.seconds, "own_load_peak_rss_mib": own.peak_rss / 2**20}
    print(f"  {graph.name} {kind}: start {start_s * 1000:.0f} ms for {workers} workers, replace "
          f"{row['spawn_ms_median']:.1f} ms; worker Pss {row['worker_pss_mib']:.0f} MiB, private "
          f"{row['worker_private_mib']:.0f} MiB | own load {own.seconds:.2f} s, "
          f"peak {row['own_load_peak_rss_mib']:.0f} MiB",
          file=sys.stderr)
    del store
    return row


def table(rows: list[dict]) -> str:
    lines = ["| graph | store | start N workers ms | replace one ms | worker Pss MiB | worker private MiB | "
             "loading its own: s | its own peak RSS MiB |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {Path(r['graph']).name} | {r['store']} | {r['service_start_s'] * 1000:.0f} ({r['workers']}) | "
              f"{r['spawn_ms_median']:.1f} | {r['worker_pss_mib']:.0f} | {r['worker_private_mib']:.0f} | "
              f"{r['own_load_s']:.2f} | {r['own_load_peak_rss_mib']:.0f} |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", type=Path, action="append", required=True, help="a build directory (repeatable)")
    parser.add_argument("--stores", default="oxigraph,rdflib")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    rows = [measure(graph, kind, args.workers) for graph in args.graph for kind in args.stores.split(",")]
    print(table(rows))
    save("workers", {"rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
