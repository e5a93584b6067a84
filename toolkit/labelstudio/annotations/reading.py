"""Reading one annotation: its regions checked against the task text and the inventory, or every reason it is not."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from toolkit.documents import text_sha256
from toolkit.errors import Problem
from toolkit.files import json_type
from toolkit.inventory import ENTITY_CLAIMER, load_inventory
from toolkit.labelstudio.config import LEGACY_LABEL, NAMES, RELATION_HOTKEY
from toolkit.schemas import ID_PATTERN, ecma_pattern
from toolkit.validate import CheckContext, check_annotation, schema_findings

Record = dict[str, Any]
TaskLink = Callable[[Mapping[str, Any], "Mapping[str, Any] | None"], "str | None"]  # task, annotation
SHOWN_PROBLEMS = 100  # problems and notes kept for the summary; the problems file has every problem
SHOWN_NOTES = 20
ID_PATTERN_RE = ecma_pattern(ID_PATTERN)
RECORD_PATH = re.compile(r"^(entities|claims)\[(\d+)\]")


@dataclass(frozen=True, order=True)
class ConversionProblem:
    """One reason why an annotator's latest annotation of a task was not converted."""

    task_id: Any
    annotation_id: Any
    annotator: str
    doc_id: str
    reason: str
    link: str | None = None

    @property
    def place(self) -> str:
        """Task, document, annotation and annotator, each when known (a malformed task may lack them)."""
        document = f" (document {self.doc_id})" if self.doc_id else ""
        annotation = f", annotation {self.annotation_id}" if self.annotation_id is not None else ""
        who = f" by {self.annotator}" if self.annotator else ""
        return f"task {self.task_id}{document}{annotation}{who}"

    def __str__(self) -> str:
        return f"{self.place}: {self.reason}" + (f" — {self.link}" if self.link else "")

    def as_problem(self, source: str) -> Problem:
        return Problem(source, 0, self.place, self.reason + (f" — {self.link}" if self.link else ""))


class AnnotationRejected(Exception):
    """Internal: collects the reasons one annotation cannot be converted."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(text: str, limit: int = 40) -> str:
    """A span as the annotator reads it: on one line, quoted, shortened in the middle at word boundaries."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        half = (limit - 1) // 2
        head, tail = text[:half], text[-half:]
        if text[half] != " " and " " in head[half // 2 :]:  # a word cut at the end of the head
            head = head.rsplit(" ", 1)[0]
        if text[-half - 1] != " " and " " in tail[: half // 2]:  # a word cut at the start of the tail
            tail = tail.split(" ", 1)[1]
        text = f"{head} … {tail}"
    return f"“{text}”"


@dataclass
class Region:
    id: str
    start: int
    end: int
    text: str
    labels: list[str] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def __str__(self) -> str:
        """The region as the editor shows it: its label, its text, where it is."""
        label = "/".join(self.labels) or "span"
        return f"{label} {_quoted(self.text)} {self.start}..{self.end}"


def _item_words(item: Mapping[str, Any]) -> str:
    """A result item not yet a region (its offsets are unusable), described from what it says about itself."""
    value = item.get("value") if isinstance(item.get("value"), Mapping) else {}
    labels = value.get("labels") or value.get("choices") or [item.get("from_name")]
    shown = "/".join(str(label) for label in labels) if isinstance(labels, list) else _short(labels)
    text = f" {_quoted(value['text'])}" if isinstance(value.get("text"), str) else ""
    return f"{shown}{text} {_short(value.get('start'), 12)}..{_short(value.get('end'), 12)}"


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


@dataclass
class ReadAnnotation:
    entities: list[Record]
    claims: list[Record]
    reasons: list[str]
    notes: list[str]
    unlabelled_claimers: int = 0  # claims whose claimer comes from an unlabelled relation (the Alt+R gesture)


class AnnotationReader:
    """Reads one annotation's ``result`` against the task text and the inventory; collects every reason at once."""

    def __init__(self, text: str):
        inventory = load_inventory()
        self.text = text
        self.entity_names = set(inventory.entity_names)
        self.claim_name = inventory.claim_label.name
        self.kinds = inventory.claimer_kind_names
        self.regions: dict[str, Region] = {}
        self.rejected: set[str] = set()  # ids of regions already reported as unusable
        self.relations: list[Mapping[str, Any]] = []
        self.reasons: list[str] = []
        self.notes: list[str] = []
        self.unlabelled_claimers = 0
        self.linked_to_rejected: set[str] = set()
        self.handlers: dict[str, Callable[[Region, Mapping[str, Any]], None]] = {
            NAMES.entity: self._label(sorted(self.entity_names)),
            NAMES.claim: self._label([self.claim_name]),
            LEGACY_LABEL: self._label(sorted(self.entity_names) + [self.claim_name]),  # exports of the earlier config
            NAMES.stance: self._choice(NAMES.stance, inventory.stance_names),
            NAMES.claimer: self._choice(NAMES.claimer, self.kinds),
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
                    f"(expected one of: {', '.join(n for n in self.handlers if n != LEGACY_LABEL)}; "
                    "was the project made with another config?)"
                )
            else:
                region = self._region(position, item)
                if region is not None:
                    self.handlers[item["from_name"]](region, item)

    def _region(self, position: int, item: Mapping[str, Any]) -> Region | None:
        value = item.get("value")
        region_id = item.get("id")
        if not isinstance(region_id, str) or not region_id:
            self.reasons.append(f"result[{position}] has no region id")
            return None
        if not isinstance(value, Mapping):
            self.rejected.add(region_id)
            self.reasons.append(f"result[{position}] ({item.get('from_name')}): no value (expected start, end, text)")
            return None
        region = self._located_region(region_id, item, value)
        if region is None:
            self.rejected.add(region_id)
        return region

    def _located_region(self, region_id: str, item: Mapping[str, Any], value: Mapping[str, Any]) -> Region | None:
        start, end = value.get("start"), value.get("end")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            self.reasons.append(f"{_item_words(item)}: offsets are not integers (expected code-point offsets)")
            return None
        if not 0 <= start < end <= len(self.text):
            self.reasons.append(
                f"{_item_words(item)}: outside the text (expected 0 <= start < end <= {len(self.text)})"
            )
            return None
        span = self.text[start:end]
        if "text" in value and value["text"] != span:
            self.reasons.append(
                f"{_item_words(item)}: the text at {start}..{end} is {_quoted(span)} (was the task text changed?)"
            )
            return None
        region = self.regions.get(region_id)
        if region is None:
            region = self.regions[region_id] = Region(region_id, start, end, span)
        elif (region.start, region.end) != (start, end):
            self.reasons.append(f"{_item_words(item)}: the same region is also at {region.start}..{region.end}")
            return None
        return region

    def _label(self, allowed: list[str]) -> Callable[[Region, Mapping[str, Any]], None]:
        def read_label(region: Region, item: Mapping[str, Any]) -> None:
            labels = item["value"].get("labels")
            if not isinstance(labels, list) or len(labels) != 1 or labels[0] not in allowed:
                self.rejected.add(region.id)
                self.reasons.append(
                    f"{_item_words(item)}: {item['from_name']} labels {_short(labels)} "
                    f"(expected one of: {', '.join(allowed)}; one label per region)"
                )
                return
            region.labels += labels

        return read_label

    def _choice(self, control: str, allowed: list[str]) -> Callable[[Region, Mapping[str, Any]], None]:
        def read_choice(region: Region, item: Mapping[str, Any]) -> None:
            choices = item["value"].get("choices")
            if not isinstance(choices, list) or not all(isinstance(choice, str) for choice in choices):
                self.reasons.append(f"{region}: {control} {_short(choices)} (expected a list of choices)")
                return
            unknown = [choice for choice in choices if choice not in allowed]
            if unknown:
                self.reasons.append(
                    f"{region}: unknown {control} {_short(unknown[0])} (expected one of: {', '.join(allowed)})"
                )
                return
            region.choices[control] += choices

        return read_choice

    # --- regions → record ---

    def _claimer_links(
        self, claims: dict[str, Region], entities: dict[str, Region]
    ) -> dict[str, list[tuple[str, bool]]]:
        """``(entity id, labelled)`` per claim id, whichever way each relation was drawn."""
        links: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        for relation in self.relations:
            ends = (relation.get("from_id"), relation.get("to_id"))
            labels = relation.get("labels") or []
            if not all(isinstance(end, str) for end in ends) or not isinstance(labels, list):
                self.reasons.append(
                    f"relation {_short(ends[0])} → {_short(ends[1])}: from_id, to_id and labels {_short(labels)} "
                    "(expected two region ids and a list)"
                )
                continue
            if any(end in self.rejected for end in ends):
                self.linked_to_rejected.update(end for end in ends if end in claims)
                continue  # its unusable end was reported; the claim's claimer is judged once that is fixed
            missing = [end for end in ends if end not in self.regions]
            if missing:
                present = [str(self.regions[end]) for end in ends if end in self.regions]
                self.reasons.append(
                    f"relation {' → '.join(present) or '(no region)'}: "
                    f"one end ({_short(missing[0])}) is not a region of this annotation"
                )
                continue
            first, second = (self.regions[end] for end in ends)
            where = f"relation {first} → {second}"
            if any(label != NAMES.claimer_relation for label in labels):
                self.reasons.append(f"{where}: labelled {_short(labels)} (expected {NAMES.claimer_relation!r} or none)")
            elif ends[0] in claims and ends[1] in entities:
                links[ends[0]].append((ends[1], bool(labels)))
            elif ends[1] in claims and ends[0] in entities:
                links[ends[1]].append((ends[0], bool(labels)))
            else:
                self.reasons.append(
                    f"{where}: joins two {'claims' if ends[0] in claims else 'entity mentions'} "
                    f"(expected a {self.claim_name} and an entity mention)"
                )
        return links

    def _classify(self) -> tuple[dict[str, Region], dict[str, Region]]:
        entities: dict[str, Region] = {}
        claims: dict[str, Region] = {}
        for region in self.regions.values():
            if not ID_PATTERN_RE.search(region.id):
                self.reasons.append(f"{region}: region id {_short(region.id)} has the wrong form ({ID_PATTERN})")
            if len(region.labels) > 1:
                self.rejected.add(region.id)
                self.reasons.append(
                    f"{region}: {len(region.labels)} labels (expected one per region{self._unlabel(region)})"
                )
            elif not region.labels:
                if region.id not in self.rejected:
                    self.rejected.add(region.id)
                    self.reasons.append(
                        f"{region}: {'/'.join(region.choices)} on a span without a label "
                        f"(expected on a {self.claim_name})"
                    )
            elif region.labels[0] == self.claim_name:
                claims[region.id] = region
            else:
                entities[region.id] = region
                for control, values in region.choices.items():
                    self.notes.append(
                        f"{region}: {control} {', '.join(values)} ignored "
                        f"(chosen while this mention was selected; only a {self.claim_name} has one)"
                    )
        return entities, claims

    def _unlabel(self, region: Region) -> str:
        """How to take a label back: in the editor, a label's key pressed again on the selected region."""
        inventory = load_inventory()
        keys = {label.name: label.hotkey for label in (*inventory.entity_labels, inventory.claim_label) if label.hotkey}
        named = ", ".join(f"{keys[label]} removes {label}" for label in region.labels if label in keys)
        return f": select it and press the key of the label it should not have; {named}" if named else ""

    def _claim_reasons(self, region: Region, linked: list[Region]) -> list[str]:
        stance = region.choices.get(NAMES.stance, [])
        kind = region.choices.get(NAMES.claimer, [])
        reasons = []
        if len(stance) != 1:
            reasons.append(
                f"{'no stance' if not stance else f'{len(stance)} stances {stance}'} "
                f"(expected one of: {', '.join(load_inventory().stance_names)})"
            )
        if len(kind) != 1:
            reasons.append(
                f"{'no claimer chosen' if not kind else f'{len(kind)} claimers {kind}'} "
                f"(expected one of: {', '.join(self.kinds)})"
            )
        elif kind[0] == ENTITY_CLAIMER and not linked and region.id not in self.linked_to_rejected:
            reasons.append(
                f"claimer {ENTITY_CLAIMER!r} without a relation to the mention naming it "
                f"(select the claim, press {RELATION_HOTKEY}, click the mention)"
            )
        elif kind[0] != ENTITY_CLAIMER and linked:
            between = ", ".join(f"{_quoted(region.text)} – {_quoted(mention.text)}" for mention in linked)
            reasons.append(
                f"claimer {kind[0]!r} and a relation to {', '.join(map(str, linked))} (expected a relation only with "
                f"claimer {ENTITY_CLAIMER!r}: delete the relation {between} in the side panel's Relations list, "
                f"or choose {ENTITY_CLAIMER!r})"
            )
        return [f"{region}: {reason}" for reason in reasons]

    def record_parts(self) -> tuple[list[Record], list[Record]]:
        entities, claims = self._classify()
        links = self._claimer_links(claims, entities)
        ordered = sorted(entities.values(), key=lambda r: (r.start, r.end, r.labels[0], r.id))
        entity_records = [
            {"id": r.id, "start": r.start, "end": r.end, "label": r.labels[0], "text": r.text} for r in ordered
        ]
        order = {region.id: index for index, region in enumerate(ordered)}
        claim_records = []
        for region in sorted(claims.values(), key=lambda r: (r.start, r.end, r.id)):
            linked_ids = sorted({entity_id for entity_id, _ in links.get(region.id, [])}, key=order.__getitem__)
            linked = [entities[entity_id] for entity_id in linked_ids]
            reasons = self._claim_reasons(region, linked)
            if reasons:
                self.reasons += reasons
                continue
            # the documented gesture, so counted for one note per conversion, not one per claim
            self.unlabelled_claimers += any(not labelled for _, labelled in links.get(region.id, []))
            kind = region.choices[NAMES.claimer][0]
            claim_records.append(
                {
                    "id": region.id,
                    "start": region.start,
                    "end": region.end,
                    "text": region.text,
                    "stance": region.choices[NAMES.stance][0],
                    "claimer": {"kind": kind, "entity_ids": linked_ids},
                }
            )
        return entity_records, claim_records


def read_annotation(result: Any, text: str) -> ReadAnnotation:
    """Entities, claims, every reason the annotation cannot be converted, and notes that do not stop it."""
    reader = AnnotationReader(text)
    try:
        reader.read(result)
    except AnnotationRejected as rejected:
        return ReadAnnotation([], [], rejected.reasons, [])
    entities, claims = reader.record_parts()
    return ReadAnnotation(entities, claims, reader.reasons, reader.notes, reader.unlabelled_claimers)


def convert_annotation(result: Any, text: str) -> tuple[list[Record], list[Record]]:
    """Entities and claims of one annotation; raises `AnnotationRejected` with every reason found."""
    read = read_annotation(result, text)
    if read.reasons:
        raise AnnotationRejected(read.reasons)
    return read.entities, read.claims


def _task_text(task: Mapping[str, Any], documents: Mapping[str, Mapping[str, Any]] | None) -> tuple[str, str]:
    """(text, text_sha256) of a task, checked against its own hash and the documents file."""
    data = task["data"]
    doc_id, text = data["doc_id"], data[NAMES.text]
    digest = text_sha256(text)
    if data.get("text_sha256") not in (None, digest):
        raise AnnotationRejected(
            [f"task text does not match its data.text_sha256 {str(data['text_sha256'])[:12]}… (changed after import)"]
        )
    if documents is not None:
        if doc_id not in documents:
            raise AnnotationRejected([f"document {doc_id!r} is not in the documents file"])
        if documents[doc_id]["text_sha256"] != digest:
            raise AnnotationRejected(
                [
                    f"task text differs from document {doc_id!r} in the documents file "
                    f"(text_sha256 {digest[:12]}… vs {documents[doc_id]['text_sha256'][:12]}…)"
                ]
            )
    return text, digest


def _record(task: Mapping[str, Any], annotation: Mapping[str, Any], annotator: str, digest: str, read) -> Record:
    record: Record = {
        "id": task["data"]["doc_id"],
        "text_sha256": digest,
        "annotator": annotator,
        "annotator_kind": "person",  # a Label Studio user who submitted it in the editor
        "annotation_id": annotation.get("id"),
        "task_id": task.get("id"),
    }
    if isinstance(annotation.get("created_at"), str):
        record["created_at"] = annotation["created_at"]
    if isinstance(annotation.get("lead_time"), (int, float)) and not isinstance(annotation.get("lead_time"), bool):
        record["lead_time"] = annotation["lead_time"]
    if isinstance(annotation.get("ground_truth"), bool):
        record["ground_truth"] = annotation["ground_truth"]
    record["entities"] = read.entities
    record["claims"] = read.claims
    return record


def _validation_reasons(record: Record, text: str) -> list[str]:
    """The toolkit's own record checks (schema, ids, duplicates), so pulled files always validate."""
    findings = schema_findings("annotation", record)
    if not findings:
        document = {"id": record["id"], "text": text, "text_sha256": record["text_sha256"]}
        findings = list(check_annotation(record, CheckContext({record["id"]: document}, "the export")))
    return [f"{_located(where, record)}: {message}" for where, message in findings]


def _located(where: str, record: Record) -> str:
    """``entities[1].label`` → the region as the editor shows it."""
    match = RECORD_PATH.match(where)
    if not match:
        return where
    item = record[match.group(1)][int(match.group(2))]
    label = item.get("label") or load_inventory().claim_label.name
    return f"{label} {_quoted(item['text'])} {item['start']}..{item['end']}{where[match.end() :]}"
