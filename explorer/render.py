"""The explorer's pages: one HTML page per entity, measure, plan and report, at the path of its
IRI, a home page and the search index; every link relative, so the same pages work from disk,
from any web server and from ``tiltaksgraf serve``.

Input: ``SiteData`` (``explorer/model``). Output: ``{relative path: bytes}``. Report text reaches
the page only through Jinja2's autoescaping (or ``markupsafe.escape`` for highlighted text), and
every page's Content-Security-Policy forbids any request outside the site.
"""

from __future__ import annotations

import json
import math
import posixpath
from collections import Counter, defaultdict
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from tiltaksgraf.entity_types import BY_NAME
from tiltaksgraf.explorer.model import BASE, Entity, Measure, Mention, SiteData
from tiltaksgraf.names import fold

HOME = "index.html"
EXPLORE = "explore/index.html"  # the home page again, where ``serve`` puts it (its / is the query page)
ASSETS = ("explorer.css", "explorer.js")
INDEX_SCRIPT = "assets/search-index.js"
STATUS_ORDER = ("Ferdig", "Påbegynt - løpende", "Påbegynt", "Ikke påbegynt")
STATUS_COLOURS = {"Ferdig": "#59a14f", "Påbegynt - løpende": "#4e79a7", "Påbegynt": "#f28e2b",
                  "Ikke påbegynt": "#bab0ac"}


def page_path(iri: str) -> str:
    """Where the page of ``iri`` is: ``…/id/entity/bufdir`` → ``id/entity/bufdir/index.html``."""
    return iri[len(BASE):].strip("/") + "/index.html"


def relative(from_page: str, to_page: str) -> str:
    return posixpath.relpath(to_page, posixpath.dirname(from_page) or ".")


class SiteRenderer:
    """Renders every page of ``data``; ``pages()`` is ``{path: bytes}``."""

    def __init__(self, data: SiteData) -> None:
        self.data = data
        self.env = Environment(loader=PackageLoader("tiltaksgraf.explorer", "templates"),
                               autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
        self.has_page = {*data.entities, *data.measures, *data.plans, *data.sources}
        self.measure_by_entity: dict[str, set[str]] = defaultdict(set)
        for m in data.mentions:
            self.measure_by_entity[m.entity].add(m.measure)

    # --- helpers the templates call -----------------------------------------------------------

    def link(self, here: str, iri: str, text: str | None = None) -> Markup:
        """``<a>`` to ``iri``'s page (or the plain name when it has none)."""
        label = text if text is not None else self.name(iri)
        if iri not in self.has_page:
            return Markup("<span>{}</span>").format(label)
        return Markup('<a href="{}">{}</a>').format(relative(here, page_path(iri)), label)

    def name(self, iri: str) -> str:
        if iri in self.data.entities:
            entity = self.data.entities[iri]
            short = next((n for n in entity.names if n.isupper() or len(n) <= 12), "")
            return f"{short} ({entity.name})" if short and len(entity.name) > 40 else entity.name
        if iri in self.data.measures:
            m = self.data.measures[iri]
            return f"Tiltak {m.number}"
        if iri in self.data.plans:
            return self.data.plans[iri].name
        if iri in self.data.sources:
            return self.data.sources[iri].title
        return iri.rsplit("/", 1)[-1]

    def short(self, iri: str) -> str:
        """The name people read: the short name (Bufdir, NKVTS) when the entity has one."""
        entity = self.data.entities.get(iri)
        if entity is None:
            return self.name(iri)
        short = [n for n in entity.names if 2 <= len(n) <= 12 and not n.islower() and " " not in n]
        return min(short, key=lambda n: (len(n), n.isupper(), n)) if short and len(entity.name) > 20 else entity.name

    def highlight(self, here: str, sentence: str, marks: list[tuple[int, int, str]]) -> Markup:
        """``sentence`` escaped, with each (start, end, entity IRI) span in a ``<mark>`` linking
        to the entity; overlapping spans keep the first."""
        out, at = [], 0
        for start, end, iri in sorted(marks):
            if start < at or start < 0 or end > len(sentence):
                continue
            out.append(escape(sentence[at:start]))
            inner = escape(sentence[start:end])
            if iri in self.has_page and page_path(iri) != here:  # no link to the page itself
                out.append(Markup('<mark><a href="{}">{}</a></mark>').format(relative(here, page_path(iri)), inner))
            else:
                out.append(Markup("<mark>{}</mark>").format(inner))
            at = end
        out.append(escape(sentence[at:]))
        return Markup("").join(out)

    def mention_marks(self, mentions: list[Mention], text: str) -> list[tuple[int, int, str]]:
        """Spans of ``mentions`` in ``text`` (a sentence or a measure's report text)."""
        marks = []
        for m in mentions:
            if m.at < 0:
                continue
            offset = 0 if text == m.sentence else text.find(m.sentence)
            if offset >= 0:
                marks.append((offset + m.at, offset + m.at + len(m.surface), m.entity))
        return marks

    # --- pages --------------------------------------------------------------------------------

    def pages(self) -> dict[str, bytes]:
        pages: dict[str, bytes] = {}
        for path in (HOME, EXPLORE):
            pages[path] = self._render("home.html", path, self._home())
        for iri in self.data.entities:
            if iri in self.data.plans:  # a plan the text names: its plan page shows the mentions too
                continue
            path = page_path(iri)
            pages[path] = self._render("entity.html", path, self._entity(path, self.data.entities[iri]))
        for iri, measure in self.data.measures.items():
            path = page_path(iri)
            pages[path] = self._render("measure.html", path, self._measure(path, measure))
        for iri in self.data.plans:
            path = page_path(iri)
            pages[path] = self._render("plan.html", path, self._plan(path, iri))
        for iri, source in self.data.sources.items():
            path = page_path(iri)
            pages[path] = self._render("source.html", path, {"source": source, "measures": sorted(
                (m for m in self.data.measures.values() if m.source == iri), key=lambda m: m.number)})
        for name in ASSETS:
            pages[f"assets/{name}"] = resources.files("tiltaksgraf.explorer").joinpath(f"assets/{name}").read_bytes()
        pages[INDEX_SCRIPT] = self.search_index_script().encode("utf-8")
        return pages

    def _render(self, template: str, path: str, context: dict) -> bytes:
        root = relative(path, HOME)[: -len(HOME)]
        html = self.env.get_template(template).render(
            here=path, root=root, r=self, data=self.data, type_label=_type_label, **context)
        return html.encode("utf-8")

    def search_index(self) -> list[dict]:
        """One entry per entity and measure: its names folded (``names.fold``) and its page."""
        entries = []
        for e in sorted(self.data.entities.values(), key=lambda e: e.name):
            folded = sorted({fold(n) for n in (e.name, e.key, *e.names) if n})
            entries.append({"n": e.name, "s": self.short(e.iri) if self.short(e.iri) != e.name else "",
                            "t": e.type, "p": page_path(e.iri), "f": folded,
                            "c": len(self.measure_by_entity[e.iri])})
        for m in sorted(self.data.measures.values(), key=lambda m: m.number):
            entries.append({"n": f"Tiltak {m.number}", "s": m.description[:80], "t": "Measure",
                            "p": page_path(m.iri), "f": [f"tiltak {m.number}", str(m.number)], "c": 0})
        return entries

    def search_index_script(self) -> str:
        # A script rather than JSON: a page opened from disk may load a script but not fetch a file.
        body = json.dumps(self.search_index(), ensure_ascii=False, separators=(",", ":"))
        return "window.TG_SEARCH = " + body.replace("</", "<\\/") + ";\n"

    def _home(self) -> dict:
        by_type: dict[str, list[Entity]] = defaultdict(list)
        for e in self.data.entities.values():
            by_type[e.type].append(e)
        for entities in by_type.values():
            entities.sort(key=lambda e: (-len(self.measure_by_entity[e.iri]), e.name))
        return {"by_type": [(t, by_type[t]) for t in BY_NAME if t in by_type],
                "plans": list(self.data.plans.values()), "sources": list(self.data.sources.values())}

    def _entity(self, here: str, entity: Entity) -> dict:
        mentions = self.data.mentions_of(entity.iri)
        by_plan: dict[str, dict[str, list[tuple[Measure, list[Mention]]]]] = defaultdict(lambda: defaultdict(list))
        per_measure: dict[str, list[Mention]] = defaultdict(list)
        for m in mentions:
            per_measure[m.measure].append(m)
        for iri, found in sorted(per_measure.items(), key=lambda kv: self.data.measures[kv[0]].number
                                 if kv[0] in self.data.measures else 0):
            measure = self.data.measures.get(iri)
            if measure is None:
                continue
            unique = list({(m.sentence, m.at): m for m in found}.values())
            by_plan[measure.plan][measure.status].append((measure, unique))
        grouped = [(plan, sorted(statuses.items(), key=lambda kv: _status_rank(kv[0])))
                   for plan, statuses in by_plan.items()]
        relations = self.data.relations_of(entity.iri)
        partners = [(r, [iri for role, iri in r.roles if iri != entity.iri]) for r in relations
                    if r.kind in ("Collaboration", "Consultation")]
        commissions = [r for r in relations if r.kind == "Commission"]
        fundings = [r for r in relations if r.kind == "Funding"]
        return {"entity": entity, "grouped": grouped, "count": len(per_measure), "partners": partners,
                "commissions": commissions, "fundings": fundings, "network": self._network(here, entity)}

    def _measure(self, here: str, measure: Measure) -> dict:
        mentions = self.data.mentions_in(measure.iri)
        report = [m for m in mentions if m.field == "report"]
        relations = [r for r in self.data.relations if r.measure == measure.iri]
        entities = sorted({m.entity for m in mentions}, key=lambda iri: (
            list(BY_NAME).index(self.data.entities[iri].type) if iri in self.data.entities else 9, self.name(iri)))
        return {"measure": measure, "report_html": self.highlight(here, measure.report_text,
                                                                  self.mention_marks(report, measure.report_text)),
                "description_html": self.highlight(here, measure.description, self.mention_marks(
                    [m for m in mentions if m.field == "description"], measure.description)),
                "relations": relations, "entities": entities}

    def _plan(self, here: str, plan: str) -> dict:
        measures = sorted((m for m in self.data.measures.values() if m.plan == plan), key=lambda m: m.number)
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for m in measures:
            for ministry in m.responsible or ("",):
                counts[ministry][m.status] += 1
        statuses = sorted({m.status for m in measures}, key=_status_rank)
        in_plan = {m.iri for m in measures}
        agencies = Counter(m.entity for m in self.data.mentions
                           if m.measure in in_plan and self.data.entities.get(m.entity, None) is not None
                           and self.data.entities[m.entity].type == "Agency")
        central = [(iri, len({x.measure for x in self.data.mentions if x.entity == iri and x.measure in in_plan}))
                   for iri, _n in agencies.most_common(40)]
        central.sort(key=lambda kv: (-kv[1], self.name(kv[0])))
        ministries = sorted({mi for m in measures for mi in m.responsible}, key=self.short)
        named = self._entity(here, self.data.entities[plan]) if plan in self.data.entities else {}
        return {"plan": self.data.plans[plan], "measures": measures, "chart": self._chart(counts, statuses),
                "statuses": statuses, "central": central[:12], "ministries": ministries,
                "entity": named.get("entity"), "grouped": named.get("grouped", [])}

    def _chart(self, counts: dict[str, Counter[str]], statuses: list[str]) -> Markup:
        """Status counts per ministry as horizontal stacked bars (inline SVG)."""
        rows = sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), self.short(kv[0])))
        most = max((sum(c.values()) for _k, c in rows), default=1)
        bar, left, width = 22, 190, 420
        parts = [Markup('<svg class="chart" role="img" viewBox="0 0 {} {}" width="{}" height="{}">').format(
            left + width + 40, bar * len(rows) + 30, left + width + 40, bar * len(rows) + 30)]
        for i, (ministry, c) in enumerate(rows):
            y = i * bar
            label = self.short(ministry) if ministry else "—"
            parts.append(Markup('<text x="{}" y="{}" text-anchor="end">{}</text>').format(left - 6, y + 15, label))
            x = float(left)
            for status in statuses:
                if c[status]:
                    w = width * c[status] / most
                    parts.append(Markup('<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="{}">'
                                        '<title>{}: {} {}</title></rect>').format(
                        x, y + 3, w, bar - 6, STATUS_COLOURS.get(status, "#999"), label, c[status], status))
                    x += w
            parts.append(Markup('<text x="{:.1f}" y="{}">{}</text>').format(x + 4, y + 15, sum(c.values())))
        y = bar * len(rows) + 18
        x = float(left)
        for status in statuses:
            parts.append(Markup('<rect x="{:.1f}" y="{}" width="10" height="10" fill="{}"></rect>'
                                '<text x="{:.1f}" y="{}">{}</text>').format(
                x, y - 9, STATUS_COLOURS.get(status, "#999"), x + 14, y, status))
            x += 24 + 7 * len(status)
        parts.append(Markup("</svg>"))
        return Markup("").join(parts)

    def _network(self, here: str, entity: Entity) -> Markup:
        """The entity and up to 14 neighbours (relations first, then entities named in the same
        measures most often) on a circle, as inline SVG whose nodes link to their pages."""
        weight: Counter[str] = Counter()
        for r in self.data.relations_of(entity.iri):
            for _role, iri in r.roles:
                if iri != entity.iri:
                    weight[iri] += 10
        for measure in self.measure_by_entity[entity.iri]:
            for other in {m.entity for m in self.data.mentions_in(measure)}:
                if other != entity.iri:
                    weight[other] += 1
        neighbours = [iri for iri, _w in sorted(weight.items(), key=lambda kv: (-kv[1], self.name(kv[0])))][:14]
        if not neighbours:
            return Markup("")
        size, cx, cy, radius = 520, 260, 200, 150
        parts = [Markup('<svg class="network" role="img" viewBox="0 0 {} 400" width="{}" height="400">').format(
            size, size)]
        points = []
        for i, iri in enumerate(neighbours):
            angle = 2 * math.pi * i / len(neighbours) - math.pi / 2
            points.append((iri, cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
        for iri, x, y in points:
            parts.append(Markup('<line x1="{}" y1="{}" x2="{:.1f}" y2="{:.1f}" stroke-width="{}"></line>').format(
                cx, cy, x, y, 1 + min(weight[iri], 20) / 5))
        for iri, x, y in [(entity.iri, float(cx), float(cy)), *points]:
            kind = self.data.entities[iri].type if iri in self.data.entities else "Agency"
            colour = BY_NAME[kind].color if kind in BY_NAME else "#888"
            label = self.short(iri)
            label = label if len(label) <= 28 else label[:27] + "…"
            node = Markup('<circle cx="{:.1f}" cy="{:.1f}" r="{}" fill="{}"></circle>'
                          '<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>').format(
                x, y, 12 if iri == entity.iri else 8, colour, x, y + 22, label)
            if iri != entity.iri and iri in self.has_page:
                node = Markup('<a href="{}">{}</a>').format(relative(here, page_path(iri)), node)
            parts.append(node)
        parts.append(Markup("</svg>"))
        return Markup("").join(parts)


def _status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def _type_label(name: str, lang: str = "nb") -> str:
    definition = BY_NAME.get(name)
    if definition is None:
        return {"Measure": "Tiltak"}.get(name, name) if lang == "nb" else name
    return definition.label_nb if lang == "nb" else definition.label_en
