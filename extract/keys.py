"""The one way an entity key is minted from a name (pattern-found entities, and the user's
knowledge-file entries that leave ``key`` out), so the same name always gets the same key.

Input: a surface form or name and its entity type. Output: a lowercase slug (``graph/iri.slug``).
"""

from __future__ import annotations

import re

from tiltaksgraf.graph.iri import slug
from tiltaksgraf.records import EntityType


def clean_label(surface: str) -> str:
    """A surface form as a label: line breaks and runs of blanks folded to one space, and a name
    the PDF broke at its hyphen joined again ("FamilieForSK- studien"; not "helse- og omsorg")."""
    label = re.sub(r"\s+", " ", surface).strip()
    return re.sub(r"(?<=\w)- (?!(?:og|eller|samt|til)\b)(?=[a-zæøå])", "-", label)


def mint_key(name: str, label: EntityType) -> str:
    """The entity key of ``name``: "Prop. 73 L (2016–2017)" ≡ "Prop 73 L", a plan's years dropped,
    a law's genitive dropped."""
    base = re.sub(r"^(?:https?://)?www\.", "", clean_label(name), flags=re.IGNORECASE)
    # "Prop. 73 L (2016–2017)" ≡ "Prop 73 L"; "Handlingsplan mot X (2021–2024)" ≡ "handlingsplan mot X"
    base = re.sub(r"\s*\(\s*\d{4}\s*[-–]\s*\d{4}\s*\)$", "", base)
    if label in ("Law", "Report"):
        base = re.sub(r"[’']?s$", "", base) if re.search(r"(loven|lova)[’']?s$", base) else base
        base = re.sub(r"^(Prop|Innst|Meld|St)\.?", r"\1", base)
    return slug(base)
