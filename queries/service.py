"""Query execution for the endpoint: every query runs in a worker process with a deadline, a
row cap and a memory cap, and a worker that overruns is killed and replaced.

Input: an open ``Store`` and query texts or named queries with parameters. Output: a
``QueryResult``, or a ``QueryError`` subclass saying why not (``HTTP_STATUS`` maps each to the
status the endpoint answers with).

Why processes and not threads (measured, see README "How queries run"): rdflib's SPARQL parser,
which checks every ad-hoc query, is not thread-safe (rdflib #1282) and holds the GIL for ~4.5 ms
per query, so a lock around it would serve at most ~220 distinct queries a second on any
machine, and one slow parse (a 64 KB ``VALUES`` block) or one catastrophic regex on the rdflib
store would stop every other query; and neither engine can be interrupted, so a thread running
a cartesian product keeps its core for hours after the client got its 503. A process can be
killed at the deadline, can have its own address-space limit, parses on its own core, and its
crash (an aborted allocation inside Oxigraph) is not the server's.

How a worker gets the store: ``QueryService`` forks a *zygote* when it is created — before the
HTTP server starts its threads — after warming what every query uses (the label index, the
named queries parsed for rdflib). The zygote is single-threaded and only ever forks workers on
request, so each worker is a copy-on-write image of a process with no other threads: no lock
held by a thread that does not exist in the child, no second copy of the graph, and a new
worker in a few milliseconds. Each worker answers one query at a time over a socket pair.

Over 400 lines: the zygote, the worker loop and the pool depend on each other's process protocol;
apart they would export its internals.
"""

from __future__ import annotations

import ctypes
import os
import queue
import resource
import select
import signal
import socket
import stat
import struct
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing.connection import Connection

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from tiltaksgraf.errors import QueryError, TiltaksgrafError
from tiltaksgraf.graph.stores import QueryResult, QueryTimeout, RowLimitExceeded, Store, prepare_rdflib
from tiltaksgraf.queries import check, rq, runner
from tiltaksgraf.queries.check import QueryRefused, SparqlSyntaxError
from tiltaksgraf.queries.params import label_index
from tiltaksgraf.queries.runner import run_named_query, run_sparql

__all__ = ["QueryService", "ServiceBusy", "QueryTooLarge", "MemoryLimitExceeded", "WorkerFailed",
           "HTTP_STATUS", "http_status", "MAX_QUERY_BYTES", "DEFAULT_MEMORY_LIMIT_MB"]

MAX_QUERY_BYTES = 64 * 1024  # a hand-written query is a few KB; rdflib parses 64 KB in about a second
DEFAULT_MEMORY_LIMIT_MB = 1024  # address space a worker may add to what it inherits, per query
_KILL_GRACE = 0.2  # seconds past the deadline a worker gets to raise its own QueryTimeout
_DEMOTE_AFTER = 0.25  # seconds a query runs at full priority (every named query takes < 0.1 s)


class ServiceBusy(QueryError):
    """Every worker is busy and the queue is full."""


class QueryTooLarge(QueryError):
    """A query text (or named-query parameters) longer than the service reads."""


class MemoryLimitExceeded(QueryError):
    """The query needed more memory than a worker may use; its worker was replaced."""


class WorkerFailed(QueryError):
    """No worker process could be started (the machine is out of processes or memory)."""


# The one place the HTTP layer reads the status of a query error from (most specific first).
HTTP_STATUS: dict[type[QueryError], int] = {
    SparqlSyntaxError: 400,
    QueryRefused: 403,
    QueryTooLarge: 413,
    RowLimitExceeded: 422,
    QueryTimeout: 503,
    ServiceBusy: 503,
    MemoryLimitExceeded: 503,
    WorkerFailed: 503,
}


def http_status(exc: QueryError) -> int:
    """The HTTP status for a query error: 400 for anything not listed in ``HTTP_STATUS``."""
    return next((status for cls, status in HTTP_STATUS.items() if isinstance(exc, cls)), 400)


class QueryService:
    """Runs queries in ``workers`` worker processes, each query with a deadline (``timeout``
    seconds from its arrival, waiting for a worker included), a row cap and a memory cap.

    A query still running ``_KILL_GRACE`` after its deadline has its worker killed (SIGKILL:
    its CPU use ends there, whichever engine and whatever it was doing) and gets
    ``QueryTimeout``; a worker that runs out of memory (``memory_limit_mb`` of address space
    beyond what it inherits) gives ``MemoryLimitExceeded``. Either way a fresh worker takes its
    place. When every worker is busy a query waits for one until its deadline; when ``queue``
    queries already wait, new ones get ``ServiceBusy`` at once instead of piling up."""

    def __init__(self, store: Store, *, timeout: float = 10.0, max_rows: int = 10_000,
                 workers: int = 4, queue: int = 64, memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB,
                 max_query_bytes: int = MAX_QUERY_BYTES) -> None:
        self.store = store
        self.timeout = timeout
        self.max_rows = max_rows
        self.memory_limit_mb = memory_limit_mb
        self.max_query_bytes = max_query_bytes
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._pool = _ProcessPool(store, workers, memory_limit_mb)

    def sparql(self, text: str) -> QueryResult:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > self.max_query_bytes:
            raise QueryTooLarge(f"the query is {size:,} bytes; this server reads queries of at most "
                                f"{self.max_query_bytes:,} bytes",
                                hint="shorten it: put long lists of values in the graph, not the query")
        return self._run("sparql", (text,))

    def named(self, name: str, params: Mapping[str, str]) -> QueryResult:
        size = sum(len(str(k)) + len(str(v)) for k, v in params.items())
        if size > self.max_query_bytes:
            raise QueryTooLarge(f"the parameters are {size:,} characters; at most {self.max_query_bytes:,}")
        return self._run("named", (name, dict(params)))

    def worker_pids(self) -> list[int]:
        """The process ids of the current workers (for monitoring and tests)."""
        return self._pool.pids()

    def close(self) -> None:
        self._pool.close()

    def _run(self, kind: str, args: tuple) -> QueryResult:
        if not self._slots.acquire(blocking=False):
            raise ServiceBusy("the server is busy with other queries; try again shortly")
        try:
            deadline = time.monotonic() + self.timeout
            return self._pool.run((kind, args, self.max_rows, deadline), deadline,
                                  timeout_message=f"the query ran past the time limit of {self.timeout:g} s",
                                  memory_message=self._memory_message())
        finally:
            self._slots.release()

    def _memory_message(self) -> str:
        limit = f" ({self.memory_limit_mb:,} MiB per query)" if self.memory_limit_mb else ""
        return (f"the query needed more memory than this server allows{limit} and was stopped; "
                "narrow it (a LIMIT does not help ORDER BY over a product)")


# --- the parent's side ---------------------------------------------------------------------------


@dataclass(eq=False)
class _Worker:
    pid: int
    pidfd: int
    conn: Connection
    demoted: bool = False

    def demote(self) -> None:
        """Lower the priority of a long query, so that short queries beside it keep their
        latency: a fresh worker then gets about ten times the CPU share of a demoted one."""
        try:
            os.setpriority(os.PRIO_PROCESS, self.pid, min(19, os.getpriority(os.PRIO_PROCESS, self.pid) + 10))
            self.demoted = True
        except OSError:
            pass

    def kill(self) -> None:
        """SIGKILL, then wait (at most 2 s) until the process is gone, so its CPU is free when
        the caller answers."""
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            select.select([self.pidfd], [], [], 2.0)  # a pidfd is readable once its process ended
        except OSError:
            pass

    def release(self) -> None:
        self.conn.close()
        os.close(self.pidfd)


class _ProcessPool:
    """The zygote and its workers, seen from the serving process; thread-safe."""

    def __init__(self, store: Store, workers: int, memory_limit_mb: int | None) -> None:
        _warm(store)
        self._lock = threading.Lock()  # guards the zygote socket and ``_all``
        self._closed = False
        self._all: set[_Worker] = set()
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        parent_end, zygote_end = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # the zygote
            code = 1
            try:
                parent_end.close()
                _zygote(zygote_end, store, memory_limit_mb)
                code = 0
            finally:
                os._exit(code)
        zygote_end.close()
        self._zygote_pid = pid
        self._control = parent_end
        try:
            for _ in range(workers):
                self._idle.put(self._spawn())
        except BaseException:
            self.close()
            raise

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._all)

    def run(self, job: tuple, deadline: float, *, timeout_message: str, memory_message: str) -> QueryResult:
        if self._closed:
            raise WorkerFailed("the query service is closed")
        try:
            worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise QueryTimeout(timeout_message + " (waiting for a free worker)") from None
        healthy = False
        try:
            worker.conn.send(job)
            kill_at = deadline + _KILL_GRACE
            if not worker.conn.poll(max(0.0, min(kill_at, time.monotonic() + _DEMOTE_AFTER) - time.monotonic())):
                worker.demote()
                if not worker.conn.poll(max(0.0, kill_at - time.monotonic())):
                    raise QueryTimeout(timeout_message)
            outcome, payload = worker.conn.recv()
            # a demoted worker cannot get its priority back (that needs privileges): replace it
            healthy = outcome in ("ok", "error") and not worker.demoted
        except (EOFError, OSError):  # the worker died: out of memory (an abort in native code) or a crash
            raise MemoryLimitExceeded(memory_message) from None
        finally:
            self._give_back(worker, healthy)
        if outcome == "ok":
            return _decode_result(payload)
        if outcome == "error":
            error = _decode_error(payload)
            raise QueryTimeout(timeout_message) if isinstance(error, QueryTimeout) else error
        if outcome == "memory":
            raise MemoryLimitExceeded(memory_message)
        raise RuntimeError(f"a query worker failed:\n{payload}")  # a bug: the endpoint answers 500

    def _give_back(self, worker: _Worker, healthy: bool) -> None:
        if healthy:
            self._idle.put(worker)
            return
        worker.kill()
        with self._lock:
            self._all.discard(worker)
        worker.release()
        try:
            self._idle.put(self._spawn())
        except QueryError as exc:  # one fewer worker until a later replacement succeeds
            print(f"tiltaksgraf: {exc}", file=sys.stderr)

    def _spawn(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise WorkerFailed("the query service is closed")
            for _attempt in range(3):  # a worker that ended before the zygote could watch it: again
                try:
                    self._control.sendall(b"F")
                    message, fds, _flags, _address = socket.recv_fds(self._control, 16, 2)
                except OSError as exc:
                    raise WorkerFailed(f"cannot start a query worker: {exc}") from exc
                if len(message) == 4 and len(fds) == 2:
                    break
                for fd in fds:
                    os.close(fd)
                if not message:
                    raise WorkerFailed("cannot start a query worker: the process that starts them has ended",
                                       hint="restart the server")
            else:
                raise WorkerFailed("cannot start a query worker: each ended at once")
            worker = _Worker(struct.unpack("!i", message)[0], fds[1], Connection(fds[0]))
            self._all.add(worker)
            return worker

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._control.close()  # the zygote ends when it reads end-of-file
        for worker in workers:
            worker.kill()
            worker.release()
        try:
            os.waitpid(self._zygote_pid, 0)
        except ChildProcessError:
            pass


def _warm(store: Store) -> None:
    """Compute before forking what every worker would otherwise compute for itself: rdflib's
    SPARQL grammar (built on first import, ~0.5 s of CPU that a fresh worker would spend on
    its first query), the label index, and on rdflib the parsed named queries."""
    check.check_query("ASK {}")
    if store.kind == "endpoint":  # a remote store: nothing local to warm, and no call at start-up
        return
    label_index(store)
    runner._name_index(store)
    if store.kind == "rdflib":
        for query in rq.load_named_queries().values():
            prepare_rdflib(query.text)


# Results cross the process boundary as tuples of plain strings, not pickled rdflib terms:
# unpickling a Literal runs its constructor (lexical checks, normalisation) in the serving
# process, under its one GIL; the same terms recur, so the cached ``_term`` makes most of them free.


def _pack(term: Node | None) -> tuple | None:
    if term is None:
        return None
    if isinstance(term, URIRef):
        return ("u", str(term))
    if isinstance(term, BNode):
        return ("b", str(term))
    if isinstance(term, Literal):
        return ("l", str(term), term.language, str(term.datatype) if term.datatype else None)
    return ("l", str(term), None, None)


@lru_cache(maxsize=1 << 16)
def _term(packed: tuple) -> Node:
    if packed[0] == "u":
        return URIRef(packed[1])
    if packed[0] == "b":
        return BNode(packed[1])
    _kind, value, language, datatype = packed
    return Literal(value, lang=language, datatype=URIRef(datatype) if datatype else None)


def _encode_result(result: QueryResult) -> tuple:
    if result.kind == "SELECT":
        return ("SELECT", result.vars, [tuple(_pack(t) for t in row) for row in result.rows])
    if result.kind == "ASK":
        return ("ASK", result.boolean)
    graph = result.graph if result.graph is not None else Graph()
    return (result.kind, [tuple(_pack(t) for t in triple) for triple in graph],
            [(p, str(n)) for p, n in graph.namespaces()])


def _decode_result(payload: tuple) -> QueryResult:
    kind = payload[0]
    if kind == "SELECT":
        return QueryResult("SELECT", payload[1], [tuple(None if t is None else _term(t) for t in row)
                                                  for row in payload[2]])
    if kind == "ASK":
        return QueryResult("ASK", boolean=payload[1])
    graph = Graph()
    for prefix, namespace in payload[2]:
        graph.bind(prefix, namespace, override=True)
    for triple in payload[1]:
        s, p, o = (_term(t) for t in triple)
        graph.add((s, p, o))
    return QueryResult(kind, graph=graph)


_ERRORS = {cls.__name__: cls for cls in (*HTTP_STATUS, QueryError)}


def _encode_error(exc: TiltaksgrafError) -> tuple:
    # not pickled: the errors' keyword-only constructors do not survive unpickling
    name = type(exc).__name__ if type(exc).__name__ in _ERRORS else "QueryError"
    return (name, str(exc.args[0]) if exc.args else exc.detail, dict(vars(exc)))


def _decode_error(payload: tuple) -> QueryError:
    name, rendered, state = payload
    error: QueryError = Exception.__new__(_ERRORS[name])
    Exception.__init__(error, rendered)
    error.__dict__.update(state)
    return error


# --- the zygote and the workers (child processes: single-threaded, end with os._exit) ----------


def _zygote(control: socket.socket, store: Store, memory_limit_mb: int | None) -> None:
    """Fork a worker for every byte read from ``control``; end at end-of-file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which closes us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    _close_inherited_sockets(keep=control.fileno())
    while True:
        try:
            request = control.recv(1)
        except OSError:
            return
        if not request:
            return
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                control.close()
                ours.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _worker(theirs, store, memory_limit_mb)
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # ended already
            ours.close()
            control.sendall(b"?")
            continue
        try:
            socket.send_fds(control, [struct.pack("!i", pid)], [ours.fileno(), pidfd])
        finally:
            ours.close()
            os.close(pidfd)


def _close_inherited_sockets(keep: int) -> None:
    """Close the sockets the serving process had open (a listening socket would stay bound in
    us after the server closed it); files stay open, a persistent store uses them."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd == keep or fd <= 2:
            continue
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
        except OSError:
            pass


_PR_SET_PDEATHSIG = 1


def _worker(sock: socket.socket, store: Store, memory_limit_mb: int | None) -> None:
    """Answer jobs from ``sock`` one at a time until end-of-file."""
    zygote = os.getppid()
    try:  # die with the zygote (which ends with the server) even in the middle of a query
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != zygote:
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort must not write gigabytes of core
    # Errors travel back over the socket; what native code prints as it aborts ("memory
    # allocation of … bytes failed", a backtrace) would only clutter the server's log.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if memory_limit_mb:
        _limit_address_space(memory_limit_mb)
    conn = Connection(sock.detach())
    while True:
        try:
            kind, args, max_rows, deadline = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if kind == "sparql":
                result = run_sparql(store, *args, max_rows=max_rows, deadline=deadline)
            else:
                result = run_named_query(store, *args, max_rows=max_rows, deadline=deadline)
            reply: tuple = ("ok", _encode_result(result))
        except TiltaksgrafError as exc:
            reply = ("error", _encode_error(exc))
        except MemoryError:
            reply = ("memory", None)
        except BaseException as exc:  # noqa: BLE001 - pyo3's PanicException is a BaseException
            if "alloc" in str(exc).lower():
                reply = ("memory", None)
            else:
                reply = ("bug", traceback.format_exc())
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("memory", None))
        except (OSError, ValueError):
            return
        if reply[0] != "ok" and reply[0] != "error":
            return  # after running out of memory, a fresh worker is safer than this one


def _limit_address_space(memory_limit_mb: int) -> None:
    """Allow ``memory_limit_mb`` of address space beyond what the worker inherited: an
    allocation past it fails (MemoryError in Python, an abort in native code) instead of
    growing until the machine swaps."""
    size = 0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                size = int(line.split()[1]) * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + memory_limit_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
