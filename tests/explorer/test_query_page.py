"""The query page of ``serve`` (issue 17, friction 2): an error replaces the previous result
table, and "Open in editor" keeps the values typed into a named query's form."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tiltaksgraf.queries.formats import python_rows
from tiltaksgraf.queries.params import bound_text
from tiltaksgraf.queries.rq import get_named_query
from tiltaksgraf.queries.runner import run_named_query, run_sparql


@pytest.mark.parametrize(("name", "params"), [("trace-programme", {"programme": "Jeg vet"}),
                                              ("measures-by-status", {"status": "ferdig"}),
                                              ("partners-of", {"agency": "NKVTS"})])
def test_bound_text_answers_what_the_form_asked(site_store, name: str, params: dict[str, str]) -> None:
    query = get_named_query(name)
    text = bound_text(site_store, query, params)
    run = python_rows(run_named_query(site_store, name, params))
    edited = python_rows(run_sparql(site_store, text))
    # the runner sorts the items of list columns (GROUP_CONCAT leaves their order open) and
    # leaves the bound column out; do the same to the editor's rows
    lists = {column: sep for column, sep, _numeric in query.lists}
    tidy = [{k: sep.join(sorted(v.split(sep))) if (sep := lists.get(k)) and isinstance(v, str) else v
             for k, v in row.items() if k not in params} for row in edited]
    assert run and len(run) == len(edited) < len(run_sparql(site_store, query.text).rows)
    assert tidy == [{k: sep.join(sorted(v.split(sep))) if (sep := lists.get(k)) and isinstance(v, str) else v
                     for k, v in row.items()} for row in run]


def test_the_text_route_binds_and_refuses_like_the_run_route(served: str) -> None:
    url = served + "queries/trace-programme.rq?" + urllib.parse.urlencode({"programme": "Jeg vet"})
    with urllib.request.urlopen(url, timeout=20) as response:
        text = response.read().decode()
        assert response.headers["Content-Type"].startswith("application/sparql-query")
    assert text.rstrip().endswith("VALUES (?programme) { (<https://w3id.org/tiltaksgraf/id/entity/jeg-vet>) }")
    bad = served + "queries/trace-programme.rq?" + urllib.parse.urlencode({"programme": "Statens barnehus"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(bad, timeout=20)
    assert "is an Agency, not a Programme" in json.loads(caught.value.read())["error"]


@pytest.mark.slow
def test_page_error_clears_the_table_and_open_in_editor_keeps_the_parameter(browser, served: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(served)
        page.locator("#run").click()
        page.locator("#results table").wait_for()
        page.locator("#editor").fill("SELECT * WHERE { ?s ?p }")
        page.locator("#run").click()
        page.locator("#status.bad").wait_for()
        assert page.locator("#results table").count() == 0
        details = page.locator("details", has_text="Trace a programme")
        details.locator("summary").click()
        details.locator("input[name=programme]").fill("Jeg vet")
        details.locator("button", has_text="Open in editor").click()
        page.wait_for_function("document.getElementById('editor').value.includes('VALUES (?programme)')")
        page.locator("#run").click()
        page.wait_for_function("document.getElementById('status').textContent.includes('rows')")
        rows = page.locator("#results tbody tr").count()
        assert rows == 8  # Jeg vet's measures, not every programme's (131 rows)
        # the graph's IRIs lead to the explorer's pages on this server, not to w3id.org
        page.locator("#results a", has_text="/id/entity/jeg-vet").first.click()
        page.wait_for_url(served + "id/entity/jeg-vet")
        assert page.locator("h1").inner_text() == "Jeg Vet"  # its preferred label
        assert errors == []
    finally:
        page.close()
