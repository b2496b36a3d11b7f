"""The explorer as files (``tiltaksgraf site``) and as routes of ``tiltaksgraf serve``.

Input: an open ``Store``. Output: the pages of ``explorer/render`` written under a directory, or
answered by path: ``/id/entity/bufdir`` (and ``…/bufdir/``, ``…/bufdir/index.html``) is that
entity's page, ``/explore/`` the home page, ``/assets/…`` the style, script and search index.
For a resource path the server answers RDF instead when the client asks for it (see
``wants_rdf``): the IRIs under the graph's base dereference wherever the site is served.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from tiltaksgraf.errors import InputError
from tiltaksgraf.explorer.model import BASE, load_site_data
from tiltaksgraf.explorer.render import EXPLORE, SiteRenderer
from tiltaksgraf.graph.stores import Store

RDF_MEDIA = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
             "application/x-turtle", "application/json+ld")
_HTML_MEDIA = ("text/html", "application/xhtml+xml")
_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".js": "text/javascript; charset=utf-8"}


def render_site(store: Store) -> dict[str, bytes]:
    """Every page of the explorer, by relative path."""
    return SiteRenderer(load_site_data(store)).pages()


def write_site(store: Store, out_dir: str | Path) -> int:
    """Write the explorer under ``out_dir`` (created; files the site writes are replaced, others
    left alone); return the number of files."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError("the output path exists and is not a directory", path=str(out),
                         hint="choose another --out")
    pages = render_site(store)
    for path, body in pages.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(body)
        os.replace(tmp, target)
    return len(pages)


def wants_rdf(accept: str | None) -> bool:
    """Whether an Accept header prefers RDF to HTML (a browser's ``text/html,…,*/*`` does not;
    ``text/turtle`` or ``application/ld+json`` does)."""
    if not accept:
        return False
    ranked = []
    for i, part in enumerate(accept.split(",")):
        media, *params = [p.strip().lower() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        ranked.append((-q, i, media))
    for _q, _i, media in sorted(ranked):
        if media in _HTML_MEDIA or media == "*/*":
            return False
        if media in RDF_MEDIA:
            return True
    return False


def describe_query(path: str) -> str:
    """The CONSTRUCT that answers a resource path with RDF: the triples whose subject is the IRI."""
    iri = BASE + path.strip("/").removesuffix("/index.html").strip("/")
    if any(c in iri for c in '<>"{}|\\^` '):
        raise InputError("not a resource path")
    return f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}"


class Explorer:
    """The pages for ``serve``, rendered once on the first request (the store is read-only)."""

    PREFIXES = ("/id/", "/explore/", "/assets/")

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pages: dict[str, bytes] | None = None
        self._lock = threading.Lock()

    @classmethod
    def handles(cls, path: str) -> bool:
        return path.startswith(cls.PREFIXES) or path == "/explore"

    def pages(self) -> dict[str, bytes]:
        with self._lock:
            if self._pages is None:
                self._pages = render_site(self.store)
            return self._pages

    def page(self, path: str) -> tuple[bytes, str] | None:
        """The body and media type for a request path, or None (404)."""
        key = path.lstrip("/")
        if key in ("explore", "explore/"):
            key = EXPLORE
        pages = self.pages()
        for candidate in (key, key.rstrip("/") + "/index.html"):
            if candidate in pages:
                return pages[candidate], _TYPES.get(Path(candidate).suffix, "application/octet-stream")
        return None

    def is_resource(self, path: str) -> bool:
        return path.startswith("/id/") and self.page(path) is not None
