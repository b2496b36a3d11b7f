"""The cyclic garbage collector, spared while a command or a build runs.

A command imports spaCy, rdflib, networkx … (a few hundred thousand objects that live as long as
the process), and a build allocates as many more that live until it ends (records, spaCy docs,
terms, quads), making little cyclic garbage. At the default threshold (a collection every 700
allocations) the collector traversed them all over and over: ~0.08 s of every command's start and
0.1–0.3 s of a 1.5 s build of the bundled report. They are not garbage.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

THRESHOLD = 50_000  # allocations between collections of the youngest generation


@contextlib.contextmanager
def relaxed(*, freeze: bool = False) -> Iterator[None]:
    """The youngest generation collected every ``THRESHOLD`` allocations inside the block and,
    with ``freeze``, what was alive before it frozen (never scanned; it lives on anyway). Both are
    undone after it, failed or not; a caller that froze objects itself keeps its own freeze."""
    thresholds = gc.get_threshold()
    frozen_here = freeze and not gc.get_freeze_count()
    if frozen_here:
        gc.freeze()
    gc.set_threshold(max(thresholds[0], THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if frozen_here:
            gc.unfreeze()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No collection inside the block, and what it made counted as old after it: for importing
    a stack of libraries, whose few hundred thousand objects are module state that lives as long
    as the process. The collections a relaxed threshold still makes while spaCy and rdflib import
    traverse them for nothing (~0.012 s of a build); re-enabled as they were, the collector would
    traverse them all at once at the next allocation."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # into the oldest generation without a traversal (frozen, then thawed into it); objects a
        # caller froze itself stay frozen, these with them
        thawed = not gc.get_freeze_count()
        gc.freeze()
        if thawed:
            gc.unfreeze()
        if was_enabled:
            gc.enable()
