"""Fixtures for the network and view tests: the bundled report built once per session, its
projections, a tiny hand-made graph whose labels try to inject HTML, and one headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import pytest
from rdflib import Dataset, Graph, Literal
from rdflib.namespace import RDF, SKOS

from tiltaksgraf.graph import network as nw
from tiltaksgraf.graph.build import entity_iri, measure_iri
from tiltaksgraf.graph.iri import mint_iri
from tiltaksgraf.graph.store import load_graph
from tiltaksgraf.ontology.terms import STATUS_CONCEPTS, TG

EVIL_LABEL = '<script>window.__pwned = 1; alert("label")</script>Evil & Co'
EVIL_ALT = "<b>EVL</b>"
AMP_LABEL = "Amp \"quoted\" 'single' <b>bold</b> «Ampersand & Co»"
EVIL_SENTENCE = "Evil </script><img src=x onerror=\"window.__pwned=2\"> samarbeider med «Amp» & BFD."
TINY_PLAN = "tiny-plan"


@pytest.fixture(scope="session")
def kg(built: Path) -> Graph:
    return load_graph(built)


@pytest.fixture(scope="session")
def collab(kg: Graph) -> nx.Graph:
    return nw.collaboration_network(kg)


@pytest.fixture(scope="session")
def overview(kg: Graph) -> nx.Graph:
    return nw.overview_network(kg)


def tiny_graph() -> Graph:
    """One measure (BFD responsible) whose sentence says two agencies with hostile labels work
    together, mentions of both, and a second measure referring to the first."""
    g = Graph()
    m1, m2 = measure_iri(TINY_PLAN, 1), measure_iri(TINY_PLAN, 2)
    for m, number, status in ((m1, 1, "Ferdig"), (m2, 2, "Påbegynt")):
        g.add((m, RDF.type, TG.Measure))
        g.add((m, TG.measureNumber, Literal(number)))
        g.add((m, TG.status, STATUS_CONCEPTS[status]))
    bfd, evil, amp = entity_iri("bfd"), entity_iri("evil"), entity_iri("amp")
    for entity, key, label, alts in ((bfd, "bfd", "Barne- og familiedepartementet", ["BFD"]),
                                     (evil, "evil", EVIL_LABEL, [EVIL_ALT]), (amp, "amp", AMP_LABEL, [])):
        g.add((entity, RDF.type, TG.Agency))
        g.add((entity, SKOS.prefLabel, Literal(label, lang="nb")))
        g.add((entity, TG.entityKey, Literal(key)))
        for alt in alts:
            g.add((entity, SKOS.altLabel, Literal(alt, lang="nb")))
    g.add((m1, TG.responsible, bfd))
    g.add((m2, TG.responsible, bfd))
    ev = mint_iri("evidence", "tiny", 0, len(EVIL_SENTENCE))
    g.add((ev, RDF.type, TG.Evidence))
    g.add((ev, TG.sentence, Literal(EVIL_SENTENCE)))
    collaboration = mint_iri("collaboration", "tiny", 0)
    g.add((collaboration, RDF.type, TG.Collaboration))
    g.add((collaboration, TG.measure, m1))
    g.add((collaboration, TG.evidence, ev))
    for i, entity in enumerate((evil, amp, bfd)):
        g.add((collaboration, TG.participant, entity))
        mention = mint_iri("mention", "tiny", i)
        g.add((mention, RDF.type, TG.Mention))
        g.add((mention, TG.measure, m1))
        g.add((mention, TG.entity, entity))
        g.add((mention, TG.sentence, Literal(EVIL_SENTENCE)))
        g.add((m1, TG.mentions, entity))
    ref = mint_iri("crossref", "tiny", 1)
    g.add((ref, RDF.type, TG.CrossReference))
    g.add((ref, TG.fromMeasure, m2))
    g.add((ref, TG.toMeasure, m1))
    g.add((m2, TG.relatedMeasure, m1))
    return g


@pytest.fixture
def tiny() -> Graph:
    return tiny_graph()


@pytest.fixture
def evil() -> SimpleNamespace:
    """The hostile texts in ``tiny``."""
    return SimpleNamespace(label=EVIL_LABEL, alt=EVIL_ALT, amp=AMP_LABEL, sentence=EVIL_SENTENCE)


@pytest.fixture
def tiny_dataset() -> Dataset:
    """The tiny graph as ``graph/build`` hands it over: triples in a named graph of a Dataset."""
    ds = Dataset()
    named = ds.graph(mint_iri("graph", "tiny"))
    for triple in tiny_graph():
        named.add(triple)
    return ds


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium (the system's, driven by Playwright) for all browser tests."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tiltaksgraf.errors import InputError
    from tiltaksgraf.graph.viz import CHROMIUM_ARGS, find_chromium

    try:
        executable = find_chromium()
    except InputError:
        pytest.skip("no Chromium on this machine")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()
