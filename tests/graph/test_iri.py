"""``slug``'s fast paths (numbers and text that is a slug already, and the cache) give exactly what
the plain definition gives, for any text."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from tiltaksgraf.graph.iri import IriMinter, mint_iri, mint_iri_text, slug

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a", "ß": "ss"})


def reference_slug(text: object) -> str:
    dashed = re.sub(r"[\u2010-\u2015\u2212]", "-", str(text))
    folded = unicodedata.normalize("NFKD", dashed.translate(_FOLD))
    ascii_only = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-") or "x"


@settings(max_examples=400, derandomize=True, database=None)
@given(st.one_of(st.text(), st.integers(), st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True),
                 st.text(alphabet="abcæøåÆØÅ- –—0129.,/", max_size=30)))
def test_slug_is_the_plain_definition(text):
    assert slug(text) == reference_slug(text)
    assert slug(text) == slug(text)  # cached: the same again


def test_slug_examples_and_iri():
    assert slug("Barne-, ungdoms- og familiedirektoratet") == "barne-ungdoms-og-familiedirektoratet"
    assert (slug(True), slug(12), slug(-3), slug("29a")) == ("true", "12", "3", "29a")
    assert str(mint_iri("measure", "Plan X", 12)) == "https://w3id.org/tiltaksgraf/id/measure/plan-x/12"


_KEY = st.one_of(st.text(max_size=20), st.integers(), st.text(alphabet="abcæøÅ- –0129./", max_size=20))


@settings(max_examples=200, derandomize=True, database=None)
@given(st.text(alphabet="abcæ- ", min_size=1, max_size=10), st.lists(_KEY, min_size=1, max_size=3),
       st.lists(_KEY, min_size=1, max_size=3))
def test_the_text_forms_mint_what_mint_iri_mints(kind, leading, keys):
    """The build's fast paths (``mint_iri_text``, ``IriMinter``) give ``mint_iri``'s IRIs exactly."""
    iri = str(mint_iri(kind, *leading, *keys))
    assert mint_iri_text(kind, *leading, *keys) == iri
    assert IriMinter(kind, *leading)(*keys) == iri
