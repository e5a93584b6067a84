"""A Hugging Face ``token-classification`` pipeline's output → prediction records.

The pipeline returns, per input text, a list of dicts with ``start``, ``end`` (character offsets into that text),
``score`` and ``word``, and either ``entity_group`` (``aggregation_strategy`` simple, first, average or max: one
dict per entity) or ``entity`` and ``index`` (``aggregation_strategy="none"``: one dict per sub-word token
tagged other than O; runs of tokens are grouped here by their tags, tokens whose indices are not consecutive
being apart).  Offsets must be into the document text: run the pipeline on ``document["text"]``, or give the
``offset`` at which the text it was run on starts (a sentence).  Spaces some tokenizers keep at an entity's
edges are trimmed; ``word`` is compared with the text (ignoring case, accents, spaces and sub-word markers) to
catch output of another text.

File form (``--format huggingface``): JSONL, one line per pipeline call,
``{"id": DOCUMENT_ID, "output": [...], "offset": 0}`` (``offset`` optional).
"""

from __future__ import annotations

import numbers
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from toolkit.convert_predictions.labels import LabelMap
from toolkit.convert_predictions.records import (
    Bad,
    Collector,
    Documents,
    RecordBuilder,
    convert_one,
    document_for,
    entity,
    finish,
)
from toolkit.convert_predictions.tags import DEFAULT_SCHEME, OUTSIDE, Scheme, chunks, scheme_named
from toolkit.files import iter_jsonl

SUBWORD_MARKERS = ("##", "\u2581", "\u0120", "\u010a")  # WordPiece, SentencePiece, byte-level BPE space/newline
UNKNOWN_TOKENS = ("[UNK]", "<unk>")


def _folded(value: str) -> str:
    for marker in SUBWORD_MARKERS:
        value = value.replace(marker, "")
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and not c.isspace()).casefold()


def _located(text: str, item: Mapping[str, Any], offset: int, where: str) -> tuple[int, int]:
    """The item's offsets in the document text, whitespace at the edges trimmed, checked against ``word``."""
    start, end = _integer(item.get("start"), f"{where}.start"), _integer(item.get("end"), f"{where}.end")
    start, end = start + offset, end + offset
    if not 0 <= start < end <= len(text):
        raise Bad(
            where, f"offsets {start}..{end} are outside the document text (expected 0 <= start < end <= {len(text)})"
        )
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise Bad(where, "covers only spaces (expected the offsets of a word of the document text)")
    word = item.get("word")
    checkable = isinstance(word, str) and not any(unknown in word for unknown in UNKNOWN_TOKENS)
    if checkable and _folded(word) != _folded(text[start:end]):
        raise Bad(
            f"{where}.word",
            f"{word!r} is not the document text at {start}..{end} ({text[start:end]!r}) "
            "(expected the output of the pipeline run on this document's text)",
        )
    return start, end


def _integer(value: Any, where: str) -> int:
    """An offset or index, also as the numpy integer a pipeline may return."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise Bad(where, f"got {value!r} (expected an integer from the pipeline)")
    return int(value)


def _score(item: Mapping[str, Any], where: str) -> float | None:
    """The score, also as the numpy float32 the pipeline returns."""
    score = item.get("score")
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, numbers.Real) or not 0 <= score <= 1:
        raise Bad(f"{where}.score", f"got {score!r} (expected a probability between 0 and 1)")
    return float(score)


def _grouped(builder: RecordBuilder, text: str, output: Sequence, offset: int, labels: LabelMap) -> None:
    for position, item in enumerate(output):
        where = f"output[{position}]"
        label = labels.entity(item["entity_group"], f"{where}.entity_group")
        start, end = _located(text, item, offset, where)
        if label is not None:
            builder.entities.append(entity(text, start, end, label, _score(item, where)))


def _tokens(builder: RecordBuilder, text: str, output: Sequence, offset: int, scheme: Scheme, labels: LabelMap):
    """``aggregation_strategy="none"``: the tagged tokens, with O between tokens whose indices are apart."""
    indexed = sorted(
        (_integer(item.get("index", position), f"output[{position}].index"), position, item["entity"])
        for position, item in enumerate(output)
    )
    tags, positions = [], []
    previous = None
    for index, position, tag in indexed:
        if previous is not None and index != previous + 1:
            tags.append(OUTSIDE)
            positions.append(None)
        tags.append(tag)
        positions.append(position)
        previous = index
    try:
        found = chunks(tags, scheme, "entity", bare_is_inside=True)
    except Bad as bad:
        raise Bad(f"output[{positions[bad.index]}].entity", bad.message) from None
    for first, last, label in found:
        where = f"output[{positions[first]}]"
        ours = labels.entity(label, f"{where}.entity")
        members = [output[p] for p in positions[first : last + 1]]  # a chunk never holds an inserted O
        start, _ = _located(text, members[0], offset, where)
        _, end = _located(text, members[-1], offset, f"output[{positions[last]}]")
        scores = [_score(member, where) for member in members]
        score = sum(scores) / len(scores) if None not in scores else None
        if ours is not None:
            builder.entities.append(entity(text, start, end, ours, score))


def add_output(builder: RecordBuilder, text: str, output: Any, offset: int, scheme: Scheme, labels: LabelMap) -> None:
    if not isinstance(output, list) or not all(isinstance(item, Mapping) for item in output):
        raise Bad("output", "expected the pipeline's list of dicts for one text")
    kinds = {("entity_group" in item, "entity" in item) for item in output}
    if kinds == {(True, False)}:
        _grouped(builder, text, output, offset, labels)
    elif kinds == {(False, True)}:
        _tokens(builder, text, output, offset, scheme, labels)
    elif output:
        raise Bad("output", "expected every item to have 'entity_group' (aggregated) or every item 'entity' (none)")


def from_huggingface(
    output: Sequence[Mapping[str, Any]],
    document: Mapping[str, Any],
    *,
    offset: int = 0,
    scheme: str = DEFAULT_SCHEME,
    label_map: LabelMap | None = None,
) -> dict[str, Any]:
    """One document's prediction record from ``pipeline(document["text"])``."""
    chosen, labels = scheme_named(scheme), label_map or LabelMap()
    return convert_one(document, lambda builder, text: add_output(builder, text, list(output), offset, chosen, labels))


def read_huggingface(path: Path, documents: Documents, scheme: Scheme, labels: LabelMap) -> list[dict[str, Any]]:
    collector = Collector(str(path))
    builders: dict[str, RecordBuilder] = {}
    for line, record in iter_jsonl(path):
        with collector.at(line):
            document = document_for(documents, record.get("id"))
            offset = record.get("offset", 0)
            if type(offset) is not int or offset < 0:
                raise Bad("offset", f"got {offset!r} (expected where the text given to the pipeline starts, >= 0)")
            builder = builders.setdefault(document["id"], RecordBuilder(document["id"]))
            add_output(builder, document["text"], record.get("output"), offset, scheme, labels)
    return finish(builders, documents, collector)
