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

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from typing import BinaryIO, Generic, TypeVar

A = TypeVar("A")
T = TypeVar("T")


# A report of this many characters has the second half of its measures analysed, related and
# built into the graph in forked children, each on a free core while this process does the
# first half (each measure's part is independent of the others'): ~0.07, ~0.025 and ~0.015 s of
# the bundled report's (140,000 characters) build. Below the minimum, forking and sending the
# result back would cost more than they save; above the maximum, the child's pickled result
# would add to the peak memory of a large build. (Parsing the report in a child measured no
# faster: a fork copies the page tables of a process of ~300 MB, and each page this process
# writes while a child lives is copied too.)
FORK_MIN_CHARS = 50_000
FORK_MAX_CHARS = 4_000_000


def worth_splitting(chars: int) -> bool:
    """Whether work on a report of ``chars`` characters is worth splitting with a child now."""
    return FORK_MIN_CHARS <= chars <= FORK_MAX_CHARS and can_fork()


def halves(items: Sequence[T], size: Callable[[T], int]) -> tuple[Sequence[T], Sequence[T]]:
    """``items`` cut in two where half their total ``size`` lies before the cut: the part this
    process does and the part its child does."""
    sizes = [size(item) for item in items]
    half, total, cut = sum(sizes) / 2, 0, 0
    while cut < len(sizes) and total + sizes[cut] / 2 <= half:
        total += sizes[cut]
        cut += 1
    return items[:cut], items[cut:]


# This process's children still at work (their pids): the build's own, which ``_core_free`` does
# not count as load — the views' child importing its modules while the build forks its analysis.
_CHILDREN: set[int] = set()


def _own_children_running() -> int:
    """How many of ``_CHILDREN`` are running (or ready to run) this instant."""
    running = 0
    for pid in _CHILDREN:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                # "pid (name) state …": the name may hold spaces and parentheses, the state follows the last ")"
                running += f.read().rpartition(")")[2].split()[0] == "R"
        except (OSError, IndexError):
            pass
    return running


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
        return running - _own_children_running() < cores
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
        self._child = _Child(lambda _read: work()) if fork and can_fork() else None

    def result(self) -> T:
        delivered = self._child.collect() if self._child else None
        return delivered[0] if delivered is not None else self._work()

    def cancel(self) -> None:
        if self._child:
            self._child.cancel()


def beside(here: Callable[[], A], there: Callable[[], T]) -> tuple[A, T]:
    """``here()`` in this process while ``there()`` runs in a forked child (if ``can_fork()``),
    and both results; the child ended if ``here()`` fails."""
    child = Forked(there)
    try:
        own = here()
    except BaseException:
        child.cancel()
        raise
    return own, child.result()


class Awaiting(Generic[A, T]):
    """A child forked now (if ``can_fork()``) that first runs ``prepare()`` — importing what
    ``work`` needs, say, while this process does something else — and then waits for its
    argument: ``send(arg)``. ``result()`` is ``work(arg)``, from the child if it delivered it,
    else computed here (``prepare()`` included). ``cancel()`` ends the child unused.

    The argument goes to the child pickled, its length first: the child reads exactly that much,
    so it does not wait for an end of file that a later fork of this process (holding a copy of
    the pipe) would delay. ``send`` returns once the child has read what a pipe does not hold
    (64 KiB): at once, or when it is done preparing."""

    def __init__(self, prepare: Callable[[], object], work: Callable[[A], T]) -> None:
        self._prepare, self._work = prepare, work
        self._arg: tuple[A] | None = None
        self._child = _Child(self._ready_then_work, takes_input=True) if can_fork() else None

    def _ready_then_work(self, read: BinaryIO | None) -> T:
        self._prepare()
        assert read is not None
        size = int.from_bytes(_read_exactly(read, 8), "little")
        return self._work(pickle.loads(_read_exactly(read, size)))

    @property
    def forked(self) -> bool:
        """Whether a child is working (else everything is done here)."""
        return self._child is not None and self._child.running

    def send(self, arg: A) -> None:
        self._arg = (arg,)
        if self._child and not self._child.send(pickle.dumps(arg, protocol=pickle.HIGHEST_PROTOCOL)):
            self._child.cancel()  # it died before reading: the work is done here
            self._child = None

    def result(self) -> T:
        if self._arg is None:
            raise RuntimeError("Awaiting.result() before send()")
        delivered = self._child.collect() if self._child else None
        if delivered is not None:
            return delivered[0]
        self._prepare()
        return self._work(self._arg[0])

    def cancel(self) -> None:
        if self._child:
            self._child.cancel()


class _Child(Generic[T]):
    """A forked child computing ``work(its input)`` (the read end of a pipe from this process,
    with ``takes_input``; else None) and sending the result back pickled; nothing if the fork
    failed (``collect()`` is then None)."""

    def __init__(self, work: Callable[[BinaryIO | None], T], *, takes_input: bool = False) -> None:
        self._pid: int | None = None
        self._read = self._write = -1
        result_read, result_write = os.pipe()
        input_read, input_write = os.pipe() if takes_input else (-1, -1)
        try:
            pid = os.fork()
        except OSError:  # no process to be had (EAGAIN, ENOMEM): the work is done here
            for fd in (result_read, result_write, input_read, input_write):
                if fd >= 0:
                    os.close(fd)
            return
        if pid == 0:  # the child: never returns to the caller's code, never runs exit handlers
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C reaches the parent too; it reports it
                _CHILDREN.clear()  # its parent's, not its own
                os.close(result_read)
                if input_write >= 0:
                    os.close(input_write)
                with (os.fdopen(input_read, "rb") if input_read >= 0 else contextlib.nullcontext()) as given:
                    data = pickle.dumps(work(given), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(result_write, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(result_write)
        if input_read >= 0:
            os.close(input_read)
        self._pid, self._read, self._write = pid, result_read, input_write
        _CHILDREN.add(pid)

    @property
    def running(self) -> bool:
        return self._pid is not None

    def send(self, data: bytes) -> bool:
        """Send ``data`` (its length first) to the child's input; False if it is gone."""
        if self._pid is None or self._write < 0:
            return False
        fd, self._write = self._write, -1
        try:
            with os.fdopen(fd, "wb") as into:
                into.write(len(data).to_bytes(8, "little") + data)
            return True
        except OSError:  # BrokenPipeError: it died (its result is then lost anyway)
            return False

    def cancel(self) -> None:
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.collect()

    def collect(self) -> tuple[T] | None:
        """The child's result, read to the end before the child is reaped (it blocks on a full
        pipe until then); None if it did not deliver one."""
        if self._pid is None:
            return None
        pid, self._pid = self._pid, None
        if self._write >= 0:  # never sent: nothing more will be
            os.close(self._write)
            self._write = -1
        try:
            with os.fdopen(self._read, "rb") as pipe:
                data = pipe.read()
        finally:
            _, status = os.waitpid(pid, 0)
            _CHILDREN.discard(pid)
        if status != 0 or not data:
            return None
        try:
            return (pickle.loads(data),)
        except Exception:  # a truncated or unreadable result: as if there were none
            return None


def _read_exactly(f: BinaryIO, size: int) -> bytes:
    data = f.read(size)
    if len(data) != size:
        raise EOFError("the parent sent nothing more")  # it failed or was cancelled: nothing to do
    return data
