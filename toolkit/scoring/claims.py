"""Claims (strict and IoU-overlap matching), their claimer, their stance, and end to end.

A gold claim is ``(start, end, stance_index, claimer)`` where ``claimer`` is a
claimer kind name (``"author"``, ``"unnamed"``) or a tuple of the ``(start, end)``
spans that count as naming the source: the gold claimer mentions and every
gold mention with the same label and normalised text (another mention of the
same source).  A predicted claim is ``(start, end, stance_index, claimer)``
with ``claimer`` a kind name or one ``(start, end)`` span.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from toolkit.scoring.matching import assign, overlap_components
from toolkit.scoring.result import precision_recall_f1
from toolkit.scoring.spans import iou

# Per-document sufficient statistics of the claim layers, in this order, then the stance confusion matrix
# (gold row, predicted column).
CLAIM_COLUMNS = ("strict_tp", "overlap_tp", "predicted", "gold", "claimer_correct", "end_to_end_tp")
STRICT_TP, OVERLAP_TP, PREDICTED, GOLD, CLAIMER_CORRECT, END_TO_END_TP = range(len(CLAIM_COLUMNS))


def normalise_mention(text: str) -> str:
    """Case-folded, whitespace-collapsed: ``"Vladimir  Putin"`` and ``"vladimir putin"`` name the same source."""
    return " ".join(text.split()).casefold()


def gold_claimer(claim: Mapping, mentions: Mapping[str, tuple], same_source: Mapping[tuple, list[tuple]]):
    """The claimer of a gold annotation claim as scored: a kind name, or the accepted spans.

    ``mentions`` maps an entity id to ``(start, end, label, normalised text)``;
    ``same_source`` maps ``(label, normalised text)`` to every such mention's span.
    """
    claimer = claim["claimer"]
    if not claimer["entity_ids"]:
        return claimer["kind"]
    accepted = set()
    for entity_id in claimer["entity_ids"]:
        start, end, label, text = mentions[entity_id]
        accepted.add((start, end))
        accepted.update(same_source.get((label, text), ()))
    return tuple(sorted(accepted))


def claimer_is_right(gold, predicted) -> bool:
    """A kind is right when it is the gold kind; a span when it overlaps an accepted span."""
    if isinstance(gold, str) or isinstance(predicted, str):
        return gold == predicted
    start, end = predicted
    return any(s < end and start < e for s, e in gold)


def score_claims(gold: Sequence[tuple], pred: Sequence[tuple], threshold: float, n_stances: int) -> list[int]:
    """Per-document statistics: `CLAIM_COLUMNS` then the ``n_stances``² stance confusion counts."""
    counts = [0] * (len(CLAIM_COLUMNS) + n_stances * n_stances)
    counts[PREDICTED] = len(pred)
    counts[GOLD] = len(gold)
    if not gold or not pred:
        return counts
    boundaries: dict[tuple, int] = {}
    for claim in gold:
        key = (claim[0], claim[1])
        boundaries[key] = boundaries.get(key, 0) + 1
    for claim in pred:
        key = (claim[0], claim[1])
        if boundaries.get(key):
            boundaries[key] -= 1
            counts[STRICT_TP] += 1
    for gold_indices, pred_indices in overlap_components(gold, pred):
        if gold_indices and pred_indices:
            match_claims([gold[i] for i in gold_indices], [pred[i] for i in pred_indices], threshold, n_stances, counts)
    return counts


def match_claims(
    golds: Sequence[tuple], preds: Sequence[tuple], threshold: float, n_stances: int, counts: list[int]
) -> None:
    """Adds the overlap matches of one group of overlapping claims (one-to-one, IoU >= ``threshold``) and what
    they get right."""

    def credit(g: tuple, p: tuple) -> float | None:
        return 1.0 if iou(g, p) >= threshold else None

    for g, p, _ in assign(golds, preds, credit):
        add_match(golds[g], preds[p], n_stances, counts)


def add_match(g_claim: tuple, p_claim: tuple, n_stances: int, counts) -> None:
    """Counts one matched pair: the match, a right claimer, end to end, the stance confusion cell."""
    counts[OVERLAP_TP] += 1
    right_claimer = claimer_is_right(g_claim[3], p_claim[3])
    counts[CLAIMER_CORRECT] += right_claimer
    counts[END_TO_END_TP] += right_claimer and g_claim[2] == p_claim[2]
    counts[len(CLAIM_COLUMNS) + g_claim[2] * n_stances + p_claim[2]] += 1


def _prf(tp: int, predicted: int, gold: int) -> dict:
    return {"true_positives": tp, "predicted": predicted, "gold": gold, **precision_recall_f1(tp, predicted, gold)}


def stance_figures(confusion: Sequence[Sequence[int]], names: Sequence[str], polar: Sequence[str]) -> dict:
    """Accuracy, per-label and macro F1, ``f_avg`` and the confusion matrix of stance on matched claims.

    A label's F1 is ``2·tp / (gold + predicted)`` and 0 when the label occurs on
    neither side (scikit-learn's ``zero_division=0``); every figure is ``None``
    when no claim was matched.
    """
    total = sum(map(sum, confusion))
    per_label = {}
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
    f1 = [per_label[name]["f1"] for name in names]
    return {
        "n": total,
        "accuracy": sum(confusion[k][k] for k in range(len(names))) / total if total else None,
        "macro_f1": sum(f1) / len(f1) if total else None,
        "f_avg": sum(per_label[name]["f1"] for name in polar) / len(polar) if total else None,
        "per_label": per_label,
        "confusion": {"labels": list(names), "matrix": [list(map(int, row)) for row in confusion]},
    }


def claim_figures(
    totals: Sequence[int], iou_threshold: float, stance_names: Sequence[str], polar: Sequence[str]
) -> dict:
    """``claims``, ``claimer``, ``stance`` and ``end_to_end`` of the result from summed statistics."""
    totals = [int(value) for value in totals]
    n = len(stance_names)
    confusion = [totals[len(CLAIM_COLUMNS) + row * n : len(CLAIM_COLUMNS) + (row + 1) * n] for row in range(n)]
    matched = totals[OVERLAP_TP]
    return {
        "claims": {
            "strict": _prf(totals[STRICT_TP], totals[PREDICTED], totals[GOLD]),
            "overlap": {**_prf(matched, totals[PREDICTED], totals[GOLD]), "iou": iou_threshold},
        },
        "claimer": {
            "accuracy": totals[CLAIMER_CORRECT] / matched if matched else None,
            "correct": totals[CLAIMER_CORRECT],
            "matched_claims": matched,
        },
        "stance": stance_figures(confusion, stance_names, polar),
        "end_to_end": _prf(totals[END_TO_END_TP], totals[PREDICTED], totals[GOLD]),
    }
