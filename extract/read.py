"""Stage 1, read: a report file → ``SourceDocument``.

Decodes the bytes (UTF-8, UTF-8 with BOM, UTF-16 with BOM, Windows-1252), drops the BOM and
keeps everything else exactly as it is — line ends, form feeds, non-breaking spaces — because
every later offset indexes this text.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from tiltaksgraf.errors import InputError
from tiltaksgraf.records import ReportMetadata, SourceDocument

# Bytes that never occur in a text report but always in binaries (NUL) or in mis-saved files.
_BINARY_MARKERS = (b"\x00",)
# Windows-1252 leaves these five bytes undefined; a file containing them is not cp1252 text.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
# The largest report read. A year of reports for one plan is a few MB; a build needs up to ~20
# bytes of memory per byte of input, so 256 MiB would already need about 5 GiB.
MAX_REPORT_BYTES = 256 * 2**20
_FILE_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def read_report(path: str | Path, metadata: ReportMetadata | None = None) -> SourceDocument:
    """Read one report file. Raises ``InputError`` naming the file and what was expected."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", path=str(p), hint="give the path of a report text file")
    if p.is_dir():
        raise InputError("is a directory, expected a report text file", path=str(p),
                         hint="give the report file inside it, e.g. DIR/report.txt")
    data = _read_regular_file(p)
    text, encoding = decode_report_bytes(data, str(p))
    return SourceDocument(
        path=str(p),
        text=text,
        encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(),
        metadata=metadata or metadata_for(p),
    )


def _read_regular_file(p: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit`` of them. Anything else (a FIFO would block
    forever, /dev/zero never ends) is refused: opened without blocking, then checked on the open
    file itself, so it cannot be swapped between the check and the read."""
    limit = MAX_REPORT_BYTES if limit is None else limit
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:  # permissions, a socket (ENXIO), an I/O error
        _refuse_special(p, _mode_or_none(p))
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=str(p),
                         hint="check that it is a readable report text file") from exc
    with os.fdopen(fd, "rb") as f:
        _refuse_special(p, os.fstat(fd).st_mode)
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise InputError(f"cannot read the file: {exc.strerror or exc}", path=str(p),
                             hint="check that it is a readable report text file") from exc
    if len(data) > limit:
        raise InputError(f"the file is larger than {limit // 2**20} MiB, more than a report can be",
                         path=str(p), hint="split it into one file per report and give them all to build")
    return data


def _mode_or_none(p: Path) -> int | None:
    try:
        return os.stat(p).st_mode
    except OSError:
        return None


def _refuse_special(p: Path, mode: int | None) -> None:
    if mode is None or stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
    raise InputError(f"is {kind}, not a regular file: expected a report text file", path=str(p),
                     hint="save the report to a file first, e.g. 'cat … > report.txt'")


def decode_report_bytes(data: bytes, path: str = "<bytes>") -> tuple[str, str]:
    """Return (text, encoding name). The BOM is removed; nothing else is changed."""
    if not data.strip():
        raise InputError("the file is empty", path=path,
                         hint="expected the text of a status report (a measures table)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:  # a UTF-16 BOM, then not UTF-16 (odd length, lone surrogate)
            raise InputError(f"cannot decode the text as UTF-16 (it starts with a UTF-16 byte order mark): "
                             f"{exc.reason} at byte {exc.start}", path=path,
                             hint="save the report as UTF-8 text") from exc
    if any(marker in data for marker in _BINARY_MARKERS):
        raise InputError("this looks like a binary file (it contains NUL bytes), not text", path=path,
                         hint="extract the text first (e.g. pdftotext -layout report.pdf report.txt)")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _undecodable(path, exc) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if _CP1252_UNDEFINED.isdisjoint(data):
            return data.decode("cp1252"), "cp1252"
        raise _undecodable(path, exc) from exc


def _undecodable(path: str, exc: UnicodeDecodeError) -> InputError:
    return InputError(
        f"cannot decode the text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start} is "
        "neither UTF-8 nor Windows-1252",
        path=path, hint="save the report as UTF-8 text",
    )


def metadata_for(path: Path) -> ReportMetadata:
    """Metadata from ``REPORT.json`` beside the report if there is one, else from the file name."""
    sidecar = path.with_suffix(".json")
    if sidecar.is_file():
        try:
            raw = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the metadata file: {exc}", path=str(sidecar),
                             hint="it must be a JSON object with plan_key and plan_title") from exc
        return metadata_from_dict(raw, str(sidecar))
    key = _plan_key_from_filename(path.stem)
    return ReportMetadata(plan_key=key, plan_title=key.replace("-", " ").capitalize(), inferred=True)


_METADATA_FIELDS = ("plan_key", "plan_title", "kind", "language", "date", "period")


def metadata_from_dict(raw: object, path: str) -> ReportMetadata:
    if not isinstance(raw, dict) or "plan_key" not in raw or "plan_title" not in raw:
        raise InputError("metadata must be a JSON object with at least plan_key and plan_title",
                         path=path)
    return ReportMetadata(**{k: raw[k] for k in _METADATA_FIELDS if k in raw})


def _plan_key_from_filename(stem: str) -> str:
    # "…-status" / "…-statusrapport" name the document, not the plan.
    for suffix in ("-statusrapport", "-status"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem.lower()
