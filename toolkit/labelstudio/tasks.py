"""Documents and pre-annotations → Label Studio tasks, and annotation records → editor results.

Pre-annotations come from prediction records (what ``toolkit eval`` scores, so
any model can pre-fill the editor) or from annotation records (gold or another
annotator's work, e.g. for review); the kind is detected from the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.documents import OPTIONAL_FIELDS
from toolkit.errors import InputError
from toolkit.inventory import ENTITY_CLAIMER, load_inventory
from toolkit.labelstudio.config import NAMES
from toolkit.validate import first_kind, require_valid

Record = dict[str, Any]
DEFAULT_MODEL_VERSION = "preannotation"
PREANNOTATION_KINDS = ("prediction", "annotation")


def task_data(document: Mapping[str, Any]) -> dict[str, Any]:
    """The ``data`` of one task: the text, the ids that bring annotations home, and the metadata."""
    data = {
        NAMES.text: document["text"],
        "doc_id": document["id"],
        "text_sha256": document["text_sha256"],
        "lang": document["lang"],
    }
    for name in OPTIONAL_FIELDS:
        if document.get(name) not in (None, ""):
            data[name] = document[name]
    return data


def _span_value(item: Mapping[str, Any], text: str | None) -> dict[str, Any]:
    span = text[item["start"] : item["end"]] if text is not None else item["text"]
    return {"start": item["start"], "end": item["end"], "text": span}


def _labels_item(region_id: str, item: Mapping[str, Any], label: str, text: str | None) -> Record:
    value = _span_value(item, text) | {"labels": [label]}
    return {"id": region_id, "from_name": NAMES.label, "to_name": NAMES.text, "type": "labels", "value": value}


def _choice_item(region_id: str, control: str, item: Mapping[str, Any], choice: str, text: str | None) -> Record:
    value = _span_value(item, text) | {"choices": [choice]}
    return {"id": region_id, "from_name": control, "to_name": NAMES.text, "type": "choices", "value": value}


def _relation(from_id: str, to_id: str) -> Record:
    return {
        "from_id": from_id,
        "to_id": to_id,
        "type": "relation",
        "direction": "right",
        "labels": [NAMES.claimer_relation],
    }


def _result(entities: list[Mapping[str, Any]], claims: list[Mapping[str, Any]], text: str | None) -> list[Record]:
    """Regions first, then per-region choices, then relations (mention → claim).

    A claim whose claimer is unknown gets no claimer choice: the editor then asks the annotator for one.
    """
    claim_label = load_inventory().claim_label.name
    regions = [_labels_item(entity["id"], entity, entity["label"], text) for entity in entities]
    choices: list[Record] = []
    relations: list[Record] = []
    for claim in claims:
        regions.append(_labels_item(claim["id"], claim, claim_label, text))
        choices.append(_choice_item(claim["id"], NAMES.stance, claim, claim["stance"], text))
        claimer = claim.get("claimer")
        if claimer is None:
            continue
        choices.append(_choice_item(claim["id"], NAMES.claimer, claim, claimer["kind"], text))
        if claimer["kind"] == ENTITY_CLAIMER:
            relations += [_relation(entity_id, claim["id"]) for entity_id in claimer["entity_ids"]]
    return regions + choices + relations


def record_to_result(record: Mapping[str, Any], text: str | None = None) -> list[Record]:
    """The ``result`` an annotator's editor submits for this annotation record.

    Region ids are the record's entity and claim ids, so pulling the annotation
    back gives the same ids.  Span texts come from ``text`` when given, else
    from the record's own ``text`` fields.
    """
    return _result(record.get("entities", []), record.get("claims", []), text)


@dataclass
class ConversionNotes:
    """What could not be carried into a pre-annotation (it is still in the prediction file)."""

    unlinked_claimers: list[str] = field(default_factory=list)


def prediction_to_result(
    prediction: Mapping[str, Any], text: str, notes: ConversionNotes | None = None
) -> list[Record]:
    """Editor results for a prediction record.

    A claimer span becomes a relation to the predicted entity at the same
    offsets; without one the claim keeps its stance and the annotator adds the
    claimer (listed in ``notes``).
    """
    keywords = load_inventory().prediction_claimer_keywords
    entities = [{"id": f"e{index}", **entity} for index, entity in enumerate(prediction.get("entities", []))]
    at_span = {(entity["start"], entity["end"]): entity["id"] for entity in reversed(entities)}
    claims = []
    for index, claim in enumerate(prediction.get("claims", [])):
        claimer = claim["claimer"]
        if isinstance(claimer, str):
            resolved = {"kind": keywords[claimer], "entity_ids": []}
        elif (claimer["start"], claimer["end"]) in at_span:
            resolved = {"kind": ENTITY_CLAIMER, "entity_ids": [at_span[(claimer["start"], claimer["end"])]]}
        else:
            resolved = None
            if notes is not None:
                notes.unlinked_claimers.append(
                    f"{prediction['id']}: claims[{index}].claimer {claimer['start']}..{claimer['end']}"
                )
        claims.append({"id": f"c{index}", **claim, "claimer": resolved})
    result = _result(entities, claims, text)
    scores = {item["id"]: item["score"] for item in entities + claims if "score" in item}
    for item in result:
        if item["type"] == "labels" and item["id"] in scores:
            item["score"] = scores[item["id"]]
    return result


def _prediction_score(record: Mapping[str, Any]) -> float | None:
    scores = [item["score"] for layer in ("entities", "claims") for item in record.get(layer, []) if "score" in item]
    return sum(scores) / len(scores) if scores else None


def preannotation(
    record: Mapping[str, Any], kind: str, text: str, model_version: str, notes: ConversionNotes | None = None
) -> Record:
    """One Label Studio prediction for a task, from a prediction or annotation record."""
    if kind == "prediction":
        result = prediction_to_result(record, text, notes)
        score = _prediction_score(record)
    else:
        result = record_to_result(record, text)
        score = None
    prediction: Record = {"model_version": model_version, "result": result}
    if score is not None:
        prediction["score"] = score
    return prediction


@dataclass
class Preannotations:
    kind: str
    by_id: dict[str, Record]
    model_version: str
    notes: ConversionNotes = field(default_factory=ConversionNotes)
    scores: dict[str, float] = field(default_factory=dict)  # document id → the prediction's score (uncertainty)

    def prediction(self, document: Mapping[str, Any]) -> Record:
        """The Label Studio prediction of this document (which has a record here)."""
        record = self.by_id[document["id"]]
        prediction = preannotation(record, self.kind, document["text"], self.model_version, self.notes)
        if document["id"] in self.scores:
            prediction["score"] = self.scores[document["id"]]
        return prediction


def model_preannotations(model_dir: Path, documents: Mapping[str, Mapping[str, Any]]) -> Preannotations:
    """A trained model's predictions of the documents, each scored with the model's uncertainty about it."""
    from toolkit.model.pipeline import TrainedModel

    model = TrainedModel(model_dir)
    predictions = model.predict(documents.values(), scored=True)
    return Preannotations(
        "prediction",
        {p.record["id"]: p.record for p in predictions},
        model.model_version,
        scores={p.record["id"]: p.uncertainty for p in predictions},
    )


def most_uncertain_first(
    documents: Mapping[str, Mapping[str, Any]], preannotations: Preannotations
) -> dict[str, Mapping[str, Any]]:
    """The documents in the order annotators should take them: the model's least sure first (ties: file order),
    so the tasks created get ids in that order (Label Studio's label stream goes by id)."""
    ranked = sorted(documents, key=lambda doc_id: -preannotations.scores.get(doc_id, 0.0))
    return {doc_id: documents[doc_id] for doc_id in ranked}


def load_preannotations(
    path: Path, documents: Mapping[str, Mapping[str, Any]], documents_source: str, model_version: str | None
) -> Preannotations:
    """Validated prediction or annotation records by document id."""
    path = Path(path)
    kind = first_kind(path) or "prediction"
    if kind not in PREANNOTATION_KINDS:
        raise InputError(
            f"{path}: holds {kind} records (expected prediction or annotation records for pre-annotations)"
        )
    if model_version is not None and ("," in model_version or not model_version.strip()):
        raise InputError(f"{model_version!r} (expected a non-empty name without commas)", parameter="model_version")
    records = require_valid(path, kind, documents, documents_source)
    return Preannotations(
        kind=kind,
        by_id={record["id"]: record for record in records},
        model_version=model_version or DEFAULT_MODEL_VERSION,
    )


def build_task(document: Mapping[str, Any], preannotations: Preannotations | None = None) -> Record:
    task: Record = {"data": task_data(document)}
    if preannotations and document["id"] in preannotations.by_id:
        task["predictions"] = [preannotations.prediction(document)]
    return task


def iter_tasks(
    documents: Iterator[Mapping[str, Any]] | list, preannotations: Preannotations | None = None
) -> Iterator[Record]:
    """Tasks one at a time, so a push of many documents holds one batch in memory."""
    for document in documents:
        yield build_task(document, preannotations)
