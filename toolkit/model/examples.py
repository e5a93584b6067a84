"""Gold or per-annotator records → spaCy training Docs: entities as ``doc.ents``, claims as a span group.

Offsets are snapped to spaCy's tokens (a span that cuts a token is widened to whole tokens); overlapping entities
(a nested mention) keep the longest, as ``doc.ents`` cannot hold both.  Claims go under `CLAIMS_KEY` with the one
label `CLAIM_LABEL`: the model finds claim spans, stance and claimer come after (`toolkit.model.pipeline`).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

CLAIMS_KEY = "claims"
CLAIM_LABEL = "CLAIM"


@dataclass(frozen=True)
class Split:
    """Training and dev records (each a (document, annotation) pair), split by document."""

    train: list[tuple[Mapping[str, Any], Mapping[str, Any]]]
    dev: list[tuple[Mapping[str, Any], Mapping[str, Any]]]


def pair_records(documents: Mapping[str, Mapping[str, Any]], annotations: Iterable[Mapping[str, Any]]) -> list[tuple]:
    """(document, annotation) for every annotation record (several per document when per annotator), in order."""
    return [(documents[record["id"]], record) for record in annotations]


def split_by_document(pairs: list[tuple], share: float, seed: int) -> Split:
    """A dev share of the documents (at least one when there are two or more), never one document on both sides."""
    ids = sorted({document["id"] for document, _ in pairs})
    random.Random(seed).shuffle(ids)
    count = min(len(ids) - 1, max(1, round(len(ids) * share))) if len(ids) > 1 else 0
    dev_ids = set(ids[:count])
    return Split(
        [pair for pair in pairs if pair[0]["id"] not in dev_ids], [pair for pair in pairs if pair[0]["id"] in dev_ids]
    )


def data_hash(pairs: Iterable[tuple]) -> str:
    """SHA-256 of what the model learns from: each text's hash with its entities and claim spans, in order."""
    digest = hashlib.sha256()
    for document, record in pairs:
        entities = [[item["start"], item["end"], item["label"]] for item in record.get("entities", [])]
        claims = [[item["start"], item["end"]] for item in record.get("claims", [])]
        line = [document["text_sha256"], entities, claims]
        digest.update(json.dumps(line, separators=(",", ":")).encode("utf-8") + b"\n")
    return digest.hexdigest()


def _spans(doc, items: Iterable[Mapping[str, Any]], label_of) -> list:
    spans = []
    for item in items:
        found = doc.char_span(item["start"], item["end"], label=label_of(item), alignment_mode="expand")
        if found is not None and len(found):
            spans.append(found)
    return spans


def training_doc(nlp, document: Mapping[str, Any], record: Mapping[str, Any]):
    """The reference Doc of one annotation record (its id in ``user_data``)."""
    from spacy.util import filter_spans

    doc = nlp.make_doc(document["text"])
    doc.user_data["id"] = document["id"]
    doc.ents = filter_spans(_spans(doc, record.get("entities", []), lambda item: item["label"]))
    doc.spans[CLAIMS_KEY] = filter_spans(_spans(doc, record.get("claims", []), lambda item: CLAIM_LABEL))
    return doc


def _cuts(doc, piece_tokens: int) -> list[int]:
    """Token indices where ``doc`` is cut into pieces of about ``piece_tokens``: only after a line break, never
    inside an entity or a claim (a single line longer than that stays whole)."""
    inside = {i for span in [*doc.ents, *doc.spans[CLAIMS_KEY]] for i in range(span.start + 1, span.end)}
    breaks = [t.i + 1 for t in doc[:-1] if t.is_space and "\n" in t.text and t.i + 1 not in inside]
    cuts, start, previous = [], 0, 0
    for cut in breaks:
        if cut - start > piece_tokens and previous > start:
            cuts.append(previous)
            start = previous
        previous = cut
    if len(doc) - start > piece_tokens and previous > start:
        cuts.append(previous)
    return cuts


def _within(items: Iterable[Mapping[str, Any]], start: int, end: int) -> list[dict]:
    """The items inside [start, end), their offsets shifted to it."""
    return [
        {**item, "start": item["start"] - start, "end": item["end"] - start}
        for item in items
        if start <= item["start"] and item["end"] <= end
    ]


def training_docs(nlp, document: Mapping[str, Any], record: Mapping[str, Any], piece_tokens: int = 0) -> list:
    """The reference Docs of one record: the whole document, or (``piece_tokens`` > 0) pieces of about that many
    tokens cut at line breaks, each an example of its own (more, smaller updates per pass over the data)."""
    doc = training_doc(nlp, document, record)
    if not piece_tokens or len(doc) <= piece_tokens:
        return [doc]
    bounds = [0, *(doc[cut].idx for cut in _cuts(doc, piece_tokens)), len(doc.text)]
    pieces = []
    for number, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        part = {"id": f"{document['id']}#{number}", "text": document["text"][start:end]}
        shifted = {key: _within(record.get(key, []), start, end) for key in ("entities", "claims")}
        pieces.append(training_doc(nlp, part, shifted))
    return pieces


def write_docbin(nlp, pairs: Iterable[tuple], path, piece_tokens: int = 0) -> int:
    """The reference Docs of ``pairs`` (see `training_docs`) as a DocBin file; returns how many."""
    from spacy.tokens import DocBin

    docs = DocBin(store_user_data=True)
    count = 0
    for document, record in pairs:
        for doc in training_docs(nlp, document, record, piece_tokens):
            docs.add(doc)
            count += 1
    docs.to_disk(path)
    return count


def entity_labels(pairs: Iterable[tuple]) -> list[str]:
    return sorted({item["label"] for _, record in pairs for item in record.get("entities", [])})


def has_claims(pairs: Iterable[tuple]) -> bool:
    return any(record.get("claims") for _, record in pairs)
