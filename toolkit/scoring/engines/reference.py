"""The reference engine: every document scored on its own, in plain Python, by the definitions of docs/scoring.md.

This is the definition the fast engine (`toolkit.scoring.engines.fast`) must equal
(tests compare the two on random corpora that cross every fast-path
threshold), and what ``toolkit eval --engine reference`` runs end to end: gold
read from parquet rather than the compiled file, predictions through the full
validator, these per-document counts, and the gold hash written out line by
line.  A few microseconds per span: slow on a large corpus, obvious on a small one.

Spans are ``(start, end, label index)`` tuples.  Every pair of a matching is
counted once, under the GOLD label (correct, incorrect or partial); a missed
gold span under its label, a spurious prediction under the predicted label.
So the per-label counts add up exactly to the overall counts.  A claim is
``(start, end, stance index, claimer)`` (see `toolkit.scoring.gold.gold`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.inventory import load_inventory
from toolkit.matching import assign, iou, overlap_components
from toolkit.scoring.signature import content_hash
from toolkit.scoring.statistics import (
    CATEGORIES,
    CLAIM_COUNTS,
    CLAIMER_CORRECT,
    COR,
    END_TO_END_TP,
    ENTITY_WIDTH,
    GOLD,
    INC,
    MIS,
    OVERLAP_TP,
    PAR,
    PREDICTED,
    SCHEMES,
    SPU,
    STRICT_TP,
    layout,
)


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


def _identical(g: tuple, p: tuple) -> bool:
    return g == p


CREDIT = {"strict": _strict, "exact": _exact, "partial": _partial, "ent_type": _ent_type}
CATEGORY_OF_CREDIT = {1.0: COR, 0.5: PAR, 0.0: INC}


def score_entities(gold: Sequence[tuple], pred: Sequence[tuple], label_counts: list[int]) -> list[int]:
    """Entity counts of one document (`ENTITY_WIDTH` ints); adds the same counts per label into ``label_counts``
    (a flat list, ``label index * ENTITY_WIDTH + column``).

    The spans are cut into groups of overlapping spans; each group is paired per scheme by `score_component`.
    """
    counts = [0] * ENTITY_WIDTH
    for gold_indices, pred_indices in overlap_components(gold, pred):
        score_component([gold[i] for i in gold_indices], [pred[i] for i in pred_indices], counts, label_counts)
    return counts


def score_component(golds: Sequence[tuple], preds: Sequence[tuple], counts: list[int], label_counts: list[int]) -> None:
    """Adds the counts of one group of overlapping spans.

    Each scheme pairs the group by `toolkit.matching.assign`: most credit under
    that scheme, then most identical pairs (same boundaries and label), then most
    pairs, then most IoU.  Preferring identical pairs only among pairings of
    equal credit keeps a pair such as ``PER[0,19)`` ↔ ``PER[0,19)`` whenever that
    costs nothing, and gives it up when two ``ent_type`` pairs are possible instead.
    """
    for offset, scheme in enumerate(SCHEMES):
        offset *= len(CATEGORIES)
        pairs = assign(golds, preds, CREDIT[scheme], _identical) if golds and preds else []
        paired_gold, paired_pred = set(), set()
        for g, p, credit in pairs:
            column = offset + CATEGORY_OF_CREDIT[credit]
            counts[column] += 1
            label_counts[golds[g][2] * ENTITY_WIDTH + column] += 1
            paired_gold.add(g)
            paired_pred.add(p)
        for index, span in enumerate(golds):
            if index not in paired_gold:
                counts[offset + MIS] += 1
                label_counts[span[2] * ENTITY_WIDTH + offset + MIS] += 1
        for index, span in enumerate(preds):
            if index not in paired_pred:
                counts[offset + SPU] += 1
                label_counts[span[2] * ENTITY_WIDTH + offset + SPU] += 1


def entity_pairs(gold: Sequence[tuple], pred: Sequence[tuple], scheme: str = "strict") -> list[tuple[int, int]]:
    """The ``(gold index, predicted index)`` pairs of one document's pairing under ``scheme``, as `score_component`
    pairs them (what ``toolkit errors`` lists)."""
    pairs = []
    for gold_indices, pred_indices in overlap_components(gold, pred):
        if gold_indices and pred_indices:
            golds, preds = [gold[i] for i in gold_indices], [pred[i] for i in pred_indices]
            for g, p, _ in assign(golds, preds, CREDIT[scheme], _identical):
                pairs.append((gold_indices[g], pred_indices[p]))
    return pairs


def claimer_is_right(gold, predicted) -> bool:
    """A kind is right when it is the gold kind; a span when it overlaps one of the gold claimer's accepted spans."""
    if isinstance(gold, str) or isinstance(predicted, str):
        return gold == predicted
    start, end = predicted
    return any(s < end and start < e for s, e in gold)


def score_claims(gold: Sequence[tuple], pred: Sequence[tuple], threshold: float, n_stances: int) -> list[int]:
    """Claim statistics of one document: `CLAIM_COUNTS`, then the ``n_stances``² stance confusion counts.

    ``strict_tp``: claims with exactly a gold claim's boundaries (a multiset
    intersection).  ``overlap_tp``: one-to-one pairs at IoU >= ``threshold``,
    most pairs then most IoU (identical spans are not paired first here: that
    could lose a match); what each pair gets right is counted by `add_match`.
    """
    counts = [0] * (len(CLAIM_COUNTS) + n_stances * n_stances)
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
) -> list[tuple[int, int]]:
    """Adds the overlap matches of one group of overlapping claims (one-to-one, IoU >= ``threshold``) and what
    they get right; returns the matched ``(gold index, predicted index)`` pairs of the group."""

    def credit(g: tuple, p: tuple) -> float | None:
        return 1.0 if iou(g, p) >= threshold else None

    pairs = [(g, p) for g, p, _ in assign(golds, preds, credit)]
    for g, p in pairs:
        add_match(golds[g], preds[p], n_stances, counts)
    return pairs


def claim_pairs(gold, pred, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The overlap-matched claims of a corpus, document by document, as `score_claims` matches them: gold rows,
    predicted rows (into the `ClaimColumns`) and whether each pair's claimer is right (`claimer_is_right`)."""
    n = int(max(gold.doc.max(initial=-1), pred.doc.max(initial=-1))) + 1
    n_stances = len(layout().stances)
    gold_rows, pred_rows = (_rows_by_document(columns.doc, n) for columns in (gold, pred))
    g_rows, p_rows, right = [], [], []
    for d, (golds, preds) in enumerate(zip(gold.per_document(n), pred.per_document(n), strict=True)):
        for gold_indices, pred_indices in overlap_components(golds, preds):
            if gold_indices and pred_indices:
                group_golds, group_preds = [golds[i] for i in gold_indices], [preds[i] for i in pred_indices]
                counts = [0] * (len(CLAIM_COUNTS) + n_stances**2)
                for g, p in match_claims(group_golds, group_preds, threshold, n_stances, counts):
                    g_rows.append(gold_rows[d][gold_indices[g]])
                    p_rows.append(pred_rows[d][pred_indices[p]])
                    right.append(claimer_is_right(group_golds[g][3], group_preds[p][3]))
    return np.array(g_rows, np.int64), np.array(p_rows, np.int64), np.array(right, bool)


def add_match(g_claim: tuple, p_claim: tuple, n_stances: int, counts) -> None:
    """Counts one matched pair: the match, a right claimer, end to end, the stance confusion cell."""
    counts[OVERLAP_TP] += 1
    right_claimer = claimer_is_right(g_claim[3], p_claim[3])
    counts[CLAIMER_CORRECT] += right_claimer
    counts[END_TO_END_TP] += right_claimer and g_claim[2] == p_claim[2]
    counts[len(CLAIM_COUNTS) + g_claim[2] * n_stances + p_claim[2]] += 1


def _rows_by_document(doc: np.ndarray, n: int) -> list[list[int]]:
    """The rows of each document in row order (the order of `per_document`'s tuples)."""
    rows: list[list[int]] = [[] for _ in range(n)]
    for row, d in enumerate(doc.tolist()):
        rows[d].append(row)
    return rows


def count(gold, predictions, iou_threshold: float, pairs: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Documents × `toolkit.scoring.statistics` columns, and labels × entity columns: document by document;
    ``pairs``: a list that receives the overlap-matched claims (`claim_pairs`)."""
    if pairs is not None:
        pairs.append(claim_pairs(gold.claims, predictions.claims, iou_threshold))
    n = len(gold.ids)
    n_labels = len(load_inventory().entity_names)
    n_stances = len(layout().stances)
    label_counts = [0] * (n_labels * ENTITY_WIDTH)
    rows = [
        score_entities(gold_entities, predicted_entities, label_counts)
        + score_claims(gold_claims, predicted_claims, iou_threshold, n_stances)
        for gold_entities, predicted_entities, gold_claims, predicted_claims in zip(
            gold.entities.per_document(n),
            predictions.entities.per_document(n),
            gold.claims.per_document(n),
            predictions.claims.per_document(n),
            strict=True,
        )
    ]
    return (
        np.array(rows, dtype=np.int64).reshape(n, layout().width),
        np.array(label_counts, dtype=np.int64).reshape(n_labels, ENTITY_WIDTH),
    )


def gold_hash(gold) -> str:
    """`toolkit.scoring.gold.gold.gold_hash` by its definition: the inventory, then per document in id order its id,
    text hash, sorted entity tuples and claim tuples sorted by their repr."""
    inventory = load_inventory()
    n = len(gold.ids)
    documents = sorted(zip(gold.ids, gold.entities.per_document(n), gold.claims.per_document(n), strict=True))
    lines = [repr((inventory.entity_names, inventory.stance_names)) + "\n"]
    for doc_id, entities, claims in documents:
        sha = gold.documents[doc_id]["text_sha256"]
        lines.append(f"{doc_id}\t{sha}\t{sorted(entities)!r}\t{sorted(claims, key=repr)!r}\n")
    return content_hash(lines)
