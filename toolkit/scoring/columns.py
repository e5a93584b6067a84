"""Entity spans of a whole corpus as flat numpy columns, and their vectorised scoring.

The per-document Python scorer (`toolkit.scoring.entities.score_entities`)
costs a few microseconds per span; at 400,000 spans that is seconds.  Here the
same counts come from array operations: identical spans are paired through
composite keys, the rest is cut into groups of overlapping spans by one sort
and a running maximum, and every group that is one gold span against one
prediction (or one-sided) is counted for all four schemes at once.  Only
groups where a span overlaps two or more spans of the other side go through
the Python matcher (`score_component`): there is one implementation of the
ambiguous case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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

    def __len__(self) -> int:
        return len(self.doc)

    def per_document(self, n_documents: int) -> list[list[tuple]]:
        """Back to ``(start, end, label)`` tuples per document (Python ints)."""
        documents: list[list[tuple]] = [[] for _ in range(n_documents)]
        for doc, start, end, label in zip(self.doc.tolist(), self.start.tolist(), self.end.tolist(), self.label.tolist(), strict=True):
            documents[doc].append((start, end, label))
        return documents


def _scheme_columns(category: int) -> np.ndarray:
    """The column of ``category`` in each of the four schemes."""
    return np.arange(len(SCHEMES)) * 5 + category


def score_entity_columns(gold: EntityColumns, pred: EntityColumns, n_documents: int, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """``(documents × WIDTH counts, labels × WIDTH counts)``: exactly what `score_entities` gives per document."""
    bound = int(max(gold.end.max(initial=0), pred.end.max(initial=0))) + 1
    if (n_documents + 1) * bound * bound * max(n_labels, 1) >= KEY_LIMIT or not (_unique(gold, bound, n_labels) and _unique(pred, bound, n_labels)):
        return _per_document(gold, pred, n_documents, n_labels)
    tally = _Tally(n_documents, n_labels)
    gold_key, pred_key = _key(gold, bound, n_labels), _key(pred, bound, n_labels)
    identical_gold = np.isin(gold_key, pred_key, assume_unique=True)
    identical_pred = np.isin(pred_key, gold_key, assume_unique=True)
    tally.add(gold.doc[identical_gold], gold.label[identical_gold], _scheme_columns(COR))

    rest = [np.concatenate([g[~identical_gold], p[~identical_pred]]) for g, p in zip(_fields(gold), _fields(pred), strict=True)]
    side = np.concatenate([np.zeros((~identical_gold).sum(), np.int8), np.ones((~identical_pred).sum(), np.int8)])
    order = np.lexsort((side, rest[2], rest[1], rest[0]))
    doc, start, end, label = (column[order] for column in rest)
    side = side[order]
    if not len(doc):
        return tally.result()
    # a span opens a new group when it starts at or after the furthest end so far in its document
    reach = np.maximum.accumulate(doc * bound + end)
    opens = np.ones(len(doc), dtype=bool)
    opens[1:] = doc[1:] * bound + start[1:] >= reach[:-1]
    group = np.cumsum(opens) - 1
    golds_in = np.bincount(group, weights=side == 0).astype(np.int64)[group]
    preds_in = np.bincount(group, weights=side == 1).astype(np.int64)[group]

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
        tally.add_components(doc[ambiguous], group[ambiguous], start[ambiguous], end[ambiguous], label[ambiguous], side[ambiguous])
    return tally.result()


class _Tally:
    """Flat indices of every count, summed at the end by two bincounts."""

    def __init__(self, n_documents: int, n_labels: int):
        self.shape = (n_documents, n_labels)
        self.document_cells: list[np.ndarray] = []
        self.label_cells: list[np.ndarray] = []
        self.extra_documents = np.zeros((n_documents, WIDTH), dtype=np.int64)
        self.extra_labels = [0] * (n_labels * WIDTH)

    def add(self, doc: np.ndarray, label: np.ndarray, columns: np.ndarray | None, column: np.ndarray | None = None) -> None:
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
            score_component([s for s, k in zip(spans, sides, strict=True) if k == 0], [s for s, k in zip(spans, sides, strict=True) if k == 1], counts, self.extra_labels)
            self.extra_documents[int(doc[rows[0]])] += counts

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        n_documents, n_labels = self.shape
        empty = np.zeros(0, dtype=np.int64)
        documents = np.bincount(np.concatenate(self.document_cells or [empty]), minlength=n_documents * WIDTH).reshape(n_documents, WIDTH)
        labels = np.bincount(np.concatenate(self.label_cells or [empty]), minlength=n_labels * WIDTH).reshape(n_labels, WIDTH)
        return documents + self.extra_documents, labels + np.asarray(self.extra_labels, dtype=np.int64).reshape(n_labels, WIDTH)


def _fields(columns: EntityColumns) -> tuple[np.ndarray, ...]:
    return columns.doc, columns.start, columns.end, columns.label


def _key(columns: EntityColumns, bound: int, n_labels: int) -> np.ndarray:
    return ((columns.doc * bound + columns.start) * bound + columns.end) * n_labels + columns.label


def _unique(columns: EntityColumns, bound: int, n_labels: int) -> bool:
    """Whether no span occurs twice in a document (validated inputs never repeat one)."""
    keys = _key(columns, bound, n_labels)
    return len(np.unique(keys)) == len(keys)


def _per_document(gold: EntityColumns, pred: EntityColumns, n_documents: int, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """The Python scorer, document by document: for repeated spans or offsets too large for composite keys."""
    label_counts = [0] * (n_labels * WIDTH)
    rows = [score_entities(g, p, label_counts) for g, p in zip(gold.per_document(n_documents), pred.per_document(n_documents), strict=True)]
    return np.array(rows, dtype=np.int64).reshape(n_documents, WIDTH), np.array(label_counts, dtype=np.int64).reshape(n_labels, WIDTH)
