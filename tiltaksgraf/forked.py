"""Work done in a forked child process, on the second CPU core, while this one does its own part.

A build is one Python process, and most of it is Python code that holds the interpreter's lock;
the development machine and most users' have two cores or more. A forked child shares what is
loaded (spaCy's pipeline included, copy-on-write) and needs nothing sent to it; it sends its
result back pickled through a pipe.

The child's result is only a shortcut: when it cannot be had (no ``fork`` on this platform,
other threads running — a fork copies their locks held —, the child raised, died or was killed),
the caller's own process computes the same thing itself, so errors come from the parent with
their ordinary traceback and a failed child changes nothing but the time.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    """Whether a child would run beside this process: only with a core to spare, and only in a
    process with one thread (a child of a threaded one inherits the other threads' locks as they
    were, held perhaps, and no thread to release them)."""
    return hasattr(os, "fork") and threading.active_count() == 1 and _core_free()


def _core_free() -> bool:
    """A core this process may use is idle now: when every core is busy, a child only takes
    turns with this process, and costs it the fork. Linux counts the tasks running or ready to
    run this instant, this process included (``/proc/loadavg``); elsewhere the last minute's load
    average stands in, which a build's own work raises."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2:
        return False
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            running = int(f.read().split()[3].split("/")[0])
        return running < cores
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.getloadavg()[0] < cores - 1
    except OSError:  # no load average either: assume what most machines are, mostly idle
        return True


class Forked(Generic[T]):
    """``work()`` started in a child process (if ``fork`` and ``can_fork()``); ``result()`` is its
    value, from the child if it delivered one, else computed here. ``cancel()`` ends the child
    unused."""

    def __init__(self, work: Callable[[], T], *, fork: bool = True) -> None:
        self._work = work
        self._pid: int | None = None
        self._read = -1
        if fork and can_fork():
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to be had (EAGAIN, ENOMEM): the work is done here
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: never returns to the caller's code, never runs exit handlers
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C reaches the parent too; it reports it
                os.close(read)
                data = pickle.dumps(self._work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._read = pid, read

    def result(self) -> T:
        delivered = self._collect()
        return delivered[0] if delivered is not None else self._work()

    def cancel(self) -> None:
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._collect()

    def _collect(self) -> tuple[T] | None:
        """The child's result, read to the end before the child is reaped (it blocks on a full
        pipe until then); None if it did not deliver one."""
        if self._pid is None:
            return None
        pid, self._pid = self._pid, None
        try:
            with os.fdopen(self._read, "rb") as pipe:
                data = pipe.read()
        finally:
            _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return None
        try:
            return (pickle.loads(data),)
        except Exception:  # a truncated or unreadable result: as if there were none
            return None

