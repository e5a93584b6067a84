"""The fast engine's claim counting: `toolkit.scoring.engines.reference.score_claims` for a whole corpus at once.

Exact boundaries are counted through composite keys (a multiset
intersection).  Within each group of overlapping claims every gold ×
predicted pair whose IoU reaches the threshold is allowed; where no claim is
in two allowed pairs, those pairs are the group's one best matching and are
counted at once, their claimers compared over arrays; only groups where a
claim could go two ways go through `reference.match_claims`.
"""

from __future__ import annotations

import numpy as np

from toolkit.scoring.engines import reference, thresholds
from toolkit.scoring.spans import KIND_SPANS, ClaimColumns, overlap_groups, within_runs
from toolkit.scoring.statistics import (
    CLAIM_COUNTS,
    CLAIMER_CORRECT,
    END_TO_END_TP,
    GOLD,
    OVERLAP_TP,
    PREDICTED,
    STRICT_TP,
)


def joined_pairs(found: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """The ``(gold rows, predicted rows, claimer right)`` parts `score_claim_columns` appends, as three arrays."""
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool)
    return tuple(np.concatenate([part[k] for part in found]) for k in range(3))


def score_claim_columns(
    gold: ClaimColumns,
    pred: ClaimColumns,
    n_documents: int,
    threshold: float,
    n_stances: int,
    pairs: list | None = None,
) -> np.ndarray:
    """Documents × claim statistics: exactly what `reference.score_claims` gives per document.

    ``pairs``: a list that receives the matched ``(gold rows, predicted rows, claimer right)`` arrays."""
    width = len(CLAIM_COUNTS) + n_stances * n_stances
    bound = int(max(gold.end.max(initial=0), pred.end.max(initial=0))) + 1
    if (n_documents + 1) * bound * bound >= thresholds.KEY_LIMIT:
        if pairs is not None:
            pairs.append(reference.claim_pairs(gold, pred, threshold))
        pairs = zip(gold.per_document(n_documents), pred.per_document(n_documents), strict=True)
        return np.array([reference.score_claims(g, p, threshold, n_stances) for g, p in pairs], dtype=np.int64).reshape(
            n_documents, width
        )
    stats = np.zeros((n_documents, width), dtype=np.int64)
    stats[:, PREDICTED] = np.bincount(pred.doc, minlength=n_documents)
    stats[:, GOLD] = np.bincount(gold.doc, minlength=n_documents)
    gold_keys, gold_counts = np.unique((gold.doc * bound + gold.start) * bound + gold.end, return_counts=True)
    pred_keys, pred_counts = np.unique((pred.doc * bound + pred.start) * bound + pred.end, return_counts=True)
    common, in_gold, in_pred = np.intersect1d(gold_keys, pred_keys, assume_unique=True, return_indices=True)
    stats[:, STRICT_TP] = np.bincount(
        common // (bound * bound), weights=np.minimum(gold_counts[in_gold], pred_counts[in_pred]), minlength=n_documents
    ).astype(np.int64)

    n_gold = len(gold)
    side = np.concatenate([np.zeros(n_gold, np.int8), np.ones(len(pred), np.int8)])
    if not len(side):
        return stats
    doc, start, end = (np.concatenate([getattr(gold, name), getattr(pred, name)]) for name in ("doc", "start", "end"))
    order, group, opens, golds_in, preds_in = overlap_groups(doc, start, end, side, bound)
    row = np.concatenate([np.arange(n_gold), np.arange(len(pred))])[order]  # index within its side
    side, sorted_doc = side[order], doc[order]
    g_pair, p_pair = _pairs_within_groups(group, side, (golds_in >= 1) & (preds_in >= 1))
    g_row, p_row = row[g_pair], row[p_pair]
    shared = np.minimum(gold.end[g_row], pred.end[p_row]) - np.maximum(gold.start[g_row], pred.start[p_row])
    union = np.maximum(gold.end[g_row], pred.end[p_row]) - np.minimum(gold.start[g_row], pred.start[p_row])
    allowed = (shared > 0) & (
        shared / union >= threshold
    )  # the same float as `iou`: both sides exact int to double, one correctly rounded division
    g_pair, p_pair = g_pair[allowed], p_pair[allowed]
    # Where the allowed pairs share no claim they are the one best matching of their group; elsewhere
    # `reference.match_claims` decides.
    shares = (np.bincount(g_pair, minlength=len(side))[g_pair] > 1) | (
        np.bincount(p_pair, minlength=len(side))[p_pair] > 1
    )
    contested = np.zeros(int(group[-1]) + 1, dtype=bool)
    contested[group[g_pair[shares]]] = True
    plain = ~contested[group[g_pair]]
    g_row, p_row = row[g_pair[plain]], row[p_pair[plain]]
    doc = gold.doc[g_row]
    right = _claimers_right(gold, pred, g_row, p_row)
    if pairs is not None:
        pairs.append((g_row, p_row, right))
    np.add.at(stats, (doc, OVERLAP_TP), 1)
    np.add.at(stats, (doc, CLAIMER_CORRECT), right)
    np.add.at(stats, (doc, END_TO_END_TP), right & (gold.stance[g_row] == pred.stance[p_row]))
    np.add.at(stats, (doc, len(CLAIM_COUNTS) + gold.stance[g_row] * n_stances + pred.stance[p_row]), 1)

    rows_of_contested = np.flatnonzero(contested[group])
    if len(rows_of_contested):
        sides = side[rows_of_contested]
        golds = iter(
            gold.claims(row[rows_of_contested[sides == 0]])
        )  # every contested claim as a tuple at once, then group by group
        preds = iter(pred.claims(row[rows_of_contested[sides == 1]]))
        bounds = np.flatnonzero(np.diff(group[rows_of_contested])) + 1
        for rows, members in zip(np.split(rows_of_contested, bounds), np.split(sides, bounds), strict=True):
            members = members.tolist()
            counts = [0] * width
            group_golds = [next(golds) for k in members if k == 0]
            group_preds = [next(preds) for k in members if k == 1]
            matched = reference.match_claims(group_golds, group_preds, threshold, n_stances, counts)
            stats[int(sorted_doc[rows[0]])] += counts
            if pairs is not None and matched:
                g_rows, p_rows = row[rows[np.asarray(members) == 0]], row[rows[np.asarray(members) == 1]]
                pairs.append(
                    (
                        g_rows[[g for g, _ in matched]],
                        p_rows[[p for _, p in matched]],
                        np.array(
                            [reference.claimer_is_right(group_golds[g][3], group_preds[p][3]) for g, p in matched]
                        ),
                    )
                )
    return stats


def _claimers_right(gold: ClaimColumns, pred: ClaimColumns, g_row: np.ndarray, p_row: np.ndarray) -> np.ndarray:
    """`reference.claimer_is_right` of pairs, over arrays: the same kind, or a predicted span overlapping one of
    the gold claimer's spans."""
    g_kind, p_kind = gold.kind[g_row], pred.kind[p_row]
    right = (g_kind == p_kind) & (g_kind != KIND_SPANS)
    both = np.flatnonzero((g_kind == KIND_SPANS) & (p_kind == KIND_SPANS))
    predicted = pred.claimer_spans[pred.claimer_offsets[p_row[both]]]
    counts = gold.claimer_offsets[g_row[both] + 1] - gold.claimer_offsets[g_row[both]]
    accepted = gold.claimer_spans[np.repeat(gold.claimer_offsets[g_row[both]], counts) + within_runs(counts)]
    pair = np.repeat(np.arange(len(both)), counts)
    overlaps = (accepted[:, 0] < predicted[pair, 1]) & (predicted[pair, 0] < accepted[:, 1])
    right[both] = np.bincount(pair, weights=overlaps, minlength=len(both)) > 0
    return right


def _pairs_within_groups(group: np.ndarray, side: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (gold row, predicted row) pair of the same group among ``eligible`` rows (rows sorted by group)."""
    gold_rows, pred_rows = np.flatnonzero(eligible & (side == 0)), np.flatnonzero(eligible & (side == 1))
    pred_groups = group[pred_rows]
    first = np.searchsorted(pred_groups, group[gold_rows], "left")
    counts = np.searchsorted(pred_groups, group[gold_rows], "right") - first
    return np.repeat(gold_rows, counts), pred_rows[np.repeat(first, counts) + within_runs(counts)]
