"""spaCy ``Doc`` objects and ``DocBin`` files → prediction records.

Entities are ``doc.ents``.  Claims, when the Doc has a span group under ``spans_key`` (default ``"claims"``), are
its spans, each with a stance and a claimer: the stance from the span extension ``span._.stance`` or else the
span's label; the claimer from ``span._.claimer``: ``"AUTHOR"`` or ``"UNNAMED"``, the character offsets of its
mention (``[start, end]`` or ``{"start": ..., "end": ...}``), or in memory a ``Span`` of the same Doc (a DocBin
cannot store a Span in ``user_data``).  The converter registers the two
extensions (default None) when they are missing.  A span group's ``attrs["scores"]`` (spancat) become scores.

A Doc's text must be the document's text.  In a DocBin (``--format spacy``, msgpack: no code is loaded), each Doc
is found by ``doc.user_data["id"]`` (stored with ``DocBin(store_user_data=True)``) or else by its text.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toolkit.convert_predictions.labels import LabelMap
from toolkit.convert_predictions.records import (
    Bad,
    Collector,
    Documents,
    RecordBuilder,
    claim,
    claimer_span,
    convert_one,
    document_for,
    entity,
    finish,
    inside,
    span,
)
from toolkit.errors import InputError
from toolkit.inventory import load_inventory

DEFAULT_SPANS_KEY = "claims"
EXTENSIONS = ("stance", "claimer")


def _register_extensions() -> None:
    from spacy.tokens import Span

    for name in EXTENSIONS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)


def _claimer(value: Any, text: str, where: str) -> str | dict[str, Any]:
    keywords = load_inventory().prediction_claimer_keywords
    if isinstance(value, str) and value.upper() in keywords:
        return value.upper()
    if hasattr(value, "start_char") and hasattr(value, "end_char"):
        return claimer_span(text, *span(text, value.start_char, value.end_char, where))
    if isinstance(value, Mapping) and {"start", "end"} <= set(value):
        return claimer_span(text, *span(text, value["start"], value["end"], where))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return claimer_span(text, *span(text, value[0], value[1], where))
    raise Bad(
        where,
        f"got {value!r:.60} (expected {' or '.join(map(repr, sorted(keywords)))}, a Span of this Doc, "
        "or [start, end] character offsets)",
    )


def add_doc(builder: RecordBuilder, doc: Any, text: str, spans_key: str, labels: LabelMap) -> None:
    if doc.text != text:
        at = next((i for i, (a, b) in enumerate(zip(doc.text, text, strict=False)) if a != b), len(text))
        at = min(at, len(doc.text))
        raise Bad("text", f"differs from the document text at offset {at} (expected a Doc made from the document text)")
    for index, ent in enumerate(doc.ents):
        label = labels.entity(ent.label_, f"ents[{index}].label_")
        if label is not None:
            builder.entities.append(entity(text, ent.start_char, ent.end_char, label))
    if spans_key not in doc.spans:
        return
    _register_extensions()
    group = doc.spans[spans_key]
    scores = group.attrs.get("scores")
    scores = list(scores) if scores is not None and len(scores) == len(group) else [None] * len(group)
    claims = []
    for index, (claim_span, score) in enumerate(zip(group, scores, strict=True)):
        where = f"spans[{spans_key!r}][{index}]"
        stance_source = claim_span._.stance if claim_span._.stance is not None else claim_span.label_
        stance = labels.stance(stance_source, f"{where}._.stance" if claim_span._.stance else f"{where}.label_")
        if stance is None:
            continue
        if claim_span._.claimer is None:
            raise Bad(f"{where}._.claimer", "not set (expected 'AUTHOR', 'UNNAMED' or the claimer's Span)")
        claimer = _claimer(claim_span._.claimer, text, f"{where}._.claimer")
        claims.append(claim(text, claim_span.start_char, claim_span.end_char, stance, claimer, score))
    builder.add_claims(claims)


def from_spacy(
    doc: Any,
    document: Mapping[str, Any],
    *,
    spans_key: str = DEFAULT_SPANS_KEY,
    label_map: LabelMap | None = None,
) -> dict[str, Any]:
    """One document's prediction record from a spaCy ``Doc`` made from its text (``nlp(document["text"])``)."""
    labels = label_map or LabelMap()
    return convert_one(document, lambda builder, text: add_doc(builder, doc, text, spans_key, labels))


def load_docbin(path: Path) -> list[Any]:
    """The Docs of a ``.spacy`` file (msgpack, read by spaCy's DocBin; strings come with the file)."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found (expected a spaCy DocBin file, .spacy)") from None
    try:
        return list(DocBin().from_bytes(data).get_docs(Vocab()))
    except Exception as error:  # spaCy raises ValueError, KeyError, TypeError... on a file that is not a DocBin
        raise InputError(
            f"{path}: not a spaCy DocBin ({type(error).__name__}) (expected a file written by DocBin.to_disk)"
        ) from None


def read_docbin(path: Path, documents: Documents, spans_key: str, labels: LabelMap) -> list[dict[str, Any]]:
    collector = Collector(str(path))
    by_text: dict[str, list[str]] = {}
    for doc_id, document in documents.items():
        by_text.setdefault(document["text"], []).append(doc_id)
    builders: dict[str, RecordBuilder] = {}
    for index, doc in enumerate(load_docbin(path)):
        with collector.at(0), inside(f"docs[{index}]"):
            doc_id = doc.user_data.get("id")
            if doc_id is None:
                found = by_text.get(doc.text, [])
                if len(found) != 1:
                    why = "no document has this text" if not found else f"documents {found} share this text"
                    raise Bad("user_data['id']", f"not set and {why} (expected user_data['id'] = the document id)")
                doc_id = found[0]
            document = document_for(documents, doc_id, "user_data['id']")
            if doc_id in builders:
                raise Bad(
                    "user_data['id']", f"{doc_id!r} is a second Doc for the same document (expected one Doc each)"
                )
            builders[doc_id] = RecordBuilder(doc_id)
            add_doc(builders[doc_id], doc, document["text"], spans_key, labels)
    return finish(builders, documents, collector)
