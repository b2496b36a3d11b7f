"""Stage 4b, relate: resolved mentions + sentences → relations, one record type per kind
(``records.Collaboration``, ``Consultation``, ``Commission``, ``Funding``, ``CrossReference``,
``CoMention``).

Per sentence, a trigger phrase says what kind of relation it is and on which side of it each party
stands: "NKVTS har i samarbeid med FHI …" (the clause's subject + the names coordinated right
after the trigger), "et samarbeid mellom A og B" (only the names after it), "i samråd med Udir"
(consultation, not collaboration), "har NKVTS fått i oppdrag å …" (a commission whose commissioner
the sentence does not name), "med tilskudd fra Hdir" (a grant, not a commission). Names count as
one party list only when coordinated ("A, B og C", "Nordlandsforskning/KUN") inside one clause, so
two sentences glued together do not join partners. Without a trigger, agencies coordinated as the
subject of a verb are collaborators ("POD og Bufdir har utarbeidet …") unless the sentence says
they work each on their own ("innenfor sine respektive fagområder"). Fundings keep every year a
sum applies to and what gets the money, never the budget it is paid over.

The rules are data (``ontology/relations.jsonl``, loaded and checked by ``relation_rules.py``); this
module holds the mechanism. Each relation records the id of the rule that made it.

Over 400 lines: one mechanism shared by the relation kinds (clauses, parties, sides); split per kind
it would repeat that mechanism.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Literal

from tiltaksgraf.entity_types import CONCERN_TYPES
from tiltaksgraf.extract.anaphora import SENTENCES_BACK
from tiltaksgraf.extract.gazetteer import Knowledge, load_knowledge
from tiltaksgraf.extract.nlp import SegmentAnalysis
from tiltaksgraf.extract.relation_rules import RelationRules, load_rules
from tiltaksgraf import forked
from tiltaksgraf.records import (
    Collaboration, CoMention, Commission, Consultation, CrossReference, Entity, EntityType, Evidence, Funding,
    Mention, Relation, Report, Span,
)

_WINDOW = 90  # characters between a trigger and the name it points at
_Group = tuple[tuple[str, ...], str, tuple[int, int]]  # (partner keys, rule id, (start, end) of the trigger)


# --- per report ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Context:
    """What one sentence's rules need to know beyond the sentence."""

    measure: int
    sentence: Span
    evidence: Evidence
    types: dict[str, EntityType]
    labels: dict[str, str]  # entity key → preferred label
    parents: dict[str, str]
    rules: RelationRules
    topic: str | None  # what the measure is about, for sentences that refer back to it
    lead: str | None  # the agency the measure's reporting is mostly about, for subjectless clauses
    # the programme the paragraph named last, in the sentences just before: what "prosjektet" or
    # "programmet" refers back to before the measure's topic
    recent: str | None = None
    previous_subject: str | None = None  # the agency the paragraph's sentence before opens with

    def referred(self, partners: tuple[str, ...] = ()) -> str | None:
        """What a sentence that refers back ("til gjennomføring av prosjektet") is about."""
        if self.recent and self.recent not in partners and self.rules.matches("refers-back-programme", self.text):
            return self.recent
        if self.topic and self.topic not in partners and self.rules.matches("refers-back", self.text):
            return self.topic
        return None

    @property
    def text(self) -> str:
        return self.evidence.sentence

    def at(self, m: Mention) -> tuple[int, int]:
        return m.start - self.sentence.start, m.end - self.sentence.start


def extract_relations(report: Report, analyses: list[SegmentAnalysis], mentions: list[Mention],
                      entities: list[Entity], knowledge: Knowledge | None = None,
                      rules: RelationRules | None = None) -> list[Relation]:
    types = {e.key: e.type for e in entities}
    labels = {e.key: e.pref_label for e in entities}
    rules = rules or load_rules()
    parents = _parents(knowledge or load_knowledge())
    numbers = {m.number for m in report.measures}
    by_sentence: dict[tuple[int, int], list[Mention]] = {}
    for m in mentions:
        if m.field != "section":  # a "BFD:" label takes part in nothing the sentence says
            by_sentence.setdefault((m.sentence.start, m.sentence.end), []).append(m)
    text = report.source.text
    topics = _topics(mentions, types)
    leads = _leads(mentions, types)

    def relations_of(part: list[SegmentAnalysis]) -> list[Relation]:
        relations: list[Relation] = []
        last_money: dict[int, Funding] = {}  # per measure, the last funding, with a sum or without (a grant)
        for analysis in part:
            named_before: list[list[Mention]] = []  # the paragraph's sentences so far, their mentions
            for sentence in analysis.sentences:
                in_sentence = sorted(by_sentence.get((sentence.start, sentence.end), []),
                                     key=lambda m: (m.start, -m.end))
                evidence = Evidence(sentence.start, sentence.end, text[sentence.start:sentence.end])
                ctx = _Context(analysis.measure, sentence, evidence, types, labels, parents, rules,
                               topics.get(analysis.measure), leads.get(analysis.measure),
                               _last_programme(named_before[-SENTENCES_BACK:], types),
                               _opening_agency(text, named_before[-1] if named_before else [], types, rules))
                named_before.append(in_sentence)
                for rel in _sentence_relations(ctx, in_sentence):
                    if isinstance(rel, Funding):
                        if rel.amount_nok:
                            rel = _continuing(ctx, rel, last_money.get(ctx.measure))
                        last_money[ctx.measure] = rel
                    relations.append(rel)
                relations += _cross_references(ctx, numbers)
        return relations

    first, second = _measure_halves(analyses)
    if not second or not forked.worth_splitting(len(text)):
        return relations_of(analyses)
    # As the analysis (extract/nlp): the second half of the measures on a free core, in a child.
    own, theirs = forked.beside(lambda: relations_of(first), lambda: relations_of(second))
    return own + theirs


def _measure_halves(analyses: list[SegmentAnalysis]) -> tuple[list[SegmentAnalysis], list[SegmentAnalysis]]:
    """The analyses cut in two at a change of measure near their middle; nothing in the second
    part when a measure would have analyses on both sides (what a measure's relations carry from
    one sentence to the next, its last funding, stays within one part)."""
    cut = len(analyses) // 2
    while 0 < cut < len(analyses) and analyses[cut].measure == analyses[cut - 1].measure:
        cut += 1
    first, second = analyses[:cut], analyses[cut:]
    if not first or {a.measure for a in first} & {a.measure for a in second}:
        return analyses, []
    return first, second


def _last_programme(sentences: list[list[Mention]], types: dict[str, EntityType]) -> str | None:
    """The programme named last in ``sentences`` (a paragraph's sentences just before)."""
    for mentions in reversed(sentences):
        for m in reversed(mentions):
            if types.get(m.entity_key) == "Programme":
                return m.entity_key
    return None


def _opening_agency(text: str, mentions: list[Mention], types: dict[str, EntityType],
                    rules: RelationRules) -> str | None:
    """The agency a sentence opens with, its subject ("RVTS Sør startet i 2020 …")."""
    agencies = [m for m in mentions if types.get(m.entity_key) == "Agency"]
    if not agencies:
        return None
    first = agencies[0]
    return first.entity_key if rules.patterns["subject-lead"].match(text[first.sentence.start:first.start]) else None


def _continuing(ctx: _Context, funding: Funding, previous: Funding | None) -> Funding:
    """"60 mill. kroner av tilskuddet er øremerket …", "Bevilgningen for 2021 videreføres med …": a
    part of, an addition to or the sum of the money the text named before goes from the same payer
    to the same recipient, in the same years unless it names its own."""
    if previous is None or not ctx.rules.patterns["continues"].search(ctx.text):
        return funding
    return replace(funding, recipients=funding.recipients or previous.recipients,
                   years=funding.years or previous.years, funder=funding.funder or previous.funder)


def _parents(knowledge: Knowledge) -> dict[str, str]:
    return {e.key: e.parent for e in knowledge.gazetteer if e.parent}


def _topics(mentions: list[Mention], types: dict[str, EntityType]) -> dict[int, str]:
    """Per measure, what it is about: the programme, plan or report its description names, else
    the programme its reporting names most often (of equals, the one named first)."""
    described: dict[int, str] = {}
    counts: dict[int, Counter[str]] = {}
    for m in mentions:
        if types.get(m.entity_key) not in CONCERN_TYPES:
            continue
        if m.field == "description":
            described.setdefault(m.measure, m.entity_key)
        elif types.get(m.entity_key) == "Programme":
            counts.setdefault(m.measure, Counter())[m.entity_key] += 1
    out = {measure: max(per, key=lambda k: per[k]) for measure, per in counts.items()}  # Counter keeps first-seen order
    out.update(described)
    return out


def _leads(mentions: list[Mention], types: dict[str, EntityType]) -> dict[int, str]:
    """Per measure, the agency its reporting names most often, when named at least twice and
    more often than any other: the doer of a clause that names none ("… gjøres i samarbeid med X")."""
    counts: dict[int, Counter[str]] = {}
    for m in mentions:
        if m.field == "report" and types.get(m.entity_key) == "Agency":
            counts.setdefault(m.measure, Counter())[m.entity_key] += 1
    leads = {}
    for measure, per in counts.items():
        ranked = per.most_common(2)
        if ranked[0][1] >= 2 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            leads[measure] = ranked[0][0]
    return leads


def _sentence_relations(ctx: _Context, mentions: list[Mention]) -> list[Relation]:
    agencies = [m for m in mentions if ctx.types.get(m.entity_key) == "Agency"]
    out: list[Relation] = []
    commissions = _commissions(ctx, agencies, mentions)
    out += commissions
    grants = _grants(ctx, mentions)
    out += grants
    commissioners = {c.commissioner for c in commissions} | {g.funder for g in grants}
    consultations = _consultations(ctx, agencies, mentions)
    out += consultations
    consulted = {k for c in consultations for k in c.consulted}
    collaborations = _collaborations(ctx, agencies, mentions, commissioners | consulted)
    out += collaborations
    distinct = tuple(dict.fromkeys(m.entity_key for m in agencies))
    collaborating = {k for c in collaborations for k in c.partners}
    if len(distinct) >= 2 and any(k not in collaborating for k in distinct):
        out.append(CoMention(ctx.measure, distinct, ctx.evidence, "comention-sentence", _concerns(ctx, mentions, ())))
    if not grants or any(_amounts(ctx)):
        out += _fundings(ctx, mentions, agencies)
    return out


# --- chains of coordinated names ---------------------------------------------------------------

def _coordinated(ctx: _Context, a: Mention, b: Mention) -> bool:
    between = ctx.text[ctx.at(a)[1]:ctx.at(b)[0]]
    return bool(ctx.rules.patterns["coordination"].match(between))


def _chain_from(ctx: _Context, mentions: list[Mention], first: Mention) -> list[Mention]:
    """``first`` and the names coordinated after it: "Redd Barna og Salaby", "NF/KUN"."""
    chain = [first]
    for m in mentions:
        if m is not first and _same_words(m, chain[-1]):  # "sentrene": the agencies it stands for
            chain.append(m)
        elif m.start >= chain[-1].end and m is not first:
            if _coordinated(ctx, chain[-1], m):
                chain.append(m)
            elif m.start > chain[-1].end:
                break
    return chain


def _chain_to(ctx: _Context, mentions: list[Mention], last: Mention) -> list[Mention]:
    """``last`` and the names coordinated before it: "Hdir, …, Kompetanse Norge og IMDi"."""
    chain = [last]
    for m in reversed(mentions):
        if m is not last and _same_words(m, chain[0]):
            chain.insert(0, m)
        elif m.end <= chain[0].start:
            if _coordinated(ctx, m, chain[0]):
                chain.insert(0, m)
            else:
                break
    return chain


def _same_words(a: Mention, b: Mention) -> bool:
    """Two mentions of one stretch of words: a plural anaphor's agencies ("sentrene")."""
    return (a.start, a.end) == (b.start, b.end)


def _clause_start(ctx: _Context, at: int) -> int:
    starts = [b.end() for b in ctx.rules.patterns["clause-break"].finditer(ctx.text, 0, at)]
    return starts[-1] if starts else 0


def _clause_end(ctx: _Context, at: int) -> int:
    hit = ctx.rules.patterns["clause-break"].search(ctx.text, at)
    return hit.start() if hit else len(ctx.text)


def _before(ctx: _Context, mentions: list[Mention], at: int, window: int = _WINDOW) -> list[Mention]:
    """The chain of names ending nearest before ``at`` in the same clause."""
    start = _clause_start(ctx, at)
    near = [m for m in mentions if ctx.at(m)[1] <= at and ctx.at(m)[0] >= start and at - ctx.at(m)[1] <= window]
    return _chain_to(ctx, mentions, near[-1]) if near else []


def _after(ctx: _Context, mentions: list[Mention], at: int, *, adjacent: bool = False,
           window: int = _WINDOW) -> list[Mention]:
    """The chain of names starting first after ``at`` in the same clause; ``adjacent``: only if
    nothing but a few lead-in words stand between ("i samarbeid med det nasjonale …")."""
    end = _clause_end(ctx, at)
    near = [m for m in mentions if ctx.at(m)[0] >= at and ctx.at(m)[1] <= end and ctx.at(m)[0] - at <= window]
    if not near:
        return []
    if adjacent and not ctx.rules.patterns["lead-in"].match(ctx.text[at:ctx.at(near[0])[0]]):
        return []
    return _chain_from(ctx, mentions, near[0])


def _keys(ctx: _Context, chain: list[Mention], *, types: tuple[str, ...] = ("Agency",)) -> tuple[str, ...]:
    """Entity keys of a chain, each once, without a generic name beside a specific one of its kind
    ("Helse Vest / RHF") or an organisation beside its own unit ("NOVA/OsloMet")."""
    keys = tuple(dict.fromkeys(m.entity_key for m in chain if ctx.types.get(m.entity_key) in types))
    return tuple(k for k in keys
                 if not any(ctx.parents.get(o) == k for o in keys) and not _generic_beside(ctx, k, keys, chain))


def _generic_beside(ctx: _Context, key: str, keys: tuple[str, ...], chain: list[Mention]) -> bool:
    """"… / Helse Vest / RHF": the collective "RHF" only repeats the kind of a member named beside it."""
    surfaces = {m.surface for m in chain if m.entity_key == key}
    return bool(surfaces) and all(len(s) <= 5 and s.isupper() for s in surfaces) and any(
        ctx.labels.get(o, "").endswith(" " + s) for o in keys if o != key for s in surfaces)


# --- collaborations -----------------------------------------------------------------------------

def _collaborations(ctx: _Context, agencies: list[Mention], mentions: list[Mention],
                    excluded: set[str | None]) -> list[Collaboration]:
    partnerish = [m for m in mentions if ctx.types.get(m.entity_key) in ("Agency", "Programme")]
    if not partnerish:  # every party, named or implied, comes from these: no trigger to try
        return []
    parallel = ctx.rules.matches("parallel", ctx.text)
    groups: list[_Group] = []  # partners, rule, where the trigger is
    for trig in ctx.rules.of("collaboration"):
        for hit in trig.regex.finditer(ctx.text):
            start, end = trig.span(hit)
            shape = trig.role("shape")
            # a network or platform named right after the trigger is a partner, not the topic
            objects = _keys(ctx, _after(ctx, partnerish, end, adjacent=True), types=("Agency", "Programme")) \
                if shape in ("with", "between") else ()
            subjects = _keys(ctx, _before(ctx, agencies, start, window=200)) if shape in ("with", "mutual") else ()
            if shape == "with" and not subjects and objects:
                subjects = _implied_doer(ctx, start)
            subjects = tuple(k for k in subjects if k not in excluded and k not in objects)
            objects = tuple(k for k in objects if k not in excluded)
            if parallel and len(subjects) > 1 and objects:
                # each with the others, not with each other
                groups += [((s, *objects), trig.id, (start, end)) for s in subjects]
            elif not (parallel and shape == "mutual"):
                groups.append((tuple(dict.fromkeys(subjects + objects)), trig.id, (start, end)))
    if not groups and not parallel:
        chain = _coordinated_subject(ctx, agencies)
        if chain:
            groups.append((chain, "collab-coordinated-subject", (0, len(ctx.text))))
    groups = [g for g in groups if len(g[0]) >= 2 and any(ctx.types.get(k) == "Agency" for k in g[0])]
    kept = _drop_contained(groups)
    out = []
    for partners, rule, (start, end) in kept:
        first, last = _clause_start(ctx, start), _clause_end(ctx, end)
        clause = [m for m in mentions if first <= ctx.at(m)[0] and ctx.at(m)[1] <= last]
        out.append(Collaboration(ctx.measure, partners, ctx.evidence, rule, _concerns(ctx, clause, partners)))
    return out


def _drop_contained(groups: list[_Group]) -> list[_Group]:
    """One record per distinct party list: a list inside a larger one found by another trigger
    in the same sentence ("A, B og C deltok …, sammen med D") says nothing more."""
    kept = []
    for i, group in enumerate(groups):
        bigger = any(set(group[0]) < set(o[0]) for o in groups)
        same_earlier = any(set(group[0]) == set(o[0]) for o in groups[:i])
        if not bigger and not same_earlier:
            kept.append(group)
    return kept


def _implied_doer(ctx: _Context, at: int) -> tuple[str, ...]:
    """Who does what a clause without a named subject says: "Videreutviklingsarbeidet skjer i
    dialog med …" — the agency the sentence before opens with; "… og gjøres i samarbeid med X"
    (passive, done) — the agency the measure's reporting is mostly about."""
    if ctx.previous_subject and ctx.rules.patterns["work-subject"].match(ctx.text[_clause_start(ctx, at):at]):
        return (ctx.previous_subject,)
    if ctx.lead and _subjectless(ctx, at):
        return (ctx.lead,)
    return ()


def _subjectless(ctx: _Context, at: int) -> bool:
    """"… og gjøres i samarbeid med Redd Barna": a passive clause with no named subject."""
    return bool(ctx.rules.patterns["passive"].search(ctx.text[_clause_start(ctx, at):at]))


def _coordinated_subject(ctx: _Context, agencies: list[Mention]) -> tuple[str, ...] | None:
    """'POD og Bufdir har utarbeidet …': agencies coordinated with "og" or "," as the subject of a
    verb of making something together. "BFD/Bufdir har et særskilt ansvar" names one owner;
    "NKVTS og RVTSene benytter internett" says each does the same."""
    if len(agencies) < 2 or not ctx.rules.patterns["subject-lead"].match(ctx.text[:ctx.at(agencies[0])[0]]):
        return None
    chain = [agencies[0]]
    for m in agencies[1:]:
        between = ctx.text[ctx.at(chain[-1])[1]:ctx.at(m)[0]]
        if "/" in between or not ctx.rules.patterns["coordination"].match(between):
            break
        chain.append(m)
    after = ctx.text[ctx.at(chain[-1])[1]:].lstrip()
    keys = _keys(ctx, chain)
    if len(keys) < 2 or not re.match(r"[a-zæøå]", after) or not ctx.rules.patterns["joint-work"].match(after):
        return None
    return keys


def _concerns(ctx: _Context, mentions: list[Mention], partners: tuple[str, ...]) -> tuple[str, ...]:
    """What the relation is about: the programme, plan or report the sentence names (not one it
    only cites, "jf. Prop. 1 S"), else — when the sentence refers back ("arbeidet", "veilederen") —
    what the measure is about. One, so that the answer to "on what" is one thing."""
    for m in mentions:
        if ctx.types.get(m.entity_key) in CONCERN_TYPES and m.entity_key not in partners:
            if not ctx.rules.patterns["reference"].search(ctx.text[:ctx.at(m)[0]]):
                return (m.entity_key,)
    referred = ctx.referred(partners)
    return (referred,) if referred else ()


# --- consultations --------------------------------------------------------------------------

def _consultations(ctx: _Context, agencies: list[Mention], mentions: list[Mention]) -> list[Consultation]:
    out: list[Consultation] = []
    if not agencies:  # the consulted are agencies of the sentence: no trigger to try
        return out
    for trig in ctx.rules.of("consultation"):
        for hit in trig.regex.finditer(ctx.text):
            start, end = trig.span(hit)
            consulted = _keys(ctx, _after(ctx, agencies, end, adjacent=True))
            if not consulted:
                continue
            before = _keys(ctx, _before(ctx, agencies, start, window=200)) or _implied_doer(ctx, start)
            consulter = next((k for k in reversed(before) if k not in consulted), None)
            out.append(Consultation(ctx.measure, consulted, ctx.evidence, trig.id, consulter,
                                    _concerns(ctx, mentions, consulted + ((consulter,) if consulter else ()))))
    return out


# --- commissions ------------------------------------------------------------------------------

def _side(ctx: _Context, side: str | None, agencies: list[Mention], start: int, end: int,
          window: int = _WINDOW) -> list[Mention]:
    if side == "before":
        return _before(ctx, agencies, start, window)
    if side == "after":
        return _after(ctx, agencies, end)
    if side == "inside":
        return [m for m in agencies if ctx.at(m)[0] >= start and ctx.at(m)[1] <= end]
    return []


def _commissions(ctx: _Context, agencies: list[Mention], mentions: list[Mention]) -> list[Commission]:
    found: dict[str, Commission] = {}  # contractor → the commission naming it, best first
    if not agencies:  # both sides are agencies of the sentence: no trigger to try
        return []
    for trig in ctx.rules.of("commission"):
        for hit in trig.regex.finditer(ctx.text):
            start, end = trig.span(hit)
            commissioners = _keys(ctx, _side(ctx, trig.role("commissioner"), agencies, start, end))
            commissioner = commissioners[-1] if trig.role("commissioner") == "before" and commissioners else \
                (commissioners[0] if commissioners else None)
            if trig.role("commissioner") and commissioner is None:
                continue  # the rule names a commissioner the sentence does not have
            contractors = _keys(ctx, _side(ctx, trig.role("contractor"), agencies, start, end))
            if not contractors and commissioner and trig.role("contractor") == "before":
                # "På oppdrag fra JD har NKVTS gjennomført …": the one commissioned comes after.
                contractors = _keys(ctx, _after(ctx, [a for a in agencies if a.entity_key != commissioner],
                                                ctx.at(next(a for a in agencies if a.entity_key == commissioner))[1]))
            for contractor in contractors:
                if contractor == commissioner:
                    continue
                rel = Commission(ctx.measure, contractor, ctx.evidence, trig.id, commissioner,
                                 _concerns(ctx, mentions, (contractor, commissioner or "")))
                if contractor not in found or (found[contractor].commissioner is None and commissioner):
                    found[contractor] = rel
    return list(found.values())


# --- fundings --------------------------------------------------------------------------------

def _grants(ctx: _Context, mentions: list[Mention]) -> list[Funding]:
    """"NKVTS gjennomfører med tilskudd fra Hdir et prosjekt …": money, no sum, not a commission."""
    agencies = [m for m in mentions if ctx.types.get(m.entity_key) == "Agency"]
    funded = [m for m in mentions if ctx.types.get(m.entity_key) in ("Agency", "Programme")]
    out: list[Funding] = []
    if not agencies:  # the funder is an agency of the sentence: no trigger to try
        return out
    for trig in ctx.rules.of("grant"):
        for hit in trig.regex.finditer(ctx.text):
            start, end = trig.span(hit)
            funders = _keys(ctx, _side(ctx, trig.role("funder"), agencies, start, end))
            # the one funded stands right before "med tilskudd fra" / "(finansiert av": not any name earlier on
            recipients = _keys(ctx, _side(ctx, trig.role("recipient"), funded, start, end, window=25),
                               types=("Agency", "Programme"))
            if funders:
                recipients = tuple(k for k in recipients if k != funders[0])
                out.append(Funding(ctx.measure, ctx.evidence, trig.id, None, (), funders[0], recipients))
    return out


def _amounts(ctx: _Context) -> list[tuple[re.Match[str], float]]:
    if not ctx.rules.matches("funding", ctx.text):
        return []
    out = []
    for hit in ctx.rules.patterns["amount"].finditer(ctx.text):
        amount = _amount(hit["num"], hit["unit"], ctx.rules.units)
        if amount is not None and amount > 0:
            out.append((hit, amount))
    return out


def _fundings(ctx: _Context, mentions: list[Mention], agencies: list[Mention]) -> list[Funding]:
    amounts = _amounts(ctx)
    years = [(y.start(), y.end(), _year_list(y["years"])) for y in ctx.rules.patterns["year"].finditer(ctx.text)]
    out = []
    for i, (hit, amount) in enumerate(amounts):
        next_amount = amounts[i + 1][0].start() if i + 1 < len(amounts) else len(ctx.text)
        previous_amount = amounts[i - 1][0].end() if i else 0
        around = f"{ctx.text[max(previous_amount, hit.start() - 40):hit.start()]}#{ctx.text[hit.end():next_amount]}"
        out.append(Funding(ctx.measure, ctx.evidence, "funding-amount", amount,
                           _years_of(hit, next_amount, years), _funder(ctx, hit, agencies),
                           (), _basis(ctx, around), bool(ctx.rules.patterns["approximate"].search(around))))
    return [_with_recipients(ctx, f, hit, mentions) for f, (hit, _a) in zip(out, amounts)]


def _basis(ctx: _Context, around: str) -> Literal["per-year", "in-total"] | None:
    """Whether an amount is given per year ("3 mill. kroner årlig") or as the sum over its years
    ("til sammen 9,9 mill. kroner", "39 mill. kroner i perioden 2017-2021"); ``around`` is the
    text before the amount, "#", and the text after it. Per year wins where both are said."""
    if ctx.rules.patterns["per-year"].search(around):
        return "per-year"
    if ctx.rules.patterns["in-total"].search(around):
        return "in-total"
    return None


def _year_list(phrase: str) -> tuple[int, ...]:
    """"2019, 2020 og 2021" → three years; a span "2017-2021" → every year in it."""
    years: list[int] = []
    for part in re.split(r"\s*(?:,|og\s+i|og)\s*", phrase):
        ends = [int(v) for v in re.findall(r"20\d{2}", part)]
        years += list(range(ends[0], ends[-1] + 1)) if len(ends) == 2 and ends[0] < ends[1] else ends
    return tuple(dict.fromkeys(years))


def _years_of(hit: re.Match[str], next_amount: int, years: list[tuple[int, int, tuple[int, ...]]]) -> tuple[int, ...]:
    """The years a sum applies to: the year phrase right after it ("7 mill. kroner både i 2017 og
    2018"), else the nearest one before it ("i 2019, 2020 og 2021 bevilget om lag 3 mill. kroner")."""
    following = [y for y in years if hit.end() <= y[0] < min(next_amount, hit.end() + 60)]
    if following:
        return following[0][2]
    preceding = [y for y in years if y[1] <= hit.start()]
    if preceding:
        return preceding[-1][2]
    later = [y for y in years if y[0] >= hit.end()]
    return later[0][2] if later else ()


def _funder(ctx: _Context, hit: re.Match[str], agencies: list[Mention]) -> str | None:
    for a in agencies:
        start = ctx.at(a)[0]
        near = hit.end() <= start < min(hit.end() + _WINDOW, _clause_end(ctx, hit.end()))
        if near and ctx.rules.patterns["budget-owner"].search(ctx.text[hit.end():start]):
            return a.entity_key  # "… kroner årlig fra KD", "… over KMDs budsjett"
    clause = _clause_start(ctx, hit.start())
    verb = ctx.rules.patterns["funder-verb"].search(ctx.text, clause, hit.start())
    subjects = [a for a in agencies if verb and clause <= ctx.at(a)[0] and ctx.at(a)[1] <= verb.start()]
    return subjects[0].entity_key if subjects else None  # "KMD bevilget … kroner"


def _with_recipients(ctx: _Context, funding: Funding, hit: re.Match[str], mentions: list[Mention]) -> Funding:
    """What gets the money: the names after the sum ("til Sekretariatet for konfliktrådene") but
    not the budget it is paid over ("over KMDs budsjett"); else what "Bevilgningen til …" or the
    clause's subject names; else, when the sentence refers back ("til programmet"), the programme
    the paragraph named just before, or the measure's topic."""
    candidates = [m for m in mentions if ctx.types.get(m.entity_key) in ("Programme", "Plan", "Agency")
                  and m.entity_key != funding.funder]
    clause_end = _clause_end(ctx, hit.end())
    after = [m for m in candidates if hit.end() <= ctx.at(m)[0] <= min(hit.end() + _WINDOW, clause_end)
             and not ctx.rules.patterns["budget-owner"].search(ctx.text[hit.end():ctx.at(m)[0]])
             and not ctx.rules.patterns["budget-after"].match(ctx.text[ctx.at(m)[1]:])]
    if after:
        recipients = _keys(ctx, _chain_from(ctx, candidates, after[0]), types=("Programme", "Plan", "Agency"))
        purposes = tuple(m.entity_key for m in after if ctx.types.get(m.entity_key) != "Agency"
                         and ctx.rules.patterns["purpose"].search(ctx.text[hit.end():ctx.at(m)[0]]))
        return replace(funding, recipients=tuple(dict.fromkeys(recipients + purposes)))
    clause = _clause_start(ctx, hit.start())
    before = [m for m in candidates if clause <= ctx.at(m)[0] and ctx.at(m)[1] <= hit.start()
              and (ctx.types.get(m.entity_key) != "Agency"
                   or ctx.rules.patterns["strengthened"].match(ctx.text[ctx.at(m)[1]:hit.start()]))]
    if before:
        return replace(funding, recipients=_keys(ctx, _chain_from(ctx, candidates, before[0]),
                                                 types=("Programme", "Plan", "Agency")))
    if referred := ctx.referred():
        return replace(funding, recipients=(referred,), rule_id="funding-refers-back")
    return funding


def _amount(number: str, unit: str | None, units: dict[str, float]) -> float | None:
    digits = re.sub(r"[ \u00a0.]", "", number) if re.search(r"\d[ \u00a0.]\d{3}", number) else number
    try:
        value = float(digits.replace(",", "."))
    except ValueError:
        return None
    return value * units.get((unit or "").lower(), 1.0)


# --- cross-references ---------------------------------------------------------------------------

def _cross_references(ctx: _Context, numbers: set[int]) -> list[CrossReference]:
    out = []
    for hit in ctx.rules.patterns["crossref"].finditer(ctx.text):
        for num in (int(n) for n in re.findall(r"\d{1,3}", hit["nums"])):
            if num in numbers and num != ctx.measure:
                out.append(CrossReference(ctx.measure, num, ctx.evidence, "crossref-tiltak"))
    return out
