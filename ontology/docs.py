"""HTML documentation of the ontology, rendered with pyLODE.

Input: the ontology (``tiltaksgraf.ttl``). Output: ``<out_dir>/index.html``, one self-contained
page (pyLODE's OntPub profile inlines its stylesheet, favicons and JSON-LD; the only external
addresses are ordinary links, e.g. to the pyLODE project and the reused vocabularies).

pyLODE is an optional dependency (``pip install pylode``); it is imported only when docs are built.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import sys
import types
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from .terms import load_ontology

try:
    from tiltaksgraf.errors import TiltaksgrafError
except ImportError:  # loaded from a source checkout before the package is installed

    class TiltaksgrafError(Exception):  # type: ignore[no-redef]  # same message and hint
        """Stand-in for ``tiltaksgraf.errors.TiltaksgrafError``."""

        def __init__(self, message: str, *, hint: str | None = None) -> None:
            self.detail, self.hint = message, hint
            super().__init__(f"{message}\n  hint: {hint}" if hint else message)


__all__ = ["build_docs"]

_INSTALL_HINT = "pip install pylode  (or: pip install -e '.[dev]')"


def build_docs(out_dir: Path, *, lang: str = "en") -> Path:
    """Render the ontology to ``out_dir/index.html`` and return that path.

    ``lang`` picks the language of the headings (class and property names); the descriptions are
    shown in both Bokmål and English. The page is written to a temporary file in ``out_dir`` and
    renamed into place, so a reader never sees half a page.
    """
    ontpub = _import_ontpub()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _contained_logging():
        page = ontpub.OntPub(ontology=_doc_graph(load_ontology(), lang), sort_subjects=True)
        html = page.make_html()
    if not isinstance(html, str) or "<html" not in html:
        raise TiltaksgrafError("pyLODE returned no usable HTML for the ontology",
                               hint="check the pyLODE version (3.x is supported)")
    target = out_dir / "index.html"
    tmp = out_dir / f".index.html.{uuid.uuid4().hex}.tmp"
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _doc_graph(ontology: Graph, lang: str) -> Graph:
    """A copy of the ontology arranged for pyLODE's OntPub profile.

    - OntPub prints every rdfs:label of a term side by side as its heading ("TiltakMeasure"), so
      the copy keeps the label in ``lang`` and turns the others into a skos:note ("Bokmål: …").
    - OntPub treats a skos:ConceptScheme like the ontology itself and merges its title and
      description into the page header, so the status scheme is left out and summarised in a
      skos:scopeNote on the ontology instead.
    - pyLODE adds its own inferred triples to the graph it is given; the copy keeps them out of
      the cached ontology.
    """
    graph = Graph()
    for prefix, namespace in ontology.namespace_manager.namespaces():
        graph.bind(prefix, namespace, override=True)
    skos_nodes = {s for s, _, o in ontology.triples((None, RDF.type, None))
                  if o in (SKOS.ConceptScheme, SKOS.Concept)}
    for triple in ontology:
        if triple[0] not in skos_nodes:
            graph.add(triple)

    for subject in set(graph.subjects(RDFS.label, None)):
        labels = [o for o in graph.objects(subject, RDFS.label) if isinstance(o, Literal)]
        chosen = [o for o in labels if o.language == lang] or labels[:1]
        for other in labels:
            if other not in chosen:
                graph.remove((subject, RDFS.label, other))
                language = _LANGUAGE_NAMES.get(other.language or "", other.language or "")
                graph.add((subject, SKOS.note, Literal(f"{language}: {other}", lang=other.language)))

    for scheme in sorted((s for s in skos_nodes if (s, RDF.type, SKOS.ConceptScheme) in ontology), key=str):
        concepts = sorted(ontology.subjects(SKOS.inScheme, scheme), key=str)
        listed = "; ".join(
            f"{_label(ontology, c, 'nb')} ({_label(ontology, c, lang)}) <{c}>" for c in concepts)
        note = (f"Status values are the concepts of the SKOS concept scheme <{scheme}> "
                f"\"{_label(ontology, scheme, lang)}\", declared in this file: {listed}.")
        for ont in graph.subjects(RDF.type, OWL.Ontology):
            graph.add((ont, SKOS.scopeNote, Literal(note, lang="en")))
    return graph


def _label(graph: Graph, node: Any, lang: str) -> str:
    labels = [o for o in graph.objects(node, SKOS.prefLabel) if isinstance(o, Literal)]
    chosen = [o for o in labels if o.language == lang] or labels
    return str(chosen[0]) if chosen else str(node)


_LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}


def _import_ontpub() -> Any:
    """``pylode.profiles.ontpub``, imported with pyLODE's side effects on this process contained."""
    try:
        with _contained_logging():
            try:
                import pylode.version  # noqa: F401  (imported to see whether it can be)
            except FileNotFoundError:
                # pyLODE 3.4.1 reads its own version from a pyproject.toml that its wheel does
                # not ship (RDFLib/pyLODE#260, fixed upstream after 3.4.1). Give it the version
                # from the installed metadata instead, then import again.
                _forget_modules("pylode")
                stub = types.ModuleType("pylode.version")
                stub.__version__ = importlib.metadata.version("pylode")  # type: ignore[attr-defined]
                sys.modules["pylode.version"] = stub
                import pylode  # noqa: F401  (now imports with the stub in place)
            from pylode import utils as pylode_utils
            from pylode.profiles import ontpub
    except ImportError as error:
        missing = getattr(error, "name", None) or "pylode"
        what = "pyLODE" if missing.split(".")[0] == "pylode" else f"{missing} (needed by pyLODE)"
        raise TiltaksgrafError(f"cannot build the ontology docs: {what} is not installed",
                               hint=_INSTALL_HINT) from error
    # pyLODE caches its parsed background ontologies as pickles inside its own package folder.
    # Writing into site-packages fails on read-only installs and races between processes, so
    # its cache writes are turned into the FileNotFoundError it already handles ("Could not
    # cache …"); existing caches are still read. ``open`` is used in pylode.utils for nothing else.
    pylode_utils.open = _open_without_writing
    return ontpub


def _open_without_writing(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    if any(flag in mode for flag in "wax+"):
        raise FileNotFoundError(f"tiltaksgraf does not let pyLODE write its cache {file}")
    return open(file, mode, *args, **kwargs)


@contextmanager
def _contained_logging() -> Iterator[None]:
    """Undo what pyLODE does to the root logger: its supermodel profile calls
    ``logging.basicConfig(level=DEBUG)`` on import, and it logs through the root logger (which
    adds a stderr handler when there is none). Root-level records below ERROR are dropped while
    pyLODE runs."""
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in saved_handlers:
                root.removeHandler(handler)
        root.setLevel(saved_level)


def _forget_modules(package: str) -> None:
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
