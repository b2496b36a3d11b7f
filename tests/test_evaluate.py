"""Accuracy on the dev gold: the targets the knowledge-graph issue sets, and the same table as
the shared scorer prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tiltaksgraf.cli import main
from tiltaksgraf.evaluate import Scores, evaluate_graph

TESTS = next(p for p in Path(__file__).resolve().parents if p.name == "tests")
SHARED = TESTS.parent.parent / "shared"
GOLD = SHARED / "gold" / "entities_dev.json"
SCORER = SHARED / "tools" / "score_entities.py"
needs_dev_gold = pytest.mark.skipif(not GOLD.is_file(), reason=f"no dev gold at {GOLD}")


@needs_dev_gold
def test_evaluate_dev_scores_meet_targets(built):
    scores = evaluate_graph(GOLD, built)
    assert Scores.micro(scores.typed).prf()[2] >= 0.90
    for typ, counts in scores.typed.items():
        assert counts.prf()[2] >= 0.85, f"{typ}: {counts}"


def test_evaluate_held_out_measures_stay_accurate(built):
    """Twelve other measures (5, 10, 19, 29, 39, 43, 44, 50, 56, 70, 75, 88), annotated blind to
    the extractor by a second annotator following the gold conventions: the honest estimate."""
    heldout = TESTS / "golden" / "entities_heldout.json"
    scores = evaluate_graph(heldout, built)
    assert Scores.micro(scores.typed).prf()[2] >= 0.90


@needs_dev_gold
def test_evaluate_prints_the_shared_scorers_table(built, capsys):
    assert main(["evaluate", str(GOLD), "--graph", str(built)]) == 0
    ours = capsys.readouterr().out.strip()
    theirs = subprocess.run([sys.executable, str(SCORER), str(GOLD), str(built / "graph.ttl")],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert ours == theirs


def test_evaluate_bad_gold_is_a_clear_error(tmp_path, built, capsys):
    bad = tmp_path / "gold.json"
    bad.write_text("{}", encoding="utf-8")
    assert main(["evaluate", str(bad), "--graph", str(built)]) == 1
    assert "cannot read gold annotations" in capsys.readouterr().err
