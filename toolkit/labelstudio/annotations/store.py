"""The latest annotation per annotator and document, kept on disk in SQLite while an export is read."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.files import dumps_line, open_input, unusable_part
from toolkit.labelstudio.annotations.reading import (
    SHOWN_NOTES,
    SHOWN_PROBLEMS,
    AnnotationRejected,
    ConversionProblem,
    Record,
    TaskLink,
    _is_id,
    _record,
    _short,
    _task_text,
    _validation_reasons,
    annotation_shape,
    annotator_name,
    read_annotation,
    task_shape,
)
from toolkit.labelstudio.config import NAMES

# how ijson's pure-Python parser refuses an integer Python will not read (more digits than its limit)
LONG_INTEGER = re.compile(rf"Unexpected symbol '-?[0-9]{{{sys.get_int_max_str_digits() + 1},}}'")
_SCHEMA = """
CREATE TABLE latest (  -- the annotator's latest annotation of the document that converts
    annotator TEXT NOT NULL, doc_id TEXT NOT NULL, updated TEXT NOT NULL, annotation_id INTEGER NOT NULL,
    record TEXT NOT NULL,  -- one JSONL line
    unlabelled INTEGER NOT NULL,  -- its claims whose claimer comes from an unlabelled relation
    PRIMARY KEY (annotator, doc_id)
) WITHOUT ROWID;
CREATE TABLE broken (  -- annotations that do not convert and are later than the kept one (or there is none)
    annotator TEXT NOT NULL, doc_id TEXT NOT NULL, updated TEXT NOT NULL, annotation_id INTEGER NOT NULL
);
CREATE INDEX broken_by_key ON broken (annotator, doc_id);
CREATE TABLE messages (
    annotator TEXT NOT NULL, doc_id TEXT NOT NULL, updated TEXT NOT NULL, rank_id INTEGER NOT NULL,
    problem INTEGER NOT NULL, task_id, annotation_id, reason TEXT NOT NULL, link TEXT, position INTEGER NOT NULL
);
CREATE INDEX messages_by_key ON messages (annotator, doc_id);
"""


@dataclass
class Candidate:
    """One submitted annotation of a document by an annotator, converted or not."""

    annotator: str
    doc_id: str
    rank: tuple[str, int]  # (updated_at or created_at, annotation id): the larger is the later
    record_line: str | None
    problems: list[ConversionProblem]
    notes: list[ConversionProblem]
    unlabelled_claimers: int = 0


@dataclass(frozen=True)
class ConversionSummary:
    """What a user reads after a conversion: counts and the first problems and notes (the file has them all)."""

    tasks: int
    submitted: int
    cancelled: int
    superseded: int
    records: int
    annotators: int
    rejected: int
    problem_count: int
    problems: list[ConversionProblem]
    note_count: int
    notes: list[ConversionProblem]
    unlabelled_claimers: int = 0  # converted claims whose claimer comes from an unlabelled relation


@dataclass
class Conversion:
    """What one export gave: counts, the latest records (in SQLite), their problems and notes."""

    database: sqlite3.Connection
    tasks: int = 0
    submitted: int = 0
    cancelled: int = 0
    superseded: int = 0
    malformed: list[ConversionProblem] = field(default_factory=list)  # tasks or annotations too broken to key
    _position: int = 0

    @classmethod
    def open(cls, path: str | Path = ":memory:") -> Conversion:
        database = sqlite3.connect(str(path))
        database.executescript(_SCHEMA)
        return cls(database)

    def offer(self, candidate: Candidate) -> None:
        """Keep the annotator's latest annotation of the document that converts; list every broken one after it.

        A broken annotation never replaces a converted one: it leaves no record and its problems are listed (until
        a later converted annotation replaces it), so a broken copy of a task cannot erase the good annotation.
        """
        key = (candidate.annotator, candidate.doc_id)
        held = self.database.execute(
            "SELECT updated, annotation_id FROM latest WHERE annotator = ? AND doc_id = ?", key
        ).fetchone()
        if held is not None and candidate.rank <= tuple(held):
            self.superseded += 1
            return
        if candidate.record_line is None:
            self.database.execute("INSERT INTO broken VALUES (?, ?, ?, ?)", (*key, *candidate.rank))
        else:
            earlier = "annotator = ? AND doc_id = ? AND (updated, {0}) < (?, ?)"
            replaced = self.database.execute(
                "DELETE FROM broken WHERE " + earlier.format("annotation_id"), (*key, *candidate.rank)
            ).rowcount
            self.superseded += replaced + (held is not None)
            self.database.execute("DELETE FROM messages WHERE " + earlier.format("rank_id"), (*key, *candidate.rank))
            self.database.execute(
                "INSERT OR REPLACE INTO latest VALUES (?, ?, ?, ?, ?, ?)",
                (*key, *candidate.rank, candidate.record_line, candidate.unlabelled_claimers),
            )
        for is_problem, messages in ((1, candidate.problems), (0, candidate.notes)):
            for message in messages:
                self._position += 1
                self.database.execute(
                    "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        *key,
                        *candidate.rank,
                        is_problem,
                        message.task_id,
                        message.annotation_id,
                        message.reason,
                        message.link,
                        self._position,
                    ),
                )

    # --- reading back ---

    def annotators(self) -> list[str]:
        rows = self.database.execute("SELECT DISTINCT annotator FROM latest ORDER BY 1")
        return [annotator for (annotator,) in rows]

    def record_lines(self, annotator: str) -> Iterator[str]:
        """The annotator's records as JSONL lines, by document id."""
        rows = self.database.execute("SELECT record FROM latest WHERE annotator = ? ORDER BY doc_id", (annotator,))
        for (line,) in rows:
            yield line

    def records(self) -> list[Record]:
        """Every record (for tests and small exports; a pull streams `record_lines` instead)."""
        return [json.loads(line) for annotator in self.annotators() for line in self.record_lines(annotator)]

    def record_count(self) -> int:
        return self.database.execute("SELECT count(*) FROM latest").fetchone()[0]

    def _messages(self, problem: bool, limit: int | None = None) -> Iterator[ConversionProblem]:
        if problem:
            yield from self.malformed[:limit]
            limit = None if limit is None else max(0, limit - len(self.malformed))
        query = (
            "SELECT task_id, annotation_id, annotator, doc_id, reason, link FROM messages WHERE problem = ? "
            "ORDER BY task_id, annotation_id, position"
        )
        rows = self.database.execute(query + (f" LIMIT {int(limit)}" if limit is not None else ""), (int(problem),))
        for row in rows:
            yield ConversionProblem(*row)

    def problems(self, limit: int | None = None) -> list[ConversionProblem]:
        return list(self._messages(True, limit))

    def iter_problems(self) -> Iterator[ConversionProblem]:
        return self._messages(True)

    def notes(self, limit: int | None = None) -> list[ConversionProblem]:
        return list(self._messages(False, limit))

    def count(self, problem: bool) -> int:
        counted = self.database.execute("SELECT count(*) FROM messages WHERE problem = ?", (int(problem),)).fetchone()
        return counted[0] + (len(self.malformed) if problem else 0)

    def rejected(self) -> int:
        """Annotations that were not converted (and not replaced by a later converted one), and malformed ones."""
        malformed = {(problem.task_id, problem.annotation_id) for problem in self.malformed}
        return self.database.execute("SELECT count(*) FROM broken").fetchone()[0] + len(malformed)

    def summary(self) -> ConversionSummary:
        return ConversionSummary(
            tasks=self.tasks,
            submitted=self.submitted,
            cancelled=self.cancelled,
            superseded=self.superseded,
            records=self.record_count(),
            annotators=len(self.annotators()),
            rejected=self.rejected(),
            problem_count=self.count(problem=True),
            problems=self.problems(SHOWN_PROBLEMS),
            note_count=self.count(problem=False),
            notes=self.notes(SHOWN_NOTES),
            unlabelled_claimers=self.unlabelled_claimers(),
        )

    def unlabelled_claimers(self) -> int:
        return self.database.execute("SELECT coalesce(sum(unlabelled), 0) FROM latest").fetchone()[0]

    def close(self) -> None:
        self.database.close()


def _rank(annotation: Mapping[str, Any]) -> tuple[str, int]:
    annotation_id = annotation.get("id")
    when = annotation.get("updated_at") or annotation.get("created_at") or ""
    return str(when), annotation_id if isinstance(annotation_id, int) and not isinstance(annotation_id, bool) else 0


def _task_is_usable(task: Mapping[str, Any]) -> bool:
    data = task.get("data")
    return isinstance(data, Mapping) and isinstance(data.get(NAMES.text), str) and isinstance(data.get("doc_id"), str)


def add_task(
    conversion: Conversion,
    task: Any,
    users: Mapping[int, str],
    documents: Mapping[str, Mapping[str, Any]] | None,
    task_link: TaskLink | None,
) -> None:
    """Convert every submitted annotation of one exported task; a malformed task or annotation is listed."""
    if not isinstance(task, Mapping):
        raise InputError("the export holds a task that is not a JSON object (expected a Label Studio JSON export)")
    conversion.tasks += 1
    task_id = task.get("id") if _is_id(task.get("id")) else _short(task.get("id"), 20)
    malformed = [ConversionProblem(task_id, None, "", "", reason) for reason in task_shape(task)]
    annotations = []
    for annotation in [] if malformed else task.get("annotations") or []:
        reasons = annotation_shape(annotation)
        if not reasons:
            annotations.append(annotation)
            continue
        is_object = isinstance(annotation, Mapping)
        who = annotator_name(annotation.get("completed_by"), users) if is_object else ""
        shown = annotation.get("id") if is_object and _is_id(annotation.get("id")) else None
        malformed += [ConversionProblem(task_id, shown, who, "", reason) for reason in reasons]
    conversion.malformed += malformed
    submitted = [a for a in annotations if not a.get("was_cancelled")]
    conversion.cancelled += len(annotations) - len(submitted)
    conversion.submitted += len(submitted)
    if not submitted:
        return
    data = task.get("data") if isinstance(task.get("data"), Mapping) else {}
    doc_id = str(data.get("doc_id"))
    text = digest = None
    try:
        if not _task_is_usable(task):
            raise AnnotationRejected(
                ["task data has no text and doc_id (expected a task made by `toolkit push` or `toolkit tasks`)"]
            )
        text, digest = _task_text(task, documents)
        task_reasons: list[str] = []
    except AnnotationRejected as rejected:
        task_reasons = rejected.reasons
    for annotation in submitted:
        who = annotator_name(annotation.get("completed_by"), users)
        reasons, notes, line, unlabelled = task_reasons, [], None, 0
        if not reasons:
            read = read_annotation(annotation.get("result"), text)
            reasons, notes, unlabelled = read.reasons, read.notes, read.unlabelled_claimers
            if not reasons:
                record = _record(task, annotation, who, digest, read)
                reasons = _validation_reasons(record, text)
                line = None if reasons else dumps_line(record)

        link = task_link(task, annotation) if task_link else None

        def located(messages: list[str], annotation=annotation, who=who, link=link) -> list[ConversionProblem]:
            return [ConversionProblem(task.get("id"), annotation.get("id"), who, doc_id, m, link) for m in messages]

        conversion.offer(Candidate(who, doc_id, _rank(annotation), line, located(reasons), located(notes), unlabelled))


def convert_tasks(
    tasks: Iterable[Any],
    users: Mapping[int, str] | None = None,
    documents: Mapping[str, Mapping[str, Any]] | None = None,
    task_link: TaskLink | None = None,
    database: str | Path = ":memory:",
) -> Conversion:
    """Convert every submitted annotation of an export's tasks, one task at a time."""
    if isinstance(tasks, (Mapping, str, bytes)):
        raise InputError(
            f"the export is a JSON {'object' if isinstance(tasks, Mapping) else 'string'} "
            "(expected the list of tasks of a Label Studio JSON export)"
        )
    conversion = Conversion.open(database)
    try:
        for task in tasks:
            add_task(conversion, task, users or {}, documents, task_link)
    except BaseException:
        conversion.close()
        raise
    return conversion


def iter_export(path: Path) -> Iterator[Any]:
    """The tasks of a JSON export file one by one (as downloaded from the UI or saved by ``toolkit pull``).

    Opened by the one reader (a FIFO or a folder is refused); a task nested too deeply or holding a lone surrogate
    is refused with its place, as `toolkit.files.loads` refuses a record.  The C parser reads integers as 64-bit
    numbers; when one is larger (a region end of 2⁶³), the rest is read by ijson's pure-Python parser, which reads
    any integer Python reads, so that task alone fails its checks.
    """
    import ijson

    path = Path(path)
    expected = "(expected a Label Studio JSON export, not JSON_MIN or CSV)"
    with open_input(path, "a Label Studio JSON export") as handle:
        first = handle.read(64).lstrip()
        if not first.startswith(b"["):
            kind = {b"{": "an object", b"": "empty"}.get(first[:1], "not a JSON list")
            raise InputError(f"{path}: the export is {kind} (expected the list of tasks of a Label Studio JSON export)")
        count = 0
        parsers = [ijson, ijson.get_backend("python")]
        try:
            while parsers:
                parser = parsers.pop(0)
                handle.seek(0)
                try:
                    for index, task in enumerate(parser.items(handle, "item", use_float=True)):
                        if index < count:
                            continue  # yielded before the C parser met a number it cannot hold
                        count += 1
                        found = unusable_part(task)
                        if found:
                            raise InputError(f"{path}: task {count}: {found[0]}: {found[1]}")
                        yield task
                    return
                except ijson.JSONError as error:
                    if not parsers or "integer overflow" not in str(error):
                        raise
        except ijson.JSONError as error:
            raise InputError(f"{path}: invalid JSON after task {count}: {_parse_error(error)} {expected}") from None
        except RecursionError:
            raise InputError(f"{path}: task {count + 1}: nested too deeply {expected}") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 after task {count} {expected}") from None


def _parse_error(error: Exception) -> str:
    """ijson's reason on one short line (the pure-Python parser quotes the whole unexpected symbol)."""
    reason = " ".join(str(error).split())
    if LONG_INTEGER.match(reason):
        return f"unreadable number: an integer of more than {sys.get_int_max_str_digits()} digits"
    return reason if len(reason) <= 200 else reason[:199] + "…"
