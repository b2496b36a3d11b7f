"""How many of the names the extraction misses on other plans' pages the candidates list holds.

Usage: ``python tools/candidates_recall.py [CORPUS_DIR]`` (default ``../shared/corpus/other-plans``,
the development pages; the package and its tests never read them). ``NAMES`` is what a person
reading each page lists as agencies, programmes, laws, reports and plans (people and places
left out). A name is *found* when an extracted entity has it as a label or a mention covers its
first occurrence; a missed name is *listed* when a candidate has it as its name or an alias
(compared with ``names.fold``). Pages are read as ``candidates`` reads them: measures by their
layout, the text outside them line by line (whole text where no layout fits).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tiltaksgraf.extract.candidates import find_candidates, read_any_report
from tiltaksgraf.extract.gazetteer import load_knowledge
from tiltaksgraf.names import fold
from tiltaksgraf.pipeline import extract

NAMES: dict[str, list[str]] = {
    "h05": ["MinID", "DFD", "Digdir", "POD", "SKD", "UDI", "eIDAS-forordning"],
    "p01": ["Prop. 1 S", "Justis- og beredskapsdepartementet", "Helse- og omsorgsdepartementet",
            "Kulturdepartementet", "Kunnskapsdepartementet", "Opptrappingsplan mot vold og overgrep",
            "BFD", "KD", "HOD", "JD", "krisesenterlova", "spesialisthelsetenestelova",
            "helse- og omsorgstenestelova", "tannhelsetenestelova"],
    "p03": ["Et liv uten vold", "Justis- og beredskapsdepartementet", "JD", "AD", "BLD", "HOD", "KD",
            "International Child Development Programme", "Barne-, ungdoms- og familiedirektoratet"],
    "p06": ["Et liv uten vold", "Justis- og beredskapsdepartementet", "JD", "AD", "BLD", "HOD", "KD",
            "International Child Development Programme", "Barne-, ungdoms- og familiedirektoratet", "Bufdir"],
    "p46": ["Helsedirektoratet", "Nasjonalt senter for selvmordsforskning og -forebygging", "RVTS",
            "helsenorge.no"],
    "p47": ["Statens vegvesen", "Dødsårsaksregisteret", "Folkehelseinstituttet",
            "Nasjonalt senter for selvmordsforskning og forebygging", "UAG",
            "Klassifisering av selvmord i trafikken"],
    "p52": ["Handlingsplan mot radikalisering og voldelig ekstremisme", "BLD", "JD",
            "Senter for ekstremismeforskning", "Kommunesektorens organisasjon", "PST",
            "Norsk institutt for by- og regionforskning", "Norges miljø- og biovitenskapelige universitet"],
    "p59": ["Bufdir", "Barne-, ungdoms- og familiedirektoratet", "Uni Research Helse Bergen",
            "Norsk senter for forskningsdata"],
    "p60": ["Ung.no", "Skeiv Ungdom", "Skeiv Verden", "Unge funksjonshemmede", "Bonju Sámit",
            "Barne-, ungdoms- og familiedirektoratet", "Spørsmål og svar", "Enerhaugen familiekontor"],
    "p62": ["Senter for sjeldne diagnoser", "Manchester University", "Leeds University",
            "Law and intersex in Norway; challenges and opportunities", "Bufdir",
            "Barne-, ungdoms- og familiedirektoratet"],
    "p80": ["Handlingsplan mot tvangsekteskap", "JD", "AID", "BLD", "KD", "KUD"],
}


def main(corpus: Path) -> None:
    knowledge = load_knowledge()
    total = found_total = listed_total = 0
    for prefix, names in NAMES.items():
        (path,) = corpus.glob(f"{prefix}_*.txt")
        report, known_layout = read_any_report(path)
        extraction = extract(report, knowledge)
        labels = {fold(label) for e in extraction.entities for label in (e.pref_label, *e.alt_labels)}
        spans = [(m.start, m.end) for m in extraction.mentions]
        listed = {fold(n) for c in find_candidates(report, knowledge) for n in (c.name, *c.aliases)}
        text = report.source.text
        missed, in_list = [], []
        for name in names:
            at = text.find(name)
            if fold(name) in labels or any(s <= at and at + len(name) <= e for s, e in spans):
                continue
            missed.append(name)
            if fold(name) in listed:
                in_list.append(name)
        total += len(names)
        found_total += len(names) - len(missed)
        listed_total += len(in_list)
        layout = "layout" if known_layout else "whole text"
        print(f"{path.name} ({layout}): {len(names)} names, {len(names) - len(missed)} found, "
              f"{len(missed)} missed, {len(in_list)} of them in candidates")
        for name in missed:
            print(f"    {'+' if name in in_list else '-'} {name}")
    missed_total = total - found_total
    print(f"all: {total} names, {found_total} found; of the {missed_total} missed, "
          f"{listed_total} ({listed_total / max(missed_total, 1):.0%}) are in the candidates list")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/corpus/other-plans"))
