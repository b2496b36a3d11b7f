"""Query execution for the endpoint: a pool of workers that runs each query with a deadline
and a row cap.

Input: an open ``Store`` and query texts or named queries with parameters. Output: a
``QueryResult``, or a ``QueryError`` subclass saying why not.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, TimeoutError as FutureTimeout
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any

from tiltaksgraf.errors import QueryError
from tiltaksgraf.graph.oxigraph_store import QueryResult, QueryTimeout, Store
from tiltaksgraf.queries.runner import run_named_query, run_sparql

__all__ = ["QueryService", "ServiceBusy"]


class ServiceBusy(QueryError):
    """Every worker is busy and the queue is full."""


class _Workers:
    """A fixed pool of daemon threads that run jobs and answer through ``Future`` objects.

    Not ``ThreadPoolExecutor``: the interpreter joins its threads when it exits, and a query
    inside Oxigraph cannot be stopped, so one runaway query kept ``tiltaksgraf serve`` (or any
    program with a server in it) from exiting after Ctrl-C for as long as the query ran."""

    def __init__(self, workers: int, name: str) -> None:
        self._jobs: SimpleQueue[tuple[Future, Callable[..., Any], tuple, dict] | None] = SimpleQueue()
        self._count = workers
        for i in range(workers):
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True).start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        self._jobs.put((future, fn, args, kwargs))
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            self._run(*job)
            del job

    @staticmethod
    def _run(future: Future, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the waiting thread, as ThreadPoolExecutor does
            future.set_exception(exc)
        else:
            future.set_result(result)

    def shutdown(self) -> None:
        """Cancel the jobs still waiting and let idle workers end; a running job runs on."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except Empty:
                break
            if job is not None:
                job[0].cancel()
        for _ in range(self._count):
            self._jobs.put(None)


class QueryService:
    """Runs queries in a fixed pool of worker threads, each with a deadline and a row cap.

    A request waits for its query at most ``timeout`` seconds and then answers 503; its slot in
    the pool stays taken until the query really ends. What happens to a runaway query: on
    rdflib it is stopped at its next triple-pattern lookup or algebra step after the deadline
    (see ``RdflibStore``), which for joins is within milliseconds; work that does neither — one
    huge sort, one catastrophic regex — and a query inside Oxigraph's native evaluator (which
    releases the GIL, so other threads run on, but cannot be interrupted) run to their end in
    their worker. So at most ``workers`` runaway queries burn CPU at once; when all workers and
    ``queue`` waiting places are taken, new queries get 503 at once instead of piling up, and the
    HTTP threads keep answering (the page, errors, queries that fit)."""

    def __init__(self, store: Store, *, timeout: float = 10.0, max_rows: int = 10_000,
                 workers: int = 4, queue: int = 16) -> None:
        self.store = store
        self.timeout = timeout
        self.max_rows = max_rows
        self._pool = _Workers(workers, "sparql-worker")
        self._slots = threading.BoundedSemaphore(workers + queue)

    def run(self, job: Callable[..., QueryResult], *args: Any, **kwargs: Any) -> QueryResult:
        if not self._slots.acquire(blocking=False):
            raise ServiceBusy("the server is busy with other queries; try again shortly")
        deadline = time.monotonic() + self.timeout
        try:
            future = self._pool.submit(job, self.store, *args, max_rows=self.max_rows, deadline=deadline, **kwargs)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _f: self._slots.release())
        try:
            return future.result(timeout=self.timeout + 0.05)
        except FutureTimeout:
            raise QueryTimeout(f"the query ran past the time limit of {self.timeout:g} s") from None

    def sparql(self, text: str) -> QueryResult:
        return self.run(run_sparql, text)

    def named(self, name: str, params: dict[str, str]) -> QueryResult:
        return self.run(run_named_query, name, params)

    def close(self) -> None:
        self._pool.shutdown()
