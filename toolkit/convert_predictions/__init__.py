"""Any model's output → voci prediction records, checked against the document text.

Library functions for one object each (`from_tags`, `from_huggingface`, `from_spacy`, `from_documents_row`)
and one registry of file formats (`FORMATS`, used by `convert_file` and ``toolkit convert-predictions``).  Every
record produced is what ``toolkit validate --kind prediction`` accepts; labels outside the inventory are
refused unless a `LabelMap` maps them.  Submissions are data: nothing read here runs code (DocBin is msgpack).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.convert_predictions.conll import read_conll
from toolkit.convert_predictions.huggingface import from_huggingface, read_huggingface
from toolkit.convert_predictions.inputs import load_texts
from toolkit.convert_predictions.labels import LabelMap
from toolkit.convert_predictions.records import Documents, check_predictions
from toolkit.convert_predictions.rows import from_documents_row, read_documents_rows
from toolkit.convert_predictions.spacy_docs import DEFAULT_SPANS_KEY, from_spacy, read_docbin
from toolkit.convert_predictions.tagged import read_tagged
from toolkit.convert_predictions.tags import DEFAULT_SCHEME, SCHEMES, chunks, from_tags, scheme_named
from toolkit.errors import InputError, mention


@dataclass(frozen=True)
class ConvertOptions:
    """What a format may take besides the file; None = not given (the format's default)."""

    scheme: str | None = None
    spans_key: str | None = None
    label_map: LabelMap = field(default_factory=LabelMap)


@dataclass(frozen=True)
class InputFormat:
    name: str
    summary: str  # one line for --help
    read: Callable[[Path, Documents, ConvertOptions], list[dict[str, Any]]]
    options: frozenset[str]  # which of ConvertOptions' optional settings apply


def _scheme(options: ConvertOptions):
    return scheme_named(options.scheme or DEFAULT_SCHEME)


FORMATS: dict[str, InputFormat] = {
    fmt.name: fmt
    for fmt in (
        InputFormat(
            "tags",
            "JSONL, a document or sentence per line: doc_id, token_starts, token_ends, ner_tags (tokens optional)",
            lambda path, docs, o: read_tagged(path, docs, _scheme(o), o.label_map),
            frozenset({"scheme", "label_map"}),
        ),
        InputFormat(
            "conll",
            "one token and its tag per line (tag last), blank line between sentences, "
            "-DOCSTART- or '# newdoc id = ID' between documents",
            lambda path, docs, o: read_conll(path, docs, _scheme(o), o.label_map),
            frozenset({"scheme", "label_map"}),
        ),
        InputFormat(
            "huggingface",
            'JSONL of token-classification pipeline output: {"id": ..., "output": [...], "offset": 0}',
            lambda path, docs, o: read_huggingface(path, docs, _scheme(o), o.label_map),
            frozenset({"scheme", "label_map"}),
        ),
        InputFormat(
            "spacy",
            "a spaCy DocBin (.spacy): doc.ents, and claims from doc.spans[--spans-key]",
            lambda path, docs, o: read_docbin(path, docs, o.spans_key or DEFAULT_SPANS_KEY, o.label_map),
            frozenset({"spans_key", "label_map"}),
        ),
        InputFormat(
            "documents",
            "rows of the dataset's documents config (JSONL from Dataset.to_json, or parquet): a round trip",
            lambda path, docs, o: read_documents_rows(path, docs),
            frozenset(),
        ),
    )
}


def convert_file(
    path: str | Path, format_name: str, documents: Documents, options: ConvertOptions | None = None
) -> list[dict[str, Any]]:
    """The prediction records of one file in a registered format, in documents-file order, all checked."""
    options = options or ConvertOptions()
    if format_name not in FORMATS:
        raise InputError(f"{format_name!r} is not a format (expected one of: {', '.join(FORMATS)})", parameter="format")
    fmt = FORMATS[format_name]
    given = {"scheme": options.scheme, "spans_key": options.spans_key, "label_map": options.label_map.mapping or None}
    for name, value in given.items():
        if value is not None and name not in fmt.options:
            raise InputError(f"does not apply to {mention('format')} {format_name}", parameter=name)
    return fmt.read(Path(path), documents, options)


__all__ = [
    "FORMATS",
    "SCHEMES",
    "ConvertOptions",
    "InputFormat",
    "LabelMap",
    "check_predictions",
    "chunks",
    "convert_file",
    "from_documents_row",
    "from_huggingface",
    "from_spacy",
    "from_tags",
    "load_texts",
]
