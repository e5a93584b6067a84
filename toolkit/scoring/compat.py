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
from pathlib import Path

import numpy as np

from toolkit.built import BuiltFolder
from toolkit.errors import InputError
from toolkit.files import parquet_batches
from toolkit.inventory import load_inventory
from toolkit.scoring.gold.parquet import integers, list_parts
from toolkit.scoring.spans import EntityColumns

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
    """``(document index, start, end, gold label index or -1)`` of every token of the ``ner`` config of a built
    folder, for the gold's documents; ``None`` when the folder has no such config."""
    files = BuiltFolder.open(Path(folder)).split_files(split, TOKEN_CONFIG)
    if not files:
        return None
    columns: list[list[np.ndarray]] = [[], [], [], []]
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
    return tuple(np.concatenate(column) for column in columns)


def _kept(spans: EntityColumns) -> EntityColumns:
    """Predicted spans without overlaps within a document: earliest start, then longest, then the label name first
    in alphabetical order, wins (`toolkit.dataset.bio.resolve_overlaps`, the build's rule for gold)."""
    names = load_inventory().entity_names
    rank = np.argsort(np.argsort(np.array(names)))  # each label's place in alphabetical order
    order = np.lexsort((rank[spans.label], -spans.end, spans.start, spans.doc))
    doc, start, end = spans.doc[order].tolist(), spans.start[order].tolist(), spans.end[order].tolist()
    keep, last_doc, last_end = [], -1, -1
    for k, (d, s, e) in enumerate(zip(doc, start, end, strict=True)):
        if d != last_doc or s >= last_end:
            keep.append(k)
            last_doc, last_end = d, e
    chosen = order[keep]
    return EntityColumns(spans.doc[chosen], spans.start[chosen], spans.end[chosen], spans.label[chosen])


def predicted_token_labels(tokens: tuple[np.ndarray, ...], predicted: EntityColumns) -> np.ndarray:
    """The label index of the predicted entity each token begins in, or -1."""
    doc, start = tokens[0], tokens[1]
    spans = _kept(predicted)
    if not len(spans) or not len(doc):
        return np.full(len(doc), -1, dtype=np.int64)
    bound = int(max(spans.end.max(), tokens[2].max())) + 1
    span_keys = spans.doc * bound + spans.start  # sorted: spans come ordered by document, then start
    at = np.searchsorted(span_keys, doc * bound + start, side="right") - 1
    safe = np.maximum(at, 0)
    inside = (at >= 0) & (spans.doc[safe] == doc) & (start < spans.end[safe])
    return np.where(inside, spans.label[safe], -1)


def token_figures(
    tokens: tuple[np.ndarray, ...], predicted: EntityColumns, label_map: Mapping[str, str], where: str
) -> dict:
    """``compat.token``: per-label, micro and macro precision, recall and F1 over the dataset's tokens."""
    names = load_inventory().entity_names
    mapped = [label_map.get(name, name) for name in names]
    labels = list(dict.fromkeys(name for name in mapped if name != OUTSIDE))
    code = np.array([labels.index(name) if name != OUTSIDE else -1 for name in mapped] + [-1], dtype=np.int64)
    gold = code[tokens[3]]  # index -1 (O) picks the last entry, -1
    pred = code[predicted_token_labels(tokens, predicted)]
    n = len(labels)
    tp = np.bincount(gold[(gold == pred) & (gold >= 0)], minlength=n)
    support = np.bincount(gold[gold >= 0], minlength=n)
    predicted_count = np.bincount(pred[pred >= 0], minlength=n)
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
        "tokens": int(len(gold)),
        "tokenization": f"the {TOKEN_CONFIG} config of {where}",
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
