"""The status scheme: a report's status wording → the scheme's concept and its class.

Input: ``ontology/statuses.jsonl`` (validated by ``extract/schemas.StatusLine``) and a wording as a
report writes it ("Pågående – i rute.", "Byrja", "Tidsperspektiv: Påbegynt - 2025"'s "Påbegynt").
Output: a ``StatusMatch`` (the concept's preferred wording and its class Done / Ongoing /
NotStarted), or None when the words are no status of the scheme — never a guess.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from tiltaksgraf.extract.schemas import StatusLine, read_lines
from tiltaksgraf.names import fold

STATUS_CLASSES = ("Done", "Ongoing", "NotStarted")


class StatusMatch(NamedTuple):
    wording: str  # the concept's preferred label ("Påbegynt - løpende")
    status_class: str  # one of STATUS_CLASSES


def statuses_path() -> Path:
    return Path(str(resources.files("tiltaksgraf.ontology").joinpath("statuses.jsonl")))


def status_key(text: str) -> str:
    """Case, dashes, blanks and a closing full stop folded: "Pågående – i rute." → "pågående - i rute"."""
    dashed = re.sub(r"\s*[-\u2010-\u2015\u2212]\s*", " - ", text.strip().rstrip(".!"))
    return re.sub(r"\s+", " ", fold(dashed)).strip(" -")


@lru_cache(maxsize=None)
def _scheme(path: str) -> dict[str, StatusMatch]:
    table: dict[str, StatusMatch] = {}
    for _number, line in read_lines(Path(path), StatusLine):
        match = StatusMatch(line.wording, line.class_)
        for wording in (line.wording, *line.variants):
            table.setdefault(status_key(wording), match)
    return table


def scheme(path: Path | None = None) -> dict[str, StatusMatch]:
    """Folded wording → match, for every wording of the scheme."""
    return _scheme(str(path or statuses_path()))


def classify(wording: str) -> StatusMatch | None:
    """The scheme's concept for ``wording``, or None when it is not a status wording."""
    return scheme().get(status_key(wording))


def leading_status(text: str, *, max_words: int = 6) -> tuple[StatusMatch, str] | None:
    """A status stated at the start of ``text`` ("Pågående – i rute. Bufdir …", "Påbegynt - 2025"):
    the longest leading run of words that is a wording of the scheme, with those words as written."""
    words = list(re.finditer(r"[^\s.,;:!?]+", text))
    for n in range(min(max_words, len(words)), 0, -1):
        raw = text[:words[n - 1].end()]
        match = classify(raw)
        if match is not None:
            return match, raw.strip().rstrip(" -–—")
    return None
