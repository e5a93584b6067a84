"""Figures comparable with published benchmarks (``compat`` in the result): ``token``, the token-level figures of
NERMuD at EVALITA 2023 (dhfbk/KIND ``evalita-2023/scripts/get-results.py``), written here from its definition.

NERMuD strips the B-/I- prefixes of IOB2 tags and scores tokens with
scikit-learn (``precision_recall_fscore_support``, ``zero_division=0``).  Here
the tokens are the dataset's own: the ``ner`` config of the built folder the
gold was read from (its sentences' tokens, cut at gold entity boundaries), and
the gold tag of a token is that config's.  A token's predicted label is the
label of the predicted entity it begins in, predicted entities that overlap
being resolved as the build resolves gold ones (earliest start, then longest,
then label name, wins).  ``label_map`` renames labels first (``{"GPE": "LOC"}``; ``"O"`` drops a
label).  Figures per label present in gold or predictions, their micro and
macro averages; tokens outside every entity (``O``) are not a label.
Both engines read the same tokens and the same prediction columns, so the
figures do not depend on the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.bio import sentence_tags
from toolkit.built import BuiltFolder
from toolkit.errors import InputError
from toolkit.files import parquet_batches
from toolkit.inventory import load_inventory
from toolkit.scoring.engines import thresholds
from toolkit.scoring.gold.parquet import integers, list_parts
from toolkit.scoring.spans import EntityColumns
from toolkit.sentences import ner_sentences

TOKEN_CONFIG = "ner"
OUTSIDE = "O"


def parse_label_map(pairs: list[str], parameter: str = "token_label_map") -> dict[str, str]:
    """``["GPE=LOC", "MISC=O"]`` as ``{"GPE": "LOC", "MISC": "O"}``; the left side must be an inventory label."""
    names = load_inventory().entity_names
    mapping = {}
    for pair in pairs:
        ours, equals, theirs = pair.partition("=")
        if not equals or not theirs.strip() or ours not in names:
            raise InputError(
                f"{pair!r} (expected LABEL=NAME with LABEL one of: {', '.join(names)}; NAME=O drops the label)",
                parameter=parameter,
            )
        mapping[ours] = theirs.strip()
    return mapping


def dataset_tokens(folder: Path, split: str | None, position: Mapping[str, int]) -> tuple[np.ndarray, ...] | None:
    """``(document index, start, end, gold label index or -1, first of its sentence)`` of every token of the
    ``ner`` config of a built folder (one row per sentence), for the gold's documents; ``None`` when the folder has
    no such config."""
    files = BuiltFolder.open(Path(folder)).split_files(split, TOKEN_CONFIG)
    if not files:
        return None
    columns: list[list[np.ndarray]] = [[], [], [], [], []]
    for path in files:
        for batch in parquet_batches(path, ["doc_id", "token_starts", "token_ends", "ner_tags"]):
            ids = batch.column("doc_id").to_pylist()
            rows = np.array([position.get(doc_id, -1) for doc_id in ids], dtype=np.int64)
            starts, row_of = list_parts(batch.column("token_starts"), "token_starts")
            ends, _ = list_parts(batch.column("token_ends"), "token_ends")
            tags, _ = list_parts(batch.column("ner_tags"), "ner_tags")
            tag = integers(tags)
            keep = rows[row_of] >= 0
            columns[0].append(rows[row_of][keep])
            columns[1].append(integers(starts)[keep])
            columns[2].append(integers(ends)[keep])
            columns[3].append(np.where(tag > 0, (tag - 1) // 2, -1)[keep])  # O, then B-/I- per label in order
            columns[4].append(np.diff(row_of, prepend=-1)[keep] != 0)  # a row's first token begins its sentence
    return tuple(np.concatenate(column) for column in columns)


def document_tokens(gold) -> tuple[np.ndarray, ...]:
    """`dataset_tokens` of a gold without a build (a gold JSONL): its documents cut into sentences and tokens and
    tagged exactly as ``toolkit build`` writes the ``ner`` config (`toolkit.sentences.ner_sentences`,
    `toolkit.bio.sentence_tags`; spaCy's tokenizer)."""
    names = load_inventory().entity_names
    label_of = {"O": -1, **{f"{prefix}-{name}": k for k, name in enumerate(names) for prefix in "BI"}}
    columns: list[list[int]] = [[], [], [], [], []]
    for d, (doc_id, entities) in enumerate(zip(gold.ids, gold.entities.per_document(len(gold.ids)), strict=True)):
        document = gold.documents[doc_id]
        mentions = [(start, end, names[label]) for start, end, label in entities]
        kept, _, sentences, _ = ner_sentences(document["text"], document.get("lang", "it"), mentions)
        for sentence in sentences:
            _, tokens, _, tags = sentence_tags(sentence, kept)
            columns[0] += [d] * len(tokens)
            columns[1] += [start for start, _ in tokens]
            columns[2] += [end for _, end in tokens]
            columns[3] += [label_of[tag] for tag in tags]
            columns[4] += [True] + [False] * (len(tokens) - 1) if tokens else []
    return (*(np.array(column, dtype=np.int64) for column in columns[:4]), np.array(columns[4], dtype=bool))


def _kept(spans: EntityColumns) -> EntityColumns:
    """Predicted spans without overlaps within a document: earliest start, then longest, then the label name first
    in alphabetical order, wins (`toolkit.bio.resolve_overlaps`, the build's rule for gold)."""
    names = load_inventory().entity_names
    rank = np.argsort(np.argsort(np.array(names)))  # each label's place in alphabetical order
    bound = int(spans.end.max(initial=0)) + 1
    if (int(spans.doc.max(initial=0)) + 1) * bound * bound * len(names) < thresholds.KEY_LIMIT:
        keys = ((spans.doc * bound + spans.start) * bound + (bound - 1 - spans.end)) * len(names) + rank[spans.label]
        order = np.argsort(keys, kind="stable")  # one sort of composite keys: ten times lexsort's speed
    else:
        order = np.lexsort((rank[spans.label], -spans.end, spans.start, spans.doc))
    ends = np.maximum.accumulate(spans.doc[order] * bound + spans.end[order])  # furthest end so far, by document
    if not len(order) or not (spans.doc[order][1:] * bound + spans.start[order][1:] < ends[:-1]).any():
        chosen = order  # no prediction overlaps another: every one is kept (the common case, without a loop)
    else:
        doc, start, end = spans.doc[order].tolist(), spans.start[order].tolist(), spans.end[order].tolist()
        keep, last_doc, last_end = [], -1, -1
        for k, (d, s, e) in enumerate(zip(doc, start, end, strict=True)):
            if d != last_doc or s >= last_end:
                keep.append(k)
                last_doc, last_end = d, e
        chosen = order[keep]
    return EntityColumns(spans.doc[chosen], spans.start[chosen], spans.end[chosen], spans.label[chosen])


def _popcount(words: np.ndarray) -> np.ndarray:
    """The set bits of each uint64 (numpy 2's `bitwise_count`, else by bytes)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words).astype(np.int64)
    return popcount_by_bytes(words)


def popcount_by_bytes(words: np.ndarray) -> np.ndarray:
    """`_popcount` for numpy before 2.0: a table of the 256 bytes."""
    table = np.array([bin(byte).count("1") for byte in range(256)], dtype=np.int64)
    return table[np.ascontiguousarray(words, dtype=np.uint64).view(np.uint8).reshape(-1, 8)].sum(axis=1)


@dataclass(frozen=True)
class Ranks:
    """How many of some strictly ascending keys lie below a key ``x`` (``0 <= x <= limit``), found in constant time
    (`below`): a bitmap of the keys per 64 code points, and the count of keys before each bitmap.  About a fifth
    of the bytes of the keys themselves for the dataset's tokens, and no search."""

    counts: np.ndarray  # one per 64 code points: the keys before them
    bits: np.ndarray  # uint64, one per 64 code points: bit k set when the key 64 * block + k is one

    @classmethod
    def of(cls, keys: np.ndarray, limit: int) -> Ranks | None:
        """The ranks of ``keys`` (each in ``[0, limit]``), or None when they are not strictly ascending."""
        keys = np.asarray(keys, dtype=np.int64)
        if len(keys) and (keys[0] < 0 or keys[-1] > limit or (np.diff(keys) <= 0).any()):
            return None
        blocks = limit // 64 + 1
        block = keys >> 6
        bits = np.zeros(blocks, dtype=np.uint64)
        if len(keys):
            firsts = np.flatnonzero(np.concatenate([[True], block[1:] != block[:-1]]))
            bits[block[firsts]] = np.bitwise_or.reduceat(
                np.left_shift(np.uint64(1), (keys & 63).astype(np.uint64)), firsts
            )
        counts = np.concatenate([[0], np.cumsum(np.bincount(block, minlength=blocks))[:-1]])
        return cls(counts.astype(np.int32 if len(keys) < 2**31 else np.int64), bits)  # int32: half the bytes to read

    def below(self, x: np.ndarray) -> np.ndarray:
        """The number of keys below each of ``x``: ``np.searchsorted(keys, x)``."""
        x = np.asarray(x, dtype=np.int64)
        block = x >> 6
        below = np.left_shift(np.uint64(1), (x & 63).astype(np.uint64)) - np.uint64(1)
        return self.counts[block] + _popcount(self.bits[block] & below)


@dataclass(frozen=True)
class TokenIndex:
    """The dataset's tokens as `token_figures` counts them, each token a *key*: its start plus the summed lengths
    of the texts before its document (`bases`), so that every document's tokens lie in their own range of keys and
    one sorted search over all of them finds the tokens a span begins.  Compiled at build time
    (`toolkit.scoring.gold.compiler`), else made from `dataset_tokens` or `document_tokens` (`token_index`)."""

    keys: np.ndarray  # every token's key, ascending
    gold_keys: np.ndarray  # the keys of the tokens inside a gold entity, ascending
    gold_labels: np.ndarray  # their gold label indices
    end_keys: np.ndarray | None = None  # every token's end as a key, ascending (NewsClaims' claim spans)
    sentence_keys: np.ndarray | None = None  # the key of each sentence's first token, ascending (its segments)
    starts: Ranks | None = None  # the keys' `Ranks`, when compiled (then ``keys`` may be None: not read)
    ends: Ranks | None = None  # the end keys' `Ranks`, likewise
    count: int | None = None  # the number of tokens, when the keys are not read

    def __len__(self) -> int:
        return len(self.keys) if self.count is None else self.count

    def starting_below(self, x: np.ndarray) -> np.ndarray:
        """How many tokens start below each key of ``x``."""
        return self.starts.below(x) if self.starts is not None else np.searchsorted(self.keys, self.cast(x))

    def ending_by(self, x: np.ndarray) -> np.ndarray:
        """How many tokens end at or before each key of ``x``."""
        if self.ends is not None:
            return self.ends.below(np.asarray(x, dtype=np.int64) + 1)
        return np.searchsorted(self.end_keys, self.cast(x), side="right")

    def cast(self, x: np.ndarray) -> np.ndarray:
        """Keys in the keys' own type (a sorted search compares them without converting the array)."""
        return np.asarray(x).astype(self.keys.dtype) if self.keys is not None else np.asarray(x, dtype=np.int64)


def bases(lengths: np.ndarray) -> np.ndarray:
    """The key of each document's first character: the summed lengths of the texts before it."""
    return np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)[:-1]]).astype(np.int64)


def key_type(lengths: np.ndarray) -> type:
    """The narrowest integer type that holds every key of these texts (int32 for any corpus under 2**31 code
    points: half the bytes to read)."""
    return np.int32 if int(np.sum(lengths, dtype=np.int64)) < 2**31 - 1 else np.int64


def token_index(tokens: tuple[np.ndarray, ...], lengths: np.ndarray) -> TokenIndex:
    """The `TokenIndex` of `dataset_tokens` of texts of ``lengths``."""
    doc, start, end, label, first = tokens
    base = bases(lengths)[doc]
    keys = base + start
    order = np.argsort(keys, kind="stable")
    keys, label, first = keys[order], label[order], first[order]
    labelled = label >= 0
    dtype = key_type(lengths)
    return TokenIndex(
        keys.astype(dtype),
        keys[labelled].astype(dtype),
        label[labelled].astype(np.int8),
        np.sort(base + end).astype(dtype),  # tokens do not overlap: ends ascend with starts
        keys[first].astype(dtype),
    )


def token_figures(
    index: TokenIndex,
    lengths: np.ndarray,
    predicted: EntityColumns,
    label_map: Mapping[str, str],
    tokenization: str,
) -> dict:
    """``compat.token``: per-label, micro and macro precision, recall and F1 over the dataset's tokens.

    A token's predicted label is that of the kept predicted span (`_kept`) its start lies in, so the tokens a
    label predicts are counted span by span (two sorted searches over the keys), and the tokens it gets right
    are the gold-labelled tokens whose span has the same (mapped) label: nothing is done per token but search."""
    names = load_inventory().entity_names
    mapped = [label_map.get(name, name) for name in names]
    labels = list(dict.fromkeys(name for name in mapped if name != OUTSIDE))
    code = np.array([labels.index(name) if name != OUTSIDE else -1 for name in mapped] + [-1], dtype=np.int64)
    n = len(labels)
    spans = _kept(predicted)
    span_code = code[spans.label]
    base = bases(lengths)
    low = index.cast(base[spans.doc] + spans.start)  # ascending: kept spans are in document order
    high = index.cast(base[spans.doc] + spans.end)
    begun = index.starting_below(high) - index.starting_below(low)  # tokens starting in each span
    named = span_code >= 0
    predicted_count = np.bincount(span_code[named], weights=begun[named], minlength=n).astype(np.int64)
    gold = code[index.gold_labels.astype(np.int64)]
    tp = np.zeros(n, dtype=np.int64)
    if len(low):
        at = np.searchsorted(low, index.gold_keys, side="right") - 1  # the span each gold token would begin in
        safe = np.maximum(at, 0)
        right = (at >= 0) & (index.gold_keys < high[safe]) & (span_code[safe] == gold) & (gold >= 0)
        tp = np.bincount(gold[right], minlength=n)
    support = np.bincount(gold[gold >= 0], minlength=n)
    per_label = {
        name: {**_prf(int(tp[k]), int(predicted_count[k]), int(support[k])), "support": int(support[k])}
        for k, name in enumerate(labels)
        if support[k] or predicted_count[k]
    }
    rows = list(per_label.values())
    macro = {
        figure: (sum(row[figure] for row in rows) / len(rows) if rows else 0.0)
        for figure in ("precision", "recall", "f1")
    }
    return {
        "tokens": len(index),
        "tokenization": tokenization,
        "label_map": dict(label_map),
        "per_label": per_label,
        "micro": _prf(int(tp.sum()), int(predicted_count.sum()), int(support.sum())),
        "macro": macro,
    }


def _prf(tp: int, predicted: int, gold: int) -> dict:
    precision = tp / predicted if predicted else 0.0
    recall = tp / gold if gold else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }
