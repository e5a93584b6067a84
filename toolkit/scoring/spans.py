"""Spans of a whole corpus as flat numpy columns, and the column operations the fast counters share.

`EntityColumns` and `ClaimColumns` hold one row per span (document index in
gold order first), so that a corpus of 400,000 spans is a few arrays rather
than 400,000 tuples; `per_document` turns them back into the tuples the
reference engine compares.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.inventory import load_inventory
from toolkit.scoring.engines import thresholds


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

    def shifted(self, first: int) -> EntityColumns:
        """The same spans with document indices counted from ``first`` (parts joined into one corpus)."""
        return dataclasses.replace(self, doc=self.doc + first)

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
        """From ``(start, end, stance index, claimer)`` tuples per document (see `toolkit.scoring.gold.gold`)."""
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

    def shifted(self, first: int) -> ClaimColumns:
        return dataclasses.replace(self, doc=self.doc + first)

    def rows_between(self, first: int, last: int) -> np.ndarray:
        """The rows of the claims of documents ``first`` to ``last - 1`` (the rows of `between` in these columns)."""
        return np.flatnonzero((self.doc >= first) & (self.doc < last))

    def between(self, first: int, last: int) -> ClaimColumns:
        """The claims of documents ``first`` to ``last - 1``."""
        rows = self.rows_between(first, last)
        return self if len(rows) == len(self) else self.take(rows)

    def take(self, rows: np.ndarray) -> ClaimColumns:
        """The claims of these rows, in this order."""
        counts = self.claimer_offsets[rows + 1] - self.claimer_offsets[rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        spans = self.claimer_spans[np.repeat(self.claimer_offsets[rows], counts) + within_runs(counts)]
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
            for span in self.claimer_spans[np.repeat(self.claimer_offsets[rows], counts) + within_runs(counts)].tolist()
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


@dataclass
class Predictions:
    """What a set of prediction records says about the gold documents, in gold order."""

    entities: EntityColumns
    claims: ClaimColumns  # every predicted claim; its claimer a kind or one span
    present: set[int]  # gold documents that have a prediction record
    layers: list[str]  # "entities"/"claims" when at least one record has the key
    extra: list[str]  # ids of ignored records for documents not in gold (--ignore-extra)
    how: str = "validated record by record"  # how they were read (`toolkit eval --verbose`)


def within_runs(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... counts[i] - 1 for each i, end to end: positions inside runs of the given lengths."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def overlap_groups(
    doc: np.ndarray, start: np.ndarray, end: np.ndarray, side: np.ndarray, bound: int
) -> tuple[np.ndarray, ...]:
    """`toolkit.matching.overlap_components` for a whole corpus at once.

    Returns the order of the spans (by document, start, end, side), and in that
    order each span's group number, whether it opens its group, and how many gold
    (side 0) and predicted (side 1) spans its group holds.  A span opens a new
    group when it starts at or after the furthest end so far in its document.
    """
    order = np.argsort(
        ((doc * bound + start) * bound + end) * 2 + side, kind="stable"
    )  # by document, start, end, side (callers check the bound)
    return order, *sorted_overlap_groups(doc[order], start[order], end[order], side[order], bound)


def overlap_runs(doc: np.ndarray, start: np.ndarray, end: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """The groups of overlapping spans already sorted by document and start, as runs of rows: the first row and the
    size of each.  A span opens a new group when it starts at or after the furthest end so far in its document."""
    if not len(doc):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    reach = np.maximum.accumulate(doc * bound + end)
    opens = np.ones(len(doc), dtype=bool)
    opens[1:] = doc[1:] * bound + start[1:] >= reach[:-1]
    starts = np.flatnonzero(opens)
    return starts, np.diff(np.append(starts, len(doc)))


def sorted_overlap_groups(
    doc: np.ndarray, start: np.ndarray, end: np.ndarray, side: np.ndarray, bound: int
) -> tuple[np.ndarray, ...]:
    """`overlap_groups` of spans already sorted by document and start: group, opens, golds_in, preds_in."""
    starts, sizes = overlap_runs(doc, start, end, bound)
    opens = np.zeros(len(doc), dtype=bool)
    opens[starts] = True
    preds = np.add.reduceat(side, starts, dtype=np.int64) if len(starts) else sizes
    return np.repeat(np.arange(len(starts)), sizes), opens, np.repeat(sizes - preds, sizes), np.repeat(preds, sizes)


def composite_key(columns: EntityColumns, bound: int, n_labels: int) -> np.ndarray:
    return ((columns.doc * bound + columns.start) * bound + columns.end) * n_labels + columns.label


def repeated(columns: EntityColumns, n_labels: int) -> bool:
    """Whether some document has the same span with the same label twice (validated inputs never do)."""
    if len(columns) < 2:
        return False
    bound = int(columns.end.max()) + 1
    if (int(columns.doc.max()) + 1) * bound * bound * max(n_labels, 1) < thresholds.KEY_LIMIT:
        keys = np.sort(composite_key(columns, bound, n_labels), kind="stable")  # files come nearly sorted: linear
        return bool((keys[1:] == keys[:-1]).any())
    rows = np.stack(columns.fields(), axis=1)[np.lexsort(columns.fields()[::-1])]
    return bool((rows[1:] == rows[:-1]).all(axis=1).any())
