"""Spans of a whole corpus as flat numpy columns, and the vectorised entity and claim scorers.

The per-document Python scorers (`toolkit.scoring.entities.score_entities`,
`toolkit.scoring.claims.score_claims`) cost a few microseconds per span; at
400,000 spans that is seconds.  Here the same counts come from array
operations: identical spans are paired through composite keys, the rest is cut
into groups of overlapping spans by one sort and a running maximum, and every
group that is one gold span against one prediction (or one-sided) is counted at
once.  Only groups where a span overlaps two or more spans of the other side go
through the Python matcher (`score_component`, `match_claims`): there is one
implementation of the ambiguous case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.inventory import load_inventory
from toolkit.scoring.claims import (
    CLAIM_COLUMNS,
    CLAIMER_CORRECT,
    END_TO_END_TP,
    GOLD,
    OVERLAP_TP,
    PREDICTED,
    STRICT_TP,
    match_claims,
    score_claims,
)
from toolkit.scoring.entities import COR, INC, MIS, PAR, SCHEMES, SPU, WIDTH, score_component, score_entities

KEY_LIMIT = 2**62  # composite keys must stay below this to fit int64 without overflow


@dataclass
class EntityColumns:
    """One row per span: document index (into the gold order), start, end, label index."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray

    @classmethod
    def from_lists(cls, doc, start, end, label) -> EntityColumns:
        return cls(*(np.asarray(column, dtype=np.int64).reshape(-1) for column in (doc, start, end, label)))

    @classmethod
    def from_documents(cls, spans: Sequence[Sequence[tuple]]) -> EntityColumns:
        """From ``(start, end, label)`` tuples per document."""
        flat = [span for document in spans for span in document]
        doc = np.repeat(np.arange(len(spans), dtype=np.int64), [len(document) for document in spans])
        return cls.from_lists(doc, [s[0] for s in flat], [s[1] for s in flat], [s[2] for s in flat])

    @classmethod
    def concatenate(cls, parts: Sequence[EntityColumns]) -> EntityColumns:
        return cls(*(np.concatenate([part.fields()[k] for part in parts] or [np.zeros(0, np.int64)]) for k in range(4)))

    def fields(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.doc, self.start, self.end, self.label

    def between(self, first: int, last: int) -> EntityColumns:
        """The spans of documents ``first`` to ``last - 1``."""
        keep = (self.doc >= first) & (self.doc < last)
        return self if keep.all() else EntityColumns(*(column[keep] for column in self.fields()))

    def __len__(self) -> int:
        return len(self.doc)

    def per_document(self, n_documents: int) -> list[list[tuple]]:
        """Back to ``(start, end, label)`` tuples per document (Python ints)."""
        documents: list[list[tuple]] = [[] for _ in range(n_documents)]
        for doc, start, end, label in zip(
            self.doc.tolist(), self.start.tolist(), self.end.tolist(), self.label.tolist(), strict=True
        ):
            documents[doc].append((start, end, label))
        return documents


KIND_SPANS = -1  # `ClaimColumns.kind` of a claimer given by spans rather than a kind name


@dataclass
class ClaimColumns:
    """One row per claim: document index, start, end, stance index, and its claimer.

    A claimer is a kind (``kind`` = its index among the inventory's claimer
    kinds) or spans (``kind`` = `KIND_SPANS`; rows ``claimer_offsets[i]`` to
    ``claimer_offsets[i + 1]`` of ``claimer_spans``): a gold claimer's accepted
    spans, or a predicted claimer's one span (``single_span``).  As tuples
    (`per_document`), a claimer is a kind name, a tuple of spans, or one span.
    """

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    stance: np.ndarray
    kind: np.ndarray
    claimer_offsets: np.ndarray
    claimer_spans: np.ndarray
    single_span: bool = False

    ARRAYS = ("doc", "start", "end", "stance", "kind", "claimer_offsets", "claimer_spans")

    @classmethod
    def from_rows(
        cls, doc, start, end, stance, kind, spans_per_claim: Sequence[Sequence[tuple]], single_span: bool = False
    ) -> ClaimColumns:
        offsets = np.zeros(len(spans_per_claim) + 1, dtype=np.int64)
        np.cumsum([len(spans) for spans in spans_per_claim], out=offsets[1:])
        spans = np.array([span for claim_spans in spans_per_claim for span in claim_spans], dtype=np.int64).reshape(
            -1, 2
        )
        return cls(
            *(np.asarray(column, dtype=np.int64).reshape(-1) for column in (doc, start, end, stance, kind)),
            offsets,
            spans,
            single_span,
        )

    @classmethod
    def from_documents(cls, per_document: Sequence[Sequence[tuple]], single_span: bool = False) -> ClaimColumns:
        """From ``(start, end, stance index, claimer)`` tuples per document (see `toolkit.scoring.claims`)."""
        kind_index = {name: k for k, name in enumerate(load_inventory().claimer_kind_names)}
        flat = [(doc, claim) for doc, claims in enumerate(per_document) for claim in claims]
        claimers = [claim[3] for _, claim in flat]
        return cls.from_rows(
            [doc for doc, _ in flat],
            *([claim[k] for _, claim in flat] for k in range(3)),
            [kind_index[claimer] if isinstance(claimer, str) else KIND_SPANS for claimer in claimers],
            [() if isinstance(claimer, str) else (claimer,) if single_span else claimer for claimer in claimers],
            single_span,
        )

    def arrays(self) -> list[np.ndarray]:
        return [getattr(self, name) for name in self.ARRAYS]

    @classmethod
    def concatenate(cls, parts: Sequence[ClaimColumns]) -> ClaimColumns:
        shifts = np.cumsum([0] + [len(part.claimer_spans) for part in parts])
        offsets = np.concatenate(
            [part.claimer_offsets[:-1] + shift for part, shift in zip(parts, shifts, strict=False)] + [shifts[-1:]]
        )
        rows = (np.concatenate([getattr(part, name) for part in parts]) for name in cls.ARRAYS[:5])
        return cls(
            *rows,
            offsets.astype(np.int64),
            np.concatenate([part.claimer_spans for part in parts]).reshape(-1, 2),
            parts[0].single_span,
        )

    def __len__(self) -> int:
        return len(self.doc)

    def between(self, first: int, last: int) -> ClaimColumns:
        """The claims of documents ``first`` to ``last - 1``."""
        keep = (self.doc >= first) & (self.doc < last)
        if keep.all():
            return self
        rows = np.flatnonzero(keep)
        counts = self.claimer_offsets[rows + 1] - self.claimer_offsets[rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        spans = self.claimer_spans[np.repeat(self.claimer_offsets[rows], counts) + _within(counts)]
        return ClaimColumns(
            *(getattr(self, name)[rows] for name in self.ARRAYS[:5]), offsets, spans.reshape(-1, 2), self.single_span
        )

    def claims(self, rows: Sequence[int]) -> list[tuple]:
        """Claim tuples of some rows (only their spans are converted)."""
        kind_names = load_inventory().claimer_kind_names
        rows = np.asarray(rows, dtype=np.int64)
        counts = self.claimer_offsets[rows + 1] - self.claimer_offsets[rows]
        spans = [
            tuple(span)
            for span in self.claimer_spans[np.repeat(self.claimer_offsets[rows], counts) + _within(counts)].tolist()
        ]
        bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
        result = []
        for k, (start, end, stance, kind) in enumerate(
            zip(*(getattr(self, name)[rows].tolist() for name in ("start", "end", "stance", "kind")), strict=True)
        ):
            accepted = spans[bounds[k] : bounds[k + 1]]
            claimer = kind_names[kind] if kind != KIND_SPANS else accepted[0] if self.single_span else tuple(accepted)
            result.append((start, end, stance, claimer))
        return result

    def per_document(self, n_documents: int) -> list[list[tuple]]:
        """Back to claim tuples per document."""
        documents: list[list[tuple]] = [[] for _ in range(n_documents)]
        for doc, claim in zip(self.doc.tolist(), self.claims(np.arange(len(self))), strict=True):
            documents[doc].append(claim)
        return documents


def _within(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... counts[i] - 1 for each i, end to end: positions inside runs of the given lengths."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _scheme_columns(category: int) -> np.ndarray:
    """The column of ``category`` in each of the four schemes."""
    return np.arange(len(SCHEMES)) * 5 + category


def score_entity_columns(
    gold: EntityColumns, pred: EntityColumns, n_documents: int, n_labels: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(documents × WIDTH counts, labels × WIDTH counts)``: exactly what `score_entities` gives per document.

    One sort of both sides by (document, start, end, label, side) finds the
    repeated spans, the identical pairs and the order the overlap groups need.
    """
    bound = int(max(gold.end.max(initial=0), pred.end.max(initial=0))) + 1
    key_labels = max(n_labels, 1)
    if (n_documents + 1) * bound * bound * key_labels * 2 >= KEY_LIMIT:
        return _per_document(gold, pred, n_documents, n_labels)
    side = np.concatenate([np.zeros(len(gold), np.int8), np.ones(len(pred), np.int8)])
    columns = [np.concatenate([g, p]) for g, p in zip(gold.fields(), pred.fields(), strict=True)]
    keys = _key(EntityColumns(*columns), bound, key_labels) * 2 + side
    order = np.argsort(keys)
    keys = keys[order]
    if (
        keys[1:] == keys[:-1]
    ).any():  # the same span and label twice on one side of a document (validated inputs never have it)
        return _per_document(gold, pred, n_documents, n_labels)
    pair = (keys[1:] >> 1) == (
        keys[:-1] >> 1
    )  # sorted neighbours with the same span and label: one gold, one predicted
    identical = np.zeros(len(keys), dtype=bool)
    identical[1:] |= pair
    identical[:-1] |= pair
    doc, start, end, label = (column[order] for column in columns)
    side = side[order]
    tally = _Tally(n_documents, n_labels)
    gold_identical = identical & (side == 0)
    tally.add(doc[gold_identical], label[gold_identical], _scheme_columns(COR))

    rest = ~identical
    if not rest.any():
        return tally.result()
    doc, start, end, label, side = (column[rest] for column in (doc, start, end, label, side))
    group, opens, golds_in, preds_in = sorted_overlap_groups(doc, start, end, side, bound)

    missed = (preds_in == 0) & (side == 0)
    tally.add(doc[missed], label[missed], _scheme_columns(MIS))
    spurious = (golds_in == 0) & (side == 1)
    tally.add(doc[spurious], label[spurious], _scheme_columns(SPU))

    first = np.flatnonzero(opens & (golds_in == 1) & (preds_in == 1))  # a pair: two adjacent rows, one per side
    gold_row = np.where(side[first] == 0, first, first + 1)
    pred_row = np.where(side[first] == 0, first + 1, first)
    same_bounds = (start[gold_row] == start[pred_row]) & (end[gold_row] == end[pred_row])
    same_label = label[gold_row] == label[pred_row]
    categories = {
        "strict": np.where(same_bounds & same_label, COR, INC),
        "exact": np.where(same_bounds, COR, INC),
        "partial": np.where(same_bounds, COR, PAR),
        "ent_type": np.where(same_label, COR, INC),
    }
    for offset, scheme in enumerate(SCHEMES):
        tally.add(doc[gold_row], label[gold_row], None, offset * 5 + categories[scheme])

    ambiguous = np.flatnonzero((golds_in >= 1) & (preds_in >= 1) & (golds_in + preds_in >= 3))
    if len(ambiguous):
        tally.add_components(
            doc[ambiguous], group[ambiguous], start[ambiguous], end[ambiguous], label[ambiguous], side[ambiguous]
        )
    return tally.result()


def overlap_groups(
    doc: np.ndarray, start: np.ndarray, end: np.ndarray, side: np.ndarray, bound: int
) -> tuple[np.ndarray, ...]:
    """`toolkit.scoring.matching.overlap_components` for a whole corpus at once.

    Returns the order of the spans (by document, start, end, side), and in that
    order each span's group number, whether it opens its group, and how many gold
    (side 0) and predicted (side 1) spans its group holds.  A span opens a new
    group when it starts at or after the furthest end so far in its document.
    """
    order = np.argsort(
        ((doc * bound + start) * bound + end) * 2 + side, kind="stable"
    )  # by document, start, end, side (callers check the bound)
    return order, *sorted_overlap_groups(doc[order], start[order], end[order], side[order], bound)


def sorted_overlap_groups(
    doc: np.ndarray, start: np.ndarray, end: np.ndarray, side: np.ndarray, bound: int
) -> tuple[np.ndarray, ...]:
    """`overlap_groups` of spans already sorted by document and start: group, opens, golds_in, preds_in."""
    reach = np.maximum.accumulate(doc * bound + end)
    opens = np.ones(len(doc), dtype=bool)
    opens[1:] = doc[1:] * bound + start[1:] >= reach[:-1]
    group = np.cumsum(opens) - 1
    golds_in = np.bincount(group, weights=side == 0).astype(np.int64)[group]
    preds_in = np.bincount(group, weights=side == 1).astype(np.int64)[group]
    return group, opens, golds_in, preds_in


def score_claim_columns(
    gold: ClaimColumns, pred: ClaimColumns, n_documents: int, threshold: float, n_stances: int
) -> np.ndarray:
    """Documents × claim statistics: exactly what `score_claims` gives per document.

    Exact boundaries are counted through composite keys (a multiset
    intersection).  Within each group of overlapping claims every gold ×
    predicted pair whose IoU reaches the threshold is allowed; where no claim is
    in two allowed pairs, those pairs are the group's one best matching and are
    counted at once, their claimers compared over arrays; only groups where a
    claim could go two ways go through `match_claims`.
    """
    width = len(CLAIM_COLUMNS) + n_stances * n_stances
    bound = int(max(gold.end.max(initial=0), pred.end.max(initial=0))) + 1
    if (n_documents + 1) * bound * bound >= KEY_LIMIT:
        pairs = zip(gold.per_document(n_documents), pred.per_document(n_documents), strict=True)
        return np.array([score_claims(g, p, threshold, n_stances) for g, p in pairs], dtype=np.int64).reshape(
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
    # `match_claims` decides.
    shares = (np.bincount(g_pair, minlength=len(side))[g_pair] > 1) | (
        np.bincount(p_pair, minlength=len(side))[p_pair] > 1
    )
    contested = np.zeros(int(group[-1]) + 1, dtype=bool)
    contested[group[g_pair[shares]]] = True
    plain = ~contested[group[g_pair]]
    g_row, p_row = row[g_pair[plain]], row[p_pair[plain]]
    doc = gold.doc[g_row]
    right = _claimers_right(gold, pred, g_row, p_row)
    np.add.at(stats, (doc, OVERLAP_TP), 1)
    np.add.at(stats, (doc, CLAIMER_CORRECT), right)
    np.add.at(stats, (doc, END_TO_END_TP), right & (gold.stance[g_row] == pred.stance[p_row]))
    np.add.at(stats, (doc, len(CLAIM_COLUMNS) + gold.stance[g_row] * n_stances + pred.stance[p_row]), 1)

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
            match_claims(
                [next(golds) for k in members if k == 0],
                [next(preds) for k in members if k == 1],
                threshold,
                n_stances,
                counts,
            )
            stats[int(sorted_doc[rows[0]])] += counts
    return stats


def _claimers_right(gold: ClaimColumns, pred: ClaimColumns, g_row: np.ndarray, p_row: np.ndarray) -> np.ndarray:
    """`claimer_is_right` of pairs, over arrays: the same kind, or a predicted span overlapping one of the gold
    claimer's spans."""
    g_kind, p_kind = gold.kind[g_row], pred.kind[p_row]
    right = (g_kind == p_kind) & (g_kind != KIND_SPANS)
    both = np.flatnonzero((g_kind == KIND_SPANS) & (p_kind == KIND_SPANS))
    predicted = pred.claimer_spans[pred.claimer_offsets[p_row[both]]]
    counts = gold.claimer_offsets[g_row[both] + 1] - gold.claimer_offsets[g_row[both]]
    accepted = gold.claimer_spans[np.repeat(gold.claimer_offsets[g_row[both]], counts) + _within(counts)]
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
    return np.repeat(gold_rows, counts), pred_rows[np.repeat(first, counts) + _within(counts)]


class _Tally:
    """Flat indices of every count, summed at the end by two bincounts."""

    def __init__(self, n_documents: int, n_labels: int):
        self.shape = (n_documents, n_labels)
        self.document_cells: list[np.ndarray] = []
        self.label_cells: list[np.ndarray] = []
        self.extra_documents = np.zeros((n_documents, WIDTH), dtype=np.int64)
        self.extra_labels = [0] * (n_labels * WIDTH)

    def add(
        self, doc: np.ndarray, label: np.ndarray, columns: np.ndarray | None, column: np.ndarray | None = None
    ) -> None:
        """One count per row in each of ``columns`` (shared), or in its own ``column``."""
        if columns is not None:
            self.document_cells.append((doc[:, None] * WIDTH + columns[None, :]).ravel())
            self.label_cells.append((label[:, None] * WIDTH + columns[None, :]).ravel())
        else:
            self.document_cells.append(doc * WIDTH + column)
            self.label_cells.append(label * WIDTH + column)

    def add_components(self, doc, group, start, end, label, side) -> None:
        """Groups where some span overlaps several on the other side: the Python matcher, group by group."""
        bounds = np.flatnonzero(np.diff(group)) + 1
        for rows in np.split(np.arange(len(group)), bounds):
            spans = list(zip(start[rows].tolist(), end[rows].tolist(), label[rows].tolist(), strict=True))
            sides = side[rows].tolist()
            counts = [0] * WIDTH
            score_component(
                [s for s, k in zip(spans, sides, strict=True) if k == 0],
                [s for s, k in zip(spans, sides, strict=True) if k == 1],
                counts,
                self.extra_labels,
            )
            self.extra_documents[int(doc[rows[0]])] += counts

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        n_documents, n_labels = self.shape
        empty = np.zeros(0, dtype=np.int64)
        documents = np.bincount(np.concatenate(self.document_cells or [empty]), minlength=n_documents * WIDTH).reshape(
            n_documents, WIDTH
        )
        labels = np.bincount(np.concatenate(self.label_cells or [empty]), minlength=n_labels * WIDTH).reshape(
            n_labels, WIDTH
        )
        return documents + self.extra_documents, labels + np.asarray(self.extra_labels, dtype=np.int64).reshape(
            n_labels, WIDTH
        )


def _key(columns: EntityColumns, bound: int, n_labels: int) -> np.ndarray:
    return ((columns.doc * bound + columns.start) * bound + columns.end) * n_labels + columns.label


def repeated(columns: EntityColumns, n_labels: int) -> bool:
    """Whether some document has the same span with the same label twice (validated inputs never do)."""
    if len(columns) < 2:
        return False
    bound = int(columns.end.max()) + 1
    if (int(columns.doc.max()) + 1) * bound * bound * max(n_labels, 1) < KEY_LIMIT:
        keys = np.sort(_key(columns, bound, n_labels))
        return bool((keys[1:] == keys[:-1]).any())
    rows = np.stack(columns.fields(), axis=1)[np.lexsort(columns.fields()[::-1])]
    return bool((rows[1:] == rows[:-1]).all(axis=1).any())


def _per_document(
    gold: EntityColumns, pred: EntityColumns, n_documents: int, n_labels: int
) -> tuple[np.ndarray, np.ndarray]:
    """The Python scorer, document by document: for repeated spans or offsets too large for composite keys."""
    label_counts = [0] * (n_labels * WIDTH)
    rows = [
        score_entities(g, p, label_counts)
        for g, p in zip(gold.per_document(n_documents), pred.per_document(n_documents), strict=True)
    ]
    return np.array(rows, dtype=np.int64).reshape(n_documents, WIDTH), np.array(label_counts, dtype=np.int64).reshape(
        n_labels, WIDTH
    )
