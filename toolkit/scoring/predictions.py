"""Prediction records as the scorer needs them: flat entity columns and claim tuples per gold document.

Nearly every submitted file is valid, so it is first read the short way:
orjson, then a yes/no check over flat lists (types, keys, labels, offsets,
``text`` slices, duplicates) that builds the columns directly.  That check is
at least as strict as `toolkit.validate.validate_file` (a record it accepts,
the validator accepts); whenever anything looks off (a line orjson cannot
read, a float where an integer is expected, an unknown label, an offset past
the end, a duplicate, an unknown id...) it gives up and the file goes through
`validate_file`, which reports every problem by file, line and field.  So the
messages never change; only valid files take the short way.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from pathlib import Path

import numpy as np

from toolkit.files import BOM
from toolkit.inventory import load_inventory
from toolkit.schemas import ID_PATTERN
from toolkit.scoring.columns import EntityColumns, repeated

RECORD_KEYS = frozenset({"id", "entities", "claims"})
ENTITY_REQUIRED, ENTITY_ALLOWED = frozenset({"start", "end", "label"}), frozenset({"start", "end", "label", "text", "score"})
CLAIM_REQUIRED, CLAIM_ALLOWED = frozenset({"start", "end", "stance", "claimer"}), frozenset({"start", "end", "stance", "claimer", "text", "score"})
CLAIMER_REQUIRED, CLAIMER_ALLOWED = frozenset({"start", "end"}), frozenset({"start", "end", "text"})
NUMBER_TYPES = frozenset({int, float})
LAYERS = ("entities", "claims")
CHUNK = 2000  # lines parsed and checked at a time


@dataclass
class Predictions:
    """What a predictions file says about the gold documents, in gold order."""

    entities: EntityColumns
    claims: list[list[tuple]]  # per gold document: (start, end, stance index, claimer kind name or (start, end))
    present: set[int]  # gold documents that have a prediction record
    layers: list[str]  # "entities"/"claims" when at least one record has the key
    extra: list[str]  # ids of ignored records for documents not in gold (--ignore-extra)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while millions of small acyclic objects are built (it would rescan them all, for nothing)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Unsure(Exception):
    """The short way does not vouch for this file: let the full validator look at it."""


def read_fast(path: Path, texts: Sequence[str], position: Mapping[str, int], ignore_extra: bool) -> Predictions | None:
    """The predictions of a file that passes every check, or ``None`` (then `validate_file` must explain)."""
    try:
        return _read(Path(path), texts, position, ignore_extra)
    except (_Unsure, KeyError, TypeError, OverflowError):  # a missing key, an unhashable label or stance, an offset beyond int64
        return None


def _lines(path: Path) -> list[bytes]:
    """The non-blank lines of the file (a BOM is for the validator to report)."""
    try:
        data = path.read_bytes()
    except OSError:
        raise _Unsure from None
    if data.startswith(BOM):
        raise _Unsure
    return [line for line in data.split(b"\n") if line.strip()]


@dataclass
class _Vocabulary:
    """What the checks compare against, computed once per file."""

    texts: Sequence[str]
    lengths: np.ndarray
    position: Mapping[str, int]
    label_index: dict[str, int]
    stance_index: dict[str, int]
    keywords: dict[str, str]


def _read(path: Path, texts: Sequence[str], position: Mapping[str, int], ignore_extra: bool) -> Predictions:
    """Parsed and checked ``CHUNK`` lines at a time, so the parsed objects of a chunk are freed before the next (less memory, faster)."""
    import orjson

    inventory = load_inventory()
    vocabulary = _Vocabulary(
        texts, np.array([len(text) for text in texts], dtype=np.int64), position, {name: i for i, name in enumerate(inventory.entity_names)},
        {name: i for i, name in enumerate(inventory.stance_names)}, inventory.prediction_claimer_keywords,
    )
    id_form = re.compile(ID_PATTERN)
    present: set[int] = set()
    extra: list[str] = []
    layers = set()
    entities: list[EntityColumns] = []
    claims: list[list[tuple]] = [[] for _ in texts]
    lines = _lines(path)
    for first in range(0, len(lines), CHUNK):
        entity_lists: list[tuple[int, list]] = []
        try:
            records = [orjson.loads(line) for line in lines[first:first + CHUNK]]
        except orjson.JSONDecodeError:
            raise _Unsure from None
        for record in records:
            if type(record) is not dict:
                raise _Unsure
            record_id = record.get("id")
            if type(record_id) is not str:
                raise _Unsure
            index = position.get(record_id)
            if index is None:
                if not ignore_extra:
                    raise _Unsure
                extra.append(record_id)
                continue
            if not record.keys() <= RECORD_KEYS or index in present or not id_form.search(record_id):
                raise _Unsure
            present.add(index)
            if "entities" in record:
                entity_lists.append((index, _layer(record, "entities", layers)))
            if "claims" in record:
                claims[index] = _claims(_layer(record, "claims", layers), texts[index], vocabulary)
        entities.append(_entities(entity_lists, vocabulary))
    merged = EntityColumns(*(np.concatenate([getattr(part, name) for part in entities] or [np.zeros(0, np.int64)]) for name in ("doc", "start", "end", "label")))
    return Predictions(merged, claims, present, [layer for layer in LAYERS if layer in layers], sorted(extra))


def _layer(record: dict, layer: str, layers: set) -> list:
    if type(record[layer]) is not list:
        raise _Unsure
    layers.add(layer)
    return record[layer]


def _ints(values: list) -> np.ndarray:
    if set(map(type, values)) - {int}:  # not a bool (an int in Python, not in JSON Schema), not a float
        raise _Unsure
    return np.array(values, dtype=np.int64)


def _entities(entity_lists: list[tuple[int, list]], vocabulary: _Vocabulary) -> EntityColumns:
    """Every entity of these records checked at once, over flat lists and arrays."""
    flat = list(chain.from_iterable(items for _, items in entity_lists))
    doc = np.repeat(np.array([index for index, _ in entity_lists], dtype=np.int64), [len(items) for _, items in entity_lists])
    if not flat:
        return EntityColumns.from_lists(doc, [], [], [])
    if set(map(len, flat)) != {3}:  # else every item has exactly the three keys read below (a non-dict fails there with a TypeError)
        if set(map(type, flat)) != {dict}:
            raise _Unsure
        keys = set(chain.from_iterable(flat))  # every key of every entity; a missing required key raises KeyError below
        if not keys <= ENTITY_ALLOWED:
            raise _Unsure
    else:
        keys = ENTITY_REQUIRED
    start, end = _ints(list(map(itemgetter("start"), flat))), _ints(list(map(itemgetter("end"), flat)))
    label = np.fromiter(map(vocabulary.label_index.get, map(itemgetter("label"), flat)), dtype=np.int64, count=len(flat))  # an unknown label (None): TypeError
    if not ((start >= 0).all() and (end > start).all() and (end <= vocabulary.lengths[doc]).all()):
        raise _Unsure
    columns = EntityColumns(doc, start, end, label)
    if repeated(columns, len(vocabulary.label_index)):
        raise _Unsure  # the same span and label twice in a record
    if "score" in keys and set(type(item["score"]) for item in flat if "score" in item) - NUMBER_TYPES:
        raise _Unsure
    if "text" in keys:
        for row in np.flatnonzero([("text" in item) for item in flat]).tolist():
            s, e = int(start[row]), int(end[row])
            if flat[row]["text"] != vocabulary.texts[int(doc[row])][s:e]:
                raise _Unsure
    return columns


def _span(item: Mapping, text: str) -> tuple[int, int]:
    """``(start, end)`` of a claim or claimer span that lies in the text and matches its ``text`` when given."""
    start, end = item["start"], item["end"]
    if type(start) is not int or type(end) is not int or not 0 <= start < end <= len(text):
        raise _Unsure
    if "text" in item and item["text"] != text[start:end]:
        raise _Unsure
    return start, end


def _claims(items: list, text: str, vocabulary: _Vocabulary) -> list[tuple]:
    """The claims of one record (few per document: plain Python)."""
    stance_index, keywords = vocabulary.stance_index, vocabulary.keywords
    claims, seen = [], set()
    for claim in items:
        if type(claim) is not dict or not CLAIM_REQUIRED <= claim.keys() <= CLAIM_ALLOWED:
            raise _Unsure
        start, end = _span(claim, text)
        if "score" in claim and type(claim["score"]) not in NUMBER_TYPES:
            raise _Unsure
        stance = stance_index.get(claim["stance"])
        claimer = claim["claimer"]
        if type(claimer) is str and claimer in keywords:
            scored, identity = keywords[claimer], claimer
        elif type(claimer) is dict and CLAIMER_REQUIRED <= claimer.keys() <= CLAIMER_ALLOWED:
            scored = identity = _span(claimer, text)
        else:
            raise _Unsure
        if stance is None or (start, end, identity) in seen:
            raise _Unsure
        seen.add((start, end, identity))
        claims.append((start, end, stance, scored))
    return claims


def from_records(records: Mapping[str, Mapping], extra: list[str], position: Mapping[str, int], n_documents: int) -> Predictions:
    """The same, from records `validate_file` accepted (the long way)."""
    from toolkit.scoring.evaluate import predicted_spans

    inventory = load_inventory()
    label_index = {name: i for i, name in enumerate(inventory.entity_names)}
    stance_index = {name: i for i, name in enumerate(inventory.stance_names)}
    entities: list[list[tuple]] = [[] for _ in range(n_documents)]
    claims: list[list[tuple]] = [[] for _ in range(n_documents)]
    for doc_id, record in records.items():
        entities[position[doc_id]], claims[position[doc_id]] = predicted_spans(record, label_index, stance_index, inventory.prediction_claimer_keywords)
    layers = [layer for layer in LAYERS if any(layer in record for record in records.values())]
    return Predictions(EntityColumns.from_documents(entities), claims, {position[doc_id] for doc_id in records}, layers, extra)
