"""The gazetteer's phrases as the tokenizer splits them, kept on disk between processes.

A span ruler tokenises each of its phrase patterns into a ``Doc`` when it is built: for the
gazetteer's ~5,000 phrases about 0.1 s of every build (a process builds its pipeline once). Their
tokens depend only on the tokenizer, so they are kept in a file per tokenizer, named by a hash of
everything that decides how it splits (its rules, affixes and special cases, the spaCy and
Python versions). An entry is one phrase's tokens, so new or changed knowledge cannot make an
entry wrong: a phrase not in the file is tokenised and added. The file is replaced whole by an
atomic rename, so concurrent builds never read half of one (the last to write wins; an entry it
did not have is tokenised again later). A cache that cannot be read or written is not used.

Where: ``$TILTAKSGRAF_CACHE_DIR``, else ``$XDG_CACHE_HOME/tiltaksgraf``, else ``~/.cache/tiltaksgraf``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer

CACHE_DIR_ENV = "TILTAKSGRAF_CACHE_DIR"
_FORMAT = 1  # of the file; a file of another format is not read


def cache_dir() -> Path:
    """The directory of the tokenised phrases (and anything else tiltaksgraf keeps between runs)."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tiltaksgraf"


def tokenised(nlp: Language, phrases: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each phrase's token texts, as ``nlp``'s tokenizer makes them: from the cache where it has
    them, the rest tokenised now and added to it."""
    wanted = list(dict.fromkeys(phrases))
    key = tokenizer_key(nlp)
    path = cache_dir() / f"phrase-tokens-{key[:32]}.json"
    known = _read(path, key)
    missing = [p for p in wanted if p not in known]
    if missing:
        known.update((p, tuple(t.text for t in nlp.tokenizer(p))) for p in missing)
        _write(path, key, known)
    return {p: known[p] for p in wanted}


def tokenizer_key(nlp: Language) -> str:
    """A hash of what decides how ``nlp`` tokenises: its tokenizer's serialised rules (affix
    patterns, special cases, token and URL matches) and the spaCy and Python versions (their code
    and the regular expressions' Unicode tables)."""
    digest = hashlib.sha256(f"{_FORMAT}\0{spacy.__version__}\0{sys.version}\0".encode())
    tokenizer = cast(Tokenizer, nlp.tokenizer)  # spaCy types it as any callable; blank() makes a Tokenizer
    digest.update(tokenizer.to_bytes(exclude=["vocab"]))
    return digest.hexdigest()


def _read(path: Path, key: str) -> dict[str, tuple[str, ...]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["format"] != _FORMAT or data["tokenizer"] != key:
            return {}
        phrases = data["phrases"]
        return {p: tuple(tokens) for p, tokens in phrases.items()
                if isinstance(p, str) and isinstance(tokens, list) and all(isinstance(t, str) for t in tokens)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # none yet, or damaged: tokenised again and rewritten


def _write(path: Path, key: str, phrases: dict[str, tuple[str, ...]]) -> None:
    payload = {"format": _FORMAT, "tokenizer": key, "phrases": {p: list(t) for p, t in phrases.items()}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(payload, f, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a read-only or full disk: the build goes on without the cache
