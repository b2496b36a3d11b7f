"""Stage 1, read: a report file → ``SourceDocument``.

Decodes the bytes (UTF-8, UTF-8 with BOM, UTF-16 with BOM, Windows-1252), drops the BOM and
keeps everything else exactly as it is — line ends, form feeds, non-breaking spaces — because
every later offset indexes this text.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tiltaksgraf.errors import InputError
from tiltaksgraf.records import ReportMetadata, SourceDocument

# Bytes that never occur in a text report but always in binaries (NUL) or in mis-saved files.
_BINARY_MARKERS = (b"\x00",)
# Windows-1252 leaves these five bytes undefined; a file containing them is not cp1252 text.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def read_report(path: str | Path, metadata: ReportMetadata | None = None) -> SourceDocument:
    """Read one report file. Raises ``InputError`` naming the file and what was expected."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", path=str(p), hint="give the path of a report text file")
    if p.is_dir():
        raise InputError("is a directory, expected a report text file", path=str(p),
                         hint="give the report file inside it, e.g. DIR/report.txt")
    try:
        data = p.read_bytes()
    except OSError as exc:  # unreadable: permissions, a special file, an I/O error
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=str(p),
                         hint="check that it is a readable report text file") from exc
    text, encoding = decode_report_bytes(data, str(p))
    return SourceDocument(
        path=str(p),
        text=text,
        encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(),
        metadata=metadata or metadata_for(p),
    )


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
