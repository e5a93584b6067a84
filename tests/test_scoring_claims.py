"""Claims, claimer, stance and end to end on hand-built cases; stance figures against scikit-learn."""

from __future__ import annotations

import random

import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from toolkit.scoring import figures
from toolkit.scoring.engines.reference import claimer_is_right, score_claims
from toolkit.scoring.figures import stance_figures
from toolkit.scoring.gold.gold import gold_claimer, normalise_mention
from toolkit.scoring.statistics import CLAIM_COUNTS as CLAIM_COLUMNS
from toolkit.scoring.statistics import Layout

STANCES = ["SUPPORT", "REFUTE", "NEUTRAL"]
SUPPORT, REFUTE, NEUTRAL = range(3)
COLUMNS = {name: i for i, name in enumerate(CLAIM_COLUMNS)}


def stats(gold, pred, threshold=0.5):
    counts = score_claims(gold, pred, threshold, 3)
    return {name: counts[i] for name, i in COLUMNS.items()}, counts[len(CLAIM_COLUMNS) :]


def test_strict_and_overlap_matching():
    gold = [(0, 20, SUPPORT, "author")]
    result, _ = stats(gold, [(2, 20, SUPPORT, "author")])
    assert result["strict_tp"] == 0 and result["overlap_tp"] == 1 and result["end_to_end_tp"] == 1
    result, _ = stats(gold, [(0, 20, SUPPORT, "author")])
    assert result["strict_tp"] == 1
    result, _ = stats(gold, [(0, 9, SUPPORT, "author")])  # IoU 0.45 < 0.5
    assert result["overlap_tp"] == 0
    result, _ = stats(gold, [(0, 10, SUPPORT, "author")])  # IoU exactly 0.5 counts (>=)
    assert result["overlap_tp"] == 1
    result, _ = stats(gold, [(0, 9, SUPPORT, "author")], threshold=0.4)
    assert result["overlap_tp"] == 1


def test_one_to_one_overlap_matching_maximises_matches():
    """Identical spans are not paired greedily: that would leave the other two unmatched."""
    gold = [(0, 10, SUPPORT, "author"), (0, 6, SUPPORT, "author")]
    pred = [(0, 10, SUPPORT, "author"), (4, 10, SUPPORT, "author")]
    result, _ = stats(gold, pred)
    assert result["overlap_tp"] == 2 and result["strict_tp"] == 1


def test_stance_on_undetected_claims_is_not_scored():
    result, confusion = stats([(0, 20, SUPPORT, "author"), (30, 50, REFUTE, "author")], [(0, 20, REFUTE, "author")])
    assert result["overlap_tp"] == 1 and sum(confusion) == 1 and confusion[SUPPORT * 3 + REFUTE] == 1
    assert result["end_to_end_tp"] == 0 and result["gold"] == 2 and result["predicted"] == 1


def test_claimer_rules():
    mentions = {"e1": (0, 11, "PER", normalise_mention("Mario Rossi")), "e4": (60, 65, "PER", "rossi")}
    same_source = {("PER", "mario rossi"): [(0, 11), (100, 112)], ("PER", "rossi"): [(60, 65)]}
    accepted = gold_claimer({"claimer": {"kind": "entity", "entity_ids": ["e1"]}}, mentions, same_source)
    assert accepted == ((0, 11), (100, 112))
    assert claimer_is_right(accepted, (6, 11))  # overlaps the gold mention
    assert claimer_is_right(accepted, (100, 112))  # another mention of the same source, same normalised text
    assert not claimer_is_right(accepted, (60, 65))  # "Rossi" alone is another text
    assert not claimer_is_right(accepted, "author")
    assert claimer_is_right("author", "author") and not claimer_is_right("author", "unnamed")
    assert not claimer_is_right("unnamed", (0, 11))
    assert normalise_mention("  Mario\n ROSSI ") == "mario rossi"


def claim_figures(claim_block, threshold, names, polar):
    """`figures.claim_figures` of a claim statistics block (claim counts, then the stance confusion)."""
    layout = Layout(tuple(names))
    totals = dict(zip(layout.columns[layout.claim_offset :], claim_block, strict=True))
    return figures.claim_figures(totals, threshold, names, polar)


def test_figures_with_no_claims_are_null_not_a_crash():
    figures = claim_figures([0] * (len(CLAIM_COLUMNS) + 9), 0.5, STANCES, STANCES[:2])
    assert figures["claims"]["overlap"]["f1"] is None and figures["end_to_end"]["precision"] is None
    assert figures["claimer"]["accuracy"] is None
    assert (
        figures["stance"]["accuracy"] is None
        and figures["stance"]["macro_f1"] is None
        and figures["stance"]["f_avg"] is None
    )


def test_stance_figures_equal_scikit_learn():
    """macro-F1 is scikit-learn's default macro average: over the labels present in gold or predictions."""
    rng = random.Random(2)
    absent = 0
    for trial in range(60):
        size = rng.randint(1, 40)
        present = rng.sample(range(3), rng.randint(1, 3))  # sometimes only one class present
        y_true = [rng.choice(present) for _ in range(size)]
        y_pred = [rng.choice(present if trial % 2 else range(3)) for _ in range(size)]
        absent += len(set(y_true) | set(y_pred)) < 3
        matrix = confusion_matrix(y_true, y_pred, labels=[0, 1, 2]).tolist()
        figures = stance_figures(matrix, STANCES, STANCES[:2])
        assert figures["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
        assert figures["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))
        assert figures["f_avg"] == pytest.approx(
            f1_score(y_true, y_pred, labels=[0, 1], average="macro", zero_division=0)
        )
        per_label = f1_score(y_true, y_pred, labels=[0, 1, 2], average=None, zero_division=0)
        assert [figures["per_label"][name]["f1"] for name in STANCES] == pytest.approx(per_label.tolist())
        assert figures["confusion"]["matrix"] == matrix
    assert absent > 10  # labels absent on both sides, where the old all-labels average differed


def test_stance_macro_f1_ignores_a_label_nobody_used():
    """100% right on a split with only SUPPORT claims is a macro-F1 of 1, not 1/3."""
    figures = stance_figures([[8, 0, 0], [0, 0, 0], [0, 0, 0]], STANCES, STANCES[:2])
    assert figures["macro_f1"] == 1.0 and figures["accuracy"] == 1.0
    assert figures["f_avg"] == 0.5  # SemEval's F_avg always averages both polar labels
