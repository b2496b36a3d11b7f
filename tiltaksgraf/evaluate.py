"""Entity accuracy against gold annotations, scored the way ``shared/tools/score_entities.py``
scores: per measure, the entities a measure ``tg:mentions`` or is ``tg:responsible`` to are
matched one-to-one (greedily, in gold order) to gold entities by any label after folding; gold
entries marked ``descriptive`` are optional. Per-type and micro-averaged P/R/F1, typed and
untyped.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tiltaksgraf.entity_types import sparql_values
from tiltaksgraf.errors import InputError
from tiltaksgraf.extract.resolve import fold
from tiltaksgraf.records import ENTITY_TYPES

_QUERY = """
PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?num ?e ?type ?label WHERE {
  ?m a tg:Measure ; tg:measureNumber ?num .
  { ?m tg:mentions ?e } UNION { ?m tg:responsible ?e }
  ?e a ?type .
  {values}
  { ?e skos:prefLabel ?label } UNION { ?e skos:altLabel ?label } UNION { ?e rdfs:label ?label }
}
""".replace("{values}", sparql_values("type"))
_TG = "https://w3id.org/tiltaksgraf/ontology#"


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass
class Scores:
    typed: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    untyped: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    errors: list[tuple[int, str, str, str]] = field(default_factory=list)  # (measure, missed|extra, type, label)

    @staticmethod
    def micro(table: dict[str, Counts]) -> Counts:
        return Counts(sum(c.tp for c in table.values()), sum(c.fp for c in table.values()),
                      sum(c.fn for c in table.values()))


def load_gold(path: str | Path) -> dict[int, list[dict]]:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return {int(k): v for k, v in raw["measures"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read gold annotations: {exc}", path=str(path),
                         hint='expected {"measures": {"<number>": [{"type", "canonical", "aliases"}, …]}}') from exc


def predictions(graph_path: str | Path) -> dict[int, dict[str, dict[str, set[str]]]]:
    """Per measure, each linked entity's types and folded labels. Read with Oxigraph: the
    same query on rdflib takes ten times as long."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(graph_path), format=ox.RdfFormat.TURTLE)
    pred: dict[int, dict[str, dict[str, set[str]]]] = defaultdict(lambda: defaultdict(lambda: {"types": set(), "labels": set()}))
    for row in store.query(_QUERY):
        ent = pred[int(row["num"].value)][row["e"].value]
        ent["types"].add(row["type"].value[len(_TG):])
        ent["labels"].add(fold(row["label"].value))
    return pred


def score(pred: dict[int, dict[str, dict[str, set[str]]]], gold: dict[int, list[dict]]) -> Scores:
    scores = Scores()
    for number in sorted(gold):
        for typed, table in ((True, scores.typed), (False, scores.untyped)):
            _match(number, pred.get(number, {}), gold[number], typed, table,
                   scores.errors if typed else None)
    return scores


def _match(number: int, pred: dict[str, dict[str, set[str]]], gold: list[dict], typed: bool,
           table: dict[str, Counts], errors: list | None) -> None:
    used: set[str] = set()
    for g in gold:
        names = {fold(g["canonical"])} | {fold(a) for a in g.get("aliases", [])}
        hit = next((iri for iri, p in pred.items() if iri not in used
                    and (not typed or g["type"] in p["types"]) and p["labels"] & names), None)
        if hit:
            used.add(hit)
            if not g.get("descriptive"):
                table[g["type"]].tp += 1
        elif not g.get("descriptive"):
            table[g["type"]].fn += 1
            if errors is not None:
                errors.append((number, "missed", g["type"], g["canonical"]))
    for iri, p in pred.items():
        if iri not in used:
            t = sorted(p["types"])[0] if p["types"] else "?"
            table[t].fp += 1
            if errors is not None:
                errors.append((number, "extra", t, sorted(p["labels"])[0] if p["labels"] else iri))


def evaluate_graph(gold_path: str | Path, graph_dir: str | Path) -> Scores:
    from tiltaksgraf.graph.store import graph_file

    gold = load_gold(gold_path)
    return score(predictions(graph_file(graph_dir)), gold)


def format_scores(scores: Scores, *, show_errors: bool = False) -> str:
    lines = []
    if show_errors:
        lines += [f"measure {n} {kind} {t}: {label}" for n, kind, t, label in scores.errors]
    lines.append("%-10s %6s %6s %6s   (typed)" % ("type", "P", "R", "F1"))
    for t in ENTITY_TYPES:
        c = scores.typed.get(t)
        if c:
            p, r, f = c.prf()
            lines.append("%-10s %6.3f %6.3f %6.3f   tp=%d fp=%d fn=%d" % (t, p, r, f, c.tp, c.fp, c.fn))
    typed = Scores.micro(scores.typed).prf()[2]
    untyped = Scores.micro(scores.untyped).prf()[2]
    lines.append("entity micro-F1 typed=%.3f untyped=%.3f" % (typed, untyped))
    return "\n".join(lines)
