"""Prediction records as the scorer needs them: `Predictions` (flat columns in gold order), from a file or from
records given in memory.

Predictions are validated before any scoring, with the checks of ``toolkit
validate``: scoring garbage quietly is worse than refusing it.  The fast engine
first tries the short way (`toolkit.scoring.shortway`); anything it does not
vouch for, and everything under the reference engine, goes through the
validator, which raises `ValidationError` with one ``FILE:LINE: field: message``
(``record N: field: message`` for records in memory) per problem.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from toolkit.errors import ValidationError, mention
from toolkit.inventory import load_inventory
from toolkit.scoring import parameters, shortway
from toolkit.scoring.spans import ClaimColumns, EntityColumns, Predictions
from toolkit.scoring.statistics import LAYERS

Source = str | os.PathLike | Iterable[Mapping[str, Any]]  # a predictions file, or prediction records in memory


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while millions of small acyclic objects are built (it would rescan them all,
    for nothing)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def is_file(source: Source) -> bool:
    return isinstance(source, (str, os.PathLike))


def read_predictions(source: Source, gold, ignore_extra: bool, short_way: bool) -> Predictions:
    """The predictions of a file or of records (a list of dicts), validated; the short way first when allowed."""
    parameters.predictions_source(source)
    if not is_file(source):
        source = list(source)  # read twice when the short way gives up
    with paused_gc():
        if short_way:
            read = shortway.read_file if is_file(source) else shortway.read_records
            fast = read(source, gold, ignore_extra)
            if fast is not None:
                fast.how = "read the short way (msgspec, checks over arrays)"
                return fast
        records, extra = validated(source, gold, ignore_extra)
        return from_records(records, extra, gold.position, len(gold.ids))


def validated(source: Source, gold, ignore_extra: bool) -> tuple[dict[str, dict], list[str]]:
    """Validated prediction records by id, and the ids of ignored records for documents not in gold."""
    from toolkit.validate import validate_file, validate_records  # the long way only: its import costs a scoring run

    extra = (
        (lambda record: isinstance(record.get("id"), str) and record["id"] not in gold.documents)
        if ignore_extra
        else None
    )
    where = gold.source() + f"; pass {mention('ignore_extra')} to skip predictions for other documents"
    if is_file(source):
        result = validate_file(Path(source), "prediction", gold.documents, where, ignore=extra)
    else:
        result = validate_records(source, "prediction", gold.documents, where, ignore=extra)
    if result.problems:
        raise ValidationError(result.problems, result.truncated)
    return {record["id"]: record for record in result.records}, sorted(result.ignored)


def from_records(
    records: Mapping[str, Mapping], extra: list[str], position: Mapping[str, int], n_documents: int
) -> Predictions:
    """`Predictions` of records the validator accepted."""
    inventory = load_inventory()
    label_index = {name: i for i, name in enumerate(inventory.entity_names)}
    stance_index = {name: i for i, name in enumerate(inventory.stance_names)}
    entities: list[list[tuple]] = [[] for _ in range(n_documents)]
    claims: list[list[tuple]] = [[] for _ in range(n_documents)]
    for doc_id, record in records.items():
        entities[position[doc_id]], claims[position[doc_id]] = predicted_spans(
            record, label_index, stance_index, inventory.prediction_claimer_keywords
        )
    layers = [layer for layer in LAYERS if any(layer in record for record in records.values())]
    return Predictions(
        EntityColumns.from_documents(entities),
        ClaimColumns.from_documents(claims, single_span=True),
        {position[doc_id] for doc_id in records},
        layers,
        extra,
    )


def predicted_spans(
    record: Mapping, label_index: Mapping[str, int], stance_index: Mapping[str, int], keywords: Mapping[str, str]
) -> tuple[list[tuple], list[tuple]]:
    """``(entities, claims)`` of a prediction record; a claimer is a kind name or a ``(start, end)`` span."""
    entities = [(e["start"], e["end"], label_index[e["label"]]) for e in record.get("entities", ())]
    claims = []
    for c in record.get("claims", ()):
        claimer = c["claimer"]
        claimer = keywords[claimer] if isinstance(claimer, str) else (claimer["start"], claimer["end"])
        claims.append((c["start"], c["end"], stance_index[c["stance"]], claimer))
    return entities, claims
