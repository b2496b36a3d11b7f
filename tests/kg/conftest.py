"""Fixtures for the knowledge-graph tests: the bundled report extracted once, and a small
synthetic report with entities the gazetteer does not know (to see the patterns generalise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiltaksgraf.pipeline import bundled_report, extract_file

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="session")
def bundled_extraction():
    return extract_file(bundled_report())


@pytest.fixture(scope="session")
def mini_extraction():
    return extract_file(GOLDEN / "mini-report.txt")
