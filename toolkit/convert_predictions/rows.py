"""Rows of the dataset's ``documents`` config → prediction records (a round trip of the published format).

A row holds ``id``, optionally ``text``, and ``entities`` (``{start, end, label, ...}``) and ``claims``
(``{start, end, stance, claimer_kind, claimer_ids, ...}``) as the config stores them; labels are names or
``ClassLabel`` indices (what ``Dataset.to_json`` writes).  A claimer named in the text becomes the span of its
first mention listed in ``claimer_ids``.  Read from JSONL (``Dataset.to_json``) or parquet (the built files).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

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
from toolkit.files import iter_jsonl
from toolkit.inventory import ENTITY_CLAIMER, load_inventory


def _name(value: Any, names: list[str], where: str, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return names[value]
    if isinstance(value, str) and value in names:
        return value
    raise Bad(where, f"got {value!r} (expected a {what}: one of {', '.join(names)}, or its index)")


def _items(row: Mapping[str, Any], layer: str) -> list:
    items = row.get(layer)
    if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
        raise Bad(layer, f"got {items!r:.40} (expected a list of spans, as the documents config stores them)")
    return items


def add_row(builder: RecordBuilder, row: Mapping[str, Any], text: str) -> None:
    inventory = load_inventory()
    if "text" in row and row["text"] != text:
        raise Bad("text", "differs from the document's text (expected the row of this document)")
    mentions = {}
    for index, item in enumerate(_items(row, "entities")):
        where = f"entities[{index}]"
        start, end = span(text, item.get("start"), item.get("end"), where)
        label = _name(item.get("label"), inventory.entity_names, f"{where}.label", "entity label")
        builder.entities.append(entity(text, start, end, label))
        mentions.setdefault(item.get("id"), (start, end))
    claims = []
    for index, item in enumerate(_items(row, "claims")):
        where = f"claims[{index}]"
        start, end = span(text, item.get("start"), item.get("end"), where)
        stance = _name(item.get("stance"), inventory.stance_names, f"{where}.stance", "stance")
        kind = _name(item.get("claimer_kind"), inventory.claimer_kind_names, f"{where}.claimer_kind", "claimer kind")
        if kind == ENTITY_CLAIMER:
            ids = item.get("claimer_ids") or []
            if not ids or ids[0] not in mentions:
                raise Bad(f"{where}.claimer_ids", f"got {ids!r} (expected the id of an entity of this row)")
            claimer: str | dict = claimer_span(text, *mentions[ids[0]])
        else:
            claimer = kind.upper()
        claims.append(claim(text, start, end, stance, claimer))
    builder.add_claims(claims)


def from_documents_row(row: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """One prediction record from one row of the ``documents`` config (as ``load_dataset`` returns it)."""
    return convert_one(document, lambda builder, text: add_row(builder, row, text))


def _parquet_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path).read()  # not read_table: it imports pandas
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError... on a file that is not parquet
        raise InputError(
            f"{path}: not a parquet file ({type(error).__name__}) (expected a documents config file)"
        ) from None
    for index, row in enumerate(table.to_pylist()):
        yield f"rows[{index}]", row


def read_documents_rows(path: Path, documents: Documents) -> list[dict[str, Any]]:
    collector = Collector(str(path))
    builders: dict[str, RecordBuilder] = {}
    if Path(path).suffix == ".parquet":
        rows = ((0, where, row) for where, row in _parquet_rows(path))
    else:
        rows = ((line, None, row) for line, row in iter_jsonl(path))
    for line, where, row in rows:
        with collector.at(line), inside(where):
            document = document_for(documents, row.get("id"))
            if document["id"] in builders:
                raise Bad("id", f"{document['id']!r} has a second row (expected one row per document)")
            builders[document["id"]] = RecordBuilder(document["id"])
            add_row(builders[document["id"]], row, document["text"])
    return finish(builders, documents, collector)
