"""Stage 4b, relate: resolved mentions + sentences → ``[Relation]``.

Per sentence: collaboration (a trigger such as "i samarbeid med", or agencies coordinated as the
subject: "POD og Bufdir har utarbeidet …"), plain co-mention (the weaker relation), commissioning
("på oppdrag fra X", "X ga Y i oppdrag", "bestilt av X"), funding ("bevilget 10,2 mill. kroner i
2022") and cross-references ("se tiltak 7", "jf. tiltak 28 og 33"). Trigger patterns are data
(ontology/relations.jsonl); each relation records the id of the rule that made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from tiltaksgraf.errors import DataError
from tiltaksgraf.extract.gazetteer import DATA_DIR, _read_jsonl, load_knowledge
from tiltaksgraf.extract.nlp import SegmentAnalysis
from tiltaksgraf.entity_types import CONCERN_TYPES, FUNDABLE_TYPES
from tiltaksgraf.records import Entity, EntityType, Evidence, Mention, Relation, Report, Span

_KINDS = ("collaboration", "commission", "funding")
_WINDOW = 90  # characters between a commissioning trigger and the agency it points at
_CROSSREF = re.compile(r"\b(?:tiltak|tiltakene|punkt|punktene)\s+(?P<nums>\d{1,3}(?:\s*(?:,|og|/)\s*(?:tiltak\s+)?\d{1,3})*)\b",
                       re.IGNORECASE)
# An amount starts where its digits start (?<!\d), and has at most four groups of thousands: tried
# from every digit of a long run, or every group of a long "1 000 000 …", the search was
# quadratic in the run's length (20,000 digits: 18 s; 64,000 characters of groups: 20 s).
_AMOUNT = re.compile(
    r"(?<!\d)(?P<num>\d{1,3}(?:[ \u00a0.]\d{3}){1,4}|\d+(?:,\d+)?)"
    r"\s*(?P<unit>mill\.|millioner|million|mrd\.|milliarder|milliard)?\s*(?:kroner|kr\.)", re.IGNORECASE)
_UNITS = {"mill.": 1e6, "millioner": 1e6, "million": 1e6, "mrd.": 1e9, "milliarder": 1e9, "milliard": 1e9}
_YEAR = re.compile(r"\b(?:i|for|fra|budsjettet\s+for|statsbudsjettet\s+for)\s+(?P<year>20\d{2})\b", re.IGNORECASE)
_SUBJECT_LEAD = re.compile(r"^\s*(?:(?:I|Fra|Siden)\s+\d{4}\s+(?:har|ble|var)?\s*|Både\s+|Blant\s+annet\s+(?:har\s+)?)?$")
_COORDINATION = re.compile(r"^\s*(?:,|og|/|samt|,\s*og)\s*$")


@dataclass(frozen=True)
class Trigger:
    id: str
    kind: str
    regex: re.Pattern[str]
    commissioner: str | None = None  # "before" / "after" the trigger
    contractor: str | None = None


@lru_cache(maxsize=2)
def load_triggers(path: Path = DATA_DIR / "relations.jsonl") -> tuple[Trigger, ...]:
    triggers = []
    for line, row in _read_jsonl(path):
        if row.get("kind") not in _KINDS:
            raise DataError(f"kind {row.get('kind')!r} is not one of {', '.join(_KINDS)}", path=str(path), line=line)
        try:
            regex = re.compile(row["regex"], re.IGNORECASE | re.DOTALL)
        except (KeyError, re.error) as exc:
            raise DataError(f"{row.get('id')}: bad regex: {exc}", path=str(path), line=line) from exc
        triggers.append(Trigger(row["id"], row["kind"], regex, row.get("commissioner"), row.get("contractor")))
    return tuple(triggers)


def extract_relations(report: Report, analyses: list[SegmentAnalysis], mentions: list[Mention],
                      entities: list[Entity]) -> list[Relation]:
    types = {e.key: e.type for e in entities}
    numbers = {m.number for m in report.measures}
    by_sentence: dict[tuple[int, int], list[Mention]] = {}
    for m in mentions:
        if m.field != "section":  # a "BFD:" label takes part in nothing the sentence says
            by_sentence.setdefault((m.sentence.start, m.sentence.end), []).append(m)
    triggers = load_triggers()
    text = report.source.text
    main_programme = _main_programmes(mentions, types)
    relations: list[Relation] = []
    for analysis in analyses:
        for sentence in analysis.sentences:
            in_sentence = sorted(by_sentence.get((sentence.start, sentence.end), []), key=lambda m: m.start)
            evidence = Evidence(sentence.start, sentence.end, text[sentence.start:sentence.end])
            found = _sentence_relations(analysis.measure, sentence, evidence, in_sentence, types, triggers)
            relations += [_resolve_anaphora(r, main_programme.get(analysis.measure)) for r in found]
            relations += _cross_references(analysis.measure, sentence, evidence, numbers)
    return relations


_ANAPHORA = re.compile(r"\btil\s+(?:programmet|prosjektet|modellen|ordningen|tiltaket|satsingen)\b", re.IGNORECASE)


def _main_programmes(mentions: list[Mention], types: dict[str, EntityType]) -> dict[int, str]:
    """Per measure, the programme it is about: the one named most often, if one stands out."""
    counts: dict[int, dict[str, int]] = {}
    for m in mentions:
        if types.get(m.entity_key) == "Programme":
            per = counts.setdefault(m.measure, {})
            per[m.entity_key] = per.get(m.entity_key, 0) + 1
    out = {}
    for measure, per in counts.items():
        ranked = sorted(per.items(), key=lambda kv: -kv[1])
        if len(ranked) == 1 or ranked[0][1] >= 2 * ranked[1][1]:
            out[measure] = ranked[0][0]
    return out


def _resolve_anaphora(rel: Relation, programme: str | None) -> Relation:
    """"… avsatt 10,2 mill. kroner til programmet": the measure's own programme is funded."""
    if rel.kind != "funding" or rel.concerns or programme is None or not _ANAPHORA.search(rel.evidence.sentence):
        return rel
    return replace(rel, concerns=(programme,), rule_id="funding-anaphora")


def _sentence_relations(measure: int, sentence: Span, evidence: Evidence, mentions: list[Mention],
                        types: dict[str, EntityType], triggers: tuple[Trigger, ...]) -> list[Relation]:
    text = evidence.sentence
    agencies = [m for m in mentions if types.get(m.entity_key) == "Agency"]
    concerns = tuple(dict.fromkeys(m.entity_key for m in mentions
                                   if types.get(m.entity_key) in CONCERN_TYPES))
    out: list[Relation] = []
    commissioners: set[str] = set()
    for trig in (t for t in triggers if t.kind == "commission"):
        for hit in trig.regex.finditer(text):
            rel = _commission(measure, sentence, evidence, hit, trig, agencies, concerns)
            if rel:
                out.append(rel)
                commissioners.add(rel.object or "")
    collaborators = _collaborators(sentence, text, agencies, commissioners, triggers)
    if collaborators:
        keys, rule = collaborators
        out.append(Relation("collaboration", measure, keys, evidence, rule, concerns=concerns))
    distinct = tuple(dict.fromkeys(m.entity_key for m in agencies))
    collaborating = set(collaborators[0]) if collaborators else set()
    comention = tuple(k for k in distinct if k not in collaborating)
    if len(distinct) >= 2 and len(comention) >= 1 and len(set(distinct)) >= 2:
        out.append(Relation("comention", measure, distinct, evidence, "comention-sentence", concerns=concerns))
    out += _funding(measure, sentence, evidence, mentions, agencies, types, triggers)
    return out


def _collaborators(sentence: Span, text: str, agencies: list[Mention], commissioners: set[str],
                   triggers: tuple[Trigger, ...]) -> tuple[tuple[str, ...], str] | None:
    for trig in (t for t in triggers if t.kind == "collaboration"):
        if trig.regex.search(text):
            keys = _without_parents(tuple(dict.fromkeys(m.entity_key for m in agencies
                                                         if m.entity_key not in commissioners)))
            if len(keys) >= 2:
                return keys, trig.id
    chain = _coordinated_subject(sentence, text, agencies)
    if chain and len(_without_parents(chain)) >= 2:
        return _without_parents(chain), "collab-coordinated-subject"
    return None


def _without_parents(keys: tuple[str, ...]) -> tuple[str, ...]:
    """"NOVA/OsloMet" names one institute and the university it belongs to, not two partners:
    an organisation whose unit is also named is dropped."""
    parents = _parents()
    return tuple(k for k in keys if not any(parents.get(other) == k for other in keys))


@lru_cache(maxsize=1)
def _parents() -> dict[str, str]:
    return {e.key: e.parent for e in load_knowledge().gazetteer if e.parent}


def _coordinated_subject(sentence: Span, text: str, agencies: list[Mention]) -> tuple[str, ...] | None:
    """'POD og Bufdir har utarbeidet …', 'NKVTS, RVTS Nord og RVTS Midt jobber …'."""
    if len(agencies) < 2 or not _SUBJECT_LEAD.match(text[: agencies[0].start - sentence.start]):
        return None
    chain = [agencies[0]]
    for m in agencies[1:]:
        between = text[chain[-1].end - sentence.start: m.start - sentence.start]
        if not _COORDINATION.match(between):
            break
        chain.append(m)
    after = text[chain[-1].end - sentence.start:].lstrip()
    keys = tuple(dict.fromkeys(m.entity_key for m in chain))
    if len(keys) < 2 or not re.match(r"[a-zæøå]", after):
        return None
    return keys


def _commission(measure: int, sentence: Span, evidence: Evidence, hit: re.Match[str], trig: Trigger,
                agencies: list[Mention], concerns: tuple[str, ...]) -> Relation | None:
    start, end = sentence.start + hit.start(), sentence.start + hit.end()
    before = [m for m in agencies if m.end <= start and start - m.end <= _WINDOW]
    after = [m for m in agencies if m.start >= end and m.start - end <= _WINDOW]
    pick = {"before": before[-1] if before else None, "after": after[0] if after else None}
    commissioner = pick.get(trig.commissioner or "")
    contractor = pick.get(trig.contractor or "")
    if contractor is None and commissioner is not None and trig.contractor == "before":
        # "På oppdrag fra JD har NKVTS gjennomført …": the one commissioned comes after.
        later = [m for m in agencies if m.start > commissioner.end and m.entity_key != commissioner.entity_key]
        contractor = later[0] if later else None
    if commissioner is None or contractor is None or commissioner.entity_key == contractor.entity_key:
        return None
    return Relation("commission", measure, (contractor.entity_key, commissioner.entity_key), evidence, trig.id,
                    subject=contractor.entity_key, object=commissioner.entity_key, concerns=concerns)


def _funding(measure: int, sentence: Span, evidence: Evidence, mentions: list[Mention], agencies: list[Mention],
             types: dict[str, EntityType], triggers: tuple[Trigger, ...]) -> list[Relation]:
    text = evidence.sentence
    if not any(t.regex.search(text) for t in triggers if t.kind == "funding"):
        return []
    out = []
    years = [(m.start(), int(m["year"])) for m in _YEAR.finditer(text)]
    for hit in _AMOUNT.finditer(text):
        amount = _amount(hit["num"], hit["unit"])
        if amount is None or amount <= 0:
            continue
        year = min(years, key=lambda y: abs(y[0] - hit.start()))[1] if years else None
        funded = [m for m in mentions if m.start - sentence.start >= hit.end()
                  and types.get(m.entity_key) in FUNDABLE_TYPES
                  and m.start - sentence.start - hit.end() <= _WINDOW]
        funder = _funder(sentence, text, hit, agencies)
        funds = tuple(m.entity_key for m in funded[:1] if not funder or m.entity_key != funder)
        out.append(Relation("funding", measure, tuple(k for k in (funder,) if k), evidence, "funding-amount",
                            subject=funder, concerns=funds, amount_nok=amount, year=year))
    return out


def _funder(sentence: Span, text: str, hit: re.Match[str], agencies: list[Mention]) -> str | None:
    m = re.compile(r"\bfra\s+$").search  # "… kroner årlig fra KD"
    for a in agencies:
        rel = a.start - sentence.start
        if rel >= hit.end() and m(text[hit.end():rel][-12:]) and rel - hit.end() < 40:
            return a.entity_key
    before = [a for a in agencies if a.end - sentence.start <= hit.start()]
    if before and re.search(r"\b(bevilg|tildel|gir|ga|finansier|overført)", text[:hit.start()], re.IGNORECASE):
        return before[0].entity_key
    return None


def _amount(number: str, unit: str | None) -> float | None:
    digits = re.sub(r"[ \u00a0.]", "", number) if re.search(r"\d[ \u00a0.]\d{3}", number) else number
    try:
        value = float(digits.replace(",", "."))
    except ValueError:
        return None
    return value * _UNITS.get((unit or "").lower(), 1.0)


def _cross_references(measure: int, sentence: Span, evidence: Evidence, numbers: set[int]) -> list[Relation]:
    out = []
    for hit in _CROSSREF.finditer(evidence.sentence):
        for num in (int(n) for n in re.findall(r"\d{1,3}", hit["nums"])):
            if num in numbers and num != measure:
                out.append(Relation("crossref", measure, (str(measure), str(num)), evidence, "crossref-tiltak",
                                    subject=str(measure), object=str(num)))
    return out

