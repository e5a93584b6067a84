"""What every converter shares: the problem it raises, spans checked against the document text, prediction records
put in a canonical order, and the final check that they are what ``toolkit validate --kind prediction`` accepts."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import Problem, ValidationError
from toolkit.validate import check_prediction, schema_findings

Documents = Mapping[str, Mapping[str, Any]]
MAX_PROBLEMS = 100


class Bad(Exception):
    """One problem in one input record (``field``: where in that record); the caller adds the file and the line,
    unless the problem knows its own line (a token of a CoNLL file).  ``index``: the item of a list at fault."""

    def __init__(self, field: str, message: str, line: int | None = None, index: int | None = None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.line = line
        self.index = index


class Several(Exception):
    """Every problem found in one input record (each bad tag, each unknown label), raised together: a conversion
    reports all of them, as ``toolkit validate`` does."""

    def __init__(self, problems: Iterable[Bad]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s)")


def problems_of(error: Bad | Several) -> list[Bad]:
    return error.problems if isinstance(error, Several) else [error]


class Gathered:
    """The problems of the items of one record, gathered instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Bad] = []

    @contextlib.contextmanager
    def each(self) -> Iterator[None]:
        try:
            yield
        except (Bad, Several) as error:
            self.problems += problems_of(error)

    def raise_any(self) -> None:
        if self.problems:
            raise Several(self.problems)


@contextlib.contextmanager
def inside(prefix: str | None) -> Iterator[None]:
    """Locate the problems of a nested item (``docs[3]``) where the input has no lines."""
    try:
        yield
    except (Bad, Several) as error:
        for bad in problems_of(error) if prefix else ():
            bad.field = f"{prefix}.{bad.field}"
        raise


def convert_one(document: Mapping[str, Any], fill: Callable[[RecordBuilder, str], None]) -> dict[str, Any]:
    """One object converted in memory (a spaCy Doc, one pipeline output) into the record of ``document``; a problem
    is raised as a `ValidationError`, whose message quotes the first problems as the CLI prints them."""
    builder = RecordBuilder(document["id"])
    try:
        fill(builder, document["text"])
        return builder.record()
    except (Bad, Several) as found:
        problems = [Problem(f"document {document['id']!r}", 0, bad.field, bad.message) for bad in problems_of(found)]
        raise ValidationError(problems[:MAX_PROBLEMS], len(problems) > MAX_PROBLEMS) from None


def span(text: str, start: Any, end: Any, where: str) -> tuple[int, int]:
    """Offsets that are integers inside ``text`` with ``end`` after ``start``."""
    for name, value in (("start", start), ("end", end)):
        if type(value) is not int:
            raise Bad(f"{where}.{name}", f"got {value!r} (expected an integer character offset)")
    if not 0 <= start < end <= len(text):
        raise Bad(
            where,
            f"offsets {start}..{end} are not a span of the document text (expected 0 <= start < end <= {len(text)})",
        )
    return start, end


def entity(text: str, start: int, end: int, label: str, score: float | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"start": start, "end": end, "label": label, "text": text[start:end]}
    if score is not None:
        item["score"] = round(float(score), 6)
    return item


def claimer_span(text: str, start: int, end: int) -> dict[str, Any]:
    return {"start": start, "end": end, "text": text[start:end]}


def claim(text: str, start: int, end: int, stance: str, claimer: str | Mapping, score: float | None = None) -> dict:
    item: dict[str, Any] = {"start": start, "end": end, "text": text[start:end], "stance": stance, "claimer": claimer}
    if score is not None:
        item["score"] = round(float(score), 6)
    return item


def _claimer_key(claimer: str | Mapping) -> Any:
    return claimer if isinstance(claimer, str) else (claimer["start"], claimer["end"])


@dataclass
class RecordBuilder:
    """The items found for one document, possibly over several input records (one per sentence)."""

    doc_id: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] | None = None  # None: the input does not predict claims (the key stays absent)

    def add_claims(self, claims: Iterable[dict[str, Any]]) -> None:
        self.claims = [*(self.claims or []), *claims]

    def record(self) -> dict[str, Any]:
        """Items in text order; the same entity twice is kept once (with its best score)."""
        best: dict[tuple, dict[str, Any]] = {}
        for item in self.entities:
            key = (item["start"], item["end"], item["label"])
            if key not in best or item.get("score", 0) > best[key].get("score", 0):
                best[key] = item
        record: dict[str, Any] = {"id": self.doc_id, "entities": [best[key] for key in sorted(best)]}
        if self.claims is not None:
            kept: dict[tuple, dict[str, Any]] = {}
            for item in self.claims:
                key = (item["start"], item["end"], _claimer_key(item["claimer"]))
                if key in kept and kept[key]["stance"] != item["stance"]:
                    raise Bad(
                        "claims",
                        f"two claims at {item['start']}..{item['end']} with the same claimer and stances "
                        f"{kept[key]['stance']} and {item['stance']} (expected one stance per claim)",
                    )
                kept.setdefault(key, item)
            record["claims"] = sorted(
                kept.values(), key=lambda c: (c["start"], c["end"], str(_claimer_key(c["claimer"])))
            )
        return record


class Collector:
    """Problems of a whole input file, each located by file and line; raised together at the end."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    @contextlib.contextmanager
    def at(self, line: int) -> Iterator[None]:
        try:
            yield
        except (Bad, Several) as error:
            self.problems += [
                Problem(self.source, bad.line or line, bad.field, bad.message) for bad in problems_of(error)
            ]

    def raise_any(self) -> None:
        if self.problems:
            raise ValidationError(self.problems[:MAX_PROBLEMS], len(self.problems) > MAX_PROBLEMS)


def document_for(documents: Documents, doc_id: Any, where: str = "id") -> Mapping[str, Any]:
    if not isinstance(doc_id, str) or doc_id not in documents:
        raise Bad(where, f"{doc_id!r} is not the id of a document in the documents file (expected one of its ids)")
    return documents[doc_id]


def finish(builders: Mapping[str, RecordBuilder], documents: Documents, collector: Collector) -> list[dict[str, Any]]:
    """The records in documents-file order, each checked as ``toolkit validate --kind prediction`` checks it."""
    collector.raise_any()
    records = []
    for doc_id in documents:
        if doc_id in builders:
            with collector.at(0):
                records.append(builders[doc_id].record())
    collector.raise_any()
    check_predictions(records, documents)
    return records


def check_predictions(records: Iterable[Mapping[str, Any]], documents: Documents) -> None:
    """Raise `ValidationError` unless every record is a valid prediction record for its document."""
    from toolkit.validate import CheckContext

    context = CheckContext(documents, "the documents")
    problems = []
    for number, record in enumerate(records, start=1):
        findings = schema_findings("prediction", record) or list(check_prediction(record, context))
        problems += [Problem(f"converted record {record.get('id')!r}", number, where, what) for where, what in findings]
    if problems:
        raise ValidationError(problems[:MAX_PROBLEMS], len(problems) > MAX_PROBLEMS)
