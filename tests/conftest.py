"""Shared fixtures: the bundled report (path, text, parsed once per session) and checks that
any parsed report must pass, whatever its encoding or layout variant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.extract.read import read_report
from tiltaksgraf.pipeline import bundled_report, extract_file
from tiltaksgraf.records import Report


@pytest.fixture(scope="session")
def report_path() -> Path:
    """The bundled status report (``data/…-status.txt``), with its metadata JSON beside it."""
    return bundled_report()


@pytest.fixture(scope="session")
def report_text(report_path: Path) -> str:
    return report_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled report built once for the whole session, without the HTML views (the tests
    that need views render their own). Treat it as read-only."""
    from tiltaksgraf.pipeline import build

    out = tmp_path_factory.mktemp("build") / "out"
    build([], out, write_views=False)
    return out


# Golden files shared by the stages' tests (a small synthetic report, its graph, held-out gold).
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="session")
def bundled_extraction():
    """The bundled report extracted once (NLP, resolution, relations)."""
    return extract_file(bundled_report())


@pytest.fixture(scope="session")
def mini_extraction():
    """A small synthetic report with entities the gazetteer does not know (to see the patterns
    generalise), extracted once."""
    return extract_file(GOLDEN / "mini-report.txt")


@pytest.fixture(scope="session")
def report(report_path: Path) -> Report:
    """The bundled report, read and parsed once. Frozen records: safe to share."""
    return parse_report(read_report(report_path))


def squash(text: str) -> str:
    """All whitespace removed: compares texts regardless of how lines were joined or wrapped."""
    return "".join(text.split())


def assert_offsets_exact(report: Report) -> None:
    """Every offset a parsed report carries points at the words it claims to."""
    text = report.source.text
    for m in report.measures:
        where = f"measure {m.number}"
        assert text[m.span.start:m.span.end].startswith(f"{m.number}."), where
        assert text.count("\n", 0, m.span.start) + 1 == m.line, where
        assert not text[m.span.end - 1].isspace(), where
        for seg in m.segments:
            piece = text[seg.start:seg.end]
            assert piece.strip(), f"{where}: blank {seg}"
            assert piece == piece.strip(), f"{where}: {seg} starts or ends with a blank"
            assert m.span.start <= seg.start < seg.end <= m.span.end, f"{where}: {seg} outside the span"
        for field, value in (("description", m.description), ("report", m.report_text)):
            joined = "".join(text[s.start:s.end] for s in m.segments if s.field == field)
            assert squash(joined) == squash(value), f"{where}: {field} is not the join of its segments"
        for section in m.sections:
            label = f"{section.ministry}:" if section.ministry else ""
            assert text[section.start:].startswith(label), f"{where}: section {section.ministry}"
            inside = [s for s in m.segments if s.field == "report" and section.start <= s.start < s.end <= section.end]
            assert inside and inside[0].start == section.start, f"{where}: section {section.ministry}"
            assert all(s.ministry == section.ministry for s in inside), f"{where}: section {section.ministry}"
            assert squash("".join(text[s.start:s.end] for s in inside)) == squash(section.text), where


@pytest.fixture(scope="session")
def check_offsets():
    """``check_offsets(report)`` asserts every span, segment and section offset is exact."""
    return assert_offsets_exact


# --- the quick subset: `python -m pytest -m "not slow" -o addopts=""` -----------------------------
# Marked here, in one place, rather than in each file: whole folders and files that build, fuzz,
# soak, start servers or browsers, and the single tests that take seconds (measured with
# --durations; most run the CLI or a second store over the whole graph). The whole suite stays
# `python -m pytest`.
SLOW_PATHS = ("tests/fuzz/", "tests/hostile/", "tests/test_bench.py", "tests/test_cli_build.py",
              "tests/graph/test_browser.py", "tests/test_cli.py", "tests/queries/test_two_reports.py",
              "tests/queries/test_push.py", "tests/test_readme.py", "tests/test_names.py",
              "tests/graph/test_commands.py", "tests/queries/test_query_commands.py")
SLOW_MARKERS = ("browser", "server")
SLOW_TESTS = {
    "test_graph_conforms_to_shapes", "test_graph_build_is_deterministic", "test_api_load_and_run_on_both_stores",
    "test_named_queries_stores_return_the_same_rows", "test_named_queries_entity_search",
    "test_docs_build_writes_html_page", "test_shapes_valid_graph_conforms",
    "test_network_triple_index_projects_as_rdflib_does",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        path = Path(str(item.path)).resolve()
        where = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        name = getattr(item, "originalname", item.name)  # a parametrized test's name without its ids
        if where.startswith(SLOW_PATHS) or any(item.get_closest_marker(m) for m in SLOW_MARKERS) or name in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


# One Chromium for every browser test (tests/graph, tests/explorer): Playwright's sync API allows
# one driver per thread, so two session fixtures of their own would collide.
@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium (the system's, driven by Playwright) for all browser tests."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tiltaksgraf.errors import InputError
    from tiltaksgraf.graph.viz import CHROMIUM_ARGS, find_chromium

    try:
        executable = find_chromium()
    except InputError:
        pytest.skip("no Chromium on this machine")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()
