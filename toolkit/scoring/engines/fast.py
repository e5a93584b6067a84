"""The fast engine's counting: the reference engine's counts for a whole corpus at once, with numpy.

The per-document Python scorers (`toolkit.scoring.engines.reference`) cost a few
microseconds per span; at 400,000 spans that is seconds.  Here one sort of
every entity key (document, start, end, label, side) finds the identical
pairs and cuts the spans into groups of overlapping spans (`overlap_runs`);
every group that is one gold span against one prediction, one-sided, or made
only of identical pairs is counted at once.  Only the other groups (a span
overlapping two or more spans of the other side, or an identical pair
overlapping another span) go through the reference matcher, group by group: there
is one implementation of the ambiguous case.  Claims are counted by
`toolkit.scoring.engines.fast_claims`.  A large corpus is counted in two halves of its
documents, the second in a forked child (`toolkit.scoring.engines.thresholds`).
"""

from __future__ import annotations

import numpy as np

from toolkit.inventory import load_inventory
from toolkit.scoring.engines import reference, thresholds
from toolkit.scoring.engines.fast_claims import joined_pairs, score_claim_columns
from toolkit.scoring.forked import arrays_from_bytes, arrays_to_bytes, beside_a_child
from toolkit.scoring.spans import EntityColumns, composite_key, overlap_runs
from toolkit.scoring.statistics import (
    CATEGORIES,
    COR,
    ENTITY_WIDTH,
    INC,
    MIS,
    PAR,
    SCHEMES,
    SPU,
    scheme_columns,
)


def count(gold, predictions, iou_threshold: float, pairs: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Documents × `toolkit.scoring.statistics` columns and labels × entity columns, as `reference.count` gives them.

    ``pairs``: a list that receives the overlap-matched claims of this count, ``(gold rows, predicted rows,
    claimer right)`` into the claim columns, as `reference.claim_pairs` gives them (the breakdown's pairs)."""
    n = len(gold.ids)
    if thresholds.in_two_halves(len(gold.entities) + len(predictions.entities), thresholds.PARALLEL_SPANS):
        return _count_in_halves(gold, predictions, iou_threshold, pairs)
    return _count(gold, predictions, iou_threshold, 0, n, pairs)


def _count(
    gold, predictions, iou_threshold: float, first: int, last: int, pairs: list | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`count` of documents ``first`` to ``last - 1`` (zeros in the other rows)."""
    inventory = load_inventory()
    n = len(gold.ids)
    entity_stats, label_stats = score_entity_columns(
        gold.entities.between(first, last), predictions.entities.between(first, last), n, len(inventory.entity_names)
    )
    found: list | None = None if pairs is None else []
    claim_stats = score_claim_columns(
        gold.claims.between(first, last),
        predictions.claims.between(first, last),
        n,
        iou_threshold,
        len(inventory.stance_names),
        found,
    )
    if pairs is not None:  # rows of the documents' claims back to rows of all claims
        g_rows, p_rows, right = joined_pairs(found)
        gold_rows, pred_rows = (columns.rows_between(first, last) for columns in (gold.claims, predictions.claims))
        pairs.append((gold_rows[g_rows], pred_rows[p_rows], right))
    return np.hstack([entity_stats, claim_stats]), label_stats


def _count_in_halves(gold, predictions, iou_threshold: float, pairs: list | None) -> tuple[np.ndarray, np.ndarray]:
    """`_count` of the second half of the documents in a forked child, of the first half here, summed."""
    n = len(gold.ids)
    middle = n // 2

    def second_half() -> list[np.ndarray]:
        found: list | None = None if pairs is None else []
        stats, label_stats = _count(gold, predictions, iou_threshold, middle, n, found)
        return [stats[middle:], label_stats, *(found[0] if found else ())]  # its rows only: half the bytes

    (stats, label_stats), payload = beside_a_child(
        lambda: _count(gold, predictions, iou_threshold, 0, middle, pairs), lambda: arrays_to_bytes(second_half())
    )
    parts = 2 if pairs is None else 5
    rows, labels, *found = (
        arrays_from_bytes(payload, parts) if payload is not None else second_half()
    )  # a child that died: count here
    if pairs is not None:
        pairs.append(tuple(found))
    stats[middle:] += rows
    return stats, label_stats + labels


def score_entity_columns(
    gold: EntityColumns, pred: EntityColumns, n_documents: int, n_labels: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(documents × entity counts, labels × entity counts)``: exactly what `reference.score_entities` gives."""
    bound = int(max(gold.end.max(initial=0), pred.end.max(initial=0))) + 1
    key_labels = max(n_labels, 1)
    if (n_documents + 1) * bound * bound * key_labels * 2 >= thresholds.KEY_LIMIT:
        return _per_document(gold, pred, n_documents, n_labels)
    side = np.concatenate([np.zeros(len(gold), np.int8), np.ones(len(pred), np.int8)])
    columns = [np.concatenate([g, p]) for g, p in zip(gold.fields(), pred.fields(), strict=True)]
    keys = composite_key(EntityColumns(*columns), bound, key_labels) * 2 + side
    order = np.argsort(keys, kind="stable")  # gold comes sorted and predictions nearly: runs merge in linear time
    keys = keys[order]
    if (keys[1:] == keys[:-1]).any():  # the same span and label twice on one side (validated inputs never have it)
        return _per_document(gold, pred, n_documents, n_labels)
    pair = (keys[1:] >> 1) == (keys[:-1] >> 1)  # sorted neighbours with the same span and label: one per side
    identical = np.zeros(len(keys), dtype=bool)
    identical[1:] |= pair
    identical[:-1] |= pair
    doc, start, end, label = (column[order] for column in columns)
    side = side[order]
    starts, sizes = overlap_runs(doc, start, end, bound)
    preds = np.add.reduceat(side, starts, dtype=np.int64) if len(starts) else np.zeros(0, np.int64)
    golds = sizes - preds
    same = np.add.reduceat(identical.view(np.int8), starts, dtype=np.int64) if len(starts) else preds
    kind = np.select(
        [same == sizes, (golds == 0) | (preds == 0), (same == 0) & (golds == 1) & (preds == 1)],
        [IDENTICAL_PAIRS, ONE_SIDED, ONE_PAIR],
        TO_THE_MATCHER,
    ).astype(np.int8)
    row_kind = np.repeat(kind, sizes)
    tally = _Tally(n_documents, n_labels)

    correct = (row_kind == IDENTICAL_PAIRS) & (side == 0)  # each pair correct in every scheme
    tally.add(doc[correct], label[correct], scheme_columns(COR))
    one_sided = row_kind == ONE_SIDED
    missed, spurious = one_sided & (side == 0), one_sided & (side == 1)
    tally.add(doc[missed], label[missed], scheme_columns(MIS))
    tally.add(doc[spurious], label[spurious], scheme_columns(SPU))

    first = starts[kind == ONE_PAIR]  # two adjacent rows, one per side
    gold_row = np.where(side[first] == 0, first, first + 1)
    pred_row = np.where(side[first] == 0, first + 1, first)
    same_bounds = (start[gold_row] == start[pred_row]) & (end[gold_row] == end[pred_row])
    same_label = label[gold_row] == label[pred_row]
    categories = {  # a non-identical pair, by the credit functions of `reference.CREDIT`
        "strict": np.where(same_bounds & same_label, COR, INC),
        "exact": np.where(same_bounds, COR, INC),
        "partial": np.where(same_bounds, COR, PAR),
        "ent_type": np.where(same_label, COR, INC),
    }
    for offset, scheme in enumerate(SCHEMES):
        tally.add(doc[gold_row], label[gold_row], None, offset * len(CATEGORIES) + categories[scheme])

    groups = np.flatnonzero(kind == TO_THE_MATCHER)
    if len(groups):
        rows = np.flatnonzero(row_kind == TO_THE_MATCHER)
        group = np.repeat(groups, sizes[groups])
        tally.add_groups(doc[rows], group, start[rows], end[rows], label[rows], side[rows])
    return tally.result()


# What a group of overlapping spans is: how it is counted.
IDENTICAL_PAIRS, ONE_SIDED, ONE_PAIR, TO_THE_MATCHER = range(4)


class _Tally:
    """Flat indices of every count, summed at the end by two bincounts."""

    def __init__(self, n_documents: int, n_labels: int):
        self.shape = (n_documents, n_labels)
        self.document_cells: list[np.ndarray] = []
        self.label_cells: list[np.ndarray] = []
        self.extra_documents = np.zeros((n_documents, ENTITY_WIDTH), dtype=np.int64)
        self.extra_labels = [0] * (n_labels * ENTITY_WIDTH)

    def add(self, doc: np.ndarray, label: np.ndarray, columns: list[int] | None, column=None) -> None:
        """One count per row in each of ``columns`` (shared), or in its own ``column``."""
        if columns is not None:
            shared = np.asarray(columns)[None, :]
            self.document_cells.append((doc[:, None] * ENTITY_WIDTH + shared).ravel())
            self.label_cells.append((label[:, None] * ENTITY_WIDTH + shared).ravel())
        else:
            self.document_cells.append(doc * ENTITY_WIDTH + column)
            self.label_cells.append(label * ENTITY_WIDTH + column)

    def add_groups(self, doc, group, start, end, label, side) -> None:
        """Groups the columns do not settle: `reference.score_component`, group by group."""
        bounds = np.flatnonzero(np.diff(group)) + 1
        for rows in np.split(np.arange(len(group)), bounds):
            spans = list(zip(start[rows].tolist(), end[rows].tolist(), label[rows].tolist(), strict=True))
            sides = side[rows].tolist()
            counts = [0] * ENTITY_WIDTH
            reference.score_component(
                [s for s, k in zip(spans, sides, strict=True) if k == 0],
                [s for s, k in zip(spans, sides, strict=True) if k == 1],
                counts,
                self.extra_labels,
            )
            self.extra_documents[int(doc[rows[0]])] += counts

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        n_documents, n_labels = self.shape
        empty = np.zeros(0, dtype=np.int64)
        cells = np.concatenate(self.document_cells or [empty])
        documents = np.bincount(cells, minlength=n_documents * ENTITY_WIDTH).reshape(n_documents, ENTITY_WIDTH)
        cells = np.concatenate(self.label_cells or [empty])
        labels = np.bincount(cells, minlength=n_labels * ENTITY_WIDTH).reshape(n_labels, ENTITY_WIDTH)
        extra_labels = np.asarray(self.extra_labels, dtype=np.int64).reshape(n_labels, ENTITY_WIDTH)
        return documents + self.extra_documents, labels + extra_labels


def _per_document(
    gold: EntityColumns, pred: EntityColumns, n_documents: int, n_labels: int
) -> tuple[np.ndarray, np.ndarray]:
    """The reference scorer, document by document: for repeated spans or offsets too large for composite keys."""
    label_counts = [0] * (n_labels * ENTITY_WIDTH)
    rows = [
        reference.score_entities(g, p, label_counts)
        for g, p in zip(gold.per_document(n_documents), pred.per_document(n_documents), strict=True)
    ]
    return (
        np.array(rows, dtype=np.int64).reshape(n_documents, ENTITY_WIDTH),
        np.array(label_counts, dtype=np.int64).reshape(n_labels, ENTITY_WIDTH),
    )
