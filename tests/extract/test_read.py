"""The reader: encodings detected and reported, the BOM dropped and nothing else touched,
metadata from the JSON beside a report, and a clear ``InputError`` for every file that is not
a report's text."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tiltaksgraf.errors import InputError
from tiltaksgraf.extract.read import decode_report_bytes, metadata_for, read_report

SAMPLE = "1. BFD Styrke «samarbeidet» – på tvers.\r\n\fFerdig\u00a0Gjort.\n"


def test_read_bundled_report(report_path, report_text):
    doc = read_report(report_path)
    assert doc.encoding == "utf-8"
    assert doc.text == report_text
    assert doc.sha256 == hashlib.sha256(report_path.read_bytes()).hexdigest()
    assert doc.name == "opptrappingsplan-mot-vold-og-overgrep-2017-2021-status.txt"
    meta = doc.metadata
    assert meta.plan_key == "opptrappingsplan-mot-vold-og-overgrep-2017-2021"
    assert meta.plan_title == "Opptrappingsplan mot vold og overgrep (2017–2021)"
    assert (meta.language, meta.kind, meta.period) == ("nb", "status report", "2017–2021")
    assert meta.date == "2022-04"


@pytest.mark.parametrize(("data", "encoding"), [
    (SAMPLE.encode("utf-8"), "utf-8"),
    (SAMPLE.encode("utf-8-sig"), "utf-8-sig"),
    (SAMPLE.encode("utf-16"), "utf-16"),  # BOM in the machine's byte order
    (b"\xfe\xff" + SAMPLE.encode("utf-16-be"), "utf-16"),
    (b"\xff\xfe" + SAMPLE.encode("utf-16-le"), "utf-16"),
    (SAMPLE.encode("cp1252"), "cp1252"),
], ids=["utf-8", "utf-8-bom", "utf-16", "utf-16-be", "utf-16-le", "cp1252"])
def test_read_decode_detects_encoding_and_keeps_text(data, encoding):
    text, detected = decode_report_bytes(data)
    assert detected == encoding
    assert text == SAMPLE  # BOM gone; CRLF, form feed and NBSP kept exactly


def test_read_file_reports_encoding(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes(SAMPLE.encode("cp1252"))
    doc = read_report(path)
    assert (doc.encoding, doc.text) == ("cp1252", SAMPLE)
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_metadata_from_sidecar(tmp_path):
    (tmp_path / "r.txt").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "r.json").write_text(json.dumps({"plan_key": "p", "plan_title": "P", "date": "2023-01",
                                                 "note": "unknown keys are ignored"}), encoding="utf-8")
    meta = read_report(tmp_path / "r.txt").metadata
    assert (meta.plan_key, meta.plan_title, meta.date, meta.language) == ("p", "P", "2023-01", "nb")


@pytest.mark.parametrize(("stem", "key"), [
    ("handlingsplan-2021-status", "handlingsplan-2021"),
    ("Handlingsplan-2021-statusrapport", "handlingsplan-2021"),
    ("plan", "plan"),
])
def test_read_metadata_from_file_name(tmp_path, stem, key):
    path = tmp_path / f"{stem}.txt"
    path.write_text(SAMPLE, encoding="utf-8")
    assert metadata_for(path).plan_key == key


@pytest.mark.parametrize("sidecar", ["{not json", json.dumps({"plan_key": "p"}), json.dumps([1, 2])],
                         ids=["invalid-json", "no-title", "not-an-object"])
def test_read_bad_sidecar_names_it(tmp_path, sidecar):
    (tmp_path / "r.txt").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "r.json").write_text(sidecar, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_report(tmp_path / "r.txt")
    assert caught.value.path == str(tmp_path / "r.json")
    assert "plan_key" in str(caught.value)


@pytest.mark.parametrize(("data", "message", "expected"), [
    (b"", "empty", "status report"),
    (b" \n\t\r\n \n", "empty", "status report"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binary", "pdftotext"),
    ("Glød".encode("utf-8") + b"\x81\xff", "cannot decode", "UTF-8"),
    (b"\xff\xfeA\x00B", "UTF-16", "UTF-8"),  # a UTF-16 BOM, then an odd number of bytes
    (b"\xff\xfe\x00\xd8\x41\x00", "UTF-16", "UTF-8"),  # a lone surrogate
], ids=["empty", "whitespace", "binary", "undecodable", "utf-16-truncated", "utf-16-surrogate"])
def test_read_bad_bytes_raise_input_error(tmp_path, data, message, expected):
    path = tmp_path / "r.txt"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        read_report(path)
    text = str(caught.value)
    assert caught.value.path == str(path) and text.startswith(f"{path}: ")
    assert message in text and expected in text


def test_read_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file") as caught:
        read_report(tmp_path / "nope.txt")
    assert caught.value.path == str(tmp_path / "nope.txt")


def test_read_directory(tmp_path):
    with pytest.raises(InputError, match="is a directory, expected a report text file") as caught:
        read_report(tmp_path)
    assert caught.value.path == str(tmp_path)


def test_read_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "r.txt"
    path.write_text(SAMPLE, encoding="utf-8")

    import os

    def denied(*_args, **_kwargs) -> int:  # root reads any file: the denial is simulated
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(InputError, match="cannot read the file: Permission denied") as caught:
        read_report(path)
    assert caught.value.path == str(path)


# --- what is not a regular file is refused at once (a FIFO once blocked the build forever) ------


def test_read_fifo_refused_without_blocking(tmp_path):
    import os
    import threading

    fifo = tmp_path / "r.txt"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _capture(outcome, lambda: read_report(fifo)), daemon=True)
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():  # still blocked in open(): unblock it by opening the writing end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO blocked")
    assert len(outcome) == 1 and isinstance(outcome[0], InputError)
    assert str(outcome[0]).startswith(f"{fifo}: is a named pipe (FIFO), not a regular file")


def _capture(into: list[BaseException], call) -> None:
    try:
        call()
    except BaseException as exc:  # noqa: BLE001 - handed to the test thread
        into.append(exc)


@pytest.mark.parametrize(("path", "kind"), [("/dev/zero", "a character device"),
                                            ("/dev/urandom", "a character device"),
                                            ("/dev/null", "a character device")])
def test_read_devices_refused(path, kind):
    if not Path(path).exists():
        pytest.skip(f"{path} does not exist here")
    with pytest.raises(InputError, match=f"^{path}: is {kind}, not a regular file"):
        read_report(path)


def test_read_socket_refused(tmp_path):
    import socket

    path = tmp_path / "s.txt"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(InputError, match="is a socket, not a regular file"):
            read_report(path)


def test_read_size_bound(tmp_path, monkeypatch):
    from tiltaksgraf.extract import read

    path = tmp_path / "big.txt"
    path.write_bytes(b"1. BFD Gjort.\nFerdig\n" * 100)
    monkeypatch.setattr(read, "MAX_REPORT_BYTES", 1000)
    with pytest.raises(InputError, match="larger than 0 MiB"):
        read_report(path)
    monkeypatch.setattr(read, "MAX_REPORT_BYTES", 2100)
    assert len(read_report(path).text) == 2100
