"""Projections and analytics on the bundled report's graph, checked against the RDF itself (the
extractor is still improving, so counts come from the same graph, not from constants)."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from tiltaksgraf.errors import InputError
from tiltaksgraf.graph import network as nw
from tiltaksgraf.ontology.terms import TG


def _pairs(g: Graph, predicate) -> set[frozenset[str]]:
    return {frozenset((str(a), str(b))) for a, b in g.subject_objects(predicate) if a != b}


def test_network_collaboration_edges_are_the_collaborates_with_pairs(kg, collab):
    assert {frozenset(e) for e in collab.edges} == _pairs(kg, TG.collaboratesWith)
    assert all(collab.nodes[n]["type"] == "Agency" for n in collab)


def test_network_collaboration_weight_counts_distinct_measures(kg, collab):
    measures: dict[frozenset[str], set[int]] = {}
    for rel in kg.subjects(RDF.type, TG.Collaboration):
        numbers = {int(kg.value(m, TG.measureNumber)) for m in kg.objects(rel, TG.measure)}
        for a, b in itertools.combinations(sorted({str(p) for p in kg.objects(rel, TG.participant)}), 2):
            measures.setdefault(frozenset((a, b)), set()).update(numbers)
    for a, b, attrs in collab.edges(data=True):
        assert set(attrs["measures"]) == measures[frozenset((a, b))]
        assert attrs["weight"] == len(attrs["measures"]) >= 1
        assert attrs["evidence"] and all(isinstance(s, str) and s for s in attrs["evidence"])
        assert "collaboration" in attrs["relation"]


@pytest.mark.parametrize("name", ["NKVTS", "Bufdir", "Hdir"])
def test_network_collaboration_has_the_central_agencies_of_the_report(kg, collab, name):
    assert nw.resolve_entity(kg, name) in collab


def test_network_collaboration_with_comentions_is_a_supergraph(kg, collab):
    wider = nw.collaboration_network(kg, include_comentions=True)
    assert set(collab.edges) <= set(wider.edges)
    assert {frozenset(e) for e in wider.edges} == _pairs(kg, TG.collaboratesWith) | _pairs(kg, TG.coMentionedWith)


def test_network_measure_entity_is_bipartite_over_mentions(kg):
    G = nw.measure_entity_network(kg)
    measures = {str(m) for m in kg.subjects(RDF.type, TG.Measure)}
    assert {n for n in G if G.nodes[n]["type"] == "Measure"} == measures
    assert {frozenset(e) for e in G.edges} == {frozenset((str(m), str(e))) for m, e in kg.subject_objects(TG.mentions)}
    assert nx.is_bipartite(G)
    mentions = sum(1 for _ in kg.subjects(RDF.type, TG.Mention))
    assert sum(w for _a, _b, w in G.edges(data="mentions")) == mentions


def test_network_overview_has_every_measure_and_relation(kg, overview):
    assert sum(1 for n in overview if overview.nodes[n]["type"] == "Measure") == \
        len(set(kg.subjects(RDF.type, TG.Measure))) == 88
    edges = {frozenset(e) for e in overview.edges}
    for predicate in (TG.mentions, TG.responsible, TG.relatedMeasure, TG.collaboratesWith):
        assert _pairs(kg, predicate) <= edges, predicate
    for m in overview:
        attrs = overview.nodes[m]
        if attrs["type"] == "Measure":
            assert attrs["statuses"] == (attrs["status"],) and attrs["status"]
            assert attrs["ministries"], f"measure {attrs['number']} has no responsible ministry"


def test_network_crossref_is_directed_like_related_measure(kg):
    G = nw.crossref_network(kg)
    assert G.is_directed()
    assert set(G.edges) == {(str(a), str(b)) for a, b in kg.subject_objects(TG.relatedMeasure)}


def test_network_nodes_carry_the_facets_the_filters_use(overview):
    for _n, attrs in overview.nodes(data=True):
        assert {"label", "name", "type", "group", "measures", "ministries", "statuses"} <= set(attrs)
        assert attrs["label"] and len(attrs["label"]) <= 28
    for _a, _b, attrs in overview.edges(data=True):
        assert {"relation", "weight", "measures", "ministries", "statuses", "evidence"} <= set(attrs)


@pytest.mark.parametrize("name", ["bufdir", "BUFDIR", "Barne-, ungdoms- og familiedirektoratet", "  Bufdir "])
def test_network_resolve_entity_by_label_case_insensitively(kg, name):
    iri = nw.resolve_entity(kg, name)
    assert iri.endswith("/entity/bufdir")
    assert nw.resolve_entity(kg, iri) == iri
    assert nw.resolve_entity(kg, "bufdir") == iri  # the entity key


def test_network_resolve_entity_lists_close_matches(kg):
    with pytest.raises(InputError) as info:
        nw.resolve_entity(kg, "Bufdirr")
    assert "did you mean" in str(info.value) and "Bufdir" in str(info.value)


def test_network_resolve_entity_of_the_wrong_type_says_what_it_is(kg):
    with pytest.raises(InputError, match="is an Agency, not a Programme"):
        nw.programme_trace(kg, "Bufdir")


def test_network_resolve_entity_without_any_match(kg):
    with pytest.raises(InputError, match="no entity is called"):
        nw.resolve_entity(kg, "zzqqxx")


def test_network_neighbourhood_is_the_entity_and_its_neighbours(kg, overview):
    iri = nw.resolve_entity(kg, "NKVTS")
    G = nw.neighbourhood(kg, "NKVTS")
    assert set(G) == {iri, *overview.neighbors(iri)}
    assert G.graph["centre"] == iri
    assert len(nw.neighbourhood(kg, "NKVTS", radius=2)) > len(G)


def test_network_measure_neighbourhood(kg, overview):
    G = nw.measure_neighbourhood(kg, 12)
    centre = G.graph["centre"]
    assert G.nodes[centre]["number"] == 12
    responsible = {str(r) for m in kg.subjects(TG.measureNumber, None) if int(kg.value(m, TG.measureNumber)) == 12
                   for r in kg.objects(m, TG.responsible)}
    assert responsible and responsible <= set(G)
    with pytest.raises(InputError, match="no measure number 999"):
        nw.measure_neighbourhood(kg, 999)


def test_network_programme_trace(kg):
    programme = next(str(p) for p in kg.subjects(RDF.type, TG.Programme)
                     if len(set(kg.subjects(TG.mentions, p))) >= 2)
    name = str(kg.value(URIRef(programme), SKOS.prefLabel))
    G = nw.programme_trace(kg, name)
    measures = {str(m) for m in kg.subjects(TG.mentions, URIRef(programme))}
    assert G.graph["centre"] == programme
    assert {n for n in G if G.nodes[n]["type"] == "Measure"} == measures
    for n, attrs in G.nodes(data=True):
        if attrs["type"] == "Agency":
            assert any(m in measures for m in G.neighbors(n))


def test_network_centrality_matches_networkx(collab):
    rows = {r.node: r for r in nw.centrality(collab)}
    assert set(rows) == set(collab)
    between = nx.betweenness_centrality(collab)
    for n, r in rows.items():
        assert r.degree == collab.degree(n)
        assert r.weighted_degree == collab.degree(n, weight="weight")
        assert r.betweenness == pytest.approx(between[n])
    ordered = nw.centrality(collab)
    assert [r.betweenness for r in ordered] == sorted((r.betweenness for r in ordered), reverse=True)


def test_network_communities_partition_the_network_and_are_stable(collab):
    first = nw.communities(collab)
    assert first == nw.communities(collab)
    members = [n for c in first for n in c]
    assert sorted(members) == sorted(collab)
    assert [len(c) for c in first] == sorted((len(c) for c in first), reverse=True)


def test_network_bridging_agencies_fit_the_definition(kg):
    bridges = nw.bridging_agencies(kg)
    assert bridges
    measures_of: dict[str, set[frozenset[str]]] = {}
    for m in kg.subjects(RDF.type, TG.Measure):
        resp = frozenset(str(r) for r in kg.objects(m, TG.responsible))
        for e in kg.objects(m, TG.mentions):
            measures_of.setdefault(str(e), set()).add(resp)
    for bridge in bridges:
        sets = [s for s in measures_of[bridge.agency] if s]
        assert any(not a & b for a, b in itertools.combinations(sets, 2)), bridge.name
        assert len(bridge.ministries) >= 2
    scores = [len(b.ministries) for b in bridges]
    assert scores == sorted(scores, reverse=True)
    assert nw.resolve_entity(kg, "Bufdir") in {b.agency for b in bridges}


def test_network_stats_gathers_the_tables(kg, collab):
    stats = nw.network_stats(kg, top=5)
    assert len(stats.agencies_by_degree) == 5
    assert stats.agencies_by_degree[0].degree == max(d for _n, d in collab.degree)
    assert all(r.type == "Programme" for r in stats.programmes)
    assert all(r.type == "Law" for r in stats.laws)
    assert stats.collaboration_size == (collab.number_of_nodes(), collab.number_of_edges())


def test_network_accepts_a_dataset(tiny_dataset):
    G = nw.collaboration_network(tiny_dataset)
    assert G.number_of_nodes() == 3 and G.number_of_edges() == 3


@pytest.mark.parametrize(("name", "alts", "expected"), [
    ("Barne-, ungdoms- og familiedirektoratet", ["BUFDIR", "Bufdir", "Bufdirs"], "Bufdir"),
    ("Politiet", ["Politi", "politiet"], "Politiet"),
    ("Nasjonalt kunnskapssenter om vold og traumatisk stress", ["NKVTS", "NKVTS'"], "NKVTS"),
    ("OsloMet – storbyuniversitetet", ["HiOA", "OsloMet"], "OsloMet"),
    ("Regionalt ressurssenter om vold, traumatisk stress og selvmordsforebygging – region midt", ["RVTS Midt"],
     "RVTS Midt"),
    ("Forskningsprogram om vold i nære relasjoner", ["forskningsprogrammet"], "Forskningsprogram om vold i…"),
])
def test_network_short_label(name, alts, expected):
    assert nw.short_label(name, alts) == expected


@pytest.mark.parametrize(("name", "responsible", "kind"), [
    ("Kommunal- og moderniseringsdepartementet", False, "Ministry"),
    ("Stortinget", True, "Ministry"),
    ("Helsedirektoratet", False, "Directorate & state body"),
    ("Helse Bergen HF", False, "Health service"),
    ("Trøndelag politidistrikt", False, "Police & justice"),
    ("Kvam herad", False, "Municipality & county"),
    ("Nasjonalt kunnskapssenter om vold og traumatisk stress", False, "Research & competence"),
    ("Redd Barna", False, "Organisation"),
    ("Something else entirely", False, "Organisation"),
])
def test_network_agency_kind(name, responsible, kind):
    assert nw.agency_kind(name, responsible=responsible) == kind


def _as_data(G: nx.Graph) -> tuple:
    """Everything a projection holds, in its order: nodes, edges, their attributes, graph data."""
    return list(G.nodes(data=True)), list(G.edges(data=True)), G.graph


@pytest.mark.parametrize("project", [
    nw.collaboration_network, nw.measure_entity_network, nw.crossref_network, nw.overview_network,
    lambda g: nw.programme_trace(g, "TryggEst"), lambda g: nw.neighbourhood(g, "NKVTS", radius=2),
], ids=["collaboration", "measure-entity", "crossref", "overview", "programme-trace", "neighbourhood"])
def test_network_triple_index_projects_as_rdflib_does(built, kg, project):
    """The build hands the views a ``TripleIndex`` of plain strings over its quads; every
    projection must come out exactly as from the rdflib graph, order included."""
    import pyoxigraph as ox

    index = nw.TripleIndex(ox.parse(path=str(built / "graph.trig"), format=ox.RdfFormat.TRIG),
                           only=nw.READ_PREDICATES)
    assert _as_data(project(index)) == _as_data(project(kg))
    assert nw.network_stats(index) == nw.network_stats(kg)
