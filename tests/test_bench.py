"""The one benchmark command runs end to end: a small run of ``bench/run.py`` writes every section
of results.json and every table of results.md. It checks that the benchmark works, not how fast
anything is (timings belong to the benchmark, not to tests on a shared machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "run.py"


def test_bench_run_small(tmp_path: Path) -> None:
    argv = [sys.executable, str(BENCH), "--repeat", "1", "--sizes", "1,2", "--runs", "1", "--budget", "0",
            "--requests", "16", "--rdflib-cap", "5", "--results", str(tmp_path)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert set(results) == {"build", "scale", "queries", "queries_2x", "workers"}
    assert all(step["ratio"] > 0 for step in results["build"].values())
    assert [r["reports"] for r in results["scale"]["results"]["build"]["rows"]] == [1, 2]
    endpoint = results["queries"]["endpoint"]
    assert [e["store"] for e in endpoint] == ["oxigraph", "rdflib"] and all(e["errors"] == 0 for e in endpoint)
    distinct = results["queries"]["endpoint_distinct"]
    assert [(d["server"], d["mix"]) for d in distinct] == [
        ("oxigraph serve", "ad-hoc"), ("tiltaksgraf serve", "ad-hoc"), ("tiltaksgraf serve", "named")]
    assert all(d["errors"] == 0 for d in distinct) and distinct[1]["answers_differing_from_oxigraph_serve"] == 0
    assert [(w["store"], w["workers"]) for w in results["workers"]["rows"]] == [("oxigraph", 4), ("rdflib", 4),
                                                                                ("oxigraph", 4)]
    named = results["queries_2x"]["named_queries"]
    assert {r["store"] for r in named} == {"rdflib", "oxigraph"}
    assert all("p95_ms" in r for r in named if r["store"] == "oxigraph")  # Oxigraph is never capped

    tables = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert tables.count("### ") == 7 and "p95 ≤ 100 ms" in tables and "oxigraph serve" in tables
    assert done.stdout.strip() == tables.strip()
