"""Fixtures of the explorer tests: the bundled build as a store, the static site written from it
(and from a copy whose report text and names carry HTML and script), a real ``serve`` on a free
loopback port, and one headless Chromium."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from tiltaksgraf.explorer.site import write_site
from tiltaksgraf.graph.stores import OxigraphStore, RdflibStore
from tiltaksgraf.ontology.terms import TG

MEASURE_85 = URIRef("https://w3id.org/tiltaksgraf/id/measure/opptrappingsplan-mot-vold-og-overgrep-2017-2021/85")
BARNEHUS = URIRef("https://w3id.org/tiltaksgraf/id/entity/statens-barnehus")
HOSTILE_TEXT = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> & </p>"
HOSTILE_NAME = "<img src=x onerror=\"window.__pwned = 3\">Barnehusbyrået"


@pytest.fixture(scope="session")
def site_store(built: Path) -> Iterator[OxigraphStore]:
    store = OxigraphStore.from_build(built)
    yield store
    store.close()


@pytest.fixture(scope="session")
def site_dir(site_store: OxigraphStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    write_site(site_store, out)
    return out


@pytest.fixture(scope="session")
def hostile_site_dir(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the bundled build with HTML and script in measure 85's report text and in a
    name of Statens barnehus."""
    store = RdflibStore.from_build(built)
    graph = store.graph
    text = str(graph.value(MEASURE_85, TG.reportText))
    graph.set((MEASURE_85, TG.reportText, Literal(text + " " + HOSTILE_TEXT, lang="nb")))
    graph.set((MEASURE_85, URIRef("http://purl.org/dc/terms/description"), Literal(HOSTILE_TEXT, lang="nb")))
    graph.add((BARNEHUS, SKOS.altLabel, Literal(HOSTILE_NAME, lang="nb")))
    out = tmp_path_factory.mktemp("hostile-site")
    write_site(store, out)
    return out


@pytest.fixture(scope="session")
def served(site_store: OxigraphStore) -> Iterator[str]:
    """``tiltaksgraf serve``'s server over the bundled build on a free loopback port; its URL."""
    from tiltaksgraf.queries.endpoint import make_server

    server = make_server(site_store, "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, name="explorer-endpoint", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(server.url + "queries", timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
