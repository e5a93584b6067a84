"""A Label Studio JSON export → per-annotator annotation records, with every problem located.

The server checks nothing (offsets, labels, structure), so every check is made
here, on the way out: each region's span must match the task text, labels must
be in the inventory, every claim needs one stance and one claimer (relations to
entity mentions drawn in either direction, or an attribution choice).  An
annotation that fails is not converted; it is reported with task id,
annotation id, annotator and reason, and stays in the raw export.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.documents import slugify, text_sha256
from toolkit.errors import InputError, Problem
from toolkit.files import dumps_line, json_type, read_bytes, read_json, write_text
from toolkit.inventory import ENTITY_CLAIMER, load_inventory
from toolkit.labelstudio.config import NAMES, attribution_kinds
from toolkit.pathguard import FILES, Output, PathPlan
from toolkit.paths import ANNOTATORS_DIR, CONVERTED_FILES, PROBLEMS_FILE
from toolkit.schemas import ID_PATTERN, ecma_pattern
from toolkit.staging import staged
from toolkit.validate import CheckContext, check_annotation, schema_findings

Record = dict[str, Any]
ID_PATTERN_RE = ecma_pattern(ID_PATTERN)


@dataclass(frozen=True, order=True)
class ConversionProblem:
    """One annotation that could not be converted, and why."""

    task_id: Any
    annotation_id: Any
    annotator: str
    doc_id: str
    reason: str

    def __str__(self) -> str:
        annotation = f", annotation {self.annotation_id}" if self.annotation_id is not None else ""
        who = f" by {self.annotator}" if self.annotator else ""
        document = f" (document {self.doc_id})" if self.doc_id else ""
        return f"task {self.task_id}{annotation}{who}{document}: {self.reason}"

    def as_problem(self, source: str) -> Problem:
        """Located by task, annotation, annotator and document, each when known (a malformed task may lack them)."""
        annotation = f" annotation {self.annotation_id}" if self.annotation_id is not None else ""
        known = ", ".join(part for part in (self.annotator, self.doc_id) if part)
        return Problem(source, 0, f"task {self.task_id}{annotation}" + (f" ({known})" if known else ""), self.reason)


@dataclass
class ConversionResult:
    records: list[Record] = field(default_factory=list)
    problems: list[ConversionProblem] = field(default_factory=list)
    tasks: int = 0
    submitted: int = 0
    cancelled: int = 0

    def by_annotator(self) -> dict[str, list[Record]]:
        grouped: dict[str, list[Record]] = defaultdict(list)
        for record in self.records:
            grouped[record["annotator"]].append(record)
        return {name: sorted(records, key=lambda r: r["id"]) for name, records in sorted(grouped.items())}


class AnnotationRejected(Exception):
    """Internal: collects the reasons one annotation cannot be converted."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons


@dataclass
class Region:
    id: str
    start: int
    end: int
    text: str
    entity_labels: list[str] = field(default_factory=list)
    claim_labels: list[str] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def annotator_name(completed_by: Any, users: Mapping[int, str]) -> str:
    """The LS user's email (export with user details, or the server's user list), else ``user-<id>``."""
    if isinstance(completed_by, Mapping):
        email, user_id = completed_by.get("email"), completed_by.get("id")
        if isinstance(email, str) and email:
            return email
        completed_by = user_id
    if isinstance(completed_by, int) and not isinstance(completed_by, bool):
        return users.get(completed_by, f"user-{completed_by}")
    return f"user-{_short(completed_by, 20)}"


def _is_id(value: Any) -> bool:
    """A Label Studio id: an integer (or a string, as some exports write them)."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def task_shape(task: Mapping[str, Any]) -> list[str]:
    """Why a task's structure cannot be read (an export edited by hand or by another tool); empty when it can."""
    reasons = []
    if not _is_id(task.get("id")):
        reasons.append(f"task id {_short(task.get('id'))} (expected an integer)")
    if not isinstance(task.get("annotations", []), list):
        reasons.append(f"annotations is a JSON {json_type(task['annotations'])} (expected a list of annotations)")
    return reasons


def annotation_shape(annotation: Any) -> list[str]:
    """Why one annotation's structure cannot be read; empty when it can."""
    if not isinstance(annotation, Mapping):
        return [f"an annotation is a JSON {json_type(annotation)} (expected an object)"]
    reasons = []
    if annotation.get("id") is not None and not _is_id(annotation["id"]):
        reasons.append(f"annotation id {_short(annotation['id'])} (expected an integer)")
    who = annotation.get("completed_by")
    if who is not None and not (_is_id(who) or isinstance(who, Mapping)):
        reasons.append(f"completed_by {_short(who)} (expected a user id or a user object)")
    if not isinstance(annotation.get("was_cancelled", False), (bool, type(None))):
        reasons.append(f"was_cancelled {_short(annotation['was_cancelled'])} (expected true or false)")
    return reasons


class AnnotationReader:
    """Reads one annotation's ``result`` against the task text and the inventory."""

    def __init__(self, text: str):
        inventory = load_inventory()
        self.text = text
        self.entity_names = set(inventory.entity_names)
        self.claim_name = inventory.claim_label.name
        self.stance_names = set(inventory.stance_names)
        self.attribution_names = set(attribution_kinds(inventory))
        self.regions: dict[str, Region] = {}
        self.relations: list[Mapping[str, Any]] = []
        self.reasons: list[str] = []
        self.handlers: dict[str, Callable[[Region, Mapping[str, Any]], None]] = {
            NAMES.entity: self._entity_label,
            NAMES.claim: self._claim_label,
            NAMES.stance: self._choice(NAMES.stance, self.stance_names),
            NAMES.attribution: self._choice(NAMES.attribution, self.attribution_names),
        }

    # --- result items ---

    def read(self, result: Any) -> None:
        if not isinstance(result, list):
            raise AnnotationRejected([f"result is a {type(result).__name__} (expected a list of result items)"])
        for position, item in enumerate(result):
            if not isinstance(item, Mapping):
                self.reasons.append(f"result[{position}] is not an object")
            elif item.get("type") == "relation":
                self.relations.append(item)
            elif not isinstance(item.get("from_name"), str) or item["from_name"] not in self.handlers:
                self.reasons.append(
                    f"result[{position}].from_name {_short(item.get('from_name'))} is not in the voci config "
                    f"(expected one of: {', '.join(self.handlers)})"
                )
            else:
                region = self._region(position, item)
                if region is not None:
                    self.handlers[item["from_name"]](region, item)

    def _region(self, position: int, item: Mapping[str, Any]) -> Region | None:
        value = item.get("value")
        region_id = item.get("id")
        where = f"region {region_id}"
        if not isinstance(region_id, str) or not region_id:
            self.reasons.append(f"result[{position}] has no region id")
            return None
        if not isinstance(value, Mapping):
            self.reasons.append(f"{where}: no value (expected start, end, text)")
            return None
        start, end = value.get("start"), value.get("end")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            self.reasons.append(
                f"{where}: offsets {_short(start)}..{_short(end)} are not integers (expected code-point offsets)"
            )
            return None
        if not 0 <= start < end <= len(self.text):
            self.reasons.append(
                f"{where}: offsets {start}..{end} are outside the text (expected 0 <= start < end <= {len(self.text)})"
            )
            return None
        span = self.text[start:end]
        if "text" in value and value["text"] != span:
            self.reasons.append(
                f"{where}: span text {_short(value['text'])} differs from the document "
                f"text[{start}:{end}] = {_short(span)}"
            )
            return None
        region = self.regions.get(region_id)
        if region is None:
            region = self.regions[region_id] = Region(region_id, start, end, span)
        elif (region.start, region.end) != (start, end):
            self.reasons.append(
                f"{where}: {item.get('from_name')} at {start}..{end} but the region is at {region.start}..{region.end}"
            )
            return None
        return region

    def _labels(self, region: Region, item: Mapping[str, Any], allowed: set[str], control: str) -> list[str]:
        labels = item["value"].get("labels")
        if not isinstance(labels, list) or len(labels) != 1:
            self.reasons.append(f"region {region.id}: {control} labels {_short(labels)} (expected exactly one label)")
            return []
        if not isinstance(labels[0], str) or labels[0] not in allowed:
            self.reasons.append(
                f"region {region.id}: unknown {control} label {_short(labels[0])} "
                f"(expected one of: {', '.join(sorted(allowed))})"
            )
            return []
        return labels

    def _entity_label(self, region: Region, item: Mapping[str, Any]) -> None:
        region.entity_labels += self._labels(region, item, self.entity_names, NAMES.entity)

    def _claim_label(self, region: Region, item: Mapping[str, Any]) -> None:
        region.claim_labels += self._labels(region, item, {self.claim_name}, NAMES.claim)

    def _choice(self, control: str, allowed: set[str]) -> Callable[[Region, Mapping[str, Any]], None]:
        def read_choice(region: Region, item: Mapping[str, Any]) -> None:
            choices = item["value"].get("choices")
            if not isinstance(choices, list) or not all(isinstance(choice, str) for choice in choices):
                self.reasons.append(
                    f"region {region.id}: {control} choices {_short(choices)} (expected a list of choices)"
                )
                return
            unknown = [choice for choice in choices if choice not in allowed]
            if unknown:
                self.reasons.append(
                    f"region {region.id}: unknown {control} {_short(unknown[0])} "
                    f"(expected one of: {', '.join(sorted(allowed))})"
                )
                return
            region.choices[control] += choices

        return read_choice

    # --- regions → record ---

    def _claimer_links(self, claims: dict[str, Region], entities: dict[str, Region]) -> dict[str, list[str]]:
        """Entity ids per claim id, whichever way each relation was drawn."""
        links: dict[str, list[str]] = defaultdict(list)
        for relation in self.relations:
            ends = (relation.get("from_id"), relation.get("to_id"))
            labels = relation.get("labels") or []
            where = f"relation {_short(ends[0])} → {_short(ends[1])}"
            if not all(isinstance(end, str) for end in ends) or not isinstance(labels, list):
                self.reasons.append(
                    f"{where}: from_id, to_id and labels {_short(labels)} (expected two region ids and a list)"
                )
                continue
            missing = [end for end in ends if end not in self.regions]
            if missing:
                self.reasons.append(
                    f"{where}: relation to nothing ({_short(missing[0])} is not a region of this annotation)"
                )
            elif not all(end in claims or end in entities for end in ends):
                continue  # an end whose label was unusable: already reported
            elif any(label != NAMES.claimer_relation for label in labels):
                self.reasons.append(f"{where}: labels {_short(labels)} (expected {NAMES.claimer_relation!r} or none)")
            elif ends[0] in claims and ends[1] in entities:
                links[ends[0]].append(ends[1])
            elif ends[1] in claims and ends[0] in entities:
                links[ends[1]].append(ends[0])
            else:
                self.reasons.append(
                    f"{where}: links two {'claims' if ends[0] in claims else 'entity mentions'} "
                    "(expected a claim and an entity mention)"
                )
        return links

    def record_parts(self) -> tuple[list[Record], list[Record]]:
        entities: dict[str, Region] = {}
        claims: dict[str, Region] = {}
        for region in self.regions.values():
            if region.entity_labels and region.claim_labels:
                self.reasons.append(
                    f"region {region.id}: has both an entity label and a claim label (expected separate regions)"
                )
            elif region.entity_labels:
                entities[region.id] = region
            elif region.claim_labels:
                claims[region.id] = region
            elif self.reasons:
                continue  # its label was already reported as unusable
            else:
                self.reasons.append(
                    f"region {region.id}: choices on a region that is neither a claim nor an entity mention"
                )
            if region.id in entities and region.choices:
                self.reasons.append(
                    f"region {region.id}: {'/'.join(region.choices)} chosen on an entity mention "
                    "(expected on claims only)"
                )
            if not ID_PATTERN_RE.search(region.id):
                self.reasons.append(
                    f"region id {_short(region.id)} has the wrong form (expected to match {ID_PATTERN})"
                )
        links = self._claimer_links(claims, entities)
        entity_records = [
            {
                "id": region.id,
                "start": region.start,
                "end": region.end,
                "label": region.entity_labels[0],
                "text": region.text,
            }
            for region in sorted(entities.values(), key=lambda r: (r.start, r.end, r.entity_labels[0], r.id))
        ]
        order = {record["id"]: index for index, record in enumerate(entity_records)}
        claim_records = []
        for region in sorted(claims.values(), key=lambda r: (r.start, r.end, r.id)):
            stance = region.choices.get(NAMES.stance, [])
            attribution = region.choices.get(NAMES.attribution, [])
            linked = sorted(set(links.get(region.id, [])), key=order.__getitem__)
            where = f"claim {region.id} ({_short(region.text, 30)})"
            if len(stance) != 1:
                self.reasons.append(
                    f"{where}: stance missing"
                    if not stance
                    else f"{where}: {len(stance)} stances {stance} (expected one)"
                )
                continue
            if linked and attribution:
                self.reasons.append(
                    f"{where}: both a claimer relation and the attribution {attribution[0]!r} (expected one of them)"
                )
                continue
            if len(attribution) > 1:
                self.reasons.append(f"{where}: attributions {attribution} (expected one)")
                continue
            if not linked and not attribution:
                self.reasons.append(
                    f"{where}: claim without claimer "
                    f"(expected a '{NAMES.claimer_relation}' relation to a mention or an attribution choice)"
                )
                continue
            claimer = (
                {"kind": ENTITY_CLAIMER, "entity_ids": linked} if linked else {"kind": attribution[0], "entity_ids": []}
            )
            claim_records.append(
                {
                    "id": region.id,
                    "start": region.start,
                    "end": region.end,
                    "text": region.text,
                    "stance": stance[0],
                    "claimer": claimer,
                }
            )
        return entity_records, claim_records


def convert_annotation(result: Any, text: str) -> tuple[list[Record], list[Record]]:
    """Entities and claims of one annotation; raises `AnnotationRejected` with every reason found."""
    reader = AnnotationReader(text)
    reader.read(result)
    entities, claims = reader.record_parts()
    if reader.reasons:
        raise AnnotationRejected(reader.reasons)
    return entities, claims


def _task_text(task: Mapping[str, Any], documents: Mapping[str, Mapping[str, Any]] | None) -> tuple[str, str, str]:
    """(doc_id, text, text_sha256) of a task, checked against its own hash and the documents file."""
    data = task.get("data")
    if (
        not isinstance(data, Mapping)
        or not isinstance(data.get(NAMES.text), str)
        or not isinstance(data.get("doc_id"), str)
    ):
        raise AnnotationRejected(
            ["task data has no text and doc_id (expected a task made by `toolkit push` or `toolkit tasks`)"]
        )
    doc_id, text = data["doc_id"], data[NAMES.text]
    digest = text_sha256(text)
    if data.get("text_sha256") not in (None, digest):
        raise AnnotationRejected(
            [
                (
                    f"task text does not match its data.text_sha256 {_short(data['text_sha256'], 16)} "
                    "(the text was changed after import)"
                )
            ]
        )
    if documents is not None:
        if doc_id not in documents:
            raise AnnotationRejected([f"document {doc_id!r} is not in the documents file"])
        if documents[doc_id]["text_sha256"] != digest:
            raise AnnotationRejected(
                [
                    (
                        f"task text differs from document {doc_id!r} in the documents file "
                        f"(text_sha256 {digest[:12]}… vs {documents[doc_id]['text_sha256'][:12]}…)"
                    )
                ]
            )
    return doc_id, text, digest


def _record(
    task: Mapping[str, Any], annotation: Mapping[str, Any], annotator: str, doc_id: str, digest: str, parts
) -> Record:
    entities, claims = parts
    record: Record = {
        "id": doc_id,
        "text_sha256": digest,
        "annotator": annotator,
        "annotation_id": annotation.get("id"),
        "task_id": task.get("id"),
    }
    if isinstance(annotation.get("created_at"), str):
        record["created_at"] = annotation["created_at"]
    if isinstance(annotation.get("lead_time"), (int, float)) and not isinstance(annotation.get("lead_time"), bool):
        record["lead_time"] = annotation["lead_time"]
    if isinstance(annotation.get("ground_truth"), bool):
        record["ground_truth"] = annotation["ground_truth"]
    record["entities"] = entities
    record["claims"] = claims
    return record


def _validation_reasons(record: Record, text: str) -> list[str]:
    """The toolkit's own record checks (schema, ids, duplicates), so pulled files always validate."""
    findings = schema_findings("annotation", record)
    if not findings:
        document = {"id": record["id"], "text": text, "text_sha256": record["text_sha256"]}
        findings = list(check_annotation(record, CheckContext({record["id"]: document}, "the export")))
    return [f"{where}: {message}" for where, message in findings]


def convert_tasks(
    tasks: Any, users: Mapping[int, str] | None = None, documents: Mapping[str, Mapping[str, Any]] | None = None
) -> ConversionResult:
    """Convert every submitted annotation of an export (a list of tasks)."""
    users = users or {}
    if not isinstance(tasks, list):
        raise InputError(
            f"the export is a JSON {type(tasks).__name__} (expected the list of tasks of a Label Studio JSON export)"
        )
    outcome = ConversionResult()
    latest: dict[tuple[str, str], tuple[tuple, Record]] = {}
    for task in tasks:
        if not isinstance(task, Mapping):
            raise InputError("the export holds a task that is not a JSON object (expected a Label Studio JSON export)")
        outcome.tasks += 1
        shown_id = task.get("id") if _is_id(task.get("id")) else _short(task.get("id"), 20)
        reasons = task_shape(task)
        if reasons:
            outcome.problems += [ConversionProblem(shown_id, None, "", "", reason) for reason in reasons]
            continue
        annotations = []
        for annotation in task.get("annotations") or []:
            reasons = annotation_shape(annotation)
            if reasons:
                who = annotator_name(annotation.get("completed_by"), users) if isinstance(annotation, Mapping) else ""
                shown = (
                    annotation.get("id") if isinstance(annotation, Mapping) and _is_id(annotation.get("id")) else None
                )
                outcome.problems += [ConversionProblem(shown_id, shown, who, "", reason) for reason in reasons]
            else:
                annotations.append(annotation)
        submitted = [a for a in annotations if not a.get("was_cancelled")]
        outcome.cancelled += len(annotations) - len(submitted)
        outcome.submitted += len(submitted)
        if not submitted:
            continue
        try:
            doc_id, text, digest = _task_text(task, documents)
        except AnnotationRejected as rejected:
            data = task.get("data") if isinstance(task.get("data"), Mapping) else {}
            for annotation in submitted:
                who = annotator_name(annotation.get("completed_by"), users)
                outcome.problems += [
                    ConversionProblem(task.get("id"), annotation.get("id"), who, str(data.get("doc_id")), r)
                    for r in rejected.reasons
                ]
            continue
        for annotation in submitted:
            who = annotator_name(annotation.get("completed_by"), users)
            try:
                record = _record(
                    task, annotation, who, doc_id, digest, convert_annotation(annotation.get("result"), text)
                )
                reasons = _validation_reasons(record, text)
                if reasons:
                    raise AnnotationRejected(reasons)
            except AnnotationRejected as rejected:
                outcome.problems += [
                    ConversionProblem(task.get("id"), annotation.get("id"), who, doc_id, reason)
                    for reason in rejected.reasons
                ]
                continue
            key = (who, doc_id)
            rank = (str(annotation.get("updated_at") or annotation.get("created_at") or ""), annotation.get("id") or 0)
            if key in latest:
                older, newer = sorted([latest[key], (rank, record)], key=lambda pair: pair[0])
                outcome.problems.append(
                    ConversionProblem(
                        older[1]["task_id"],
                        older[1]["annotation_id"],
                        who,
                        doc_id,
                        (
                            f"superseded by annotation {newer[1]['annotation_id']} of the same annotator "
                            "on the same document (one record per annotator and document)"
                        ),
                    )
                )
                latest[key] = newer
            else:
                latest[key] = (rank, record)
    outcome.records = [record for _, record in latest.values()]
    outcome.problems.sort(key=lambda p: (str(p.task_id), str(p.annotation_id), p.reason))
    return outcome


def read_export(path: Path) -> Any:
    """The tasks of a JSON export file (as downloaded from the UI or saved by ``toolkit pull``)."""
    return read_json(path, "a Label Studio JSON export (the full JSON format, not JSON_MIN or CSV)")


def annotator_file(out_dir: Path, annotator: str) -> Path:
    return Path(out_dir) / ANNOTATORS_DIR / f"{slugify(annotator) or 'annotator'}.jsonl"


def write_if_changed(path: Path, content: str) -> bool:
    """Write only when the content differs, so a pull without new work touches nothing."""
    path = Path(path)
    if os.path.lexists(path) and read_bytes(path) == content.encode("utf-8"):
        return False
    write_text(path, content)
    return True


@dataclass
class WrittenFiles:
    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)


def write_converted(outcome: ConversionResult, out_dir: Path) -> WrittenFiles:
    """One JSONL file per annotator, and the problems file (empty when there are none), written together."""
    written = WrittenFiles()
    files: dict[Path, str] = {}
    for annotator, records in outcome.by_annotator().items():
        path = annotator_file(out_dir, annotator)
        if path in files:
            raise InputError(
                f"annotators {annotator!r} and another map to the same file {path} (expected distinct annotator names)"
            )
        files[path] = "".join(dumps_line(record) for record in records)
    files[Path(out_dir) / PROBLEMS_FILE] = "".join(f"{problem}\n" for problem in outcome.problems)
    with staged(PathPlan([], [Output("--out", Path(out_dir), FILES, CONVERTED_FILES)])):
        for path, content in files.items():
            (written.changed if write_if_changed(path, content) else written.unchanged).append(path)
    return written
