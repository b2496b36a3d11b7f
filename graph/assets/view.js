/* tiltaksgraf network view: draws the nodes and edges embedded in the page with vis-network,
 * builds the legend and the filters, and shows tooltips and details.
 *
 * Safety: every text from the report reaches the page through textContent or as an option's
 * text, never through innerHTML; vis-network draws labels on a canvas and shows a string title
 * with innerText, and our titles are DOM elements built here. So a label "<script>…" is shown
 * as those characters.
 *
 * Globals for scripts and tests: network, nodes, edges (the full vis DataSets), nodeView and
 * edgeView (what is drawn), and window.tg = {ready, applyFilter, state, visibleCounts}.
 */
(function () {
  "use strict";

  function readJSON(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function joinList(values, prefix) {
    return (values || []).map(function (v) { return (prefix || "") + v; }).join(", ");
  }

  var meta = readJSON("tg-meta");
  // The interface's words (Norwegian by default, English with --lang en): assets/view-text.json.
  var T = meta.text.ui;
  function kindName(kind) { return meta.text.kinds[kind] || kind; }
  function relationName(relation) { return meta.text.relations[relation] || relation; }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) { return String(values[key]); });
  }
  var rawNodes = readJSON("tg-nodes");
  var rawEdges = readJSON("tg-edges");
  var TIP_SENTENCES = 2;
  var TIP_CHARS = 280;

  function clip(text) {
    text = String(text).replace(/\s+/g, " ").trim();
    return text.length > TIP_CHARS ? text.slice(0, TIP_CHARS - 1) + "…" : text;
  }

  // Evidence of a node: the sentences of its edges, in order, without repeats.
  var nodeEvidence = {};
  rawEdges.forEach(function (e) {
    [e.from, e.to].forEach(function (id) {
      var list = nodeEvidence[id] || (nodeEvidence[id] = []);
      (e.tg.evidence || []).forEach(function (s) { if (list.indexOf(s) < 0) list.push(s); });
    });
  });

  function measureText(numbers) {
    if (!numbers || !numbers.length) return "";
    return (numbers.length === 1 ? T.measure : T.measures) + " " + numbers.join(", ");
  }

  function nodeTip(n) {
    var t = n.tg, box = el("div", "tg-tip");
    box.appendChild(el("strong", null, t.name));
    var sub = t.type === "Agency" ? kindName("Agency") + " · " + kindName(t.kind) : kindName(t.type);
    if (t.status) sub += " · " + t.status;
    box.appendChild(el("div", "tg-sub", sub));
    if (t.type !== "Measure" && t.measures.length) box.appendChild(el("div", null, measureText(t.measures)));
    if (t.ministries.length) box.appendChild(el("div", null, T.responsible + ": " + joinList(t.ministries)));
    if (t.description) box.appendChild(el("div", null, clip(t.description)));
    var sentences = nodeEvidence[n.id] || [];
    sentences.slice(0, TIP_SENTENCES).forEach(function (s) { box.appendChild(el("q", null, clip(s))); });
    if (sentences.length > TIP_SENTENCES) {
      box.appendChild(el("div", "tg-sub", "… " + (sentences.length - TIP_SENTENCES) + " more sentences: click for all"));
    }
    return box;
  }

  function edgeTip(e) {
    var t = e.tg, box = el("div", "tg-tip");
    box.appendChild(el("strong", null, t.fromName + " — " + t.toName));
    box.appendChild(el("div", "tg-sub", joinList((t.relation || []).map(relationName)) + " · "
                       + T.weight.toLowerCase() + " " + t.weight));
    if (t.measures.length) box.appendChild(el("div", null, measureText(t.measures)));
    if (t.programmes.length) box.appendChild(el("div", null, T.concerns + ": " + joinList(t.programmes)));
    t.evidence.slice(0, TIP_SENTENCES).forEach(function (s) { box.appendChild(el("q", null, clip(s))); });
    if (t.evidence.length > TIP_SENTENCES) {
      box.appendChild(el("div", "tg-sub", "… " + (t.evidence.length - TIP_SENTENCES) + " more sentences: click for all"));
    }
    return box;
  }

  var names = {};
  rawNodes.forEach(function (n) { names[n.id] = n.tg.name; });
  rawNodes.forEach(function (n) { n.title = nodeTip(n); });
  rawEdges.forEach(function (e) {
    e.tg.fromName = names[e.from];
    e.tg.toName = names[e.to];
    e.title = edgeTip(e);
  });

  var nodes = new vis.DataSet(rawNodes);
  var edges = new vis.DataSet(rawEdges);

  // --- filters ---------------------------------------------------------------------------------
  var state = { kinds: {}, ministry: "", status: "" };
  meta.kinds.forEach(function (k) { state.kinds[k.kind] = true; });
  var visible = {};

  function has(list, value) { return !value || (list || []).indexOf(value) >= 0; }
  function nodePasses(n) {
    return !!state.kinds[n.tg.kind] && has(n.tg.ministries, state.ministry) && has(n.tg.statuses, state.status);
  }
  function edgePasses(e) {
    return !!visible[e.from] && !!visible[e.to] && has(e.tg.ministries, state.ministry) && has(e.tg.statuses, state.status);
  }
  function computeVisible() {
    visible = {};
    nodes.forEach(function (n) { if (nodePasses(n)) visible[n.id] = true; });
  }
  computeVisible();
  var nodeView = new vis.DataView(nodes, { filter: function (n) { return !!visible[n.id]; } });
  var edgeView = new vis.DataView(edges, { filter: edgePasses });

  function visibleCounts() {
    return { nodes: nodeView.length, edges: edgeView.length, allNodes: nodes.length, allEdges: edges.length };
  }
  function updateCount() {
    var c = visibleCounts();
    var text = c.nodes === c.allNodes && c.edges === c.allEdges
      ? fill(T.count_all, c) : fill(T.count_some, c);
    document.getElementById("tg-count").textContent = text;
  }
  function applyFilter() {
    computeVisible();
    nodeView.refresh();
    edgeView.refresh();
    updateCount();
    // Zoom to what is left: a filter that keeps a corner of the network should show that corner.
    if (typeof network !== "undefined" && window.tg.ready) network.fit({ nodes: nodeView.getIds() });
  }

  var kindBox = document.getElementById("tg-kinds");
  meta.kinds.forEach(function (k) {
    var label = el("label", "tg-kind");
    var box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = k.kind;
    box.addEventListener("change", function () { state.kinds[k.kind] = box.checked; applyFilter(); });
    var symbol = el("span", "tg-symbol", k.symbol);
    symbol.style.color = k.color;
    label.appendChild(box);
    label.appendChild(symbol);
    label.appendChild(el("span", null, kindName(k.kind)));
    label.appendChild(el("span", "tg-n", k.count));
    kindBox.appendChild(label);
  });

  var relationBox = document.getElementById("tg-relations");
  meta.relations.forEach(function (r) {
    var line = el("div", "tg-kind");
    var sample = el("span", "tg-line");
    sample.style.borderTop = "3px " + (r.dashed ? "dashed " : "solid ") + r.color;
    line.appendChild(sample);
    line.appendChild(el("span", null, relationName(r.relation) + (r.arrow ? " (" + T.arrow + ")" : "")));
    relationBox.appendChild(line);
  });
  relationBox.hidden = meta.relations.length === 0;

  function fillSelect(id, allText, choices, key) {
    var select = document.getElementById(id);
    select.appendChild(new Option(allText, ""));
    choices.forEach(function (c) { select.appendChild(new Option(c.text, c.value)); });
    select.disabled = choices.length === 0;
    select.addEventListener("change", function () { state[key] = select.value; applyFilter(); });
    return select;
  }
  var ministrySelect = fillSelect("tg-ministry", T.all_ministries, meta.ministries, "ministry");
  var statusSelect = fillSelect("tg-status", T.all_statuses, meta.statuses, "status");

  document.getElementById("tg-reset").addEventListener("click", function () {
    kindBox.querySelectorAll("input").forEach(function (box) { box.checked = true; state.kinds[box.value] = true; });
    ministrySelect.value = state.ministry = "";
    statusSelect.value = state.status = "";
    applyFilter();
    network.fit();
  });

  // --- the network -------------------------------------------------------------------------------
  window.tg = { ready: false, applyFilter: applyFilter, state: state, visibleCounts: visibleCounts };
  var container = document.getElementById("tg-network");
  var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, meta.options);
  var physicsBox = document.getElementById("tg-physics");
  physicsBox.addEventListener("change", function () {
    network.setOptions({ physics: { enabled: physicsBox.checked } });
  });

  var readyDone = false;
  function ready() {
    if (readyDone) return;
    readyDone = true;
    // Freeze the layout once it has settled: a big network stays readable and costs no CPU.
    network.setOptions({ physics: { enabled: false } });
    physicsBox.checked = false;
    network.fit();
    window.tg.ready = true;
    document.body.setAttribute("data-ready", "true");
  }
  network.once("stabilizationIterationsDone", ready);
  network.once("stabilized", ready);
  if (!meta.options.physics || meta.options.physics.enabled === false) setTimeout(ready, 0);
  setTimeout(ready, meta.settleTimeoutMs || 15000);

  // --- details on click --------------------------------------------------------------------------
  var details = document.getElementById("tg-details");
  function clearDetails() {
    while (details.firstChild) details.removeChild(details.firstChild);
    details.appendChild(el("h2", null, T.details));
  }
  function row(dl, term, value) {
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return;
    dl.appendChild(el("dt", null, term));
    dl.appendChild(el("dd", null, Array.isArray(value) ? value.join(", ") : value));
  }
  function sentences(list) {
    if (!list.length) return;
    details.appendChild(el("h3", null, list.length === 1 ? T.one_sentence : list.length + " " + T.sentences));
    list.forEach(function (s) { details.appendChild(el("blockquote", null, String(s).replace(/\s+/g, " ").trim())); });
  }
  function showNode(id) {
    var n = nodes.get(id), t = n.tg, dl = el("dl");
    clearDetails();
    details.appendChild(el("h3", "tg-name", t.name));
    row(dl, T.type, t.type === "Agency" ? kindName("Agency") + " (" + kindName(t.kind) + ")" : kindName(t.type));
    row(dl, T.also_called, t.altLabels);
    row(dl, T.status, t.status);
    row(dl, T.description, t.description);
    row(dl, T.measures, t.type === "Measure" ? "" : t.measures);
    row(dl, T.responsible_ministries, t.ministries);
    row(dl, T.links, network.getConnectedEdges(id).length);
    row(dl, "IRI", t.iri);
    row(dl, T.key, t.key);  // what a corrections file names (reject-entity, merge, retype)
    details.appendChild(dl);
    sentences(nodeEvidence[id] || []);
  }
  function showEdge(id) {
    var e = edges.get(id), t = e.tg, dl = el("dl");
    clearDetails();
    details.appendChild(el("h3", "tg-name", t.fromName + " — " + t.toName));
    row(dl, T.relation, (t.relation || []).map(relationName));
    row(dl, T.weight, String(t.weight));
    row(dl, T.measures, t.measures);
    row(dl, T.concerns, t.programmes);
    row(dl, T.responsible_ministries, t.ministries);
    row(dl, T.keys, t.keys);  // the relations' stable keys, for reject-relation
    details.appendChild(dl);
    sentences(t.evidence || []);
  }
  network.on("click", function (params) {
    if (params.nodes.length) showNode(params.nodes[0]);
    else if (params.edges.length) showEdge(params.edges[0]);
  });

  window.network = network;
  window.nodes = nodes;
  window.edges = edges;
  window.nodeView = nodeView;
  window.edgeView = edgeView;
  window.tg.showNode = showNode;
  window.tg.showEdge = showEdge;
  updateCount();
  if (meta.centre && nodes.get(meta.centre)) network.selectNodes([meta.centre]);
})();
