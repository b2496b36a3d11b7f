"""Long inputs (issue 12): measures numbered 1000 and up are read, never folded into measure 999;
a line that opens like the next measure but cannot be read as one is refused with its line; texts
over spaCy's 1,000,000-character limit are analysed in pieces; one long sentence costs linear time.

The large reports are the bundled one's rows repeated and renumbered (``bench/bigreport.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tiltaksgraf.errors import ParseError
from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.records import ReportMetadata, SourceDocument

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bigreport import renumbered_report  # noqa: E402


def _doc(text: str, name: str = "big.txt") -> SourceDocument:
    return SourceDocument(path=name, text=text, encoding="utf-8", sha256="0" * 64,
                          metadata=ReportMetadata(plan_key="big", plan_title="Big"))


@pytest.fixture(scope="module")
def text_1200() -> str:
    return renumbered_report(1200)


def test_long_measures_past_999_are_read(text_1200):
    report = parse_report(_doc(text_1200))
    assert [m.number for m in report.measures] == list(range(1, 1201))
    # measure 999 is measure 31's row again (999 = 11 × 88 + 31): same text, not 200 rows more
    assert report.measure(999).report_text == report.measure(31).report_text
    assert report.measure(1000).report_text == report.measure(32).report_text
    assert report.measure(1200).description == report.measure(1200 - 13 * 88).description


def test_long_unreadable_measure_start_is_refused_with_its_line(text_1200):
    # an ANSVAR cell no reader can take as ministries ("Xyzzy"): once silently merged into 1000
    lines = text_1200.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("1001. "))
    lines[at] = "1001. Xyzzy " + lines[at][len("1001. "):].split(" ", 1)[1]
    with pytest.raises(ParseError) as caught:
        parse_report(_doc("\n".join(lines)))
    assert str(caught.value).startswith(f"big.txt:{at + 1}: this line starts like measure 1001, but it cannot be read")
    assert "read 1000 measures" in str(caught.value)


def test_long_last_measure_cannot_swallow_the_next():
    text = renumbered_report(3) + "4. Xyzzy Gjøre noe mer.\n"
    with pytest.raises(ParseError, match=r"starts like measure 4.*merged into measure 3"):
        parse_report(_doc(text))
