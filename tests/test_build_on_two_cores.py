"""A build with a core to spare: the views drawn in a child (forked at the start, it imports the
views' libraries while the reports are read) while the graph is written, half of each report's
analysis and relations in children (``tiltaksgraf/pipeline``, ``tiltaksgraf/forked``). Its files
must be byte for byte those of a build done in one process, its errors the same, and its own
process must never import the views' libraries.

Each two-core build runs in a fresh process told that a core is free (the test process may have
server threads running, and the machine's load is not the test's to choose)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tiltaksgraf import forked
from tiltaksgraf.errors import TiltaksgrafError
from tiltaksgraf.pipeline import build

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")]

# Builds in a fresh process with a core free; prints what it forked, what the build process
# imported, and the error a failed build raised.
_PROBE = """
import json, os, sys
from tiltaksgraf import forked, pipeline
from tiltaksgraf.errors import TiltaksgrafError

forked._core_free = lambda: True
if os.environ.get("TG_PROBE_MEMORY"):  # too little memory for the build: it is refused at once
    pipeline.available_memory = lambda: int(os.environ["TG_PROBE_MEMORY"])
children = []
for cls in (forked.Forked, forked.Awaiting):
    def spy(self, *args, _init=cls.__init__, _name=cls.__name__, **kwargs):
        _init(self, *args, **kwargs)
        children.append(_name if self._child is not None else "none")
    cls.__init__ = spy
error = None
try:
    pipeline.build(sys.argv[3:], sys.argv[2], write_views=sys.argv[1] != "no-views",
                   views_lang=sys.argv[1] if sys.argv[1] != "no-views" else "nb")
except TiltaksgrafError as exc:
    error = {"message": str(exc), "path": exc.path, "line": exc.line}
try:
    os.waitpid(-1, os.WNOHANG)
    left = True  # a child not reaped (or still running)
except ChildProcessError:
    left = False
print(json.dumps({"children": children, "error": error, "children_left": left,
                  "imported": sorted(m for m in ("networkx", "pyvis", "tiltaksgraf.graph.viz") if m in sys.modules)}))
"""


def _two_core_build(out: Path, *reports: Path, views: str | None = "nb", memory: int | None = None) -> dict:
    """``views``: their interface's language, None for a build without them."""
    argv = [sys.executable, "-c", _PROBE, views or "no-views", str(out), *map(str, reports)]
    env = {**os.environ, **({"TG_PROBE_MEMORY": str(memory)} if memory else {})}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert not probe["children_left"], "a child of the build outlived it"
    return probe


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("lang", ["nb", "en", None], ids=["views", "views-en", "no-views"])
def test_two_core_build_writes_the_files_of_a_one_process_build(tmp_path, monkeypatch, lang):
    views = lang is not None
    probe = _two_core_build(tmp_path / "two", views=lang)
    # the views drawn in an Awaiting child; half the analysis, half the relations and, without the
    # views' child (the second core is its while it draws), half the graph's measures in Forked ones
    assert probe["children"] == (["Awaiting", "Forked", "Forked"] if views else ["Forked"] * 3), probe
    assert probe["error"] is None
    assert probe["imported"] == [], "the build's own process imported the views' libraries"

    monkeypatch.setattr(forked, "can_fork", lambda: False)
    build([], tmp_path / "one", write_views=views, views_lang=lang or "nb")
    two, one = _files(tmp_path / "two"), _files(tmp_path / "one")
    pages = ["collaboration.html", "overview.html"] * views
    assert sorted(two) == sorted(["graph.trig", "graph.ttl", "measures.json", *pages])
    assert sorted(two) == sorted(one)
    for name in one:
        assert two[name] == one[name], name


def test_two_core_build_of_two_reports_writes_the_files_of_a_one_process_build(tmp_path, monkeypatch, report_path,
                                                                               report_text):
    later = tmp_path / "status-2021.txt"
    later.write_text(report_text.replace("Påbegynt - løpende", "Ferdig", 3), encoding="utf-8")
    probe = _two_core_build(tmp_path / "two", report_path, later)
    assert probe["children"] == ["Awaiting"] + ["Forked", "Forked"] * 2 and probe["error"] is None

    monkeypatch.setattr(forked, "can_fork", lambda: False)
    build([report_path, later], tmp_path / "one")
    assert _files(tmp_path / "two") == _files(tmp_path / "one")


def test_two_core_build_of_a_bad_report_fails_as_a_one_process_build(tmp_path, monkeypatch, report_text):
    """The views' child, forked before the report was read, is ended; the error is the same."""
    bad = tmp_path / "dobbel.txt"
    start = report_text.index("\n40. BFD ")
    bad.write_text(report_text + report_text[start:report_text.index("\n41. ", start)], encoding="utf-8")
    probe = _two_core_build(tmp_path / "two", bad)
    assert probe["children"] == ["Awaiting"]

    monkeypatch.setattr(forked, "can_fork", lambda: False)
    with pytest.raises(TiltaksgrafError) as caught:
        build([bad], tmp_path / "one")
    assert probe["error"] == {"message": str(caught.value), "path": str(bad), "line": caught.value.line}
    assert caught.value.line is not None
    assert not (tmp_path / "two").exists() and not (tmp_path / "one").exists()


def test_two_core_build_refused_for_memory_forks_nothing(tmp_path):
    probe = _two_core_build(tmp_path / "two", memory=2**20)
    assert probe["children"] == [] and "not enough memory" in probe["error"]["message"]
    assert not (tmp_path / "two").exists()
