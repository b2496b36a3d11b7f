"""entity-search answered from the index of folded names (``runner._entity_search``) gives the
same rows, in the same order, as its ``.rq`` file run by the engine, on both stores."""

from __future__ import annotations

import pytest

from tiltaksgraf.errors import QueryError
from tiltaksgraf.queries import params, rq, runner

TEXTS = ["barnehus", "NKVTS", "tryggest", "Barne", "BUFDIR", "rvts", "senter", "lov", "plan", "helse",
         "ø", "å", "ae", "æ", "Sámi", "-", "–", "(", "Prop.", "nou", "a", "e", "zzz-nothing"]


@pytest.mark.parametrize("text", TEXTS)
def test_entity_search_index_gives_the_rows_of_the_query(store, text) -> None:
    query = rq.get_named_query("entity-search")
    bindings = params.resolve_params(store, query, {"text": text})
    from_index = runner.run_named_query(store, "entity-search", {"text": text})
    from_engine = runner._tidy(store.query(query.text, bindings), query, bindings)
    assert from_index == from_engine
    if text == "barnehus":
        assert from_index.rows and "arnehus" in str(from_index.rows[0][0]).lower()


def test_entity_search_index_keeps_the_row_cap(store) -> None:
    with pytest.raises(QueryError):
        runner.run_named_query(store, "entity-search", {"text": "a"}, max_rows=3)


def test_entity_search_index_folds_spaces_as_every_name_lookup_does(store) -> None:
    """The one difference from the .rq text: ``fold`` trims and collapses spaces (as the
    parameter lookup does); the engine's REPLACE chain keeps them and finds nothing."""
    plain = runner.run_named_query(store, "entity-search", {"text": "barnehus"})
    spaced = runner.run_named_query(store, "entity-search", {"text": "  barnehus  "})
    assert spaced.rows and spaced.rows == plain.rows
