"""The endpoint's connection limits: how long a client may take, and how many may be open.

Input: the sockets ``EndpointServer`` accepts, and what each handler thread says it is doing
with its socket. Output: sockets that read with a deadline (``DeadlineReader``), and a registry
(``Connections``) that keeps the number of open connections under a cap by closing the
connections that wait longest for a request, so idle sockets can never make the server
unreachable.

Three limits, after what maintained servers enforce (nginx's ``keepalive_timeout`` and
``client_header_timeout``, waitress's ``channel_timeout`` and ``connection_limit``):

- ``idle_timeout``: a connection that sends nothing, before its first request or between
  keep-alive requests, is closed after this many seconds (also the limit on a stalled write);
- ``request_timeout``: once a request's first byte has arrived, its line and headers must all
  arrive within this many seconds, and then its body within as many again; a client sending a
  byte a second (slowloris) is cut off however often it sends;
- ``max_connections``: at the cap, a new connection closes the connection that has waited
  longest for (the rest of) a request; only when every connection is running a request is the
  new one refused with 503. The cap stays below the process's open-file limit, because
  ``accept()`` fails for everyone once the descriptors run out.
"""

from __future__ import annotations

import io
import resource
import socket
import threading
import time
from dataclasses import dataclass

__all__ = ["Connections", "DeadlineReader", "Limits", "connection_cap", "raise_file_limit"]

_SPARE_FILES = 128  # descriptors left for the store, log files, worker pipes, the listener


@dataclass(frozen=True)
class Limits:
    idle_timeout: float = 30.0
    request_timeout: float = 10.0
    max_connections: int = 1000


def connection_cap(wanted: int) -> int:
    """``wanted``, lowered to what the open-file limit lets this process hold open."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return min(wanted, max(8, soft - _SPARE_FILES))


def raise_file_limit(target: int = 65_536) -> None:
    """Raise the soft open-file limit towards the hard one (as servers do at start): the default
    1,024 would cap a shared server at under 900 connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = target if hard == resource.RLIM_INFINITY else min(hard, target)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        except (ValueError, OSError):  # not allowed here: the cap follows the limit as it is
            pass


class DeadlineReader(io.RawIOBase):
    """A socket's read side whose every ``recv`` waits at most until ``deadline`` (when set), or
    ``idle`` seconds (when not): a deadline for a whole request head, which a per-``recv``
    timeout cannot give against a client that sends a byte just before each timeout."""

    def __init__(self, sock: socket.socket, idle: float) -> None:
        self._sock = sock
        self._idle = idle
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # a memoryview in, the count out
        if self.deadline is None:
            return self._sock.recv_into(buffer)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the client took too long to send its request")
        self._sock.settimeout(min(remaining, self._idle))
        try:
            return self._sock.recv_into(buffer)
        finally:
            self._sock.settimeout(self._idle)


class Connections:
    """The open connections and what each is doing: ``waiting`` (for a request, or the rest of
    one: these may be closed to make room) or ``busy`` (running a request)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._open: dict[socket.socket, tuple[bool, float]] = {}  # socket → (waiting, since)

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, sock: socket.socket) -> bool:
        """Count a new connection in, closing the longest-waiting one when at the cap; False
        when every open connection is busy (the caller refuses the new one)."""
        with self._lock:
            if len(self._open) >= self.limit:
                waiting = [(since, s) for s, (is_waiting, since) in self._open.items() if is_waiting]
                if not waiting:
                    return False
                _since, oldest = min(waiting, key=lambda item: item[0])
                del self._open[oldest]
                _hang_up(oldest)  # its thread sees the end of the stream and closes it
            self._open[sock] = (True, time.monotonic())
            return True

    def waiting(self, sock: socket.socket) -> None:
        self._mark(sock, True)

    def busy(self, sock: socket.socket) -> None:
        self._mark(sock, False)

    def _mark(self, sock: socket.socket, is_waiting: bool) -> None:
        with self._lock:
            if sock in self._open:  # not when it was closed to make room meanwhile
                self._open[sock] = (is_waiting, time.monotonic())

    def running(self) -> int:
        """How many connections are running a request now."""
        with self._lock:
            return sum(not is_waiting for is_waiting, _since in self._open.values())

    def forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.pop(sock, None)

    def hang_up_all(self) -> None:
        """Close every connection's stream (at server close), so no handler thread waits on."""
        with self._lock:
            for sock in list(self._open):
                _hang_up(sock)
            self._open.clear()


def _hang_up(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already gone
        pass
