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

import numbers
import os
from collections.abc import Iterator, Mapping
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
from toolkit.extras import require_extra
from toolkit.files import check_input, read_bytes
from toolkit.inventory import load_inventory

DEFAULT_SPANS_KEY = "claims"
DOCBIN = "a spaCy DocBin file (.spacy)"
PAYLOAD_BASE = 1 << 20  # bytes a DocBin of few, short documents may decompress to
PAYLOAD_PER_CHARACTER = 256  # and per character of the documents' texts (see `docbin_limits`)
NO_USER_DATA = "; the Doc has no user_data: a DocBin keeps span extensions only when saved with store_user_data=True"
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


def _spacy_reason(error: Exception) -> str:
    """spaCy's own words for what is wrong with a Doc (``[E093] ... I without B``), on one line."""
    return " ".join(str(error).split())[:200] or type(error).__name__


def _entities(doc: Any) -> list:
    """``doc.ents``, which spaCy computes from the token attributes: an ``ENT_TYPE`` not in the ``StringStore`` or an
    ``I`` without its ``B`` is a problem of this Doc, not a crash."""
    try:
        return list(doc.ents)
    except Exception as error:  # spaCy raises ValueError (E084, E093) or KeyError on attributes a DocBin can hold
        raise Bad("ents", f"unreadable: {_spacy_reason(error)} (expected entities spaCy can read)") from None


def _scores(group: Any, where: str) -> list[float | None]:
    """A span group's ``attrs["scores"]`` (spancat): one probability per span, or nothing."""
    scores = group.attrs.get("scores")
    if scores is None:
        return [None] * len(group)
    if isinstance(scores, (str, bytes, Mapping)) or not hasattr(scores, "__len__") or not hasattr(scores, "__iter__"):
        raise Bad(where, f"got {type(scores).__name__} {scores!r:.40} (expected a list of one score per span)")
    if len(scores) != len(group):
        raise Bad(where, f"{len(scores)} score(s) for {len(group)} span(s) (expected one score per span)")
    checked = []
    for index, score in enumerate(scores):
        if isinstance(score, bool) or not isinstance(score, numbers.Real) or not 0 <= score <= 1:
            raise Bad(f"{where}[{index}]", f"got {score!r:.40} (expected a probability between 0 and 1)")
        checked.append(float(score))
    return checked


def add_doc(builder: RecordBuilder, doc: Any, text: str, spans_key: str, labels: LabelMap) -> None:
    if doc.text != text:
        at = next((i for i, (a, b) in enumerate(zip(doc.text, text, strict=False)) if a != b), len(text))
        at = min(at, len(doc.text))
        raise Bad("text", f"differs from the document text at offset {at} (expected a Doc made from the document text)")
    for index, ent in enumerate(_entities(doc)):
        label = labels.entity(ent.label_, f"ents[{index}].label_")
        if label is not None:
            builder.entities.append(entity(text, ent.start_char, ent.end_char, label))
    if spans_key not in doc.spans:
        return
    _register_extensions()
    group = doc.spans[spans_key]
    scores = _scores(group, f"spans[{spans_key!r}].attrs['scores']")
    claims = []
    for index, (claim_span, score) in enumerate(zip(group, scores, strict=True)):
        where = f"spans[{spans_key!r}][{index}]"
        stance_source = claim_span._.stance if claim_span._.stance is not None else claim_span.label_
        stance = labels.stance(stance_source, f"{where}._.stance" if claim_span._.stance else f"{where}.label_")
        if stance is None:
            continue
        if claim_span._.claimer is None:
            hint = "" if doc.user_data else NO_USER_DATA
            raise Bad(f"{where}._.claimer", f"not set (expected 'AUTHOR', 'UNNAMED' or the claimer's Span){hint}")
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


def docbin_limits(documents: Documents) -> tuple[int, int, int]:
    """What a DocBin for ``documents`` may hold: ``(payload bytes, docs, tokens)``.  A Doc is one document, a token
    at least one character of its text; a token costs about 110 bytes in a DocBin (13 attributes), its spans a few
    more, so `PAYLOAD_PER_CHARACTER` is generous for a real file and stops a small file that decompresses to
    gigabytes."""
    characters = sum(len(document["text"]) for document in documents.values())
    return PAYLOAD_BASE + PAYLOAD_PER_CHARACTER * characters, len(documents), characters


def _checked_payload(data: bytes, path: Path, limit: int) -> None:
    """Decompress ``data`` a chunk at a time, keeping nothing, to refuse a payload over ``limit`` bytes before
    spaCy decompresses it whole."""
    import zlib

    inflater, size = zlib.decompressobj(), 0
    pending = data
    try:
        while pending and not inflater.eof:
            size += len(inflater.decompress(pending, 1 << 20))
            pending = inflater.unconsumed_tail
            if size > limit:
                raise InputError(
                    f"{path}: decompresses to more than {limit:,} bytes, the limit for these documents "
                    f"({PAYLOAD_BASE:,} + {PAYLOAD_PER_CHARACTER} per character of their texts) "
                    "(expected the DocBin of these documents)"
                )
    except zlib.error:
        return  # not zlib data: spaCy says it is not a DocBin


def load_docbin(path: Path, documents: Documents) -> Iterator[Any]:
    """The Docs of a ``.spacy`` file (msgpack, read by spaCy's DocBin; strings come with the file), one at a time,
    after checking that the file is no bigger than a DocBin of ``documents`` can be (`docbin_limits`)."""
    require_extra("spacy")
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    payload, most_docs, most_tokens = docbin_limits(documents)
    check_input(path, DOCBIN)
    if os.stat(path).st_size > payload:
        raise InputError(f"{path}: larger than {payload:,} bytes, the limit for these documents (expected {DOCBIN})")
    data = read_bytes(path, DOCBIN)
    _checked_payload(data, path, payload)
    try:
        docbin = DocBin().from_bytes(data)
    except Exception as error:  # spaCy raises ValueError, KeyError, TypeError... on a file that is not a DocBin
        raise InputError(f"{path}: not a spaCy DocBin ({type(error).__name__}) (expected {DOCBIN})") from None
    tokens = sum(len(doc_tokens) for doc_tokens in docbin.tokens)
    if len(docbin) > most_docs or tokens > most_tokens:
        raise InputError(
            f"{path}: {len(docbin):,} Doc(s) of {tokens:,} token(s), more than the documents allow "
            f"(at most {most_docs:,} Docs, one per document, and {most_tokens:,} tokens, one per character) "
            f"(expected the DocBin of these documents)"
        )
    docs = docbin.get_docs(Vocab())
    for index in range(len(docbin)):
        try:
            yield next(docs)
        except Exception as error:  # the attributes of Doc `index` are not a valid Doc (spaCy's E093...)
            raise Bad(f"docs[{index}]", f"unreadable: {_spacy_reason(error)} (expected a Doc spaCy can read)") from None


def read_docbin(path: Path, documents: Documents, spans_key: str, labels: LabelMap) -> list[dict[str, Any]]:
    collector = Collector(str(path))
    by_text: dict[str, list[str]] = {}
    for doc_id, document in documents.items():
        by_text.setdefault(document["text"], []).append(doc_id)
    builders: dict[str, RecordBuilder] = {}
    with collector.at(0):  # a Doc spaCy cannot read ends the file: the Docs after it cannot be reached
        for index, doc in enumerate(load_docbin(path, documents)):
            with collector.at(0), inside(f"docs[{index}]"):
                doc_id = doc.user_data.get("id")
                if doc_id is None:
                    found = by_text.get(doc.text, [])
                    if len(found) != 1:
                        why = "no document has this text" if not found else f"documents {found} share this text"
                        raise Bad(
                            "user_data['id']",
                            f"not set and {why} (expected user_data['id'] = the document id, "
                            "saved with DocBin(store_user_data=True))",
                        )
                    doc_id = found[0]
                document = document_for(documents, doc_id, "user_data['id']")
                if doc_id in builders:
                    raise Bad(
                        "user_data['id']", f"{doc_id!r} is a second Doc for the same document (expected one Doc each)"
                    )
                builders[doc_id] = RecordBuilder(doc_id)
                add_doc(builders[doc_id], doc, document["text"], spans_key, labels)
    return finish(builders, documents, collector)
