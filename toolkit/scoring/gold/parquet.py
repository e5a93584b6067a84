"""Gold from a built folder's parquet files (``documents/<split>-*.parquet``), read directly with pyarrow.

Never through the ``datasets`` cache, which can return stale rows; validated
when it was built, so not again.  Only the scored columns are read (the list
is `toolkit.built.SCORED_COLUMNS`), in record batches of
`BATCH_ROWS` documents, through list offsets and buffers: ``to_pylist()`` of
400,000 entity ids costs 0.2 s and ``to_numpy()`` imports pandas.  `load_parquet_gold_parts`
yields one part per batch, so `toolkit.scoring.gold.compiled` can compile a split of
any size in bounded memory; `load_parquet_gold` joins them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.built import DEFAULT_CONFIG, SCORED_COLUMNS, BuiltFolder
from toolkit.errors import InputError
from toolkit.files import parquet_batches
from toolkit.inventory import load_inventory
from toolkit.scoring.gold.gold import Gold, scored_claimer
from toolkit.scoring.spans import ClaimColumns, EntityColumns

BATCH_ROWS = 2000  # documents per record batch: bounds the memory of a compile, costs nothing measurable when scoring


def load_parquet_gold(folder: Path | BuiltFolder, split: str | None) -> Gold:
    """The whole gold of a split (every split when ``None``) from its parquet files."""
    built = BuiltFolder.open(folder)
    parts = list(load_parquet_gold_parts(built, split))
    firsts = np.cumsum([0] + [len(part.ids) for part in parts]).tolist()
    return Gold(
        built.path.name,
        split,
        {doc_id: document for part in parts for doc_id, document in part.documents.items()},
        [doc_id for part in parts for doc_id in part.ids],
        EntityColumns.concatenate([part.entities.shifted(first) for part, first in zip(parts, firsts, strict=False)]),
        ClaimColumns.concatenate([part.claims.shifted(first) for part, first in zip(parts, firsts, strict=False)])
        if parts
        else ClaimColumns.from_documents([]),
    )


def load_parquet_gold_parts(folder: Path | BuiltFolder, split: str | None) -> Iterator[Gold]:
    """The gold `BATCH_ROWS` documents at a time, each part a `Gold` of its own (document indices from 0)."""
    built = BuiltFolder.open(folder)
    files = built.split_files(split)
    if not files:
        raise InputError(
            f"{built.path}: no {DEFAULT_CONFIG}/*.parquet file"
            f"{f' for split {split!r}' if split else ''} (expected a folder written by `toolkit build`)"
        )
    seen: set[str] = set()
    for path in files:
        for batch in parquet_batches(path, SCORED_COLUMNS, BATCH_ROWS):
            documents: dict[str, dict] = {}
            for doc_id, text, sha in zip(
                *(batch.column(name).to_pylist() for name in ("id", "text", "text_sha256")), strict=True
            ):
                if doc_id in seen:
                    raise InputError(
                        f"{path}: id: {doc_id!r} appears twice in the built dataset (expected one row per document)"
                    )
                seen.add(doc_id)
                documents[doc_id] = {"id": doc_id, "text": text, "text_sha256": sha}
            entities, entity_ids = _entity_columns(batch.column("entities"), path)
            claims = _built_claims(batch.column("claims"), entities, entity_ids, list(documents.values()))
            yield Gold(built.path.name, split, documents, list(documents), entities, claims)


def _entity_columns(column, path: Path) -> tuple[EntityColumns, _Strings]:
    """Entity spans of one batch (document index from the list offsets) and their ids."""
    values, doc = list_parts(column, "entities")
    label = integers(values.field("label"))
    if len(label) and not (label.min() >= 0 and label.max() < len(load_inventory().entity_names)):
        raise InputError(
            f"{path}: entities.label: {int(label.max())} is not a label index of schemas/labels.json "
            "(expected a dataset built with this inventory)"
        )
    return EntityColumns(doc, integers(values.field("start")), integers(values.field("end")), label), _Strings(
        values.field("id")
    )


def list_parts(column, name: str) -> tuple[Any, np.ndarray]:
    """The items of a list column and the row of each (what ``pyarrow.compute`` gives, without its 25 ms import)."""
    if column.null_count:
        raise InputError(
            f"built dataset: {column.null_count} missing list(s) in column {name} "
            "(expected a folder written by `toolkit build`)"
        )
    offsets = integers(column.offsets)
    first, last = (int(offsets[0]), int(offsets[-1])) if len(offsets) else (0, 0)
    return column.values.slice(first, last - first), np.repeat(np.arange(len(column), dtype=np.int64), np.diff(offsets))


def integers(array) -> np.ndarray:
    """An Arrow integer array without nulls as int64, read from its buffer (``to_numpy()`` imports pandas: 0.2 s)."""
    if array.null_count:
        raise InputError(
            f"built dataset: {array.null_count} missing value(s) in an integer column "
            "(expected a folder written by `toolkit build`)"
        )
    dtype = np.dtype(str(array.type))
    return np.frombuffer(
        array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
    ).astype(np.int64)


class _Strings:
    """The strings of an Arrow string array, decoded only where needed (a claimer needs the ids of its document)."""

    def __init__(self, array):
        import pyarrow as pa

        _, offsets, data = array.buffers()
        width = np.int64 if pa.types.is_large_string(array.type) else np.int32
        self.offsets = np.frombuffer(
            offsets, dtype=width, count=len(array) + 1, offset=array.offset * np.dtype(width).itemsize
        ).tolist()
        self.data = data.to_pybytes() if data is not None else b""
        # ids are ASCII: then byte offsets are character offsets
        self.text = self.data.decode("ascii") if self.data.isascii() else None

    def slice(self, first: int, last: int) -> list[str]:
        offsets = self.offsets
        if self.text is not None:
            return [self.text[offsets[i] : offsets[i + 1]] for i in range(first, last)]
        return [self.data[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(first, last)]

    def finder(self, first: int, last: int) -> Callable[[str], int]:
        """``index_of(value)``: the position (from ``first``) of ``value`` among strings ``first`` to ``last``,
        found in the bytes."""
        offsets, data = self.offsets, self.data

        def index_of(value: str) -> int:
            wanted = value.encode("utf-8")
            found = data.find(wanted, offsets[first], offsets[last])
            while found != -1:
                row = bisect_left(offsets, found, first, last)
                if offsets[row] == found and offsets[row + 1] == found + len(wanted):
                    return row - first
                found = data.find(wanted, found + 1, offsets[last])
            raise ValueError(f"{value!r} is not among the strings")

        return index_of


def _built_claims(column, entities: EntityColumns, entity_ids: _Strings, documents: list[dict]) -> ClaimColumns:
    """The claims of one batch; a claimer's accepted spans from the entities of its document."""
    kind_names = load_inventory().claimer_kind_names
    claims: list[list[tuple]] = [[] for _ in documents]
    values, parents = list_parts(column, "claims")
    parents = parents.tolist()
    starts, ends, stances, kinds = (
        integers(values.field(name)).tolist() for name in ("start", "end", "stance", "claimer_kind")
    )
    claimer_lists = values.field("claimer_ids")
    if claimer_lists.null_count:
        raise InputError(
            f"built dataset: {claimer_lists.null_count} claim(s) without claimer_ids "
            "(expected a list, empty for author/unnamed claims)"
        )
    claimer_bounds = integers(claimer_lists.offsets).tolist()  # positions in claimer_lists.values
    claimer_ids = _Strings(claimer_lists.values)
    bounds = np.searchsorted(entities.doc, np.arange(len(documents) + 1)).tolist()
    mentions, mentions_of = None, -1
    for index, (parent, start, end, stance, kind) in enumerate(zip(parents, starts, ends, stances, kinds, strict=True)):
        ids = (
            claimer_ids.slice(claimer_bounds[index], claimer_bounds[index + 1])
            if claimer_bounds[index] != claimer_bounds[index + 1]
            else []
        )
        if ids and mentions_of != parent:
            a, b = bounds[parent], bounds[parent + 1]
            mentions, mentions_of = (
                [
                    entity_ids.finder(a, b),
                    entities.start[a:b].tolist(),
                    entities.end[a:b].tolist(),
                    entities.label[a:b].tolist(),
                ],
                parent,
            )
        scored = (
            scored_claimer({"kind": kind_names[kind], "entity_ids": ids}, mentions, documents[parent]["text"])
            if ids
            else kind_names[kind]
        )
        claims[parent].append((start, end, stance, scored))
    return ClaimColumns.from_documents(claims)
