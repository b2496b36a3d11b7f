"""The forked child's work: its result when it delivers one, the parent's own otherwise."""

from __future__ import annotations

import os

import pytest

from tiltaksgraf import forked
from tiltaksgraf.forked import Awaiting, Forked

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


@pytest.fixture
def core_free(monkeypatch):
    # also with other threads alive (servers of earlier tests): the children here run only our code
    monkeypatch.setattr(forked, "can_fork", lambda: True)


def test_forked_result_comes_from_the_child(core_free):
    parent = os.getpid()
    assert Forked(lambda: (os.getpid(), list(range(100_000)))).result()[0] != parent


def test_forked_result_is_computed_here_when_the_child_fails(core_free):
    parent = os.getpid()

    def work() -> int:
        if os.getpid() != parent:
            raise RuntimeError("only in the child")
        return 42

    assert Forked(work).result() == 42


def test_forked_error_reaches_the_parent_with_its_type(core_free):
    def work() -> int:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        Forked(work).result()


def test_forked_result_is_computed_here_without_a_core_to_spare(monkeypatch):
    monkeypatch.setattr(forked, "_core_free", lambda: False)
    assert not forked.can_fork()
    assert Forked(os.getpid).result() == os.getpid()


def test_forked_result_is_computed_here_when_told_not_to_fork(core_free):
    assert Forked(os.getpid, fork=False).result() == os.getpid()


@pytest.mark.parametrize("make", [lambda: Forked(os.getpid), lambda: Awaiting(_prepare, _work)],
                         ids=["forked", "awaiting-before-send"])
def test_cancel_reaps_the_child(core_free, make):
    job = make()
    assert job._child is not None
    pid = job._child._pid
    assert pid is not None
    job.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


# --- a child that prepares, then waits for its argument ------------------------------------------

_prepared: list[int] = []


def _prepare() -> None:
    _prepared.append(os.getpid())


def _work(arg: list[int]) -> tuple[int, bool, int]:
    """Who did the work, whether that process had prepared, and the argument's sum."""
    return os.getpid(), os.getpid() in _prepared, sum(arg)


def test_awaiting_child_prepares_then_works_on_what_is_sent(core_free):
    job = Awaiting(_prepare, _work)
    arg = list(range(300_000))  # pickled, ~1.5 MB: more than a pipe holds, sent while the child may still prepare
    job.send(arg)
    pid, prepared, total = job.result()
    assert pid != os.getpid() and prepared and total == sum(arg)
    assert os.getpid() not in _prepared  # the parent did not prepare: the child did


def test_awaiting_children_each_work_on_their_own_argument(core_free):
    jobs = [Awaiting(_prepare, _work) for _ in range(3)]
    for n, job in enumerate(jobs):
        job.send([n, 10 * n])
    assert [job.result()[2] for job in jobs] == [0, 11, 22]


def test_awaiting_work_is_done_here_when_the_child_dies(core_free):
    parent = os.getpid()

    def prepare() -> None:
        if os.getpid() != parent:
            os._exit(3)  # killed while it prepared, say

    job = Awaiting(prepare, _work)
    job.send([1, 2])
    assert job.result() == (parent, False, 3)


def test_awaiting_error_reaches_the_parent_with_its_type(core_free):
    def work(arg: str) -> None:
        raise ValueError(f"bad input {arg}")

    job = Awaiting(lambda: None, work)
    job.send("x")
    with pytest.raises(ValueError, match="bad input x"):
        job.result()


def test_awaiting_without_a_core_to_spare_works_here(monkeypatch):
    monkeypatch.setattr(forked, "_core_free", lambda: False)
    job = Awaiting(_prepare, _work)
    assert job._child is None
    job.send([5])
    assert job.result()[::2] == (os.getpid(), 5)
    _prepared.remove(os.getpid())


def test_awaiting_result_before_send_is_an_error(core_free):
    job = Awaiting(_prepare, _work)
    with pytest.raises(RuntimeError, match="before send"):
        job.result()
    job.cancel()


def test_nlp_analysis_split_over_two_processes_is_the_same(core_free, monkeypatch, report):
    from tiltaksgraf.extract import nlp

    assert forked.FORK_MIN_CHARS <= len(report.source.text) <= forked.FORK_MAX_CHARS
    split, _ = nlp.analyse_report(report)
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    whole, _ = nlp.analyse_report(report)
    assert split == whole
    segments = {id(s) for m in report.measures for s in m.segments}
    assert all(id(a.segment) in segments for a in split)  # the report's own segments, not copies


def test_extraction_with_its_halves_in_children_is_the_same(core_free, monkeypatch, report):
    from tiltaksgraf.pipeline import extract

    split = extract(report)
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    assert split == extract(report)
    assert len(split.relations) > 100


def test_relations_measure_halves_keep_a_measure_whole():
    from tiltaksgraf.extract.nlp import SegmentAnalysis
    from tiltaksgraf.extract.relations import _measure_halves
    from tiltaksgraf.records import Segment

    def analyses(*measures: int) -> list[SegmentAnalysis]:
        return [SegmentAnalysis(m, Segment("report", i, i + 1), (), ()) for i, m in enumerate(measures)]

    first, second = _measure_halves(analyses(1, 1, 2, 2, 2, 3))
    assert [a.measure for a in first] == [1, 1, 2, 2, 2] and [a.measure for a in second] == [3]
    assert _measure_halves(analyses(1))[1] == []
    assert _measure_halves(analyses(1, 2, 1, 2))[1] == []  # measure 1 on both sides: no cut
