"""Fixtures for the network and view tests: the bundled report built once per session, its
projections, a tiny hand-made graph whose labels try to inject HTML, and one headless Chromium."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import pytest
from rdflib import Dataset, Graph

from tinygraph import tiny_graph as build_tiny_graph
from tiltaksgraf.graph import network as nw
from tiltaksgraf.graph.iri import mint_iri
from tiltaksgraf.graph.store import load_graph

EVIL_LABEL = '<script>window.__pwned = 1; alert("label")</script>Evil & Co'
EVIL_ALT = "<b>EVL</b>"
AMP_LABEL = "Amp \"quoted\" 'single' <b>bold</b> «Ampersand & Co»"
EVIL_SENTENCE = "Evil </script><img src=x onerror=\"window.__pwned=2\"> samarbeider med «Amp» & BFD."


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
    return build_tiny_graph([("evil", EVIL_LABEL, [EVIL_ALT]), ("amp", AMP_LABEL, [])], EVIL_SENTENCE)


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
