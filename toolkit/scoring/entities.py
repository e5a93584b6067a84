"""Entity scoring under the four SemEval-2013 schemes (the ones nervaluate reports).

Spans are ``(start, end, label_index)`` tuples.  Every pair of a matching is
counted once, under the GOLD label (correct, incorrect or partial); a missed
gold span under its label, a spurious prediction under the predicted label.
So the per-label counts add up exactly to the overall counts, and a label
confusion (gold PER, predicted ORG on the same span) is one ``incorrect`` of
PER under ``strict`` and nothing at all for ORG.
"""

from __future__ import annotations

from collections.abc import Sequence

from toolkit.scoring.matching import assign, overlap_components
from toolkit.scoring.result import precision_recall_f1

SCHEMES = ("strict", "exact", "partial", "ent_type")
CATEGORIES = ("correct", "incorrect", "partial", "missed", "spurious")
COR, INC, PAR, MIS, SPU = range(len(CATEGORIES))
WIDTH = len(SCHEMES) * len(CATEGORIES)  # counts per document (or per label): scheme-major
PARTIAL_CREDIT_SCHEMES = frozenset({"partial", "ent_type"})


def _overlaps(g: tuple, p: tuple) -> bool:
    return g[0] < p[1] and p[0] < g[1]


def _strict(g: tuple, p: tuple) -> float | None:
    return (1.0 if g == p else 0.0) if _overlaps(g, p) else None


def _exact(g: tuple, p: tuple) -> float | None:
    return (1.0 if g[0] == p[0] and g[1] == p[1] else 0.0) if _overlaps(g, p) else None


def _partial(g: tuple, p: tuple) -> float | None:
    return (1.0 if g[0] == p[0] and g[1] == p[1] else 0.5) if _overlaps(g, p) else None


def _ent_type(g: tuple, p: tuple) -> float | None:
    return (1.0 if g[2] == p[2] else 0.0) if _overlaps(g, p) else None


CREDIT = {"strict": _strict, "exact": _exact, "partial": _partial, "ent_type": _ent_type}
CATEGORY_OF_CREDIT = {1.0: COR, 0.5: PAR, 0.0: INC}


def score_entities(gold: Sequence[tuple], pred: Sequence[tuple], label_counts: list[int]) -> list[int]:
    """Counts of one document (``WIDTH`` ints); adds the same counts per label into ``label_counts``.

    ``label_counts`` is a flat list, ``label_index * WIDTH + scheme * 5 + category``.
    Identical spans (same boundaries and label) are paired first: they are
    correct in every scheme.  The rest is matched per scheme by `assign`.
    """
    counts = [0] * WIDTH
    unmatched: dict[tuple, int] = {}
    for span in gold:
        unmatched[span] = unmatched.get(span, 0) + 1
    rest_pred = []
    for span in pred:
        left = unmatched.get(span)
        if left:
            unmatched[span] = left - 1
            base = span[2] * WIDTH
            for scheme in range(0, WIDTH, 5):
                counts[scheme + COR] += 1
                label_counts[base + scheme + COR] += 1
        else:
            rest_pred.append(span)
    rest_gold = [span for span, left in unmatched.items() for _ in range(left)]
    if not rest_gold and not rest_pred:
        return counts
    one_sided = [(list(range(len(rest_gold))), list(range(len(rest_pred))))]
    groups = overlap_components(rest_gold, rest_pred) if rest_gold and rest_pred else one_sided
    for gold_indices, pred_indices in groups:
        score_component(
            [rest_gold[i] for i in gold_indices], [rest_pred[i] for i in pred_indices], counts, label_counts
        )
    return counts


def score_component(golds: Sequence[tuple], preds: Sequence[tuple], counts: list[int], label_counts: list[int]) -> None:
    """Adds the counts of one group of overlapping spans (no identical pair left), per scheme by `assign`."""
    for offset, scheme in enumerate(SCHEMES):
        offset *= 5
        pairs = assign(golds, preds, CREDIT[scheme]) if golds and preds else []
        paired_pred = set()
        paired_gold = set()
        for g, p, credit in pairs:
            category = offset + CATEGORY_OF_CREDIT[credit]
            counts[category] += 1
            label_counts[golds[g][2] * WIDTH + category] += 1
            paired_gold.add(g)
            paired_pred.add(p)
        for g, span in enumerate(golds):
            if g not in paired_gold:
                counts[offset + MIS] += 1
                label_counts[span[2] * WIDTH + offset + MIS] += 1
        for p, span in enumerate(preds):
            if p not in paired_pred:
                counts[offset + SPU] += 1
                label_counts[span[2] * WIDTH + offset + SPU] += 1


def scheme_figures(scheme: str, counts: Sequence[int]) -> dict:
    """The ten figures of one scheme from its five counts (credit = correct, plus half the partials where they
    count)."""
    correct, incorrect, partial, missed, spurious = (int(value) for value in counts)
    possible = correct + incorrect + partial + missed
    actual = correct + incorrect + partial + spurious
    credit = correct + 0.5 * partial if scheme in PARTIAL_CREDIT_SCHEMES else correct
    return {
        "correct": correct,
        "incorrect": incorrect,
        "partial": partial,
        "missed": missed,
        "spurious": spurious,
        "possible": possible,
        "actual": actual,
        **precision_recall_f1(credit, actual, possible),
    }


def entity_figures(totals: Sequence[int], label_totals: Sequence[int], label_names: Sequence[str]) -> dict:
    """``entities`` of the result: the four schemes (micro), ``per_label`` and ``macro`` averages.

    Labels with neither gold nor predicted spans are left out of ``per_label``
    and of the macro average.
    """
    figures: dict = {scheme: scheme_figures(scheme, totals[i * 5 : (i + 1) * 5]) for i, scheme in enumerate(SCHEMES)}
    per_label = {}
    for index, name in enumerate(label_names):
        row = label_totals[index * WIDTH : (index + 1) * WIDTH]
        if any(row):
            per_label[name] = {
                scheme: scheme_figures(scheme, row[i * 5 : (i + 1) * 5]) for i, scheme in enumerate(SCHEMES)
            }
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
