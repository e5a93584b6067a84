"""Score a predictions file against gold: load, validate, count per document, sum, report.

Gold is an annotation JSONL (texts from a documents JSONL) or a folder built
by ``toolkit build`` (parquet files, read directly with pyarrow: no
``datasets`` cache can serve stale rows).  Predictions are validated first:
scoring garbage quietly is worse than refusing it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.paths import DEFAULT_DOCUMENTS
from toolkit.errors import InputError
from toolkit.inventory import load_inventory
from toolkit.scoring.claims import (
    END_TO_END_TP,
    GOLD,
    OVERLAP_TP,
    PREDICTED,
    claim_figures,
    gold_claimer,
    normalise_mention,
)
from toolkit.scoring.columns import KEY_LIMIT, ClaimColumns, EntityColumns, score_claim_columns, score_entity_columns
from toolkit.scoring.compiled import read_compiled, split_files, write_compiled
from toolkit.scoring.entities import WIDTH, entity_figures
from toolkit.scoring.forked import arrays_from_bytes, arrays_to_bytes, beside_a_child, can_fork
from toolkit.scoring.matching import MATCHING_RULE
from toolkit.scoring.predictions import Predictions, from_records, paused_gc, read_fast
from toolkit.scoring.result import HEADLINE_FIGURES, EvalResult
from toolkit.scoring.signature import content_hash, make_signature

DEFAULT_SEED = 12345
DEFAULT_IOU = 0.5
CLAIM_OFFSET = WIDTH  # statistics columns: entity counts, then claim counts
LAYERS = ("entities", "claims")


@dataclass
class Gold:
    """The gold being scored, in file order: documents by id, and its spans as the scorers compare them."""

    name: str
    split: str | None
    documents: dict[str, dict[str, Any]]
    ids: list[str]
    entities: EntityColumns  # (start, end, label index) of every gold entity, by document index
    claims: ClaimColumns  # every gold claim, its claimer as a kind or the accepted spans (`toolkit.scoring.claims`)
    lengths: np.ndarray | None = None  # text lengths in code points, by document index, when known without the texts
    digest: str | None = None  # `gold_hash`, when compiled at build time

    @property
    def position(self) -> dict[str, int]:
        return {doc_id: index for index, doc_id in enumerate(self.ids)}

    def text_lengths(self) -> np.ndarray:
        if self.lengths is None:
            self.lengths = np.array([len(self.documents[doc_id]["text"]) for doc_id in self.ids], dtype=np.int64)
        return self.lengths

    def texts(self) -> Sequence[str]:
        """The texts by document index, read only when indexed (a compiled gold decodes them on first use)."""
        return _Texts(self)


class _Texts(Sequence):
    def __init__(self, gold: Gold):
        self.gold = gold

    def __getitem__(self, index):
        return self.gold.documents[self.gold.ids[index]]["text"]

    def __len__(self) -> int:
        return len(self.gold.ids)


# ---------------------------------------------------------------- loading gold


def _gold_from_jsonl(gold: Path, documents_path: Path, split: str | None) -> Gold:
    from toolkit.validate import load_documents, require_valid

    documents = load_documents(documents_path)
    records = require_valid(gold, "annotation", documents, documents_source=str(documents_path))
    if split is not None:
        present = sorted({str(documents[record["id"]].get("split")) for record in records})
        records = [record for record in records if documents[record["id"]].get("split") == split]
        if not records:
            raise InputError(
                f"--split: no gold document of {gold} is in split {split!r} "
                f"(splits present in {documents_path}: {', '.join(present)})"
            )
    inventory = load_inventory()
    label_index = {name: i for i, name in enumerate(inventory.entity_names)}
    stance_index = {name: i for i, name in enumerate(inventory.stance_names)}
    spans = [gold_spans(record, documents[record["id"]]["text"], label_index, stance_index) for record in records]
    return Gold(
        gold.name,
        split,
        {record["id"]: documents[record["id"]] for record in records},
        [record["id"] for record in records],
        EntityColumns.from_documents([entities for entities, _ in spans]),
        ClaimColumns.from_documents([claims for _, claims in spans]),
    )


def _gold_from_build(folder: Path, split: str | None) -> Gold:
    """A split of a built dataset: compiled at build time (`toolkit.scoring.compiled`), else read from its
    parquet files."""
    compiled = read_compiled(folder, split)
    if compiled is None:
        return gold_from_parquet(folder, split)
    return Gold(
        folder.name,
        split,
        compiled.pop("documents"),
        compiled.pop("ids"),
        EntityColumns(*compiled.pop("entities")),
        **compiled,
    )


def gold_from_parquet(folder: Path, split: str | None) -> Gold:
    """Read ``documents/<split>-*.parquet`` of a built dataset as flat columns (validated when it was built: not
    again)."""
    import pyarrow.parquet as pq

    files = split_files(folder, split)
    if not files:
        available = sorted({path.name.split("-")[0] for path in (folder / "documents").glob("*.parquet")})
        wanted = f"split {split!r}" if split else "any split"
        found = f"splits found: {', '.join(available)}" if available else "no documents/*.parquet at all"
        raise InputError(
            f"{folder}: no parquet file for {wanted} "
            f"(expected a folder built by `toolkit build` with documents/<split>-*.parquet; {found})"
        )
    documents: dict[str, dict] = {}
    entities: list[EntityColumns] = []
    claims: list[list[tuple]] = []
    for path in files:
        table = pq.ParquetFile(path).read(columns=BUILT_COLUMNS)  # not read_table: it imports pandas
        first = len(documents)
        for doc_id, text, sha in zip(
            *(table.column(name).to_pylist() for name in ("id", "text", "text_sha256")), strict=True
        ):
            if doc_id in documents:
                raise InputError(
                    f"{path}: id: {doc_id!r} appears twice in the built dataset (expected one row per document)"
                )
            documents[doc_id] = {"id": doc_id, "text": text, "text_sha256": sha}
        file_entities, entity_ids = _entity_columns(table.column("entities").combine_chunks(), first, path)
        entities.append(file_entities)
        claims += _built_claims(
            table.column("claims").combine_chunks(), file_entities, entity_ids, list(documents.values())[first:], first
        )
    merged = EntityColumns.concatenate(entities)
    return Gold(folder.name, split, documents, list(documents), merged, ClaimColumns.from_documents(claims))


def compile_gold(folder: Path, split: str) -> Path:
    """Write ``scoring/<split>.npz`` of a built folder from its parquet files (`toolkit build` does, for every
    split)."""
    gold = gold_from_parquet(folder, split)
    return write_compiled(folder, split, gold, gold_hash(gold))


BUILT_COLUMNS = [  # only the fields scored (not the item texts): less to decompress
    "id",
    "text",
    "text_sha256",
    *(f"entities.list.element.{name}" for name in ("id", "start", "end", "label")),
    *(f"claims.list.element.{name}" for name in ("start", "end", "stance", "claimer_kind", "claimer_ids")),
]


def _entity_columns(column, first: int, path: Path) -> tuple[EntityColumns, _Strings]:
    """Entity spans of one parquet file (document index from the list offsets) and their ids."""
    values, parents = _list_parts(column, "entities")
    doc = parents + first
    label = _integers(values.field("label"))
    if len(label) and not (label.min() >= 0 and label.max() < len(load_inventory().entity_names)):
        raise InputError(
            f"{path}: entities.label: {int(label.max())} is not a label index of schemas/labels.json "
            "(expected a dataset built with this inventory)"
        )
    return EntityColumns(doc, _integers(values.field("start")), _integers(values.field("end")), label), _Strings(
        values.field("id")
    )


def _list_parts(column, name: str) -> tuple[Any, np.ndarray]:
    """The items of a list column and the row of each (what ``pyarrow.compute`` gives, without its 25 ms import)."""
    if column.null_count:
        raise InputError(
            f"built dataset: {column.null_count} missing list(s) in column {name} "
            "(expected a folder written by `toolkit build`)"
        )
    offsets = _integers(column.offsets)
    first, last = (int(offsets[0]), int(offsets[-1])) if len(offsets) else (0, 0)
    return column.values.slice(first, last - first), np.repeat(np.arange(len(column), dtype=np.int64), np.diff(offsets))


def _integers(array) -> np.ndarray:
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
    """The strings of an Arrow string array, decoded only where needed.

    ``to_pylist()`` of 400,000 entity ids costs 0.2 s and ``to_numpy()`` imports pandas; a
    claimer only needs the ids of its own document.
    """

    def __init__(self, array):
        import pyarrow as pa

        _, offsets, data = array.buffers()
        width = np.int64 if pa.types.is_large_string(array.type) else np.int32
        self.offsets = np.frombuffer(
            offsets, dtype=width, count=len(array) + 1, offset=array.offset * np.dtype(width).itemsize
        ).tolist()
        self.data = data.to_pybytes() if data is not None else b""
        self.text = (
            self.data.decode("ascii") if self.data.isascii() else None
        )  # ids are ASCII: then byte offsets are character offsets

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


def _built_claims(
    column, entities: EntityColumns, entity_ids: _Strings, documents: list[dict], first: int
) -> list[list[tuple]]:
    """Claim tuples per document of one parquet file; a claimer's accepted spans from the entities of its document."""
    kind_names = load_inventory().claimer_kind_names
    claims: list[list[tuple]] = [[] for _ in documents]
    values, parents = _list_parts(column, "claims")
    parents = parents.tolist()
    starts, ends, stances, kinds = (
        _integers(values.field(name)).tolist() for name in ("start", "end", "stance", "claimer_kind")
    )
    claimer_lists = values.field("claimer_ids")
    if claimer_lists.null_count:
        raise InputError(
            f"built dataset: {claimer_lists.null_count} claim(s) without claimer_ids "
            "(expected a list, empty for author/unnamed claims)"
        )
    claimer_bounds = _integers(claimer_lists.offsets).tolist()  # positions in claimer_lists.values
    claimer_ids = _Strings(claimer_lists.values)
    bounds = np.searchsorted(entities.doc, np.arange(first, first + len(documents) + 1)).tolist()
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
    return claims


def load_gold(gold: Path | Gold, documents: Path | None = None, split: str | None = None) -> Gold:
    """Gold from an annotation JSONL (+ documents) or from a folder built by ``toolkit build``.

    A `Gold` already loaded is returned as it is, so a caller scoring many
    systems (the leaderboard) reads and validates the gold once.
    """
    if isinstance(gold, Gold):
        return gold
    gold = Path(gold)
    with paused_gc():
        if gold.is_dir():
            return _gold_from_build(gold, split)
        return _gold_from_jsonl(gold, Path(documents or DEFAULT_DOCUMENTS), split)


def load_predictions(path: Path, gold: Gold, ignore_extra: bool = False) -> tuple[dict[str, dict], list[str]]:
    """Validated prediction records by id, and the ids of ignored predictions for documents not in gold."""
    from toolkit.errors import ValidationError
    from toolkit.validate import validate_file

    extra = (
        (lambda record: isinstance(record.get("id"), str) and record["id"] not in gold.documents)
        if ignore_extra
        else None
    )
    source = (
        f"the gold {gold.name}"
        + (f" (split {gold.split})" if gold.split else "")
        + "; pass --ignore-extra to skip predictions for other documents"
    )
    result = validate_file(path, kind="prediction", documents=gold.documents, documents_source=source, ignore=extra)
    if result.problems:
        raise ValidationError(result.problems, result.truncated)
    return {record["id"]: record for record in result.records}, sorted(result.ignored)


def read_predictions(path: Path, gold: Gold, ignore_extra: bool = False) -> Predictions:
    """A predictions file as columns: the short way when every check passes, else validated by `load_predictions`."""
    position = gold.position
    with paused_gc():
        fast = read_fast(Path(path), gold.texts(), gold.text_lengths(), position, ignore_extra)
        if fast is not None:
            return fast
        records, extra = load_predictions(Path(path), gold, ignore_extra)
        return from_records(records, extra, position, len(gold.ids))


# ---------------------------------------------------------------- spans as tuples


def scored_claimer(claimer: Mapping, mentions: Sequence, text: str):
    """`gold_claimer` of one claim from its document's entities ``(index_of, starts, ends, labels)``.

    ``index_of(entity id)`` is the position of that entity in the lists.  Only
    mentions with a claimer's label can name the same source, so only those are normalised.
    """
    if not claimer["entity_ids"]:
        return claimer["kind"]
    index_of, starts, ends, labels = mentions
    named = {}
    for entity_id in claimer["entity_ids"]:
        index = index_of(entity_id)
        named[entity_id] = (
            starts[index],
            ends[index],
            labels[index],
            normalise_mention(text[starts[index] : ends[index]]),
        )
    keys = {(label, normalised) for _, _, label, normalised in named.values()}
    wanted = {label for label, _ in keys}
    same_source: dict[tuple, list] = {}
    for start, end, label in zip(starts, ends, labels, strict=True):
        if label in wanted:
            key = (label, normalise_mention(text[start:end]))
            if key in keys:
                same_source.setdefault(key, []).append((start, end))
    return gold_claimer({"claimer": claimer}, named, same_source)


def gold_spans(
    record: Mapping, text: str, label_index: Mapping[str, int], stance_index: Mapping[str, int]
) -> tuple[list[tuple], list[tuple]]:
    """``(entities, claims)`` of a gold record as the tuples the scorers compare."""
    entities = [(e["start"], e["end"], label_index[e["label"]]) for e in record["entities"]]
    claims = record["claims"]
    if not claims:
        return entities, []
    mentions = [[e[key] for e in record["entities"]] for key in ("id", "start", "end", "label")]
    mentions[0] = mentions[0].index
    return entities, [
        (c["start"], c["end"], stance_index[c["stance"]], scored_claimer(c["claimer"], mentions, text)) for c in claims
    ]


def predicted_spans(
    record: Mapping, label_index: Mapping[str, int], stance_index: Mapping[str, int], keywords: Mapping[str, str]
) -> tuple[list[tuple], list[tuple]]:
    """``(entities, claims)`` of a prediction record; a claimer is a kind name or a ``(start, end)`` span."""
    entities = [(e["start"], e["end"], label_index[e["label"]]) for e in record.get("entities", ())]
    claims = []
    for c in record.get("claims", ()):
        claimer = c["claimer"]
        claimer = keywords[claimer] if isinstance(claimer, str) else (claimer["start"], claimer["end"])
        claims.append((c["start"], c["end"], stance_index[c["stance"]], claimer))
    return entities, claims


def gold_hash(gold: Gold) -> str:
    """`content_hash` of the gold as scored: a line naming the inventory, then one line per document in id order,
    ``id TAB text_sha256 TAB repr(sorted entity tuples) TAB repr(claim tuples sorted by their repr)``.

    The entity parts are the reprs of lists of int tuples, all written by one ``%`` (the same text, in one C loop).
    """
    inventory = load_inventory()
    n = len(gold.ids)
    by_id = sorted(range(n), key=gold.ids.__getitem__)
    rank = np.empty(n, dtype=np.int64)
    rank[by_id] = np.arange(n)
    spans = gold.entities
    bound = int(spans.end.max(initial=0)) + 1
    n_labels = len(inventory.entity_names)
    if (n + 1) * bound * bound * n_labels < KEY_LIMIT:  # one sort of composite keys: twice as fast as lexsort
        order = np.argsort(((rank[spans.doc] * bound + spans.start) * bound + spans.end) * n_labels + spans.label)
    else:
        order = np.lexsort((spans.label, spans.end, spans.start, rank[spans.doc]))
    values = np.stack([spans.start[order], spans.end[order], spans.label[order]], axis=1).ravel().tolist()
    counts = np.bincount(rank[spans.doc], minlength=n).tolist()
    formats = {count: "[" + ", ".join(["(%d, %d, %d)"] * count) + "]" for count in set(counts)}
    entity_parts = ("\0".join(formats[count] for count in counts) % tuple(values)).split("\0")
    ids = [gold.ids[index] for index in by_id]
    shas = [gold.documents[doc_id]["text_sha256"] for doc_id in ids]
    claims = gold.claims.per_document(n)
    claim_parts = [
        "[" + ", ".join(sorted(map(repr, claims[index]))) + "]" for index in by_id
    ]  # = repr(sorted(claims, key=repr))
    lines = "".join(map("{}\t{}\t{}\t{}\n".format, ids, shas, entity_parts, claim_parts))
    return content_hash([repr((inventory.entity_names, inventory.stance_names)) + "\n", lines])


# ---------------------------------------------------------------- scoring


@dataclass
class Scored:
    """Per-document sufficient statistics (rows in gold order) and the per-label entity totals."""

    ids: list[str]
    stats: Any  # numpy int64 array, documents × statistics
    label_totals: list[int]
    gold_hash: str
    layers: list[str]
    missing: list[str]


def score(gold: Gold, predictions: Predictions, iou: float = DEFAULT_IOU, digest: str | None = None) -> Scored:
    """Count every document; a gold document without a prediction counts as predicting nothing.

    ``digest``: `gold_hash` of this gold when already known (it costs 0.15 s on 20,000 documents).
    A large corpus is counted in two halves of its documents, the second by a forked child where that is safe.
    """
    if len(gold.entities) + len(predictions.entities) >= PARALLEL_SPANS and can_fork():
        stats, label_stats = _count_in_halves(gold, predictions, iou)
    else:
        stats, label_stats = _count(gold, predictions, iou, 0, len(gold.ids))
    missing = [doc_id for index, doc_id in enumerate(gold.ids) if index not in predictions.present]
    digest = digest or gold.digest or gold_hash(gold)
    return Scored(list(gold.ids), stats, label_stats.ravel().tolist(), digest, predictions.layers, missing)


PARALLEL_SPANS = (
    200_000  # gold and predicted entities from which documents are counted on two cores (`toolkit.scoring.forked`)
)


def _count(gold: Gold, predictions: Predictions, iou: float, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """Documents × statistics (rows of documents ``first`` to ``last - 1``, zeros elsewhere) and labels × entity
    statistics."""
    inventory = load_inventory()
    n = len(gold.ids)
    entity_stats, label_stats = score_entity_columns(
        gold.entities.between(first, last), predictions.entities.between(first, last), n, len(inventory.entity_names)
    )
    claim_stats = score_claim_columns(
        gold.claims.between(first, last), predictions.claims.between(first, last), n, iou, len(inventory.stance_names)
    )
    return np.hstack([entity_stats, claim_stats]), label_stats


def _count_in_halves(gold: Gold, predictions: Predictions, iou: float) -> tuple[np.ndarray, np.ndarray]:
    """`_count` of the second half of the documents in a forked child, of the first half here, summed."""
    n = len(gold.ids)
    middle = n // 2

    def second_half() -> list[np.ndarray]:
        stats, label_stats = _count(gold, predictions, iou, middle, n)
        return [stats[middle:], label_stats]  # its rows only: half the bytes through the pipe

    (stats, label_stats), payload = beside_a_child(
        lambda: _count(gold, predictions, iou, 0, middle), lambda: arrays_to_bytes(second_half())
    )
    rows, labels = (
        arrays_from_bytes(payload, 2) if payload is not None else second_half()
    )  # a child that died: count here
    stats[middle:] += rows
    return stats, label_stats + labels


def headline(sums):
    """The headline figures from summed statistics (one row per resample); NaN where undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        correct, incorrect, partial, missed, spurious = (sums[:, i] for i in range(5))
        claims = sums[:, CLAIM_OFFSET:]
        denominator = claims[:, PREDICTED] + claims[:, GOLD]
        figures = {
            "entities.strict.f1": 2 * correct / (2 * (correct + incorrect + partial) + missed + spurious),
            "claims.overlap.f1": 2 * claims[:, OVERLAP_TP] / denominator,
            "end_to_end.f1": 2 * claims[:, END_TO_END_TP] / denominator,
        }
        figures["overall"] = sum(figures.values()) / 3
    return figures


HEADLINE_COLUMNS = [
    *range(5),
    *(CLAIM_OFFSET + column for column in (PREDICTED, GOLD, OVERLAP_TP, END_TO_END_TP)),
]  # all that `headline` reads


def headline_of_columns(sums):
    """`headline` of sums over `HEADLINE_COLUMNS` only: a resample needs no other statistic (4x less work)."""
    full = np.zeros((len(sums), CLAIM_OFFSET + END_TO_END_TP + 1))
    full[:, HEADLINE_COLUMNS] = sums
    return headline(full)


def overall_figure(figures: Mapping[str, float | None], layers: list[str]) -> tuple[float | None, str | None]:
    """The mean of the three headline layer figures, or ``None`` and why."""
    absent = [layer for layer in LAYERS if layer not in layers]
    if absent:
        return (
            None,
            f"the predictions have no {' and no '.join(absent)} layer "
            f"(no record has the key {', '.join(map(repr, absent))})",
        )
    parts = HEADLINE_FIGURES[:3]
    undefined = [name for name in parts if figures[name] is None]
    if undefined:
        return None, f"{', '.join(undefined)} undefined (neither gold nor predicted items)"
    return sum(figures[name] for name in parts) / len(parts), None


def result_from(scored: Scored, gold: Gold, extra: list[str], iou: float, bootstrap: int, seed: int) -> EvalResult:
    inventory = load_inventory()
    totals = scored.stats.sum(axis=0).tolist()
    entities = entity_figures(totals[:WIDTH], scored.label_totals, inventory.entity_names)
    claim_layers = claim_figures(totals[CLAIM_OFFSET:], iou, inventory.stance_names, inventory.polar_stances)
    figures = {
        "entities.strict.f1": entities["strict"]["f1"],
        "claims.overlap.f1": claim_layers["claims"]["overlap"]["f1"],
        "end_to_end.f1": claim_layers["end_to_end"]["f1"],
    }
    overall, reason = overall_figure(figures, scored.layers)
    ci = None
    if bootstrap:
        from toolkit.scoring.bootstrap import intervals

        ci = intervals(scored.stats[:, HEADLINE_COLUMNS], headline_of_columns, bootstrap, seed)
        if overall is None:
            ci["overall"] = {"low": None, "high": None, "resamples": bootstrap, "seed": seed}
    settings = {
        "gold": gold.name,
        "gold_hash": scored.gold_hash,
        "split": gold.split,
        "iou": iou,
        "matching": MATCHING_RULE,
        "bootstrap": bootstrap,
        "seed": seed,
    }
    signature = make_signature(
        gold.name, scored.gold_hash, gold.split, len(scored.ids), iou, MATCHING_RULE, bootstrap, seed
    )
    return EvalResult(
        signature=signature,
        settings=settings,
        n_documents=len(scored.ids),
        missing_documents=scored.missing,
        extra_documents=extra,
        entities=entities,
        overall=overall,
        overall_reason=reason,
        ci=ci,
        layers=scored.layers,
        **claim_layers,
    )


def _check_settings(iou: float, resamples: int) -> None:
    if not 0 < iou <= 1:
        raise InputError(f"--iou: {iou} is outside (0, 1] (expected a character IoU threshold such as 0.5)")
    if resamples < 0:
        raise InputError(
            f"--bootstrap: {resamples} is negative (expected 0 for no intervals, or a number of resamples such as 1000)"
        )


def evaluate_files(
    predictions: Path,
    gold: Path | Gold,
    documents: Path | None = None,
    split: str | None = None,
    iou: float = DEFAULT_IOU,
    bootstrap: int = 0,
    seed: int = DEFAULT_SEED,
    ignore_extra: bool = False,
) -> EvalResult:
    """Score one predictions file against gold; raises `InputError`/`ValidationError` on bad input."""
    _check_settings(iou, bootstrap)
    with paused_gc():  # around a call: its spans are freed before the collector is back, so it has nothing big to scan
        return _evaluate(Path(predictions), gold, documents, split, iou, bootstrap, seed, ignore_extra)


def _evaluate(
    predictions: Path,
    gold: Path | Gold,
    documents: Path | None,
    split: str | None,
    iou: float,
    bootstrap: int,
    seed: int,
    ignore_extra: bool,
) -> EvalResult:
    gold_set = load_gold(gold, documents, split)
    predicted = read_predictions(predictions, gold_set, ignore_extra)
    return result_from(score(gold_set, predicted, iou), gold_set, predicted.extra, iou, bootstrap, seed)


def _score_both(
    a: Path, b: Path, gold: Path | Gold, documents: Path | None, split: str | None, iou: float, ignore_extra: bool
) -> tuple[Gold, list[Scored]]:
    gold_set = load_gold(gold, documents, split)
    digest = gold_set.digest or gold_hash(gold_set)
    return gold_set, [score(gold_set, read_predictions(path, gold_set, ignore_extra), iou, digest) for path in (a, b)]


def compare_files(
    a: Path,
    b: Path,
    gold: Path | Gold,
    documents: Path | None = None,
    split: str | None = None,
    iou: float = DEFAULT_IOU,
    resamples: int = 1000,
    seed: int = DEFAULT_SEED,
    ignore_extra: bool = False,
) -> dict[str, Any]:
    """Paired bootstrap between two systems on the same gold documents.

    Returns ``{"signature", "a", "b", "figures": {figure: {a, b, difference, p_value, resamples, seed}}}``;
    ``difference`` is B − A.  ``overall`` of a system that lacks a layer is ``None``.
    """
    from toolkit.scoring.bootstrap import paired_test

    _check_settings(iou, resamples)
    if resamples < 1:
        raise InputError(f"--resamples: {resamples} (expected at least 1 resample)")
    with paused_gc():
        gold_set, scored = _score_both(Path(a), Path(b), gold, documents, split, iou, ignore_extra)
    figures = paired_test(
        scored[0].stats[:, HEADLINE_COLUMNS], scored[1].stats[:, HEADLINE_COLUMNS], headline_of_columns, resamples, seed
    )
    for name, system in (("a", scored[0]), ("b", scored[1])):
        if overall_figure({key: figures[key][name] for key in HEADLINE_FIGURES[:3]}, system.layers)[0] is None:
            figures["overall"].update({name: None, "difference": None, "p_value": None})
    signature = make_signature(
        gold_set.name, scored[0].gold_hash, gold_set.split, len(scored[0].ids), iou, MATCHING_RULE, resamples, seed
    )
    return {"signature": signature, "a": str(a), "b": str(b), "figures": figures}
