// The explorer's behaviour: search as you type (the same folding rule as tiltaksgraf.names.fold),
// the measure filters of a plan page, and the Norwegian/English switch. No request leaves the page:
// the search index is a script beside this one (window.TG_SEARCH).
"use strict";

const LETTERS = { "æ": "ae", "ø": "o", "đ": "d", "ŋ": "n", "ŧ": "t", "ß": "ss", "ı": "i" };

// tiltaksgraf.names.fold, line for line: tests/explorer checks both give the same on every name.
function fold(text) {
  let s = text.toLowerCase().replace(/[æøđŋŧßı]/g, (c) => LETTERS[c]);
  s = s.normalize("NFKD").replace(/\p{Mn}/gu, "");
  s = s.replace(/[\u2010-\u2015\u2212]/g, "-").replace(/[«»"“”„'’‘`]/g, "");
  s = s.replace(/\s*-\s*/g, "-").replace(/\s+/g, " ");
  return s.replace(/^[ .,:;]+|[ .,:;]+$/g, "");
}
window.tgFold = fold;

// Similarity as difflib's ratio roughly: 1 - edit distance / longer length.
function similarity(a, b) {
  if (a === b) return 1;
  const m = a.length, n = b.length;
  if (!m || !n) return 0;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return 1 - prev[n] / Math.max(m, n);
}

function score(query, names) {
  let best = 0;
  for (const name of names) {
    let s = 0;
    if (name === query) s = 100;
    else if (name.startsWith(query)) s = 90 - Math.min(name.length - query.length, 30) / 10;
    else if (name.includes(query)) s = 80 - Math.min(name.length - query.length, 30) / 10;
    else if (name.length >= 3 && query.startsWith(name) && query.length - name.length <= 4) s = 75; // inflected
    else {
      const whole = similarity(query, name);
      const start = similarity(query, name.slice(0, query.length));
      const words = Math.max(0, ...name.split(/[ -]/).map((w) => similarity(query, w)));
      if (whole >= 0.6) s = 60 * whole;
      else if (query.length >= 4 && start >= 0.75) s = 50 * start;
      else if (query.length >= 4 && words >= 0.75) s = 45 * words;
    }
    best = Math.max(best, s);
  }
  return best;
}

function search(text, limit = 12) {
  const query = fold(text);
  if (!query || !window.TG_SEARCH) return [];
  const found = [];
  for (const entry of window.TG_SEARCH) {
    const s = score(query, entry.f);
    if (s > 0) found.push([s + Math.min(entry.c, 20) / 100, entry]);
  }
  found.sort((a, b) => b[0] - a[0] || a[1].n.localeCompare(b[1].n));
  return found.slice(0, limit).map((x) => x[1]);
}
window.tgSearch = search;

const TYPE_LABELS = { Agency: ["Virksomhet", "Agency"], Programme: ["Program", "Programme"], Law: ["Lov", "Law"],
  Report: ["Rapport", "Report"], Plan: ["Plan", "Plan"], Measure: ["Tiltak", "Measure"] };

function lang() {
  return document.documentElement.lang === "en" ? 1 : 0;
}

function setUpSearch() {
  const input = document.getElementById("search");
  const list = document.getElementById("results");
  if (!input || !list) return;
  const root = document.body.dataset.root || "";
  let selected = -1;
  const links = () => Array.from(list.querySelectorAll("a"));
  const select = (i) => {
    const all = links();
    selected = Math.max(-1, Math.min(i, all.length - 1));
    all.forEach((a, j) => a.setAttribute("aria-selected", j === selected ? "true" : "false"));
    if (selected >= 0) all[selected].scrollIntoView({ block: "nearest" });
  };
  const show = () => {
    list.replaceChildren();
    const hits = search(input.value);
    for (const hit of hits) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      const a = document.createElement("a");
      a.href = root + hit.p;
      a.textContent = hit.s ? `${hit.n} (${hit.s})` : hit.n; // text, never HTML
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = (TYPE_LABELS[hit.t] || [hit.t, hit.t])[lang()];
      a.prepend(kind);
      li.append(a);
      list.append(li);
    }
    if (input.value.trim() && !hits.length) {
      const li = document.createElement("li");
      li.textContent = lang() ? "Nothing found" : "Ingen treff";
      list.append(li);
    }
    list.hidden = !input.value.trim();
    selected = -1;
    if (hits.length) select(0);
  };
  input.addEventListener("input", show);
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { select(selected + 1); event.preventDefault(); }
    else if (event.key === "ArrowUp") { select(selected - 1); event.preventDefault(); }
    else if (event.key === "Enter" && selected >= 0) { links()[selected].click(); event.preventDefault(); }
    else if (event.key === "Escape") { list.hidden = true; }
  });
}

function setUpFilters() {
  const table = document.getElementById("measures");
  if (!table) return;
  const status = document.getElementById("filter-status");
  const ministry = document.getElementById("filter-ministry");
  const text = document.getElementById("filter-text");
  const count = document.getElementById("filter-count");
  const apply = () => {
    let shown = 0;
    const words = fold(text.value);
    for (const row of table.tBodies[0].rows) {
      const ok = (!status.value || row.dataset.status === status.value)
        && (!ministry.value || row.dataset.ministries.split(" ").includes(ministry.value))
        && (!words || fold(row.textContent).includes(words));
      row.hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = String(shown);
  };
  [status, ministry, text].forEach((el) => el.addEventListener("input", apply));
}

function setLanguage(code) {
  document.documentElement.lang = code;
  for (const el of document.querySelectorAll("[data-en]")) {
    if (!el.dataset.nb) el.dataset.nb = el.textContent;
    el.textContent = code === "en" ? el.dataset.en : el.dataset.nb;
  }
  for (const el of document.querySelectorAll("[data-en-placeholder]")) {
    if (!el.dataset.nbPlaceholder) el.dataset.nbPlaceholder = el.placeholder;
    el.placeholder = code === "en" ? el.dataset.enPlaceholder : el.dataset.nbPlaceholder;
  }
  const button = document.getElementById("lang");
  if (button) button.textContent = code === "en" ? "Norsk" : "English";
}

function setUpLanguage() {
  let wanted = "nb";
  try { wanted = localStorage.getItem("tg-lang") || "nb"; } catch (e) { /* storage off: Norwegian */ }
  if (new URLSearchParams(location.search).get("lang") === "en") wanted = "en";
  if (wanted === "en") setLanguage("en");
  const button = document.getElementById("lang");
  if (button) button.addEventListener("click", () => {
    const next = document.documentElement.lang === "en" ? "nb" : "en";
    setLanguage(next);
    try { localStorage.setItem("tg-lang", next); } catch (e) { /* not kept */ }
  });
}

setUpLanguage();
setUpSearch();
setUpFilters();
