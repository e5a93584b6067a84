"""Prediction records the short way: what nearly every submitted file takes, checked in C and over arrays.

msgspec decodes each line into typed records (types, keys, label, stance and
claimer names checked in C), then a yes/no check over flat arrays (offsets,
``text`` slices, duplicates, ids) builds the columns directly.  That check is
at least as strict as `toolkit.validate` (a record it accepts, the validator
accepts); whenever anything looks off (a line that does not decode, a float
where an integer is expected, an unknown label, an offset past the end, a
duplicate, an unknown id...) it gives up, returns ``None``, and the input goes
through the validator (`toolkit.scoring.predictions`), which reports every
problem by file and line (or record) and field.  So the messages never change;
only valid inputs take the short way.

Kept by measurement (2026-12-07, bench_eval's corpus of 5,000 documents, fast engine, best of 3, interleaved):
scoring the predictions takes 0.77 s this way and 3.09 s through the validator alone, which would put
``toolkit eval`` below the 5x-nervaluate target of ``benchmarks/bench_eval.py``.  The figures are identical.

Over 300 lines on purpose: the decoder's types, the array checks and the two-process split must agree on every
record, and they are easier to keep in step read together.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import Literal

import numpy as np

from toolkit.files import BOM, numpy_number, read_bytes
from toolkit.inventory import load_inventory
from toolkit.schemas import ID_PATTERN
from toolkit.scoring.engines import thresholds
from toolkit.scoring.forked import arrays_from_bytes, arrays_to_bytes, beside_a_child
from toolkit.scoring.spans import KIND_SPANS, ClaimColumns, EntityColumns, Predictions, repeated
from toolkit.scoring.statistics import LAYERS


class _Unsure(Exception):
    """The short way does not vouch for this file: let the full validator look at it."""


def read_file(path: Path, gold, ignore_extra: bool) -> Predictions | None:
    """The predictions of a file that passes every check, or ``None`` (then the validator must explain)."""
    data = read_bytes(path, "a JSONL file of prediction records")  # the one reader: a FIFO is refused, not read
    return None if data.startswith(BOM) else _read_bytes(data, gold, ignore_extra)  # a BOM is the validator's to report


def read_records(records: Iterable, gold, ignore_extra: bool) -> Predictions | None:
    """The same for records given in memory, read as the JSON lines msgspec writes of them (what JSON cannot hold,
    or a number that is not finite, sends them to the validator)."""
    import msgspec

    encode = msgspec.json.Encoder(enc_hook=numpy_number).encode
    try:
        data = b"\n".join(map(encode, records))
    except (TypeError, ValueError, OverflowError, RecursionError):  # the validator says what is wrong
        return None
    return _read_bytes(data, gold, ignore_extra)


def _read_bytes(data: bytes, gold, ignore_extra: bool) -> Predictions | None:
    """Predictions from JSON lines, or ``None``.

    ``gold.texts()`` is indexed only to compare a ``text`` field; the text lengths bound every offset.  Data of
    `thresholds.PARALLEL_BYTES` or more is read in two halves on two cores where that is safe.
    """
    try:
        inventory = load_inventory()
        lengths = gold.text_lengths()
        vocabulary = _Vocabulary(
            gold.texts(),
            lengths,
            lengths.tolist(),
            {name: i for i, name in enumerate(inventory.entity_names)},
            {name: i for i, name in enumerate(inventory.stance_names)},
            {
                keyword: inventory.claimer_kind_names.index(kind)
                for keyword, kind in inventory.prediction_claimer_keywords.items()
            },
            b'"text"' in data or b"\\u" in data,  # a key may be written with escapes ("te\\u0078t")
        )
        position = gold.position
        if thresholds.in_two_halves(len(data), thresholds.PARALLEL_BYTES):
            return _read_in_halves(data, vocabulary, position, ignore_extra)
        return _read(data, vocabulary, position, ignore_extra)
    except (_Unsure, OverflowError):  # OverflowError: an offset beyond int64
        return None


def _read_in_halves(
    data: bytes, vocabulary: _Vocabulary, position: Mapping[str, int], ignore_extra: bool
) -> Predictions:
    """The last lines read by a forked child while this process reads those before, then merged.

    Halves by bytes: the child also encodes what it read for the pipe, and this process decodes and merges it, so
    the two spend about the same CPU time.
    """
    middle = data.find(b"\n", len(data) // 2) + 1
    if not middle:
        return _read(data, vocabulary, position, ignore_extra)
    first, payload = beside_a_child(
        lambda: _read(data[:middle], vocabulary, position, ignore_extra),
        lambda: _to_bytes(_read(data[middle:], vocabulary, position, ignore_extra)),
    )
    if payload is None:
        raise _Unsure
    second = _from_bytes(payload)
    if first.present & second.present:
        raise _Unsure  # a document predicted in both halves
    entities = EntityColumns.concatenate([first.entities, second.entities])
    claims = ClaimColumns.concatenate([first.claims, second.claims])
    layers = set(first.layers) | set(second.layers)
    return Predictions(
        entities,
        claims,
        first.present | second.present,
        [layer for layer in LAYERS if layer in layers],
        sorted(first.extra + second.extra),
    )


def _to_bytes(predictions: Predictions) -> bytes:
    """A child's predictions as arrays (the ids it ignored, its layers and documents in one JSON text)."""
    meta = json.dumps(
        {"present": sorted(predictions.present), "layers": predictions.layers, "extra": predictions.extra}
    ).encode("utf-8")
    return arrays_to_bytes(
        [*predictions.entities.fields(), *predictions.claims.arrays(), np.frombuffer(meta, dtype=np.uint8)]
    )


def _from_bytes(payload: bytes) -> Predictions:
    arrays = arrays_from_bytes(payload, 4 + len(ClaimColumns.ARRAYS) + 1)
    meta = json.loads(arrays[-1].tobytes())
    return Predictions(
        EntityColumns(*arrays[:4]),
        ClaimColumns(*arrays[4:-1], single_span=True),
        set(meta["present"]),
        meta["layers"],
        meta["extra"],
    )


@dataclass
class _Vocabulary:
    """What the checks compare against, computed once per file."""

    texts: Sequence[str]
    lengths: np.ndarray
    length_list: list[int]
    label_index: dict[str, int]
    stance_index: dict[str, int]
    keyword_kinds: dict[str, int]  # a predicted claimer keyword: the index of its claimer kind
    any_text: (
        bool  # the file may have a "text" key: only then are entity texts compared (and, from a compiled gold, decoded)
    )


@functools.cache
def _record_decoder():
    """A msgspec decoder of one prediction record: the schema's types, keys and label/stance/claimer names,
    checked in C.

    Anything else (a float or bool offset, ``null``, an unknown key or label, an
    integer beyond 64 bits) fails the decoding and sends the file to the validator.
    """
    import msgspec

    inventory = load_inventory()
    unset = msgspec.UnsetType

    def struct(name: str, fields: list[tuple], optional: tuple[tuple, ...] = ()):
        return msgspec.defstruct(
            name,
            fields + [(field, kind | unset, msgspec.UNSET) for field, kind in optional],
            forbid_unknown_fields=True,
        )

    span = struct("ClaimerSpan", [("start", int), ("end", int)], (("text", str),))
    entity = struct(
        "Entity",
        [("start", int), ("end", int), ("label", Literal[tuple(inventory.entity_names)])],
        (("text", str), ("score", float)),
    )
    claimer = Literal[tuple(inventory.prediction_claimer_keywords)] | span
    claim = struct(
        "Claim",
        [("start", int), ("end", int), ("stance", Literal[tuple(inventory.stance_names)]), ("claimer", claimer)],
        (("text", str), ("score", float)),
    )
    record = struct("Record", [("id", str)], (("entities", list[entity]), ("claims", list[claim])))
    return msgspec.json.Decoder(record), (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError)


def _read(data: bytes, vocabulary: _Vocabulary, position: Mapping[str, int], ignore_extra: bool) -> Predictions:
    """Decoded and checked `thresholds.CHUNK_LINES` lines at a time, so the records of a chunk are freed before
    the next (less memory)."""
    from msgspec import UNSET

    decoder, errors = _record_decoder()
    lines = [line for line in data.split(b"\n") if line and not line.isspace()]
    id_form = re.compile(ID_PATTERN)
    present: set[int] = set()
    extra: list[str] = []
    layers = set()
    entities: list[EntityColumns] = []
    claims = _ClaimRows()
    for first in range(0, len(lines), thresholds.CHUNK_LINES):
        entity_lists: list[tuple[int, list]] = []
        records = []
        for line in lines[first : first + thresholds.CHUNK_LINES]:
            try:
                records.append(decoder.decode(line))
            except errors:
                if not ignore_extra:
                    raise _Unsure from None
                extra.append(
                    _extra_id(line, position, errors)
                )  # the validator skips such a record whatever else it holds
        for record in records:
            index = position.get(record.id)
            if index is None:
                if not ignore_extra:
                    raise _Unsure
                extra.append(record.id)
                continue
            if index in present or not id_form.search(record.id):
                raise _Unsure
            present.add(index)
            if record.entities is not UNSET:
                layers.add("entities")
                entity_lists.append((index, record.entities))
            if record.claims is not UNSET:
                layers.add("claims")
                _claims(record.claims, index, vocabulary, UNSET, claims)
        entities.append(_entities(entity_lists, vocabulary, UNSET))
    merged = EntityColumns.concatenate(entities)
    return Predictions(merged, claims.columns(), present, [layer for layer in LAYERS if layer in layers], sorted(extra))


def _extra_id(line: bytes, position: Mapping[str, int], errors: tuple) -> str:
    """The id of a record that is not a valid prediction, when it names no gold document (else `_Unsure`)."""
    import msgspec

    try:
        record_id = msgspec.json.decode(line, type=msgspec.defstruct("Identified", [("id", str)])).id
    except errors:
        raise _Unsure from None
    if record_id in position:
        raise _Unsure
    return record_id


def _entities(entity_lists: list[tuple[int, list]], vocabulary: _Vocabulary, unset) -> EntityColumns:
    """Every entity of these records checked at once, over flat lists and arrays (types and names are already
    checked)."""
    flat = list(chain.from_iterable(items for _, items in entity_lists))
    doc = np.repeat(
        np.array([index for index, _ in entity_lists], dtype=np.int64), [len(items) for _, items in entity_lists]
    )
    start = np.fromiter(map(attrgetter("start"), flat), dtype=np.int64, count=len(flat))  # beyond int64: OverflowError
    end = np.fromiter(map(attrgetter("end"), flat), dtype=np.int64, count=len(flat))
    label = np.fromiter(
        map(vocabulary.label_index.__getitem__, [item.label for item in flat]), dtype=np.int64, count=len(flat)
    )
    if not ((start >= 0).all() and (end > start).all() and (end <= vocabulary.lengths[doc]).all()):
        raise _Unsure
    columns = EntityColumns(doc, start, end, label)
    if repeated(columns, len(vocabulary.label_index)):
        raise _Unsure  # the same span and label twice in a record
    if vocabulary.any_text:
        for row, item in enumerate(flat):
            if item.text is not unset and item.text != vocabulary.texts[int(doc[row])][item.start : item.end]:
                raise _Unsure
    return columns


def _span(item, index: int, vocabulary: _Vocabulary, unset) -> tuple[int, int]:
    """``(start, end)`` of a claim or claimer span that lies in text ``index`` and matches its ``text`` when given."""
    start, end = item.start, item.end
    if not 0 <= start < end <= vocabulary.length_list[index]:
        raise _Unsure
    if item.text is not unset and item.text != vocabulary.texts[index][start:end]:
        raise _Unsure
    return start, end


@dataclass
class _ClaimRows:
    """Claims as they are read, column by column (see `ClaimColumns`)."""

    doc: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    stance: list[int] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    spans: list[tuple] = field(default_factory=list)

    def columns(self) -> ClaimColumns:
        return ClaimColumns.from_rows(
            self.doc, self.start, self.end, self.stance, self.kind, self.spans, single_span=True
        )


def _claims(items: list, index: int, vocabulary: _Vocabulary, unset, rows: _ClaimRows) -> None:
    """The claims of document ``index``, added to ``rows`` (few per document: plain Python)."""
    seen = set()
    for claim in items:
        start, end = _span(claim, index, vocabulary, unset)
        claimer = claim.claimer
        if type(claimer) is str:
            kind, spans, identity = vocabulary.keyword_kinds[claimer], (), claimer
        else:
            identity = _span(claimer, index, vocabulary, unset)
            kind, spans = KIND_SPANS, (identity,)
        if (start, end, identity) in seen:
            raise _Unsure
        seen.add((start, end, identity))
        rows.doc.append(index)
        rows.start.append(start)
        rows.end.append(end)
        rows.stance.append(vocabulary.stance_index[claim.stance])
        rows.kind.append(kind)
        rows.spans.append(spans)
