"""Fuzzing read → parse: random text and bytes (measures numbered from 1, near 1,000 and near 100,000),
and real slices of the bundled report with lines deleted, duplicated, swapped, split and joined,
columns swapped, long runs inserted (of digits, symbols, paragraphs …), files truncated, encodings
mixed and random bytes inserted; and files that are no files (FIFOs, sockets, devices, symlinks to
them, loops). Whatever comes in, ``read_report``/``decode_report_bytes`` and ``parse_report`` either
give records that keep their invariants or raise one of the project's own errors (``InputError``,
``ParseError``) — never another exception, never a hang.

Reproducible in CI: every test is ``derandomize=True`` with no example database, so the same
examples run every time. 1,540 examples here (400 + 200 + 900 + 40 special files), 506 in
test_fuzz_extract.py. ``test_fuzz_extract.py`` imports the report mutations from this module.
"""

from __future__ import annotations

import contextlib
import re
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from tiltaksgraf.errors import InputError, ParseError, TiltaksgrafError
from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.extract.read import decode_report_bytes, read_report
from tiltaksgraf.pipeline import bundled_report
from tiltaksgraf.records import Report, ReportMetadata, SourceDocument

METADATA = ReportMetadata(plan_key="fuzz", plan_title="Fuzz")
REPORT_TEXT = bundled_report().read_text(encoding="utf-8")
REPORT_LINES = REPORT_TEXT.split("\n")

# A hang is a bug: each example gets a hard wall-clock bound (SIGALRM), well above the hypothesis
# deadline, which only reports slowness after the example has finished.
PARSE_DEADLINE_MS = 2_000
HARD_LIMIT_S = 20.0


class Hang(Exception):
    """Raised by ``time_limit`` when an example runs past its bound (not a TiltaksgrafError)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def _raise(_signum, _frame):
        raise Hang(f"example ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fuzz_settings(max_examples: int, deadline_ms: int = PARSE_DEADLINE_MS) -> settings:
    """Reproducible: the same examples every run (derandomize, no example database)."""
    return settings(max_examples=max_examples, derandomize=True, database=None, deadline=deadline_ms,
                    print_blob=True)


# --- invariants ---------------------------------------------------------------------------------


def check_report(report: Report) -> None:
    """What every parsed report keeps, however odd its input."""
    text = report.source.text
    numbers = [m.number for m in report.measures]
    assert numbers, "a report parses to at least one measure (else ParseError)"
    assert all(a < b for a, b in zip(numbers, numbers[1:])), f"measure numbers must rise: {numbers}"
    for m in report.measures:
        where = f"measure {m.number}"
        assert 0 <= m.span.start < m.span.end <= len(text), f"{where}: span {m.span} outside the text"
        assert text.startswith(f"{m.number}.", m.span.start), f"{where}: span does not start at its number"
        assert text.count("\n", 0, m.span.start) + 1 == m.line, f"{where}: line {m.line}"
        for seg in m.segments:
            assert 0 <= seg.start < seg.end <= len(text), f"{where}: {seg} outside the text"
            assert m.span.start <= seg.start and seg.end <= m.span.end, f"{where}: {seg} outside its span"
        for section in m.sections:
            assert 0 <= section.start <= section.end <= len(text), f"{where}: section {section.ministry}"
    for g in report.glossary:
        assert g.abbreviation and g.full_name, g
    for m in report.measures:  # no row of the next measure folded into this one's text
        inside = text[m.span.start:m.span.end].split("\n")[1:]
        assert not any(re.match(rf"[ \t\u00a0\f\r\v]*{m.number + 1}\.\s+\S", line) for line in inside), \
            f"measure {m.number + 1} was merged into measure {m.number}"


def parse_bytes(data: bytes, directory: Path) -> tuple[Report | None, str]:
    """Write ``data`` as a report file, read and parse it: (the report or None, what happened).
    Only ``InputError`` and ``ParseError`` are expected; anything else propagates and fails."""
    path = directory / "report.txt"
    path.write_bytes(data)
    try:
        doc = read_report(path, METADATA)
    except InputError as exc:
        return None, f"refused: InputError {_gist(exc)}"
    assert decode_report_bytes(data, str(path)) == (doc.text, doc.encoding)
    return parse_doc(doc)


def parse_or_fail_cleanly(data: bytes) -> None:
    """Parse ``data`` as a report file within the hard time limit; a report it gives is checked."""
    with time_limit(HARD_LIMIT_S), scratch_dir() as d:
        report, outcome = parse_bytes(data, d)
    event(outcome)
    if report is not None:
        check_report(report)


def parse_text(text: str) -> tuple[Report | None, str]:
    return parse_doc(SourceDocument(path="fuzz.txt", text=text, encoding="utf-8", sha256="0" * 64,
                                    metadata=METADATA))


def parse_doc(doc: SourceDocument) -> tuple[Report | None, str]:
    try:
        return parse_report(doc), "parsed"
    except ParseError as exc:
        return None, f"refused: ParseError {_gist(exc)}"


def _gist(exc: TiltaksgrafError) -> str:
    """The kind of a message without its numbers, for hypothesis' statistics."""
    return re.sub(r"\d+|'[^']*'", "N", exc.detail.split(":")[0] if isinstance(exc, InputError) else exc.detail)[:50]


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tg-fuzz-") as d:
        yield Path(d)


# --- random text --------------------------------------------------------------------------------

# Pieces of the report's grammar, so random text often looks like rows, glossaries and headers.
TOKENS = (
    "1.", "2.", "3.", "12.", "88.", "999.", "1000.", "1001.", "100000.", "0.",
    "BFD", "JD", "HOD", "KD", "ALLE", "Alle", "alle", "KUD",
    "BFD /", "JD/Alle", "(alle)", "/", "Ferdig", "Påbegynt", "Påbegynt -", "Påbegynt - løpende", "løpende",
    "Ikke påbegynt", "-", "–", "—", "NR. ANSVAR REGJERINGEN VIL STATUS RAPPORTERING", "Forkortelser:",
    "Forkortinger", "BFD - Barne- og familiedepartement", "NKVTS - Nasjonalt kunnskapssenter om vold og",
    "traumatisk stress", "https://www.regjeringen.no/no/tiltak-mot-vold", "www.jegvet.no", "BFD:", "KD:",
    "Bufdir", "NKVTS", "RVTS Nord", "Nordisk institutt for studier (NIFU)", "(NIFU)", "KOSTRA (Kommune-Stat)",
    "i samarbeid med", "på oppdrag fra", "ga", "i oppdrag", "bevilget", "10,2 mill. kroner", "1 000 kroner",
    "i 2022", "tiltak 7", "jf. tiltak 28 og 33", "handlingsplan mot vold", "«Jeg Vet»", "rapporten «",
    "»", "Prop. 66 L (2016–2017)", "Meld. St. 21", "helse- og", "omsorgstjenesten", "(", ")", ".", ",", ":",
    " ", "  ", "\t", "\u00a0", "\f", "\r", "\n", "\n", "\n\n", "\r\n", "\ufeff", "\uf0b7", "’s", "-ene",
)
_TOKEN = st.one_of(st.sampled_from(TOKENS), st.text(max_size=8))
_ROW = "\x00row\x00"  # replaced by the next measure number, so rows are numbered as in a report
_CODES = st.sampled_from(("BFD", "JD", "HOD", "KD", "ALLE", "Alle", "KUD", "BFD /", "BFD / JD", "JD (alle)",
                          "KLD", "Bufdir", "X", "BFD/", ""))
_LINE = st.one_of(
    st.lists(_TOKEN, max_size=10),
    st.tuples(st.just(_ROW), _CODES, st.lists(_TOKEN, max_size=6)).map(lambda r: [r[0] + r[1], *r[2]]),
    st.tuples(st.sampled_from(("Ferdig", "Påbegynt", "Påbegynt -", "Påbegynt - løpende", "Ikke påbegynt")),
              st.lists(_TOKEN, max_size=4)).map(lambda r: [r[0], *r[1]]),
).flatmap(lambda tokens: st.sampled_from((" ", "", "  ", "\t")).map(lambda sep: sep.join(tokens)))


@st.composite
def report_ish_text(draw) -> str:
    lines = draw(st.lists(_LINE, max_size=30))
    text = draw(st.sampled_from(("\n", "\r\n", "\n\n"))).join(lines)
    # numbering from the start, or near 1,000 and 100,000 (a cap of three digits once folded
    # measures 1000 and up into measure 999)
    number = draw(st.one_of(st.integers(0, 120), st.integers(990, 1010), st.integers(99_990, 100_010)))
    while _ROW in text:
        number += draw(st.sampled_from((1, 1, 1, 1, 1, 1, 0, 2, -1)))
        text = text.replace(_ROW, f"{number}. ", 1)
    return text


@given(report_ish_text())
@fuzz_settings(400)
@example("1. BFD Ferdig")
@example("1. BFD x\nFerdig\n2. BFD y\nPåbegynt -\n")
@example("Forkortelser:\nBFD - departement\n1. BFD a\nPåbegynt - løpende\nBFD: x\n\nKD: y")
@example("1. BFD /\n\nHOD\nFerdig\nhttps://x.no/a\nNR. ANSVAR\nb\n")
def test_fuzz_parser_random_text_parses_or_fails_cleanly(text):
    with time_limit(HARD_LIMIT_S):
        report, outcome = parse_text(text)
    event(outcome)
    if report is not None:
        check_report(report)


@given(st.binary(max_size=400))
@fuzz_settings(200)
@example(b"\xff\xfe1")  # a UTF-16 BOM and an odd number of bytes
@example(b"\xef\xbb\xbf\xff")  # a UTF-8 BOM, then not UTF-8
@example(b"\x81\xe5")  # not UTF-8, and undefined in cp1252
@example(b" \n\t")
def test_fuzz_parser_random_bytes_decode_or_fail_cleanly(data):
    parse_or_fail_cleanly(data)


# --- mutated slices of the bundled report -------------------------------------------------------

_POS = st.integers(0, 2**20)  # positions are taken modulo the current length when applied

# Long runs find work that grows faster than the input: each of these units, repeated until the
# run is up to STRETCH_CHARS long, once took from 15 s to minutes somewhere in read → extract.
STRETCH_UNITS = ("1", "(", "«", "_", "=", "–", " ", "\n", "A", "Ab ", "1 000 ", "x\n\n", "BFD: x\n\n",
                 "NR. ANSVAR\nx\n", "https://a.no/x\n", "tiltak 1 og ", "NKVTS og ", "(NIFU) ")
STRETCH_CHARS = 20_000


def stretches(max_chars: int) -> st.SearchStrategy[tuple]:
    return st.tuples(st.just("stretch"), _POS, _POS, st.sampled_from(STRETCH_UNITS), st.integers(1, max_chars))


LINE_MUTATIONS = st.one_of(
    st.tuples(st.just("delete"), _POS),
    st.tuples(st.just("duplicate"), _POS),
    st.tuples(st.just("swap-lines"), _POS, _POS),
    st.tuples(st.just("swap-columns"), _POS, _POS),  # split a line at a point and swap the halves
    st.tuples(st.just("split"), _POS, _POS),
    st.tuples(st.just("join"), _POS),
)


def apply_line_mutation(lines: list[str], mutation: tuple) -> list[str]:
    if not lines:
        return lines
    op, at = mutation[0], mutation[1] % len(lines)
    lines = list(lines)
    if op == "delete":
        del lines[at]
    elif op == "duplicate":
        lines.insert(at, lines[at])
    elif op == "swap-lines":
        other = mutation[2] % len(lines)
        lines[at], lines[other] = lines[other], lines[at]
    elif op == "swap-columns":
        line = lines[at]
        cut = mutation[2] % (len(line) + 1)
        lines[at] = line[cut:] + line[:cut]
    elif op == "split":
        line = lines[at]
        cut = mutation[2] % (len(line) + 1)
        lines[at:at + 1] = [line[:cut], line[cut:]]
    elif op == "join" and at + 1 < len(lines):
        lines[at:at + 2] = [lines[at] + lines[at + 1]]
    elif op == "stretch":  # a run of one unit inserted into a line (it may hold line breaks)
        line, unit, chars = lines[at], mutation[3], mutation[4]
        cut = mutation[2] % (len(line) + 1)
        lines[at] = line[:cut] + unit * max(1, chars // len(unit)) + line[cut:]
    return lines


ENCODINGS = ("utf-8", "cp1252")


def encode_mixed(text: str, cuts: list[int], encodings: list[str]) -> bytes:
    """The text cut at ``cuts``, each piece encoded in its own encoding and the bytes glued."""
    points = sorted({c % (len(text) + 1) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)])]
    return b"".join(piece.encode(encodings[k % len(encodings)], errors="replace")
                    for k, piece in enumerate(pieces))


# Bytes that random junk is made of: mostly text-like, sometimes the bytes decoding trips on.
_JUNK = st.one_of(
    st.binary(min_size=1, max_size=6).map(lambda b: b.replace(b"\x00", b"\x01")),
    st.sampled_from((b"\xe5", b"\xc3", b"\xc3\xa5", b"\x96", b"\x81", b"\xef\xbb\xbf", b"\r", b"\f",
                     b"\x00", b"\n\n", b"\xa0", b"\xe2\x80\x93", b"\xff\xfe")),
)


@st.composite
def mutated_reports(draw, max_lines: int | None = None, max_mutations: int = 6) -> bytes:
    """A slice of the bundled report's lines, mutated, encoded (perhaps in mixed encodings,
    perhaps with CRLF or a BOM), perhaps truncated and with random bytes inserted. Each kind of
    damage is drawn for a share of the examples only, so that many still parse and the
    records' invariants are checked, not just the refusals."""
    n = len(REPORT_LINES)
    start = draw(st.integers(0, n - 1))
    longest = n - start if max_lines is None else min(max_lines, n - start)
    length = draw(st.one_of(st.integers(1, min(80, longest)), st.integers(min(30, longest), longest)))
    lines = REPORT_LINES[start:start + length]
    mutations = st.one_of(LINE_MUTATIONS, stretches(STRETCH_CHARS))
    for mutation in draw(st.lists(mutations, max_size=draw(st.sampled_from((0, 1, 2, max_mutations))))):
        lines = apply_line_mutation(lines, mutation)
    text = draw(st.sampled_from(("\n", "\n", "\r\n"))).join(lines)
    encoding = draw(st.sampled_from(("utf-8", "utf-8", "utf-8", "cp1252", "mixed", "mixed", "utf-16")))
    if encoding == "mixed":
        cuts = draw(st.lists(_POS, min_size=1, max_size=4))
        first = draw(st.sampled_from(ENCODINGS))
        data = encode_mixed(text, cuts, [first, *(e for e in ENCODINGS if e != first)])
    else:
        data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(_POS) % (len(data) + 1)]
    if draw(st.integers(0, 2)) == 0:
        for at, junk in draw(st.lists(st.tuples(_POS, _JUNK), min_size=1, max_size=3)):
            at %= len(data) + 1
            data = data[:at] + junk + data[at:]
    return data


@given(mutated_reports())
@fuzz_settings(900)
@example(REPORT_TEXT.encode("utf-8"))
@example(REPORT_TEXT.encode("cp1252", errors="replace"))
@example(encode_mixed(REPORT_TEXT, [5_000, 60_000], ["utf-8", "cp1252"]))
# Regressions: one-line paragraphs joined to the one before (each re-joined the growing text) and
# ministry sections (each scanned every paragraph) were quadratic: 17 s and 15 s, now < 0.5 s.
@example(("1. BFD Utrede\nFerdig\n" + "x\n\n" * 20_000).encode("utf-8"))
@example(("1. BFD Utrede\nFerdig\n" + "BFD: x\n\n" * 20_000).encode("utf-8"))
def test_fuzz_parser_mutated_report_parses_or_fails_cleanly(data):
    parse_or_fail_cleanly(data)


# --- files that are not regular files ---------------------------------------------------------

SPECIAL_FILES = ("fifo", "socket", "/dev/zero", "/dev/urandom", "/dev/null", "directory", "symlink-to-fifo",
                 "symlink-to-/dev/zero", "symlink-loop", "dangling-symlink")


def make_special(kind: str, d: Path) -> Path:
    import os
    import socket

    path = d / "report.txt"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()  # the socket file stays
    elif kind.startswith("/dev/"):
        return Path(kind)
    elif kind == "directory":
        path.mkdir()
    elif kind == "symlink-to-fifo":
        os.mkfifo(d / "pipe")
        path.symlink_to(d / "pipe")
    elif kind == "symlink-to-/dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "symlink-loop":
        path.symlink_to(d / "other.txt")
        (d / "other.txt").symlink_to(path)
    elif kind == "dangling-symlink":
        path.symlink_to(d / "gone.txt")
    return path


@given(st.sampled_from(SPECIAL_FILES), st.sampled_from((None, 0, 1, 1000)))
@fuzz_settings(40)
def test_fuzz_parser_special_files_refused_at_once(kind, limit):
    """Each refused with an InputError within the hard limit: a FIFO no longer blocks the reader
    forever, /dev/zero no longer fills the memory."""
    from tiltaksgraf.extract import read

    with time_limit(HARD_LIMIT_S), scratch_dir() as d:
        path = make_special(kind, d)
        if limit is not None:
            original, read.MAX_REPORT_BYTES = read.MAX_REPORT_BYTES, limit
        try:
            read_report(path, METADATA)
        except InputError as exc:
            event(f"refused: {_gist(exc)}")
        else:
            raise AssertionError(f"{kind} was read as a report")
        finally:
            if limit is not None:
                read.MAX_REPORT_BYTES = original
