"""Query execution under real use (issue 11): many clients each with their own query, runaway
queries, queries that need too much memory or are too long — on both stores, each on a real
``tiltaksgraf serve`` of its own (``serve`` in conftest).

Every request in the concurrency tests is a distinct text (its parameters varied), and every
answer is checked against the value it must have, computed here from the graph's triples in
Python (no SPARQL): a test that repeats its inputs, or only checks the status, cannot find a
race. CPU use is read from ``/proc`` for the server and every process under it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from rdflib import Graph

from tiltaksgraf.ontology.terms import TG

STORES = ["oxigraph", "rdflib"]
PREFIX = "PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>\n"
# a cartesian product that Oxigraph evaluates before its first row: it cannot stop by itself
PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?i != {k}) }}"
# rdflib's regular expressions backtrack: 2^k steps inside one call into the re module
REGEX = 'ASK {{ FILTER(REGEX("{a}!", "^(a+)+$")) }}'


def runaways(store: str, count: int) -> list[str]:
    """``count`` distinct queries that run for hours on ``store`` (half of them regexes on rdflib)."""
    out = []
    for k in range(count):
        if store == "rdflib" and k % 2:
            out.append(REGEX.format(a="a" * (30 + k)))
        else:
            out.append(PRODUCT.format(k=k))
    return out


@pytest.fixture(scope="module")
def numbers(built: Path) -> list[int]:
    """The measure numbers in the graph, read from its triples (no query engine involved)."""
    graph = Graph().parse(built / "graph.ttl")
    found = sorted(int(o) for _s, o in graph.subject_objects(TG.measureNumber))
    assert len(found) == 88
    return found


def distinct_query(i: int, numbers: list[int]) -> tuple[str, object, callable]:
    """Query number ``i`` (no two alike), the value it must answer, and how to read a reply."""
    low, width = i % 80, 1 + i // 80
    high = low + width
    inside = [n for n in numbers if low < n <= high]
    where = f"WHERE {{ ?m a tg:Measure ; tg:measureNumber ?x FILTER(?x > {low} && ?x <= {high}) }}"
    kind = i % 4
    if kind == 0:
        return PREFIX + f"SELECT (COUNT(?m) AS ?n) {where}", len(inside), _single
    if kind == 1:
        return PREFIX + f"SELECT (SUM(?x) AS ?n) {where}", sum(inside), _single
    if kind == 2:
        return PREFIX + f"SELECT ?x {where} ORDER BY ?x", inside, _column
    return PREFIX + f"ASK {{ ?m tg:measureNumber {i} }}", i in numbers, lambda doc: doc["boolean"]


def _single(document: dict) -> int:
    (row,) = document["results"]["bindings"]
    return int(row["n"]["value"]) if "n" in row else 0


def _column(document: dict) -> list[int]:
    return [int(row["x"]["value"]) for row in document["results"]["bindings"]]


def check(server, i: int, numbers: list[int], *, timeout: float = 30.0) -> str | None:
    """None when query ``i`` is answered with its value; otherwise what came back."""
    query, expected, read = distinct_query(i, numbers)
    try:
        reply = server.sparql(query, timeout=timeout)
    except OSError as exc:
        return f"#{i}: {exc!r}"
    if reply.status != 200:
        return f"#{i}: {reply.status} {reply.body[:160]!r}"
    got = read(reply.json())
    return None if got == expected else f"#{i}: {got!r}, expected {expected!r}"


def run_clients(clients: int, work) -> list[str]:
    """``work(k)`` in ``clients`` threads started together; the problems they return."""
    problems: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(k: int) -> None:
        barrier.wait(timeout=30)
        found = work(k)
        with lock:
            problems.extend(found)

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client never finished"
    return problems


# --- /proc ---------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the state on (the name may hold spaces)


def process_tree(root: int) -> list[int]:
    """``root`` and every live process under it."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat(int(name))
            if fields and fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time of each process still alive."""
    out = {}
    for pid in pids:
        fields = _stat(pid)
        if fields and fields[0] != "Z":
            out[pid] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


def tree_cpu(root: int) -> float:
    return sum(cpu_seconds(process_tree(root)).values())


def wait_for_busy_workers(root: int, count: int, limit: float = 10.0) -> None:
    """Poll until ``count`` processes under ``root`` have used CPU since the call."""
    start = cpu_seconds(process_tree(root))
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        now = cpu_seconds(process_tree(root))
        busy = [p for p, t in now.items() if p != root and t - start.get(p, 0.0) >= 0.05]
        if len(busy) >= count:
            return
        time.sleep(0.05)
    pytest.fail(f"{count} workers never got busy")


def tree_rss_mb(root: int) -> dict[int, float]:
    out = {}
    for pid in process_tree(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[pid] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return out


# --- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("clients", [8, 48])
def test_query_execution_distinct_concurrent_queries_are_all_answered_right(serve, numbers, store, clients):
    """Red team: 16–48 clients each with its own ad-hoc query got 19–100 % syntax errors
    (rdflib's parser shared between threads). Here 288 distinct queries: 0 wrong answers."""
    server = serve(store=store, timeout=30, workers=4)
    per_client = 288 // clients
    problems = run_clients(clients, lambda k: [p for r in range(per_client)
                                               if (p := check(server, k * per_client + r, numbers))])
    assert problems == [], f"{len(problems)} wrong answers of 288: {problems[:5]}"
    server.assert_healthy()


@pytest.mark.parametrize("store", STORES)
def test_query_execution_after_four_runaways_the_next_eight_queries_are_answered_right(serve, numbers, store):
    """Red team: after four concurrent runaways, every ad-hoc query got a syntax error (or 503
    for minutes); here the runaways get their time-limit error and the next 8 distinct queries
    are answered right, without waiting for the runaways to end by themselves."""
    server = serve(store=store, timeout=2.0, workers=4)
    started = time.monotonic()
    replies = run_clients(4, lambda k: [server.sparql(runaways(store, 4)[k], timeout=30)])
    took = time.monotonic() - started
    assert [r.status for r in replies] == [503] * 4, [r.body[:200] for r in replies]
    assert all("time limit" in r.error(503)["error"] for r in replies)
    assert took < server.timeout + 1.5, f"the time-limit errors came after {took:.1f} s"
    problems = run_clients(8, lambda k: [p for p in [check(server, 1000 + k, numbers, timeout=5)] if p])
    assert problems == []
    server.assert_healthy(within=1.0)


@pytest.mark.parametrize("store", STORES)
def test_query_execution_a_runaway_stops_using_cpu_within_a_second_of_its_limit(serve, store):
    """Red team: the client got its 503 but the engine kept the CPU (for hours). Here the
    worker is killed at the limit: a second after it, no process of the server uses CPU, the
    worker that ran the query is gone and a new one stands in its place."""
    server = serve(store=store, timeout=2.0, workers=2)
    workers_before = set(process_tree(server.process.pid)) - {server.process.pid}
    runaway = runaways(store, 2)[-1]  # the regex on rdflib, the product on Oxigraph
    started = time.monotonic()
    reply = server.sparql(runaway, timeout=30)
    assert "time limit" in reply.error(503)["error"]
    window = started + server.timeout + 1.0 - time.monotonic()
    if window > 0:  # measure from one second past the limit (not a wait for anything to happen)
        time.sleep(window)
    first = tree_cpu(server.process.pid)
    time.sleep(0.5)
    used = tree_cpu(server.process.pid) - first
    assert used < 0.1, f"the server's processes used {used:.2f} s of CPU in 0.5 s, 1 s after the limit"
    workers_after = set(process_tree(server.process.pid)) - {server.process.pid}
    assert len(workers_after) == len(workers_before)  # the zygote and the same number of workers
    assert len(workers_before - workers_after) == 1, "exactly the runaway's worker was replaced"
    server.assert_healthy(within=1.0)


@pytest.mark.parametrize("store", STORES)
def test_query_execution_ask_is_answered_within_a_second_while_eight_runaways_run(serve, numbers, store):
    server = serve(store=store, timeout=8.0, workers=10)
    hogs = [threading.Thread(target=server.sparql, args=(q,), kwargs={"timeout": 30}, daemon=True)
            for q in runaways(store, 8)]
    for hog in hogs:
        hog.start()
    wait_for_busy_workers(server.process.pid, 8)
    reply = server.sparql("ASK {}", timeout=10)
    assert reply.status == 200 and reply.json()["boolean"] is True
    assert reply.seconds < 1.0, f"ASK took {reply.seconds:.2f} s beside 8 runaways"
    started = time.monotonic()
    assert check(server, 2000, numbers, timeout=10) is None
    assert time.monotonic() - started < 1.0
    assert all(hog.is_alive() for hog in hogs), "the runaways ended before the measurement did"
    for hog in hogs:
        hog.join(timeout=30)


@pytest.mark.parametrize("store", STORES)
def test_query_execution_a_query_that_needs_too_much_memory_gets_503_and_the_server_stays(serve, numbers, store):
    """Red team: this 60-byte query grew the server to 6.5 GB until it aborted ("memory
    allocation failed"). Here its worker hits the memory limit (on Oxigraph an abort inside
    native code), the client gets 503 saying so, the server does not grow, and the worker is
    replaced."""
    server = serve(store=store, timeout=20.0, workers=2, memory_limit=256)
    root = server.process.pid
    before = server.rss_mb()
    workers_before = len(process_tree(root))
    query = "SELECT ?c ?f {?a ?b ?c. ?d ?e ?f} ORDER BY ?c ?f"
    reply = server.sparql(query, timeout=60)
    document = reply.error(503)
    assert "more memory than this server allows (256 MiB per query)" in document["error"], document
    assert server.rss_mb() - before < 50, f"the server grew from {before:.0f} to {server.rss_mb():.0f} MB"
    assert len(process_tree(root)) == workers_before
    largest = max(tree_rss_mb(root).values())
    assert largest < before + 300, f"a process of the server holds {largest:.0f} MB"
    assert check(server, 3000, numbers, timeout=5) is None
    server.assert_healthy(within=1.0)


@pytest.mark.parametrize("store", STORES)
def test_query_execution_long_queries_are_refused_and_slow_parses_block_nobody(serve, numbers, store):
    """Red team: four 0.87 MB VALUES queries (67 s to parse each) got every other query 503
    for two minutes. Over the 64 KB cap they are refused at once; a query just under it (about
    a second to parse) is parsed in a worker while the others are answered."""
    server = serve(store=store, timeout=10.0, workers=4)
    values = " ".join(f'"v{i}"' for i in range(110_000))  # 0.87 MB
    huge = [f"SELECT * WHERE {{ VALUES ?x {{ {values} }} FILTER(?x = \"v{k}\") }}" for k in range(4)]
    replies = run_clients(4, lambda k: [server.post("/sparql", huge[k].encode(), "application/sparql-query",
                                                    timeout=30)])
    for reply in replies:
        assert "at most 65,536 bytes" in reply.error(413)["error"]
        assert reply.seconds < 1.0
    slow_values = " ".join(f'"w{i}"' for i in range(8_000))
    # the comment's "from" sends it through rdflib's parser on the Oxigraph store too
    slow = PREFIX + f"# values from a long list\nSELECT (COUNT(?x) AS ?n) WHERE {{ VALUES ?x {{ {slow_values} }} }}"
    assert len(slow.encode()) < 65_536
    answer: list = []
    parser = threading.Thread(target=lambda: answer.append(server.post(
        "/sparql", slow.encode(), "application/sparql-query", timeout=30)), daemon=True)
    parser.start()
    wait_for_busy_workers(server.process.pid, 1)
    problems = run_clients(4, lambda k: [p for p in [check(server, 4000 + k, numbers, timeout=5)] if p])
    assert problems == []
    parser.join(timeout=30)
    assert answer and answer[0].status == 200 and _single(answer[0].json()) == 8_000
    server.assert_healthy()


def test_query_execution_a_catastrophic_regex_on_rdflib_holds_up_no_other_request(serve, numbers):
    """Red team: on --store rdflib one backtracking REGEX held the interpreter, so that even
    ``GET /`` waited 51 s. It now runs in a worker process of its own."""
    server = serve(store="rdflib", timeout=5.0, workers=2)
    hog = threading.Thread(target=server.sparql, args=(REGEX.format(a="a" * 34),), kwargs={"timeout": 30},
                           daemon=True)
    hog.start()
    wait_for_busy_workers(server.process.pid, 1)
    page = server.get("/", timeout=5)
    assert page.status == 200 and page.seconds < 0.5, f"GET / took {page.seconds:.2f} s"
    assert check(server, 5000, numbers, timeout=5) is None
    named = server.get("/queries/partners-of?" + urllib.parse.urlencode({"agency": "NKVTS"}), timeout=5)
    assert named.status == 200 and named.seconds < 1.0 and named.json()["results"]["bindings"]
    assert hog.is_alive(), "the regex ended before the measurement did"
    hog.join(timeout=30)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_query_execution_no_worker_outlives_the_server(serve, how):
    """The zygote ends when the server's end of its socket closes, and every worker dies with
    the zygote (PR_SET_PDEATHSIG), even one in the middle of a runaway query."""
    server = serve(store="oxigraph", timeout=30.0, workers=2)
    hog = threading.Thread(target=lambda: _ignore_errors(server.sparql, PRODUCT.format(k=1), timeout=60),
                           daemon=True)
    hog.start()
    wait_for_busy_workers(server.process.pid, 1)
    tree = process_tree(server.process.pid)
    assert len(tree) == 4  # the server, the zygote, two workers
    server.process.send_signal(how)
    server.process.wait(timeout=10)
    deadline = time.monotonic() + 5
    while (left := [p for p in tree[1:] if _stat(p) and _stat(p)[0] != "Z"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left == [], f"processes left behind: {left}"


def _ignore_errors(call, *args, **kwargs) -> None:
    try:
        call(*args, **kwargs)
    except OSError:
        pass
