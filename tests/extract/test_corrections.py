"""Corrections: reject a mention, an entity or a relation by its stable key, merge two entities,
retype one; applied at build time, recorded with PROV, and a target that no longer exists is
reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from tiltaksgraf.cli import main
from tiltaksgraf.errors import DataError
from tiltaksgraf.extract.corrections import apply_corrections, load_corrections
from tiltaksgraf.extract.keys import mention_keys, relation_keys
from tiltaksgraf.graph.iri import mint_iri
from tiltaksgraf.ontology.terms import TG
from tiltaksgraf.pipeline import build

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def _write(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _apply(tmp_path, mini_extraction, *rows):
    corrections = load_corrections(_write(tmp_path / "corrections.jsonl", list(rows)))
    (ex,), outcomes = apply_corrections([mini_extraction], corrections)
    return ex, outcomes


@pytest.mark.parametrize("bad, message", [
    ({"action": "merge", "target": "sfx"}, "give into (the entity key that stays) with merge"),
    ({"action": "reject-entity", "target": "sfx", "into": "htil"}, "with merge, and only with merge"),
    ({"action": "retype", "target": "sfx"}, "give type with retype"),
    ({"action": "retype", "target": "sfx", "type": "Person"}, "type 'Person' is not one of Agency"),
    ({"action": "merge", "target": "sfx", "into": "sfx"}, "cannot be merged into itself"),
    ({"action": "reject-entity", "target": "sfx", "when": "last week"}, "is not an ISO date"),
    ({"action": "reject-entity", "target": " "}, "target must be a non-empty key"),
    ({"action": "delete", "target": "sfx"}, "action 'delete' is not one of 'reject-mention'"),
    ({"action": "reject-entity", "target": "sfx", "reason": "x"}, "unknown key 'reason'; the keys allowed: action"),
    ({"target": "sfx"}, "action is missing"),
])
def test_corrections_bad_line_is_named(tmp_path, bad, message):
    path = _write(tmp_path / "corrections.jsonl", [{"action": "reject-entity", "target": "x"}, bad])
    with pytest.raises(DataError) as error:
        load_corrections(path)
    assert f"{path}:2:" in str(error.value) and message in str(error.value)


def test_corrections_reject_entity_removes_it_everywhere(tmp_path, mini_extraction):
    ex, (outcome,) = _apply(tmp_path, mini_extraction, {"action": "reject-entity", "target": "sfx"})
    assert outcome.applied
    assert "sfx" not in {e.key for e in ex.entities} | {m.entity_key for m in ex.mentions}
    keys = set(relation_keys("mini-report", ex.relations).values())
    assert "collaboration/mini-report/1/htil+sfx" not in keys  # a collaboration of one is none
    assert "collaboration/mini-report/2/kld+htil" in keys


def test_corrections_reject_mention_by_its_stable_key(tmp_path, mini_extraction):
    before = mention_keys("mini-report", mini_extraction.mentions)
    assert "mini-report/1/htil/2" in before.values()
    ex, (outcome,) = _apply(tmp_path, mini_extraction, {"action": "reject-mention", "target": "mini-report/1/htil/2"})
    assert outcome.applied and len(ex.mentions) == len(mini_extraction.mentions) - 1
    assert "htil" in {e.key for e in ex.entities}  # other mentions keep it
    # the last mention of an entity goes with the entity
    ex, _ = _apply(tmp_path, mini_extraction, {"action": "reject-mention", "target": "mini-report/1/si-fra"})
    assert "si-fra" not in {e.key for e in ex.entities}


def test_corrections_reject_relation_by_its_stable_key(tmp_path, mini_extraction):
    target = "collaboration/mini-report/1/helse-nord-rhf+universitetet-i-tromso"
    ex, (outcome,) = _apply(tmp_path, mini_extraction, {"action": "reject-relation", "target": target})
    assert outcome.applied
    after = set(relation_keys("mini-report", ex.relations).values())
    assert after == set(relation_keys("mini-report", mini_extraction.relations).values()) - {target}
    assert {e.key for e in ex.entities} == {e.key for e in mini_extraction.entities}


def test_corrections_merge_moves_mentions_labels_and_relations(tmp_path, mini_extraction):
    ex, (outcome,) = _apply(tmp_path, mini_extraction, {"action": "merge", "target": "sfx", "into": "htil"})
    assert outcome.applied and "sfx" not in {e.key for e in ex.entities}
    htil = next(e for e in ex.entities if e.key == "htil")
    assert "Senter for forebygging og eksempelstudier" in htil.alt_labels
    assert {m.entity_key for m in ex.mentions if m.surface == "SFX"} == {"htil"}
    # "Htil og SFX" was a collaboration of two; merged, it is one party and no collaboration
    assert not any(getattr(r, "partners", ()) == ("htil",) for r in ex.relations)


def test_corrections_retype(tmp_path, mini_extraction):
    ex, (outcome,) = _apply(tmp_path, mini_extraction, {"action": "retype", "target": "si-fra", "type": "Programme"})
    assert outcome.applied and next(e for e in ex.entities if e.key == "si-fra").type == "Programme"


@pytest.mark.parametrize("row, detail", [
    ({"action": "reject-entity", "target": "gone"}, "no entity 'gone' in the reports"),
    ({"action": "merge", "target": "sfx", "into": "gone"}, "no entity 'gone' to merge into"),
    ({"action": "retype", "target": "gone", "type": "Law"}, "no entity 'gone'"),
    ({"action": "reject-mention", "target": "mini-report/9/x"}, "no mention 'mini-report/9/x' in the reports"),
    ({"action": "reject-relation", "target": "collaboration/x"}, "no relation 'collaboration/x' in the reports"),
])
def test_corrections_missing_target_is_reported_not_applied(tmp_path, mini_extraction, row, detail):
    ex, (outcome,) = _apply(tmp_path, mini_extraction, row)
    assert not outcome.applied and detail in outcome.detail
    assert ex == mini_extraction


def test_corrections_build_records_prov_and_reports_missing_targets(tmp_path, capsys):
    report = tmp_path / "mini-report.txt"  # the plan key comes from the file name
    shutil.copy(GOLDEN / "mini-report.txt", report)
    _write(tmp_path / "corrections.jsonl", [  # found beside the report
        {"action": "reject-relation", "target": "collaboration/mini-report/1/helse-nord-rhf+universitetet-i-tromso",
         "by": "Kari Nordmann", "when": "2026-12-01", "why": "they only share a page"},
        {"action": "retype", "target": "gone", "type": "Law", "by": "Kari Nordmann"},
    ])
    result = build([report], tmp_path / "out", write_views=False)
    assert [o.applied for o in result.corrections] == [True, False]
    g = Graph().parse(tmp_path / "out" / "graph.ttl")
    nodes = {str(g.value(n, TG.correctionTarget)): n for n in g.subjects(RDF.type, TG.Correction)}
    applied, missing = nodes["collaboration/mini-report/1/helse-nord-rhf+universitetet-i-tromso"], nodes["gone"]
    assert (applied, RDF.type, PROV.Activity) in g
    assert g.value(applied, TG.correctionOutcome) == Literal("applied")
    assert g.value(missing, TG.correctionOutcome) == Literal("target not found")
    agent = g.value(applied, PROV.wasAssociatedWith)
    assert (agent, RDF.type, PROV.Agent) in g and g.value(agent, RDFS.label) == Literal("Kari Nordmann")
    assert g.value(applied, DCTERMS.date) == Literal("2026-12-01", datatype=XSD.date)
    assert g.value(applied, RDFS.comment) == Literal("they only share a page")
    assert not list(g.subjects(TG.stableKey, Literal(
        "collaboration/mini-report/1/helse-nord-rhf+universitetet-i-tromso")))
    assert list(g.subjects(TG.stableKey, Literal("collaboration/mini-report/2/kld+htil")))

    assert main(["build", str(report), "-o", str(tmp_path / "out2"), "--no-views"]) == 0
    printed = " ".join(capsys.readouterr().err.split())
    assert "corrections: 1 of 2 applied" in printed
    assert "corrections.jsonl:2: retype gone: no entity 'gone' in the reports (the target no longer exists" in printed


def test_corrections_given_file_wins_and_missing_file_is_an_error(tmp_path, capsys):
    report = tmp_path / "mini-report.txt"  # the plan key comes from the file name
    shutil.copy(GOLDEN / "mini-report.txt", report)
    _write(tmp_path / "corrections.jsonl", [{"action": "reject-entity", "target": "gone"}])
    given = _write(tmp_path / "mine.jsonl", [{"action": "reject-entity", "target": "sfx"}])
    result = build([report], tmp_path / "out", write_views=False, corrections=given)
    assert [o.correction.target for o in result.corrections] == ["sfx"]
    g = Graph().parse(tmp_path / "out" / "graph.ttl")
    assert (mint_iri("entity", "sfx"), None, None) not in g
    assert (URIRef(mint_iri("entity", "htil")), None, None) in g
    assert main(["build", str(report), "-o", str(tmp_path / "o3"), "--corrections", str(tmp_path / "no.jsonl")]) == 1
    assert "no such corrections file" in capsys.readouterr().err


def test_corrections_keys_are_in_the_views_details(built):
    """A collaboration edge carries the stable keys of its relations, a node its entity key: the
    view's details show what a corrections file names."""
    from tiltaksgraf.graph.network import collaboration_network
    from tiltaksgraf.graph.store import load_graph
    from tiltaksgraf.graph.viz import _vis_edge, _vis_node

    g = load_graph(built)
    net = collaboration_network(g)
    keys = {str(o) for o in g.objects(None, TG.stableKey)}
    edges = list(net.edges(data=True))
    assert edges and all(attrs["keys"] and set(attrs["keys"]) <= keys for _a, _b, attrs in edges)
    assert all(k.startswith("collaboration/") for _a, _b, attrs in edges for k in attrs["keys"])
    _a, _b, attrs = edges[0]
    assert _vis_edge(0, attrs, False)["tg"]["keys"] == list(attrs["keys"])
    node, node_attrs = next(iter(net.nodes(data=True)))
    assert _vis_node(node, node_attrs, 1)["tg"]["key"] == node.rsplit("/", 1)[-1]
    view_js = (Path(__file__).resolve().parents[2] / "graph" / "assets" / "view.js").read_text("utf-8")
    assert 'row(dl, T.keys, t.keys)' in view_js and 'row(dl, T.key, t.key)' in view_js
