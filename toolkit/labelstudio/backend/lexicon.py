"""What annotators taught the baseline in one Label Studio project: entity mention texts and the labels they got.

Each annotation's mentions are kept whole, under the annotation's id, so an updated annotation replaces its
mentions and a deleted one takes them back; counts and learned labels are derived from what is kept. A mention
seen with one label more often than with any other is learned with that label (a tie teaches nothing). A task's
pre-annotation never uses what the annotations of its own document taught (another annotator's work on the same
document under overlap would leak into it: the independence rule of docs/model.md). Every
change bumps the revision, which names the model version (``baseline-v3``). One JSON file per project in the
studio data folder, rewritten atomically on each change.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ConflictError, InputError
from toolkit.files import write_json
from toolkit.inventory import load_inventory
from toolkit.labelstudio.config import NAMES

FORMAT = "voci-backend-lexicon/1"
FOLDER = "backend"
MODEL_NAME = "baseline"
Mention = tuple[str, str]  # (text, label)
MAX_FIELD = 200  # characters of a stored mention, annotator or doc id: longer is no entity name and is not kept
MAX_ID = 2**63 - 1  # Label Studio's ids are 64-bit integers


def bounded_id(value: Any) -> int | None:
    """An id as Label Studio's database holds it (a non-negative 64-bit integer), else None."""
    return value if type(value) is int and 0 <= value <= MAX_ID else None


def bounded_text(value: Any) -> str | None:
    """A short string that can be stored (UTF-8, no lone surrogate), else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_FIELD:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def model_version(revision: int) -> str:
    return f"{MODEL_NAME}-v{revision}"


def entity_mentions(result: Iterable[Mapping[str, Any]], text: str | None) -> list[Mention]:
    """The (text, label) of every entity region in a Label Studio result, span text read from ``text`` when given."""
    labels = set(load_inventory().entity_names)
    mentions = []
    for item in result:
        if not isinstance(item, Mapping) or item.get("type") != "labels" or item.get("from_name") != NAMES.label:
            continue
        value = item.get("value")
        chosen = value.get("labels") if isinstance(value, Mapping) else None
        if (
            not isinstance(chosen, list)
            or len(chosen) != 1
            or not isinstance(chosen[0], str)
            or chosen[0] not in labels
        ):
            continue
        start, end = value.get("start"), value.get("end")
        if text is not None and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            mention = text[start:end]
        else:
            mention = value.get("text")
        mention = bounded_text(re.sub(r"\s+", " ", mention).strip() if isinstance(mention, str) else None)
        if mention:
            mentions.append((mention, chosen[0]))
    return mentions


@dataclass
class Contribution:
    """The entity mentions of one annotation."""

    task_id: int | None
    doc_id: str | None
    annotator: int | str | None
    mentions: list[Mention]

    def of_document(self, document_id: str) -> bool:
        """Whether this annotation is of the document a task shows (its ``doc_id``, else ``task-<id>``)."""
        return self.doc_id == document_id or (self.doc_id is None and f"task-{self.task_id}" == document_id)

    def as_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "doc_id": self.doc_id,
            "annotator": self.annotator,
            "mentions": [list(mention) for mention in self.mentions],
        }


@dataclass
class ProjectLexicon:
    path: Path
    project_id: int
    title: str | None = None
    revision: int = 0
    contributions: dict[str, Contribution] = field(default_factory=dict)

    @property
    def model_version(self) -> str:
        return model_version(self.revision)

    def counts(self, excluded_document: str | None = None) -> dict[str, dict[str, int]]:
        """Mention text → label → how many times annotators gave it that label (not counting the annotations of
        ``excluded_document``: see `Contribution.of_document`)."""
        counted: dict[str, Counter] = {}
        for contribution in self.contributions.values():
            if excluded_document is not None and contribution.of_document(excluded_document):
                continue
            for text, label in contribution.mentions:
                counted.setdefault(text, Counter())[label] += 1
        return {text: dict(sorted(labels.items())) for text, labels in sorted(counted.items())}

    def learned(self, excluded_document: str | None = None) -> dict[str, str]:
        """Mention text → the label it was given more often than any other (by annotations of other documents than
        ``excluded_document``)."""
        chosen = {}
        for text, labels in self.counts(excluded_document).items():
            ranked = sorted(labels.items(), key=lambda item: -item[1])
            if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
                chosen[text] = ranked[0][0]
        return chosen

    def record(self, annotation_id: str, contribution: Contribution) -> bool:
        """Keep (or replace) one annotation's mentions; True when that changed anything."""
        previous = self.contributions.get(annotation_id)
        if previous is not None and previous.mentions == contribution.mentions:
            return False
        if previous is None and not contribution.mentions:
            return False
        self.contributions[annotation_id] = contribution
        self.revision += 1
        return True

    def forget(self, annotation_ids: Iterable[str]) -> bool:
        removed = [key for key in annotation_ids if self.contributions.pop(key, None) is not None]
        if removed:
            self.revision += 1
        return bool(removed)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "project": {"id": self.project_id, "title": self.title},
            "revision": self.revision,
            "model_version": self.model_version,
            "annotations": {key: value.as_json() for key, value in sorted(self.contributions.items())},
        }

    def export(self) -> dict[str, Any]:
        """What a reviewer reads: the learned labels, every count, and which annotations taught them."""
        return {
            "project": {"id": self.project_id, "title": self.title},
            "model_version": self.model_version,
            "learned": self.learned(),
            "counts": self.counts(),
            "annotations": {key: value.as_json() for key, value in sorted(self.contributions.items())},
        }

    def save(self) -> None:
        write_json(self.path, self.as_json())


def _contribution(raw: Any, where: str) -> Contribution:
    try:
        mentions = [(str(text), str(label)) for text, label in raw["mentions"]]
        return Contribution(raw.get("task_id"), raw.get("doc_id"), raw.get("annotator"), mentions)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InputError(f"{where}: expected {{task_id, doc_id, annotator, mentions: [[text, label], …]}}") from None


def load_lexicon_file(path: Path, project_id: int) -> ProjectLexicon:
    """The lexicon stored at ``path``; an empty one when the file does not exist yet."""
    if not path.exists():
        return ProjectLexicon(path=path, project_id=project_id)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not a JSON lexicon ({error.__class__.__name__}); expected {FORMAT}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise InputError(f"{path}: format: {raw.get('format') if isinstance(raw, dict) else raw!r} (expected {FORMAT})")
    revision = raw.get("revision")
    if type(revision) is not int or revision < 0:
        raise InputError(f"{path}: revision: {revision!r} (expected a non-negative integer)")
    annotations = raw.get("annotations")
    if not isinstance(annotations, dict):
        raise InputError(f"{path}: annotations: expected an object keyed by annotation id")
    return ProjectLexicon(
        path=path,
        project_id=project_id,
        title=(raw.get("project") or {}).get("title"),
        revision=revision,
        contributions={key: _contribution(value, f"{path}: annotations.{key}") for key, value in annotations.items()},
    )


class LexiconStore:
    """The lexicons of every project a backend serves, under ``data_dir/backend/``; thread-safe."""

    def __init__(self, data_dir: Path):
        self.folder = Path(data_dir) / FOLDER
        self._lexicons: dict[int, ProjectLexicon] = {}
        self._lock = threading.Lock()

    def path(self, project_id: int) -> Path:
        return self.folder / f"project-{project_id}.lexicon.json"

    def _get(self, project_id: int) -> ProjectLexicon:
        if project_id not in self._lexicons:
            self._lexicons[project_id] = load_lexicon_file(self.path(project_id), project_id)
        return self._lexicons[project_id]

    def snapshot(self, project_id: int, excluded_document: str | None = None) -> tuple[str, dict[str, str]]:
        """The model version and learned labels of a project, read together; ``excluded_document``: without what
        the annotations of that document taught (the independence rule, docs/model.md)."""
        with self._lock:
            lexicon = self._get(project_id)
            return lexicon.model_version, lexicon.learned(excluded_document)

    def learn(self, project_id: int, title: str | None, annotation_id: str, contribution: Contribution) -> str:
        """Keep one annotation's mentions (written at once when they changed); returns the model version."""
        with self._lock:
            lexicon = self._get(project_id)
            kept = copy.deepcopy(lexicon)
            lexicon.title = title or lexicon.title
            if lexicon.record(annotation_id, contribution):
                self._save(lexicon, kept)
            return lexicon.model_version

    def forget(self, project_id: int, annotation_ids: Iterable[str]) -> str:
        with self._lock:
            lexicon = self._get(project_id)
            kept = copy.deepcopy(lexicon)
            if lexicon.forget(annotation_ids):
                self._save(lexicon, kept)
            return lexicon.model_version

    def _save(self, lexicon: ProjectLexicon, kept: ProjectLexicon) -> None:
        """Write the changed lexicon; if that fails, memory goes back to what the file holds (the next event is
        learnt from the same state as after a restart)."""
        try:
            lexicon.save()
        except BaseException:
            self._lexicons[lexicon.project_id] = kept
            raise


def find_project_lexicon(data_dir: Path, project: str | None) -> ProjectLexicon:
    """The one stored lexicon of the project titled ``project`` (any title when there is only one lexicon)."""
    folder = Path(data_dir) / FOLDER
    found = []
    for path in sorted(folder.glob("project-*.lexicon.json")) if folder.is_dir() else []:
        number = path.name.removeprefix("project-").removesuffix(".lexicon.json")
        if number.isdigit():
            found.append(load_lexicon_file(path, int(number)))
    if not found:
        raise InputError(
            f"no lexicon in {folder} (expected one written by `toolkit backend` learning)", parameter="data_dir"
        )
    matching = [lexicon for lexicon in found if project is None or lexicon.title == project]
    if len(matching) == 1:
        return matching[0]
    listed = ", ".join(f"{lexicon.project_id} ({lexicon.title!r})" for lexicon in found)
    if not matching:
        raise InputError(
            f"no lexicon for project {project!r} in {folder} (found projects {listed})", parameter="project"
        )
    raise ConflictError(f"{len(matching)} lexicons in {folder} match (projects {listed}); expected one")
