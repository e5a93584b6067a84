"""The value of a document field for every gold document, for ``toolkit eval --by FIELD`` (``by`` in the result).

A gold JSONL's documents carry every key of the documents file; a built folder (or a Hub dataset) is asked its
``documents`` config for the column, and ``split`` is the split its file belongs to.  ``published`` is grouped by
year (its first four digits).  A document without the field is grouped under `MISSING`; a field no document has
a value for is refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from toolkit.built import BuiltFolder, split_of
from toolkit.errors import InputError
from toolkit.files import open_parquet, parquet_batches
from toolkit.scoring.gold.gold import Gold

MISSING = "(none)"
UNGROUPED = ("text", "text_sha256", "entities", "claims")  # each document's own: a group per document
YEAR = re.compile(r"\d{4}")


def _as_value(field: str, value: Any) -> str:
    if value is None or value == "":
        return MISSING
    if field == "published" and isinstance(value, str) and YEAR.match(value):
        return value[:4]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def document_values(gold: Gold, field: str) -> list[str]:
    """The value of ``field`` for each gold document (gold order); `InputError` when no document has the field."""
    if field in UNGROUPED:
        raise InputError(
            f"{field!r} is not a field to group documents by (every document has its own; expected a field "
            "such as source, published, split)",
            parameter="by",
        )
    found = (
        [gold.documents[doc_id].get(field) for doc_id in gold.ids]
        if gold.folder is None
        else _built_values(gold, field)
    )
    if all(value in (None, "") for value in found):  # a built folder has every column, null where a document has none
        raise InputError(
            f"no document of {gold.source()} has the field {field!r} (expected a key the documents carry, "
            "e.g. source, published, split)",
            parameter="by",
        )
    return [_as_value(field, value) for value in found]


def _built_values(gold: Gold, field: str) -> list[Any]:
    built = BuiltFolder.open(Path(gold.folder))
    files = built.split_files(gold.split)
    position = gold.position
    values: list[Any] = [None] * len(gold.ids)
    if field == "split":
        for path in files:
            split = split_of(path.name)
            for batch in parquet_batches(path, ["id"]):
                for doc_id in batch.column("id").to_pylist():
                    if doc_id in position:
                        values[position[doc_id]] = split
        return values
    if not files or field not in open_parquet(files[0]).schema_arrow.names:
        return values
    for path in files:
        for batch in parquet_batches(path, ["id", field]):
            for doc_id, value in zip(batch.column("id").to_pylist(), batch.column(field).to_pylist(), strict=True):
                if doc_id in position:
                    values[position[doc_id]] = value
    return values
