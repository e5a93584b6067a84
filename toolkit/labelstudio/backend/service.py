"""Label Studio 1.23's ML backend protocol as plain functions over JSON: health, setup, predict, webhook, train.

What the server sends and expects (``label_studio/ml/api_connector.py``: ``MLApi``; ``ml/models.py``: ``MLBackend``):

- ``GET /health`` before every prediction request (1 s timeout): any JSON with status 200 means up;
- ``POST /setup`` ``{project: "<id>.<created_at>", schema: <labeling config>, hostname, access_token,
  extra_params}`` → ``{"model_version"}``, after each health check; the version names the predictions;
- ``POST /predict`` ``{tasks: [{id, data, project, …}], project, label_config, params}`` → ``{"results": [...]}``,
  one item per task, in order: ``{result, score, model_version}``; an item without ``result`` is skipped by the
  server (logged with its content), so a task whose prediction failed gets ``{"error", "model_version"}`` and is
  asked again the next time it is opened;
- ``POST /webhook`` ``{action, annotation, task, project}``: the server creates this webhook with the backend
  (every project event), and the *Start training* button sends ``{action: "START_TRAINING", project}``;
- ``POST /train`` ``{annotations: [tasks with their annotations], project}``: the older training call.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any

from toolkit.documents import OPTIONAL_FIELDS, text_sha256
from toolkit.errors import InputError
from toolkit.labelstudio.backend.lexicon import Contribution, bounded_id, bounded_text, entity_mentions
from toolkit.labelstudio.backend.sources import NEVER, Cancellation, Outcome
from toolkit.labelstudio.config import NAMES
from toolkit.labelstudio.tasks import ConversionNotes, preannotation

log = logging.getLogger("toolkit.backend")
DOCUMENT_ID = re.compile(r"[A-Za-z0-9._-]{1,200}")
PROJECT = re.compile(r"(?P<id>[0-9]{1,18})(?:\..*)?", re.DOTALL)  # "<id>.<created_at>", ASCII digits only
DEFAULT_LANG = "it"
PROBLEMS_SHOWN = 5
MAX_TEXT = 1_000_000  # characters of one task's text: the baseline takes about 20 s on that many
Json = dict[str, Any]


def project_id(value: Any) -> int | None:
    """A project id from a project object (webhooks), a number, or Label Studio's ``"<id>.<created_at>"``."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, str) and len(value) <= 100 and (match := PROJECT.fullmatch(value)):
        return int(match["id"])
    return bounded_id(value)


def task_document(task: Mapping[str, Any]) -> Json:
    """The document record a task shows: its ``doc_id`` (else ``task-<id>``), language, metadata and text."""
    data = task.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get(NAMES.text), str):
        raise InputError(f"data.{NAMES.text} is missing (expected the text shown by the voci labeling config)")
    text = data[NAMES.text]
    if len(text) > MAX_TEXT:
        raise InputError(f"data.{NAMES.text}: {len(text)} characters (expected at most {MAX_TEXT} per task)")
    doc_id = data.get("doc_id")
    document: Json = {
        "id": doc_id
        if isinstance(doc_id, str) and DOCUMENT_ID.fullmatch(doc_id)
        else f"task-{bounded_id(task.get('id'))}",
        "lang": data["lang"] if isinstance(data.get("lang"), str) and data["lang"] else DEFAULT_LANG,
    }
    for name in OPTIONAL_FIELDS:
        if isinstance(data.get(name), str) and data[name]:
            document[name] = data[name]
    document["text"] = text
    document["text_sha256"] = text_sha256(text)
    return document


def record_problems(record: Mapping[str, Any], kind: str, document: Mapping[str, Any]) -> list[str]:
    """What `toolkit validate` would say about this record against this one document."""
    from toolkit.validate import SEMANTIC_CHECKS, CheckContext, schema_findings

    context = CheckContext({document["id"]: document}, "this task")
    findings = schema_findings(kind, record) or list(SEMANTIC_CHECKS[kind](record, context))
    return [f"{field}: {message}" for field, message in findings]


def missing_controls(schema: Any) -> list[str]:
    """The voci config's tags a labeling config lacks (the results name them)."""
    if not isinstance(schema, str) or not schema.strip():
        return []  # no config sent: nothing to check
    try:
        names = {element.get("name") for element in ET.fromstring(schema).iter()}
    except ET.ParseError:
        return ["(the config is not XML)"]
    return [name for name in (NAMES.text, NAMES.label) if name not in names]


class Backend:
    """One prediction source behind the protocol; every prediction is checked, then converted like `toolkit push`."""

    def __init__(self, source):
        self.source = source

    def health(self) -> Json:
        return {"status": "UP", "model_class": f"voci-{self.source.name}"}

    def setup(self, request: Mapping[str, Any]) -> Json:
        missing = missing_controls(request.get("schema"))
        if missing:
            raise InputError(
                f"the project's labeling config lacks {', '.join(missing)} "
                "(expected the voci config: `toolkit config` prints it)"
            )
        return {"model_version": self.source.model_version(project_id(request.get("project")))}

    def predict(self, request: Mapping[str, Any], cancellation: Cancellation = NEVER) -> Json:
        """One result per task; raises `Cancelled` when ``cancellation`` says the client has left."""
        tasks = request.get("tasks")
        if not isinstance(tasks, list) or not all(isinstance(task, Mapping) for task in tasks):
            raise InputError("tasks: expected a list of task objects")
        project = project_id(request.get("project"))
        documents: list[Json | None] = []
        errors: dict[int, str] = {}
        for index, task in enumerate(tasks):
            try:
                documents.append(task_document(task))
            except InputError as error:
                documents.append(None)
                errors[index] = error.args[0]
        version, outcomes = self.source.predict([document for document in documents if document], project, cancellation)
        given = iter(outcomes)
        results = []
        for index, (task, document) in enumerate(zip(tasks, documents, strict=True)):
            outcome = next(given) if document is not None else Outcome(error=errors[index])
            results.append(self._result(task, document, outcome, outcome.model_version or version))
        return {"results": results, "model_version": version}

    def _result(self, task: Mapping[str, Any], document: Json | None, outcome: Outcome, version: str) -> Json:
        where = f"task {task.get('id')}" + (f" ({document['id']})" if document else "")
        error = outcome.error
        if error is None:
            problems = record_problems(outcome.record, outcome.kind, document)
            if problems:
                more = f"; and {len(problems) - PROBLEMS_SHOWN} more" if len(problems) > PROBLEMS_SHOWN else ""
                error = f"invalid {outcome.kind} record: " + "; ".join(problems[:PROBLEMS_SHOWN]) + more
        if error is not None:
            log.warning("%s: no prediction: %s", where, error)
            return {"model_version": version, "error": f"{where}: {error}"}
        notes = ConversionNotes()
        prediction = preannotation(outcome.record, outcome.kind, document["text"], version, notes)
        for note in notes.unlinked_claimers:
            log.info("%s: %s: no predicted entity at these offsets, claimer left for the annotator", where, note)
        if "score" not in prediction and outcome.score is not None:
            prediction["score"] = outcome.score
        return prediction

    # --- learning ---

    def webhook(self, payload: Mapping[str, Any]) -> Json:
        action = payload.get("action") if isinstance(payload.get("action"), str) else None
        handler = WEBHOOK_ACTIONS.get(action) if self.source.learns else None
        if handler is None:
            return {"status": "ignored", "action": action}
        version = handler(self, payload)
        return {"status": "ok", "action": action, "model_version": version}

    def train(self, request: Mapping[str, Any]) -> Json:
        """The older training call: every annotated task of the project at once."""
        project = project_id(request.get("project"))
        version = self.source.model_version(project)
        if not self.source.learns or project is None:
            return {"model_version": version}
        tasks = request.get("annotations") or []
        if not isinstance(tasks, list) or not all(isinstance(task, Mapping) for task in tasks):
            raise InputError("annotations: expected a list of tasks with their annotations")
        for task in tasks:
            annotations = task.get("annotations") or []
            if not isinstance(annotations, list):
                raise InputError(f"annotations[].annotations: got {type(annotations).__name__} (expected a list)")
            for annotation in annotations:
                version = self.learn_annotation(project, None, annotation, task)
        return {"model_version": version}

    def learn_annotation(self, project: int, title: str | None, annotation: Any, task: Any) -> str:
        if not isinstance(annotation, Mapping) or bounded_id(annotation.get("id")) is None:
            raise InputError("annotation: expected an object with an id (a non-negative integer)")
        task = task if isinstance(task, Mapping) else {}
        data = task.get("data") if isinstance(task.get("data"), Mapping) else {}
        key = str(annotation["id"])
        before = self.source.model_version(project)
        if annotation.get("was_cancelled"):  # a skipped task teaches nothing, and takes back what it taught
            version = self.source.forget(project, [key])
            what = "skipped"
        else:
            text = data.get(NAMES.text) if isinstance(data.get(NAMES.text), str) else None
            annotator = annotation.get("completed_by")
            contribution = Contribution(  # only bounded fields: they are stored
                task_id=bounded_id(annotation.get("task")) or bounded_id(task.get("id")),
                doc_id=bounded_text(data.get("doc_id")),
                annotator=bounded_id(annotator) if bounded_id(annotator) is not None else bounded_text(annotator),
                mentions=entity_mentions(result if isinstance(result := annotation.get("result"), list) else [], text),
            )
            records = submission(annotation, task) if self.source.learns_records else None
            version = self.source.learn(project, title, key, contribution, records)
            what = f"{len(contribution.mentions)} entity mention(s)"
        if version != before:
            log.info("project %s: annotation %s: %s, now %s", project, key, what, version)
        return version


def submission(annotation: Mapping[str, Any], task: Mapping[str, Any]) -> tuple[Json, Json] | None:
    """(document, annotation record) of a submitted annotation, for a trained model to learn from; None when the
    task's text is not in the event or the result cannot be converted (logged: the annotation teaches nothing)."""
    from toolkit.labelstudio.annotations.reading import read_annotation

    result = annotation.get("result")
    try:
        document = task_document(task)
    except InputError:
        return None
    read = read_annotation(result if isinstance(result, list) else [], document["text"])
    if read.reasons:
        log.info("annotation %s: not learned (%s)", annotation.get("id"), read.reasons[0])
        return None
    record = {"id": document["id"], "text_sha256": document["text_sha256"], "entities": read.entities}
    record["claims"] = read.claims
    return document, record


def _event_project(payload: Mapping[str, Any], annotation: Any) -> tuple[int, str | None]:
    project = payload.get("project")
    found = project_id(project)
    if found is None and isinstance(annotation, Mapping):
        found = project_id(annotation.get("project"))
    if found is None:
        raise InputError("project: expected the project (object with an id) of the event")
    title = project.get("title") if isinstance(project, Mapping) else None
    return found, bounded_text(title)


def _annotation_saved(backend: Backend, payload: Mapping[str, Any]) -> str:
    annotation = payload.get("annotation")
    project, title = _event_project(payload, annotation)
    return backend.learn_annotation(project, title, annotation, payload.get("task"))


def _annotations_saved(backend: Backend, payload: Mapping[str, Any]) -> str:
    annotations = payload.get("annotation")
    if not isinstance(annotations, list):
        raise InputError("annotation: expected a list of annotations")
    project, title = _event_project(payload, annotations[0] if annotations else None)
    version = backend.source.model_version(project)
    for annotation in annotations:
        version = backend.learn_annotation(project, title, annotation, None)
    return version


def _annotations_deleted(backend: Backend, payload: Mapping[str, Any]) -> str:
    deleted = payload.get("annotations")
    if not isinstance(deleted, list):
        raise InputError("annotations: expected a list of {id}")
    project, _ = _event_project(payload, None)
    keys = [str(item["id"]) for item in deleted if isinstance(item, Mapping) and bounded_id(item.get("id")) is not None]
    before = backend.source.model_version(project)
    version = backend.source.forget(project, keys)
    if version != before:
        log.info("project %s: annotation(s) %s deleted, now %s", project, ", ".join(keys), version)
    return version


WEBHOOK_ACTIONS: dict[str, Callable[[Backend, Mapping[str, Any]], str]] = {
    "ANNOTATION_CREATED": _annotation_saved,
    "ANNOTATION_UPDATED": _annotation_saved,
    "ANNOTATIONS_CREATED": _annotations_saved,
    "ANNOTATIONS_DELETED": _annotations_deleted,
}
