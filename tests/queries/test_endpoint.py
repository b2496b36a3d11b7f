"""The SPARQL endpoint, used as clients use it: a real server on a free loopback port, asked
through SPARQLWrapper and plain urllib; protocol, content negotiation, refusals and limits."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from rdflib import Graph

try:  # in the dev extra; without it the SPARQLWrapper tests skip (wrapper()) and the others run
    from SPARQLWrapper import JSON, POST, POSTDIRECTLY, TURTLE, XML, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed
except ImportError:
    JSON, POST, POSTDIRECTLY, TURTLE, XML = "json", "POST", "postdirectly", "turtle", "xml"
    SPARQLWrapper = None  # type: ignore[assignment,misc]  # wrapper() skips before it is used
    QueryBadFormed = Exception  # type: ignore[assignment,misc]

from querytest_support import start_endpoint, stop_endpoint
from tiltaksgraf.api import run_query
from tiltaksgraf.graph.stores import QueryTimeout
from tiltaksgraf.queries.endpoint import QueryService, ServiceBusy, negotiate

pytestmark = pytest.mark.server

TG = "PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>\n"
SELECT = TG + "SELECT ?n WHERE { ?m tg:measureNumber ?n } ORDER BY ?n LIMIT 3"
ASK = TG + "ASK { ?m tg:measureNumber 88 }"
CONSTRUCT = TG + "CONSTRUCT { ?m tg:measureNumber ?n } WHERE { ?m tg:measureNumber ?n FILTER(?n <= 2) }"
DESCRIBE = "DESCRIBE <https://w3id.org/tiltaksgraf/id/entity/nkvts>"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def wait_for(condition, timeout: float, what: str) -> None:
    """Poll ``condition()`` until it holds, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting {timeout:g} s for {what}"
        time.sleep(0.01)


def http(url: str, *, data: bytes | None = None, content_type: str | None = None, accept: str | None = None,
         method: str | None = None) -> tuple[int, str, bytes]:
    headers = {k: v for k, v in (("Content-Type", content_type), ("Accept", accept)) if v}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def get(endpoint: str, query: str, accept: str | None = None) -> tuple[int, str, bytes]:
    return http(endpoint + "sparql?" + urllib.parse.urlencode({"query": query}), accept=accept)


def error_of(status: int, content_type: str, body: bytes) -> dict:
    assert content_type.startswith("application/json")
    document = json.loads(body)
    assert document["ok"] is False and document["status"] == status and document["error"]
    return document


# --- SPARQLWrapper ------------------------------------------------------------------------------


def wrapper(endpoint: str, query: str, fmt: str, method: str | None = None) -> SPARQLWrapper:
    pytest.importorskip("SPARQLWrapper", reason="SPARQLWrapper is not installed (pip install -e '.[dev]')")
    client = SPARQLWrapper(endpoint + "sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method:
        client.setMethod(POST)
        if method == POSTDIRECTLY:
            client.setRequestMethod(POSTDIRECTLY)
    return client


@pytest.mark.parametrize("method", [None, POST, POSTDIRECTLY])
def test_endpoint_sparqlwrapper_select_json(endpoint: str, method) -> None:
    result = wrapper(endpoint, SELECT, JSON, method).queryAndConvert()
    assert [b["n"]["value"] for b in result["results"]["bindings"]] == ["1", "2", "3"]


def test_endpoint_sparqlwrapper_select_xml(endpoint: str) -> None:
    document = wrapper(endpoint, SELECT, XML).queryAndConvert()  # a minidom Document
    values = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert values == ["1", "2", "3"]


def test_endpoint_sparqlwrapper_ask_json_and_xml(endpoint: str) -> None:
    assert wrapper(endpoint, ASK, JSON).queryAndConvert()["boolean"] is True
    document = wrapper(endpoint, ASK, XML).queryAndConvert()
    assert document.getElementsByTagName("boolean")[0].firstChild.data == "true"


def test_endpoint_sparqlwrapper_construct_turtle(endpoint: str) -> None:
    data = wrapper(endpoint, CONSTRUCT, TURTLE).queryAndConvert()
    graph = Graph().parse(data=data.decode("utf-8") if isinstance(data, bytes) else data, format="turtle")
    assert sorted(int(o) for o in graph.objects()) == [1, 2]


def test_endpoint_sparqlwrapper_bad_query(endpoint: str) -> None:
    with pytest.raises(QueryBadFormed):
        wrapper(endpoint, "SELECT * WHERE { ?s ?p }", JSON).query()


# --- plain HTTP: GET, POST form, POST body ---------------------------------------------------


def test_endpoint_get_post_form_and_post_body_agree(endpoint: str) -> None:
    by_get = get(endpoint, SELECT)
    by_form = http(endpoint + "sparql", data=urllib.parse.urlencode({"query": SELECT}).encode(),
                   content_type="application/x-www-form-urlencoded")
    by_body = http(endpoint + "sparql", data=SELECT.encode(), content_type="application/sparql-query")
    assert by_get[0] == by_form[0] == by_body[0] == 200
    assert json.loads(by_get[2]) == json.loads(by_form[2]) == json.loads(by_body[2])
    assert by_get[1] == "application/sparql-results+json"


@pytest.mark.parametrize(("accept", "media"), [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/html;q=0.9, text/csv;q=0.5, text/tab-separated-values;q=0.8", "text/tab-separated-values"),
    ("text/*", "text/csv"),
])
def test_endpoint_select_content_negotiation(endpoint: str, accept, media) -> None:
    status, content_type, body = get(endpoint, SELECT, accept)
    assert status == 200 and content_type.split(";")[0] == media
    text = body.decode("utf-8")
    if media.endswith("json"):
        assert [b["n"]["value"] for b in json.loads(text)["results"]["bindings"]] == ["1", "2", "3"]
    elif media.endswith("xml"):
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        assert [e.text for e in ET.fromstring(text).iterfind(".//r:literal", ns)] == ["1", "2", "3"]
    elif media == "text/csv":
        assert list(csv.reader(io.StringIO(text, newline=""))) == [["n"], ["1"], ["2"], ["3"]]
    else:
        assert text.splitlines() == ["?n", "1", "2", "3"]


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml",
                                    "text/csv", "text/tab-separated-values"])
def test_endpoint_ask_in_every_results_format(endpoint: str, accept: str) -> None:
    status, content_type, body = get(endpoint, ASK, accept)
    assert status == 200 and content_type.startswith(accept)
    assert b"true" in body


@pytest.mark.parametrize(("accept", "media", "parser"), [
    (None, "text/turtle", "turtle"),
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
])
def test_endpoint_graph_content_negotiation(endpoint: str, accept, media, parser) -> None:
    for query in (CONSTRUCT, DESCRIBE):
        status, content_type, body = get(endpoint, query, accept)
        assert status == 200 and content_type.split(";")[0] == media
        graph = Graph().parse(data=body.decode("utf-8"), format=parser)
        assert len(graph) >= 2


def test_endpoint_unacceptable_format_is_406(endpoint: str) -> None:
    document = error_of(*get(endpoint, SELECT, "image/png"))
    assert document["status"] == 406
    assert error_of(*get(endpoint, CONSTRUCT, "text/csv"))["status"] == 406


def test_endpoint_negotiate_prefers_quality_then_specificity() -> None:
    assert negotiate("text/csv;q=0.2, application/sparql-results+xml", "SELECT") == "xml"
    assert negotiate("*/*;q=0.1, text/tab-separated-values", "ASK") == "tsv"
    assert negotiate("application/json", "CONSTRUCT") == "jsonld"
    assert negotiate("text/csv;q=0", "SELECT") is None


# --- refusals ---------------------------------------------------------------------------------


def test_endpoint_refuses_update_as_form_field(endpoint: str) -> None:
    body = urllib.parse.urlencode({"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}).encode()
    document = error_of(*http(endpoint + "sparql", data=body, content_type="application/x-www-form-urlencoded"))
    assert document["status"] == 403 and "read-only" in document["error"]


def test_endpoint_refuses_update_as_body(endpoint: str) -> None:
    document = error_of(*http(endpoint + "sparql", data=b"DROP ALL", content_type="application/sparql-update"))
    assert document["status"] == 403 and "Update" in document["error"]


def test_endpoint_refuses_update_sent_as_query(endpoint: str) -> None:
    for update in ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "LOAD <http://example.org/x.ttl>"):
        document = error_of(*get(endpoint, update))
        assert document["status"] == 403
    assert json.loads(get(endpoint, TG + "ASK { <urn:a> <urn:b> <urn:c> }")[2])["boolean"] is False


def test_endpoint_refuses_service_and_from(endpoint: str) -> None:
    service = error_of(*get(endpoint, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"))
    assert service["status"] == 403 and "SERVICE" in service["error"]
    remote = error_of(*get(endpoint, "SELECT * FROM <http://127.0.0.1:9/x.ttl> WHERE { ?s ?p ?o }"))
    assert remote["status"] == 403 and "FROM" in remote["error"]
    url = endpoint + "sparql?" + urllib.parse.urlencode({"query": SELECT, "default-graph-uri": "file:///etc/passwd"})
    assert error_of(*http(url))["status"] == 403


def test_endpoint_syntax_error_names_line_and_column(endpoint: str) -> None:
    document = error_of(*get(endpoint, "SELECT ?x\nWHERE {\n  ?x ?p ?o .\n  FILTER(?x = )\n}"))
    assert document["status"] == 400
    assert (document["line"], document["column"]) == (4, 3)
    assert "line 4, column 3" in document["error"]


def test_endpoint_protocol_errors_have_one_shape(endpoint: str) -> None:
    assert error_of(*http(endpoint + "sparql"))["status"] == 400  # no query
    assert error_of(*http(endpoint + "sparql", data=b"x", content_type="text/plain"))["status"] == 415
    assert error_of(*http(endpoint + "nowhere"))["status"] == 404
    assert error_of(*http(endpoint + "sparql", data=b"x", method="PUT"))["status"] == 405
    assert error_of(*http(endpoint + "", data=b"x", method="POST"))["status"] == 405


# --- named queries and the page ----------------------------------------------------------------


def test_endpoint_named_query_route(endpoint: str, oxigraph_store) -> None:
    status, content_type, body = http(endpoint + "queries/partners-of?agency=NKVTS")
    assert status == 200 and content_type.startswith("application/sparql-results+json")
    bindings = json.loads(body)["results"]["bindings"]
    expected = run_query(oxigraph_store, "partners-of", agency="NKVTS")
    assert [b["partner"]["value"] for b in bindings] == [r["partner"] for r in expected]
    status, content_type, body = http(endpoint + "queries/partners-of?agency=NKVTS", accept="text/csv")
    assert status == 200 and body.decode().startswith("partnerLabel,measure,programmes,sentence,partner")
    unknown = error_of(*http(endpoint + "queries/partners-of?agency=Nobody"))
    assert unknown["status"] == 400 and "entity-search" in unknown["hint"]
    assert error_of(*http(endpoint + "queries/no-such-query"))["status"] == 404


def test_endpoint_lists_named_queries(endpoint: str) -> None:
    status, _type, body = http(endpoint + "queries")
    names = [q["name"] for q in json.loads(body)]
    assert status == 200 and "partners-of" in names and "trace-programme" in names
    partners = next(q for q in json.loads(body) if q["name"] == "partners-of")
    assert partners["params"][0]["name"] == "agency" and "SELECT" in partners["text"]


def test_endpoint_page_works_offline(endpoint: str) -> None:
    status, content_type, body = http(endpoint)
    page = body.decode("utf-8")
    assert status == 200 and content_type.startswith("text/html")
    assert "<textarea" in page and "/queries" in page and "/sparql" in page
    # nothing fetched from elsewhere: no external scripts, styles, fonts or images
    assert " src=" not in page and "<link" not in page and "@import" not in page
    # (the graph's own base is named only to link its IRIs to the explorer's pages on this server)
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page.replace(
        "https://w3id.org/tiltaksgraf/", "")


# --- limits -------------------------------------------------------------------------------------


def test_endpoint_time_limit_then_next_request_answers(rdflib_store) -> None:
    server, thread = start_endpoint(rdflib_store, timeout=0.5, workers=2)
    try:
        started = time.monotonic()
        document = error_of(*get(server.url, SLOW))
        assert document["status"] == 503 and "time limit" in document["error"]
        assert time.monotonic() - started < 5
        status, _type, body = get(server.url, SELECT)
        assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 3
    finally:
        stop_endpoint(server, thread)


def test_endpoint_slow_query_does_not_block_others(rdflib_store) -> None:
    server, thread = start_endpoint(rdflib_store, timeout=1.5, workers=2)
    try:
        slow = threading.Thread(target=get, args=(server.url, SLOW))
        slow.start()
        wait_for(lambda: server.connections.running() >= 1, 10, "the slow query to be running")
        started = time.monotonic()
        status, _type, _body = get(server.url, ASK)
        assert status == 200 and time.monotonic() - started < 1.0
        slow.join(timeout=10)
    finally:
        stop_endpoint(server, thread)


def test_endpoint_row_cap(oxigraph_store) -> None:
    server, thread = start_endpoint(oxigraph_store, max_rows=10)
    try:
        document = error_of(*get(server.url, TG + "SELECT ?m WHERE { ?m tg:measureNumber ?n }"))
        assert document["status"] == 422 and "more than 10 rows" in document["error"]
        assert get(server.url, SELECT)[0] == 200
    finally:
        stop_endpoint(server, thread)


def test_endpoint_service_refuses_when_every_slot_is_taken(oxigraph_store) -> None:
    service = QueryService(oxigraph_store, timeout=5, workers=1, queue=0)
    try:
        runaway = threading.Thread(target=lambda: pytest.raises(QueryTimeout, service.sparql, SLOW))
        runaway.start()
        deadline = time.monotonic() + 5
        while service._slots._value and time.monotonic() < deadline:  # until the runaway holds the slot
            time.sleep(0.01)
        with pytest.raises(ServiceBusy):
            service.sparql("ASK {}")
        runaway.join(timeout=10)
    finally:
        service.close()


def test_endpoint_serve_on_a_port_in_use_says_so(built) -> None:
    """Issue 17: the address-in-use error, not "internal error" from server_close."""
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-c", "import sys; from tiltaksgraf.cli import main; sys.exit(main())",
                              "serve", "-g", str(built), "--port", str(port)],
                             capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode == 1, run.stderr
    first, *rest = run.stderr.splitlines()
    assert first == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    assert rest == ["  hint: choose another --port (0 picks a free one)"]
