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


def _load(graph_path: str | Path):
    """The graph file in an in-memory Oxigraph store: its queries are ten times as fast as rdflib's."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(graph_path), format=ox.RdfFormat.TURTLE)
    return store


def _select(store, query: str):
    """The solutions of a SELECT query (a scorer's queries are all SELECTs)."""
    import pyoxigraph as ox

    result = store.query(query)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"expected a SELECT query, got {type(result).__name__}")
    return result


def predictions(graph_path: str | Path) -> dict[int, dict[str, dict[str, set[str]]]]:
    """Per measure, each linked entity's types and folded labels. Read with Oxigraph: the
    same query on rdflib takes ten times as long."""
    store = _load(graph_path)
    pred: dict[int, dict[str, dict[str, set[str]]]] = defaultdict(
        lambda: defaultdict(lambda: {"types": set(), "labels": set()}))
    for row in _select(store, _QUERY):
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


# --- relations -------------------------------------------------------------------------------------
# Scored as ``shared/tools/score_relations.py`` scores (gold/README.md gives the conventions):
# collaborations as distinct unordered partner pairs per measure, commissions as (commissioner,
# contractor) with a side the gold leaves null matching anything, fundings by amount (±1 %) with
# years and recipient scored on the hits; "uncertain" gold records are optional. Names are matched
# by any label, folded as the gold's scorer folds them (case, dashes, quotes, spaces).

_RELATION_KINDS = ("collaboration", "commission", "funding")
_PREFIX = f"PREFIX tg: <{_TG}>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" \
          "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def _gold_norm(s: str) -> str:
    import re
    import unicodedata

    s = unicodedata.normalize("NFKC", str(s)).casefold()
    s = re.sub(r"[\u2010-\u2015\u2212]", "-", s)
    s = re.sub(r"[«»\"“”„'’‘`]", "", s)
    s = re.sub(r"\s*-\s*", "-", s)
    return re.sub(r"\s+", " ", s).strip(" .,:;")


@dataclass
class RelationScores:
    counts: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in _RELATION_KINDS})
    right: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in ("concerns", "years", "recipient")})
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (measure, what, detail)


class _Names:
    """Gold name → the folded labels that count as that name."""

    def __init__(self, entity_gold: dict, extra: dict | None) -> None:
        self.aliases: dict[str, set[str]] = defaultdict(set)
        for ents in entity_gold.get("measures", {}).values():
            for e in ents:
                self.aliases[_gold_norm(e["canonical"])] |= {_gold_norm(e["canonical"])} | {
                    _gold_norm(a) for a in e.get("aliases", [])}
        for name, aliases in (extra or {}).items():
            self.aliases[_gold_norm(name)] |= {_gold_norm(name)} | {_gold_norm(a) for a in aliases}

    def forms(self, *names: str | None) -> set[str]:
        out: set[str] = set()
        for n in names:
            if n:
                out |= {_gold_norm(n)} | self.aliases.get(_gold_norm(n), set())
        return out


def _alts(rec: dict, key: str) -> list[str]:
    v = rec.get(key)
    return v if isinstance(v, list) else ([v] if v else [])


def relation_predictions(graph_path: str | Path) -> tuple[dict[str, set[str]], dict[int, dict[str, list[dict]]]]:
    """Every entity's folded labels, and per measure the collaborations, commissions and fundings
    of the graph, read as the gold's scorer reads them."""
    store = _load(graph_path)
    labels: dict[str, set[str]] = defaultdict(set)
    for row in _select(store, _PREFIX + "SELECT ?e ?l WHERE { { ?e skos:prefLabel ?l } UNION { ?e skos:altLabel ?l } "
                                     "UNION { ?e rdfs:label ?l } }"):
        labels[row["e"].value].add(_gold_norm(row["l"].value))
    rel: dict[int, dict[str, list[dict]]] = defaultdict(lambda: {k: [] for k in _RELATION_KINDS})
    collabs: dict[tuple[int, str], dict] = {}
    for row in _select(store, _PREFIX + "SELECT ?n ?c ?p ?x WHERE { ?c a tg:Collaboration ; "
                                     "tg:measure/tg:measureNumber ?n ; tg:participant ?p . "
                                     "OPTIONAL { ?c tg:concerns ?x } }"):
        c = collabs.setdefault((int(row["n"].value), row["c"].value), {"participants": set(), "concerns": None})
        c["participants"].add(row["p"].value)
        if row["x"] is not None and c["concerns"] is None:
            c["concerns"] = row["x"].value
    for (n, _c), c in sorted(collabs.items()):
        rel[n]["collaboration"].append(c)
    for row in _select(store, _PREFIX + "SELECT ?n ?k ?a ?b WHERE { ?k a tg:Commission ; "
                                     "tg:measure/tg:measureNumber ?n . "
                                     "OPTIONAL { ?k tg:commissioner ?a } OPTIONAL { ?k tg:contractor ?b } }"):
        rel[int(row["n"].value)]["commission"].append({
            "commissioner": row["a"].value if row["a"] is not None else None,
            "contractor": row["b"].value if row["b"] is not None else None})
    fundings: dict[tuple[int, str], dict] = {}
    for row in _select(store, _PREFIX + "SELECT ?n ?f ?amount ?y ?x WHERE { ?f a tg:Funding ; "
                                     "tg:measure/tg:measureNumber ?n . OPTIONAL { ?f tg:amount ?amount } "
                                     "OPTIONAL { ?f tg:year ?y } OPTIONAL { ?f tg:funds ?x } }"):
        amount = float(row["amount"].value) if row["amount"] is not None else None
        f = fundings.setdefault((int(row["n"].value), row["f"].value),
                                {"amount": amount, "years": set(), "funds": set()})
        if row["y"] is not None and row["y"].value[:4].isdigit():
            f["years"].add(int(row["y"].value[:4]))
        if row["x"] is not None:
            f["funds"].add(row["x"].value)
    for (n, _f), f in sorted(fundings.items()):
        rel[n]["funding"].append(f)
    return labels, rel


def score_relations(gold: dict, names: _Names, labels: dict[str, set[str]],
                    rel: dict[int, dict[str, list[dict]]]) -> RelationScores:
    scores = RelationScores()

    def is_(iri: str | None, forms: set[str]) -> bool:
        return bool(iri) and bool(labels.get(iri or "", set()) & forms)

    def label(iri: str | None) -> str:
        return min(labels.get(iri, {iri})) if iri else "?"

    for num, g in sorted(gold["measures"].items(), key=lambda kv: int(kv[0])):
        num = int(num)
        pred = rel.get(num, {k: [] for k in _RELATION_KINDS})
        _score_collaborations(num, g, pred, names, is_, label, scores)
        _score_commissions(num, g, pred, names, is_, label, scores)
        _score_fundings(num, g, pred, names, is_, scores)
    return scores


def _score_collaborations(num, g, pred, names, is_, label, scores: RelationScores) -> None:
    import itertools

    by_pair: dict[frozenset, tuple] = {}  # one unit per distinct pair, certain when any record stating it is
    for r in g.get("collaboration", []):
        for a, b in itertools.combinations(r["participants"], 2):
            key = frozenset((_gold_norm(a), _gold_norm(b)))
            prev = by_pair.get(key)
            if prev is None or (prev[2] is False and not r.get("uncertain")):
                alt = r.get("participant_alt") or {}
                by_pair[key] = (names.forms(a, *alt.get(a, [])), names.forms(b, *alt.get(b, [])),
                                not r.get("uncertain"), r)
    gold_pairs = list(by_pair.values())
    pred_pairs: set[tuple[str, str]] = set()
    concerns_of: dict[tuple[str, str], str | None] = {}
    for c in pred["collaboration"]:
        for a, b in itertools.combinations(sorted(set(c["participants"])), 2):
            pred_pairs.add((a, b))
            concerns_of[(a, b)] = c["concerns"]
    found: set[int] = set()
    counts = scores.counts["collaboration"]
    for a, b in sorted(pred_pairs):
        hit = None
        for i, (fa, fb, certain, _r) in enumerate(gold_pairs):
            if (is_(a, fa) and is_(b, fb)) or (is_(a, fb) and is_(b, fa)):
                hit = i
                if certain:
                    break
        if hit is None:
            counts.fp += 1
            scores.errors.append((num, "collaboration extra", " + ".join(sorted(label(x) for x in (a, b)))))
        elif gold_pairs[hit][2] and hit not in found:
            counts.tp += 1
            found.add(hit)
            want = gold_pairs[hit][3].get("concerns")
            if want:
                scores.right["concerns"][1] += 1
                got = concerns_of.get((a, b))
                scores.right["concerns"][0] += is_(got, names.forms(want, *_alts(gold_pairs[hit][3], "concerns_alt")))
    for i, (fa, fb, certain, r) in enumerate(gold_pairs):
        if certain and i not in found:
            counts.fn += 1
            scores.errors.append((num, "collaboration missed", "%s + %s: %s" % (
                min(fa, default="?"), min(fb, default="?"), r["quote"][:90])))


def _score_commissions(num, g, pred, names, is_, label, scores: RelationScores) -> None:
    used: set[int] = set()
    counts = scores.counts["commission"]
    gold = g.get("commission", [])
    for k in pred["commission"]:
        hit = None
        for i, r in enumerate(gold):
            if i in used:
                continue
            ok_a = r.get("commissioner") is None or is_(
                k["commissioner"], names.forms(r["commissioner"], *_alts(r, "commissioner_alt")))
            ok_b = r.get("contractor") is None or is_(
                k["contractor"], names.forms(r["contractor"], *_alts(r, "contractor_alt")))
            if ok_a and ok_b:
                hit = i
                break
        if hit is None:
            counts.fp += 1
            extra = "%s -> %s" % (label(k["commissioner"]), label(k["contractor"]))
            scores.errors.append((num, "commission extra", extra))
        else:
            used.add(hit)
            counts.tp += not gold[hit].get("uncertain")
    for i, r in enumerate(gold):
        if i not in used and not r.get("uncertain"):
            counts.fn += 1
            missed = "%s -> %s: %s" % (r.get("commissioner"), r.get("contractor"), r["quote"][:80])
            scores.errors.append((num, "commission missed", missed))


def _score_fundings(num, g, pred, names, is_, scores: RelationScores) -> None:
    used: set[int] = set()
    counts = scores.counts["funding"]
    gold = g.get("funding", [])
    for f in pred["funding"]:
        hit = None
        for i, r in enumerate(gold):
            if i in used or r.get("amount_nok") is None or f["amount"] is None:
                continue
            if abs(f["amount"] - r["amount_nok"]) <= 0.01 * r["amount_nok"]:
                hit = i
                break
        if hit is None:
            if f["amount"] is None and any(r.get("amount_nok") is None for r in gold):
                continue  # an amount-less funding the gold also has: optional
            counts.fp += 1
            scores.errors.append((num, "funding extra", str(f["amount"])))
            continue
        used.add(hit)
        r = gold[hit]
        if r.get("uncertain"):
            continue
        counts.tp += 1
        scores.right["years"][1] += 1
        scores.right["years"][0] += f["years"] == set(r.get("years") or [])
        if r.get("recipient"):
            scores.right["recipient"][1] += 1
            forms = names.forms(r["recipient"], *_alts(r, "recipient_alt"))
            scores.right["recipient"][0] += any(is_(x, forms) for x in f["funds"])
    for i, r in enumerate(gold):
        if i not in used and not r.get("uncertain") and r.get("amount_nok") is not None:
            counts.fn += 1
            scores.errors.append((num, "funding missed", "%s: %s" % (r["amount_nok"], r["quote"][:80])))


def evaluate_relations(gold_path: str | Path, entity_gold_path: str | Path, graph_dir: str | Path) -> RelationScores:
    from tiltaksgraf.graph.store import graph_file

    try:
        gold = json.loads(Path(gold_path).read_text(encoding="utf-8"))
        entity_gold = json.loads(Path(entity_gold_path).read_text(encoding="utf-8"))
        gold["measures"].items()
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"cannot read relation gold annotations: {exc}", path=str(gold_path),
                         hint='expected {"measures": {"<number>": '
                              '{"collaboration": […], "commission": […], "funding": […]}}}') from exc
    labels, rel = relation_predictions(graph_file(graph_dir))
    return score_relations(gold, _Names(entity_gold, gold.get("names")), labels, rel)


def format_relation_scores(scores: RelationScores, *, show_errors: bool = False) -> str:
    lines = [f"measure {n} {what}: {detail}" for n, what, detail in scores.errors] if show_errors else []
    lines.append("%-14s %6s %6s %6s" % ("relation", "P", "R", "F1"))
    for kind, c in scores.counts.items():
        p, r, f = c.prf()
        lines.append("%-14s %6.3f %6.3f %6.3f   tp=%d fp=%d fn=%d" % (kind, p, r, f, c.tp, c.fp, c.fn))
    (cp, cr, _), (mp, mr, _), (fp, fr, _) = (scores.counts[k].prf() for k in _RELATION_KINDS)
    concerns, years, recipients = ("{}/{}".format(*scores.right[k]) for k in ("concerns", "years", "recipient"))
    lines.append(f"relations: collaboration P={cp:.3f} R={cr:.3f}; commission P={mp:.3f} R={mr:.3f}; "
                 f"funding P={fp:.3f} R={fr:.3f}; concerns {concerns}, funding years {years}, recipients {recipients}")
    return "\n".join(lines)
