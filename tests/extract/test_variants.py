"""The bundled report as other tools emit it must give the same 88 measures. Each variant is
generated here from the bundled text and written to a temporary file, so the reader and the
parser see it exactly as a user's file."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.extract.read import read_report
from tiltaksgraf.records import ReportMetadata

HEADER_LINE = re.compile(r"(?m)^(?=[ \t]*NR\. ANSVAR)")
URL_LINE = re.compile(r"(?m)^[ \t]*https?://\S+[ \t]*\n")
TYPOGRAPHY = str.maketrans({"–": "-", "—": "-", "«": '"', "»": '"', "“": '"', "”": '"', "’": "'"})
METADATA = ReportMetadata(plan_key="variant", plan_title="Variant")


def _every_other_space_nbsp(text: str) -> str:
    flip = iter(range(len(text)))
    return re.sub(" ", lambda _m: "\u00a0" if next(flip) % 2 else " ", text)


def _cp1252(text: str) -> str:
    """What survives a trip through Windows-1252 (the symbol-font bullet U+F0B7 does not)."""
    return text.encode("cp1252", errors="replace").decode("cp1252")


@dataclass(frozen=True)
class Variant:
    id: str
    make: Callable[[str], bytes]
    encoding: str = "utf-8"
    fold: Callable[[str], str] = lambda s: s  # applied to the bundled report's texts before comparing
    has_urls: bool = True


VARIANTS = [
    Variant("crlf", lambda t: t.replace("\n", "\r\n").encode("utf-8")),
    Variant("utf8-bom", lambda t: t.encode("utf-8-sig"), encoding="utf-8-sig"),
    Variant("form-feeds", lambda t: HEADER_LINE.sub("\f", t).encode("utf-8")),
    Variant("form-feed-lines", lambda t: HEADER_LINE.sub("\f\n", t).encode("utf-8")),
    Variant("nbsp", lambda t: _every_other_space_nbsp(t).encode("utf-8")),
    Variant("trailing-blanks-stripped", lambda t: "\n".join(ln.rstrip(" \t") for ln in t.split("\n")).encode("utf-8")),
    Variant("ascii-typography", lambda t: t.translate(TYPOGRAPHY).encode("utf-8"),
            fold=lambda s: s.translate(TYPOGRAPHY)),
    Variant("no-url-footnotes", lambda t: URL_LINE.sub("", t).encode("utf-8"), has_urls=False),
    Variant("cp1252", lambda t: t.encode("cp1252", errors="replace"), encoding="cp1252", fold=_cp1252),
    Variant("utf-16", lambda t: t.encode("utf-16"), encoding="utf-16"),
    Variant("utf-16-be", lambda t: b"\xfe\xff" + t.encode("utf-16-be"), encoding="utf-16"),
    # what pdftotext on Windows tends to give: all of BOM, CRLF and form feeds at once
    Variant("windows-pdftotext", lambda t: HEADER_LINE.sub("\f", t).replace("\n", "\r\n").encode("utf-8-sig"),
            encoding="utf-8-sig"),
]


def fold_blanks(text: str) -> str:
    return " ".join(text.split())  # str.split() also splits on NBSP, form feed and CR


@pytest.fixture(params=VARIANTS, ids=lambda v: v.id)
def variant(request, report_text, tmp_path):
    v: Variant = request.param
    path = tmp_path / f"{v.id}.txt"
    path.write_bytes(v.make(report_text))
    doc = read_report(path, METADATA)
    return v, doc, parse_report(doc)


def test_variants_reader_reports_encoding(variant):
    v, doc, _report = variant
    assert doc.encoding == v.encoding
    assert not doc.text.startswith("\ufeff")


def test_variants_give_the_same_88_measures(variant, report):
    v, _doc, parsed = variant
    assert [m.number for m in parsed.measures] == list(range(1, 89))
    for expected, actual in zip(report.measures, parsed.measures):
        where = f"{v.id}: measure {expected.number}"
        assert actual.ministries == expected.ministries, where
        assert actual.status == expected.status, where
        assert fold_blanks(actual.status_raw) == fold_blanks(v.fold(expected.status_raw)), where
        assert fold_blanks(actual.description) == fold_blanks(v.fold(expected.description)), where
        assert fold_blanks(actual.report_text) == fold_blanks(v.fold(expected.report_text)), where
        assert [s.ministry for s in actual.sections] == [s.ministry for s in expected.sections], where
        assert actual.urls == (expected.urls if v.has_urls else ()), where


def test_variants_keep_paragraphs(variant, report):
    _v, _doc, parsed = variant
    for expected, actual in zip(report.measures, parsed.measures):
        assert actual.report_text.count("\n\n") == expected.report_text.count("\n\n"), expected.number


def test_variants_keep_glossary(variant, report):
    v, _doc, parsed = variant
    assert [g.abbreviation for g in parsed.glossary] == [g.abbreviation for g in report.glossary]
    assert [fold_blanks(g.full_name) for g in parsed.glossary] == [
        fold_blanks(v.fold(g.full_name)) for g in report.glossary]


def test_variants_offsets_stay_exact(variant, check_offsets):
    _v, doc, parsed = variant
    for m in parsed.measures:
        assert doc.text[m.span.start:m.span.end].startswith(str(m.number)), m.number
    check_offsets(parsed)
