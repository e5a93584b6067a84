"""Per-label entity figures under a convention: ``voci`` (the default, `toolkit.scoring.figures.entity_figures`)
or ``seqeval`` (seqeval's ``classification_report``, strict mode, for people who compare with it).

Under seqeval's convention a label's true positives are its predicted spans
with exactly a gold span's boundaries and label; every other predicted span of
the label counts against its precision and every other gold span of the label
against its recall, so a confused pair counts twice (against the predicted
label's precision and the gold label's recall).  A zero denominator gives 0
(scikit-learn's ``zero_division``), and the macro and weighted averages run
over the labels in gold or predictions.  Both come from counts both engines
share: strict correct and possible per gold label, and the predicted spans per label.
"""

from __future__ import annotations

from collections.abc import Sequence

from toolkit.scoring.statistics import CATEGORIES, ENTITY_COLUMNS

CONVENTIONS = ("voci", "seqeval")
DEFAULT_CONVENTION = "voci"
_STRICT = [ENTITY_COLUMNS.index(f"entities.strict.{category}") for category in CATEGORIES]


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def seqeval_entities(
    label_rows: Sequence[Sequence[int]], predicted: Sequence[int], label_names: Sequence[str]
) -> tuple[dict, dict, dict]:
    """``(per_label, macro, weighted)`` of seqeval's report from each label's entity counts (`ENTITY_COLUMNS`
    order, pairs under the gold label) and its number of predicted spans."""
    per_label = {}
    for name, row, actual in zip(label_names, label_rows, predicted, strict=True):
        correct, incorrect, partial, missed, _ = (int(row[k]) for k in _STRICT)
        support = correct + incorrect + partial + missed
        if not (support or actual):
            continue
        precision, recall = _ratio(correct, actual), _ratio(correct, support)
        per_label[name] = {
            "strict": {
                "true_positives": correct,
                "predicted": int(actual),
                "support": support,
                "precision": precision,
                "recall": recall,
                "f1": _ratio(2 * precision * recall, precision + recall),
            }
        }
    rows = [figures["strict"] for figures in per_label.values()]
    total = sum(row["support"] for row in rows)
    macro, weighted = {}, {}
    for figure in ("precision", "recall", "f1"):
        macro[figure] = sum(row[figure] for row in rows) / len(rows) if rows else None
        weighted[figure] = _ratio(sum(row[figure] * row["support"] for row in rows), total) if rows else None
    return per_label, {"strict": macro}, {"strict": weighted}
