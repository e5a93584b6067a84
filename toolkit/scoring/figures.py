"""Figures from summed statistics, read by column name (`toolkit.scoring.statistics`): the result's numbers.

Every ratio is ``None`` where its denominator is zero; nothing here counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from toolkit.scoring.statistics import CATEGORIES, ENTITY_COLUMNS, LAYERS, PARTIAL_CREDIT_SCHEMES, SCHEMES

HEADLINE_FIGURES = ("entities.strict.f1", "claims.overlap.f1", "end_to_end.f1", "overall")
# All the statistics `headline` reads: a resample needs no other column.
HEADLINE_COUNTS = (
    *(f"entities.strict.{category}" for category in CATEGORIES),
    "claims.predicted",
    "claims.gold",
    "claims.overlap_tp",
    "claims.end_to_end_tp",
)


def precision_recall_f1(credit: float, predicted: int, gold: int) -> dict[str, float | None]:
    """The three figures every layer reports; ``None`` where a denominator is zero.

    F1 is ``2·credit / (predicted + gold)``: the harmonic mean of precision and
    recall when both exist, 0 when a system predicts only wrong items, and
    ``None`` only when there is neither gold nor prediction.
    """
    return {
        "precision": credit / predicted if predicted else None,
        "recall": credit / gold if gold else None,
        "f1": 2 * credit / (predicted + gold) if predicted + gold else None,
    }


def scheme_figures(scheme: str, counts: Mapping[str, int]) -> dict:
    """The ten figures of one scheme from its five counts (credit = correct, plus half the partials where they
    count)."""
    correct, incorrect, partial, missed, spurious = (counts[f"entities.{scheme}.{category}"] for category in CATEGORIES)
    possible = correct + incorrect + partial + missed
    actual = correct + incorrect + partial + spurious
    credit = correct + 0.5 * partial if scheme in PARTIAL_CREDIT_SCHEMES else correct
    return {
        **dict(zip(CATEGORIES, (correct, incorrect, partial, missed, spurious), strict=True)),
        "possible": possible,
        "actual": actual,
        **precision_recall_f1(credit, actual, possible),
    }


def entity_figures(totals: Mapping[str, int], label_rows: Sequence[Sequence[int]], label_names: Sequence[str]) -> dict:
    """``entities`` of the result: the four schemes (micro), ``per_label`` and ``macro`` averages.

    ``label_rows`` holds each label's entity counts (`ENTITY_COLUMNS` order).
    Labels with neither gold nor predicted spans are left out of ``per_label``
    and of the macro average.
    """
    figures: dict = {scheme: scheme_figures(scheme, totals) for scheme in SCHEMES}
    per_label = {}
    for name, row in zip(label_names, label_rows, strict=True):
        if any(row):
            counts = dict(zip(ENTITY_COLUMNS, (int(value) for value in row), strict=True))
            per_label[name] = {scheme: scheme_figures(scheme, counts) for scheme in SCHEMES}
    figures["per_label"] = per_label
    figures["macro"] = {scheme: _macro([label[scheme] for label in per_label.values()]) for scheme in SCHEMES}
    return figures


def _macro(rows: list[dict]) -> dict:
    """Unweighted mean over labels of each figure, over the labels where it is defined."""
    macro = {}
    for name in ("precision", "recall", "f1"):
        values = [row[name] for row in rows if row[name] is not None]
        macro[name] = sum(values) / len(values) if values else None
    return macro


def _prf(tp: int, predicted: int, gold: int) -> dict:
    return {"true_positives": tp, "predicted": predicted, "gold": gold, **precision_recall_f1(tp, predicted, gold)}


def stance_figures(confusion: Sequence[Sequence[int]], names: Sequence[str], polar: Sequence[str]) -> dict:
    """Accuracy, per-label and macro F1, ``f_avg`` and the confusion matrix of stance on matched claims.

    A label's F1 is ``2·tp / (gold + predicted)``, 0 when the label occurs on
    neither side (scikit-learn's ``zero_division=0``).  ``macro_f1`` averages
    the labels that occur in gold or predictions (scikit-learn's default
    ``average="macro"``): a label the data never asks for is not a failure.
    ``f_avg`` always averages the two polar labels (SemEval-2016 Task 6).
    Every figure is ``None`` when no claim was matched.
    """
    total = sum(map(sum, confusion))
    per_label = {}
    present = []
    for k, name in enumerate(names):
        tp = confusion[k][k]
        gold = sum(confusion[k])
        predicted = sum(row[k] for row in confusion)
        per_label[name] = {
            "precision": tp / predicted if predicted else None,
            "recall": tp / gold if gold else None,
            "f1": (2 * tp / (gold + predicted) if gold + predicted else 0.0) if total else None,
            "support": gold,
        }
        if gold + predicted:
            present.append(per_label[name]["f1"])
    return {
        "n": total,
        "accuracy": sum(confusion[k][k] for k in range(len(names))) / total if total else None,
        "macro_f1": sum(present) / len(present) if total else None,
        "f_avg": sum(per_label[name]["f1"] for name in polar) / len(polar) if total else None,
        "per_label": per_label,
        "confusion": {"labels": list(names), "matrix": [list(map(int, row)) for row in confusion]},
    }


def claim_figures(
    totals: Mapping[str, int], iou_threshold: float, stance_names: Sequence[str], polar: Sequence[str]
) -> dict:
    """``claims``, ``claimer``, ``stance`` and ``end_to_end`` of the result from summed statistics."""
    predicted, gold, matched = totals["claims.predicted"], totals["claims.gold"], totals["claims.overlap_tp"]
    confusion = [[totals[f"stance.{g}.{p}"] for p in stance_names] for g in stance_names]
    right_claimers = totals["claims.claimer_correct"]
    return {
        "claims": {
            "strict": _prf(totals["claims.strict_tp"], predicted, gold),
            "overlap": {**_prf(matched, predicted, gold), "iou": iou_threshold},
        },
        "claimer": {
            "accuracy": right_claimers / matched if matched else None,
            "correct": right_claimers,
            "matched_claims": matched,
        },
        "stance": stance_figures(confusion, stance_names, polar),
        "end_to_end": _prf(totals["claims.end_to_end_tp"], predicted, gold),
    }


def headline(sums: np.ndarray) -> dict[str, np.ndarray]:
    """The headline figures from sums over `HEADLINE_COUNTS` (one row per resample); NaN where undefined."""
    counts = dict(zip(HEADLINE_COUNTS, sums.T, strict=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        correct, incorrect, partial, missed, spurious = (
            counts[f"entities.strict.{category}"] for category in CATEGORIES
        )
        claims = counts["claims.predicted"] + counts["claims.gold"]
        figures = {
            "entities.strict.f1": 2 * correct / (2 * (correct + incorrect + partial) + missed + spurious),
            "claims.overlap.f1": 2 * counts["claims.overlap_tp"] / claims,
            "end_to_end.f1": 2 * counts["claims.end_to_end_tp"] / claims,
        }
        figures["overall"] = sum(figures.values()) / 3
    return figures


def overall_figure(figures: Mapping[str, float | None], layers: Sequence[str]) -> tuple[float | None, str | None]:
    """The mean of the three headline layer figures, or ``None`` and why."""
    absent = [layer for layer in LAYERS if layer not in layers]
    if absent:
        return (
            None,
            f"the predictions have no {' and no '.join(absent)} layer "
            f"(no record has the key {', '.join(map(repr, absent))})",
        )
    parts = HEADLINE_FIGURES[:3]
    undefined = [name for name in parts if figures[name] is None]
    if undefined:
        return None, f"{', '.join(undefined)} undefined (neither gold nor predicted items)"
    return sum(figures[name] for name in parts) / len(parts), None
