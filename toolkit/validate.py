"""Validation of documents, annotation records and prediction records.

Two passes per record: the JSON Schema (structure, types, labels from the
inventory) and then meaning (offsets inside the text, span text equal to the
document slice, ids unique and resolvable, hashes matching).  Every problem is
collected as a `Problem` located by file, line and field, so a user fixes all
of them in one go.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from toolkit.documents import text_sha256
from toolkit.errors import ConflictError, InputError, Problem, ValidationError, mention
from toolkit.files import MAX_DEPTH, JsonProblem, field_path, iter_jsonl, json_type, loads, numpy_number
from toolkit.paths import DEFAULT_DOCUMENTS
from toolkit.schemas import KINDS, fast_check, validator

DEFAULT_MAX_PROBLEMS = 100
Documents = Mapping[str, Mapping[str, Any]]
Finding = tuple[str, str]  # (field, message)


@dataclass
class ValidationResult:
    path: Path | None  # None for records given in memory
    kind: str
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False
    ignored: list[str] = field(default_factory=list)


def detect_kind(record: Mapping[str, Any]) -> str:
    """Documents carry ``text``; annotation records ``text_sha256``; anything else is a prediction."""
    if "text" in record:
        return "document"
    if "text_sha256" in record:
        return "annotation"
    return "prediction"


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _schema_message(error) -> Finding:
    """Turn one jsonschema error into ``(field, 'what is wrong (expected …)')``."""
    path = list(error.absolute_path)
    value = error.instance
    kind = error.validator
    expected = error.validator_value
    if kind == "required":
        missing = next(name for name in expected if name not in value)
        return field_path(path + [missing]), "missing (expected this required field)"
    if kind == "additionalProperties":
        allowed = ", ".join(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(error.schema.get("properties", {})))
        return field_path(path + [extra[0]]), f"unexpected field (expected only: {allowed})"
    if kind == "enum":
        return field_path(path), f"{_short(value)} is not allowed (expected one of: {', '.join(map(str, expected))})"
    if kind == "const":
        return field_path(path), f"{_short(value)} (expected {expected!r})"
    if kind == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return field_path(path), f"got {json_type(value)} {_short(value)} (expected {wanted})"
    if kind == "pattern":
        return field_path(path), f"{_short(value)} has the wrong form (expected to match {expected})"
    if kind == "minimum":
        return field_path(path), f"{value} is too small (expected >= {expected})"
    if kind == "minLength":
        return field_path(path), f"{_short(value)} is empty (expected a non-empty string)"
    if kind == "minItems":
        return field_path(path), f"is empty (expected at least {expected} item)"
    if kind == "maxItems":
        return field_path(path), f"has {len(value)} item(s) (expected none for this claimer kind)"
    if kind == "uniqueItems":
        return field_path(path), "has repeated items (expected each item once)"
    if kind == "oneOf" and path and path[-1] == "claimer":
        return field_path(path), f'got {_short(value)} (expected "AUTHOR", "UNNAMED" or an object {{start, end}})'
    return field_path(path), f"{error.message}"


def schema_findings(kind: str, record: Mapping[str, Any]) -> list[Finding]:
    """Every schema error of one record as ``(field, message)``; empty when valid."""
    from fastjsonschema import JsonSchemaException

    try:
        fast_check(kind)(record)
        return []
    except JsonSchemaException:
        pass
    errors = sorted(
        validator(kind).iter_errors(record),
        key=lambda e: ([(isinstance(p, str), p) for p in e.absolute_path], e.validator),
    )
    return [_schema_message(error) for error in errors]


def span_findings(item: Mapping[str, Any], prefix: str, text: str) -> Iterator[Finding]:
    """Offsets inside the text, end after start, and ``text`` equal to the slice when given."""
    start, end = item["start"], item["end"]
    for name, value in (("start", start), ("end", end)):
        if type(value) is not int:  # JSON Schema's "integer" admits 5.0; an offset must be written as 5
            yield f"{prefix}.{name}", f"got {value!r} (expected an integer offset, written without a decimal point)"
            return
    if end <= start:
        yield f"{prefix}.end", f"{end} is not after start {start} (expected end > start)"
        return
    if end > len(text):
        yield f"{prefix}.end", f"{end} is past the end of the text (expected <= {len(text)})"
        return
    if "text" in item and item["text"] != text[start:end]:
        yield (
            f"{prefix}.text",
            f"{_short(item['text'])} does not match the document text[{start}:{end}] = {_short(text[start:end])}",
        )


def _document_for(record: Mapping[str, Any], documents: Documents, source: str) -> Iterator[Finding]:
    if record["id"] not in documents:
        yield "id", f"{record['id']!r} is not a document in {source} (expected the id of a document)"


def _duplicates(items: list, key: Callable, prefix: str, what: str) -> Iterator[Finding]:
    first_seen: dict = {}
    for index, item in enumerate(items):
        first = first_seen.setdefault(key(item), index)
        if first != index:
            yield f"{prefix}[{index}]", f"duplicate of {prefix}[{first}] (expected each {what} once)"


def _claimer_key(claimer: Any) -> Any:
    if isinstance(claimer, Mapping):
        return (
            "span",
            claimer.get("kind"),
            claimer.get("start"),
            claimer.get("end"),
            tuple(sorted(claimer.get("entity_ids", []))),
        )
    return ("keyword", claimer)


def is_date(value: str) -> bool:
    """A real calendar date written YYYY-MM-DD (2024-02-30 is not one)."""
    try:
        return len(value) == 10 and date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


@dataclass
class CheckContext:
    documents: Documents
    documents_source: str


def check_document(record: Mapping[str, Any], context: CheckContext) -> Iterator[Finding]:
    text = record["text"]
    if "\r" in text:
        yield "text", "contains a carriage return (expected \\n line endings; `toolkit ingest` normalises them)"
    if not unicodedata.is_normalized("NFC", text):
        yield "text", "is not in Unicode NFC (expected NFC; `toolkit ingest` normalises it)"
    actual = text_sha256(text)
    if record["text_sha256"] != actual:
        yield "text_sha256", f"does not match the text (expected {actual})"
    published = record.get("published")
    if isinstance(published, str) and not is_date(published):
        yield "published", f"{published!r} is not a real date (expected YYYY-MM-DD)"


def check_annotation(record: Mapping[str, Any], context: CheckContext) -> Iterator[Finding]:
    missing = list(_document_for(record, context.documents, context.documents_source))
    if missing:
        yield from missing
        return
    document = context.documents[record["id"]]
    if record["text_sha256"] != document["text_sha256"]:
        yield "text_sha256", f"does not match document {record['id']!r} (expected {document['text_sha256']})"
        return
    text = document["text"]
    ids: dict[str, str] = {}
    for layer in ("entities", "claims"):
        for index, item in enumerate(record[layer]):
            prefix = f"{layer}[{index}]"
            if item["id"] in ids:
                yield f"{prefix}.id", f"duplicate id {item['id']!r} (expected unique ids; first at {ids[item['id']]})"
            else:
                ids[item["id"]] = f"{prefix}.id"
            yield from span_findings(item, prefix, text)
    entity_ids = {entity["id"] for entity in record["entities"]}
    for index, claim in enumerate(record["claims"]):
        for position, entity_id in enumerate(claim["claimer"]["entity_ids"]):
            if entity_id not in entity_ids:
                yield (
                    f"claims[{index}].claimer.entity_ids[{position}]",
                    f"{entity_id!r} is not an entity of this record (expected the id of an entity mention)",
                )
    yield from _duplicates(
        record["entities"], lambda e: (e["start"], e["end"], e["label"]), "entities", "span and label"
    )
    yield from _duplicates(
        record["claims"],
        lambda c: (c["start"], c["end"], _claimer_key(c["claimer"])),
        "claims",
        "claim span and claimer",
    )


def check_prediction(record: Mapping[str, Any], context: CheckContext) -> Iterator[Finding]:
    missing = list(_document_for(record, context.documents, context.documents_source))
    if missing:
        yield from missing
        return
    text = context.documents[record["id"]]["text"]
    entities = record.get("entities", [])
    claims = record.get("claims", [])
    for index, entity in enumerate(entities):
        yield from span_findings(entity, f"entities[{index}]", text)
    for index, claim in enumerate(claims):
        yield from span_findings(claim, f"claims[{index}]", text)
        if isinstance(claim["claimer"], Mapping):
            yield from span_findings(claim["claimer"], f"claims[{index}].claimer", text)
    yield from _duplicates(entities, lambda e: (e["start"], e["end"], e["label"]), "entities", "span and label")
    yield from _duplicates(
        claims, lambda c: (c["start"], c["end"], _claimer_key(c["claimer"])), "claims", "claim span and claimer"
    )


SEMANTIC_CHECKS: dict[str, Callable[[Mapping[str, Any], CheckContext], Iterator[Finding]]] = {
    "document": check_document,
    "annotation": check_annotation,
    "prediction": check_prediction,
}


@dataclass(frozen=True)
class Location:
    """How the problems of one input are located: ``FILE:LINE`` in a file, ``record N`` (the index) in memory."""

    file: str | None = None  # None: records given in memory

    def problem(self, number: int, where: str, message: str) -> Problem:
        if self.file is None:
            return Problem(f"record {number}", 0, where, message)
        return Problem(self.file, number, where, message)

    def describe(self, number: int) -> str:
        return f"record {number}" if self.file is None else f"line {number}"


def iter_checked(
    path: Path,
    kind: str,
    documents: Documents | None,
    documents_source: str,
    problems: list[Problem],
    ignore: Callable[[Mapping[str, Any]], bool] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line, record)`` for every record while appending each problem found to ``problems``.

    The one loop behind `validate_file` (which keeps the records) and the
    dataset build (which keeps only where they are), so both report exactly
    the same problems.  Records for which ``ignore`` is true are skipped unchecked.
    """
    if kind != "document" and documents is None:
        raise InputError(
            f"{path}: {kind} records are checked against their documents (expected {mention('documents')} FILE)"
        )
    yield from check_records(
        iter_jsonl(path, problems), Location(str(path)), kind, documents, documents_source, problems, ignore
    )


def check_records(
    numbered: Iterable[tuple[int, dict[str, Any]]],
    location: Location,
    kind: str,
    documents: Documents | None,
    documents_source: str,
    problems: list[Problem],
    ignore: Callable[[Mapping[str, Any]], bool] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """`iter_checked` of records already read, ``(line or index, record)``."""
    context = CheckContext(documents or {}, documents_source)
    check = SEMANTIC_CHECKS[kind]
    seen_ids: dict[str, int] = {}
    for line, record in numbered:
        if ignore is not None and ignore(record):
            continue
        findings = schema_findings(kind, record) or list(check(record, context))
        record_id = record.get("id")
        if isinstance(record_id, str):
            if record_id in seen_ids:
                findings.append(
                    (
                        "id",
                        f"duplicate id {record_id!r} "
                        f"(expected one record per document; first on {location.describe(seen_ids[record_id])})",
                    )
                )
            else:
                seen_ids[record_id] = line
        problems.extend(location.problem(line, where, message) for where, message in findings)
        yield line, record


def json_records(records: Iterable[Any], problems: list[Problem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Records given in memory, numbered by index, each as its JSON text reads back (a tuple is an array, and what
    JSON cannot hold is a problem): in memory or in a file, a record means the same."""
    for index, record in enumerate(records):
        try:
            # What a file could not hold (NaN, a lone surrogate) is refused alike; a numpy number is its number.
            plain = loads(json.dumps(record, default=numpy_number))
            wrong = (
                None
                if isinstance(plain, dict)
                else ("(record)", f"got a JSON {json_type(plain)} (expected a JSON object)")
            )
        except JsonProblem as problem:
            wrong = ("(record)" if problem.field == "(line)" else problem.field, problem.message)
        except RecursionError:
            wrong = ("(record)", f"nested deeper than {MAX_DEPTH} levels (expected a record a few levels deep)")
        except (TypeError, ValueError) as error:
            wrong = ("(record)", f"cannot be written as JSON: {error} (expected a JSON object)")
        if wrong is not None:
            where, message = wrong
            problems.append(Location().problem(index, where, message))
            continue
        yield index, plain


def validate_file(
    path: str | Path,
    kind: str | None = None,
    documents: Documents | None = None,
    documents_source: str = "the documents file",
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    ignore: Callable[[Mapping[str, Any]], bool] | None = None,
) -> ValidationResult:
    """Check every record of a JSONL file; returns the records and all problems found.

    ``kind`` is detected from the first record when not given.  Annotation and
    prediction records need ``documents`` (by id) to check offsets and hashes.
    Records for which ``ignore`` is true are neither checked nor returned; their
    ids are listed in ``ignored`` (the scorer's ``--ignore-extra``).
    """
    path = Path(path)
    if kind is not None and kind not in KINDS:
        raise InputError(f"{kind!r} is not a record kind (expected one of: {', '.join(KINDS)})", parameter="kind")
    kind = kind or first_kind(path) or "document"
    return _gathered(
        ValidationResult(path=path, kind=kind),
        lambda problems, ignored: iter_checked(path, kind, documents, documents_source, problems, ignored),
        max_problems,
        ignore,
    )


def validate_records(
    records: Iterable[Any],
    kind: str,
    documents: Documents | None,
    documents_source: str = "the documents file",
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    ignore: Callable[[Mapping[str, Any]], bool] | None = None,
) -> ValidationResult:
    """`validate_file` of records given in memory (as `json_records` reads them): the same checks and messages,
    located as ``record N`` (the index in ``records``) instead of ``FILE:LINE``."""
    if kind != "document" and documents is None:
        raise InputError(f"{kind} records are checked against their documents (expected the documents)")

    def checked(problems: list[Problem], ignored) -> Iterator[tuple[int, dict[str, Any]]]:
        numbered = json_records(records, problems)
        return check_records(numbered, Location(), kind, documents, documents_source, problems, ignored)

    return _gathered(ValidationResult(path=None, kind=kind), checked, max_problems, ignore)


def _gathered(
    result: ValidationResult,
    checked: Callable[[list[Problem], Callable], Iterator[tuple[int, dict[str, Any]]]],
    max_problems: int,
    ignore: Callable[[Mapping[str, Any]], bool] | None,
) -> ValidationResult:
    """``result`` with the records and the first ``max_problems`` problems of ``checked(problems, ignored)``."""

    def ignored(record: Mapping[str, Any]) -> bool:
        if ignore is not None and ignore(record):
            result.ignored.append(record.get("id"))
            return True
        return False

    problems: list[Problem] = []
    stopped = False
    for _, record in checked(problems, ignored):
        result.records.append(record)
        if len(problems) >= max_problems:
            stopped = True
            break
    result.truncated = stopped or len(problems) > max_problems
    result.problems = problems[:max_problems]
    return result


def load_documents(path: str | Path = DEFAULT_DOCUMENTS) -> dict[str, dict[str, Any]]:
    """Documents by id, validated: annotations are only ever checked against valid documents."""
    path = Path(path)
    result = validate_file(path, kind="document")
    if result.problems:
        raise ValidationError(result.problems, result.truncated)
    return {record["id"]: record for record in result.records}


def require_valid(
    path: str | Path, kind: str, documents: Documents | None = None, documents_source: str = "the documents file"
) -> list[dict[str, Any]]:
    """The records of a file that must be valid; raises `ValidationError` listing every problem."""
    result = validate_file(path, kind=kind, documents=documents, documents_source=documents_source)
    if result.problems:
        raise ValidationError(result.problems, result.truncated)
    return result.records


def first_kind(path: Path) -> str | None:
    """The kind of a file's first readable record, or None for an empty file."""
    for _, record in iter_jsonl(path, problems=[]):
        return detect_kind(record)
    return None


def _documents_among(results: list[ValidationResult]) -> Documents:
    """Documents by id from the documents files given for validation; the same id with two texts is a conflict."""
    documents: dict[str, Mapping[str, Any]] = {}
    for result in results:
        for record in result.records:
            first = documents.setdefault(record["id"], record)
            if first["text_sha256"] != record["text_sha256"]:
                raise ConflictError(
                    f"{result.path}: id {record['id']!r} comes with another text in an earlier documents file "
                    f"(expected one text per id, or {mention('documents')} FILE)"
                )
    return documents


def validate_paths(
    paths: list[Path], kind: str | None, documents_path: Path | None, max_problems: int
) -> list[ValidationResult]:
    """Validate every file; returns their results in the order given, raises `ValidationError` with all problems.

    Annotation and prediction records are checked against ``documents_path`` when given, else against the
    documents files among ``paths`` (``toolkit validate documents.jsonl gold.jsonl``), else against
    ``annotations/documents.jsonl``.
    """
    kinds = {path: kind or first_kind(path) for path in paths}
    results = {
        path: validate_file(path, kind="document", max_problems=max_problems)
        for path in paths
        if kinds[path] in (None, "document")
    }
    if any(result.problems for result in results.values()):  # records cannot be checked against broken documents
        problems = [problem for result in results.values() for problem in result.problems]
        raise ValidationError(problems, any(result.truncated for result in results.values()))
    if any(kinds[path] not in (None, "document") for path in paths):
        if documents_path is None and results:
            documents, source = _documents_among(list(results.values())), ", ".join(map(str, results))
        else:
            documents_path = Path(documents_path or DEFAULT_DOCUMENTS)
            documents, source = load_documents(documents_path), str(documents_path)
        for path in paths:
            if path not in results:
                results[path] = validate_file(
                    path, kind=kinds[path], documents=documents, documents_source=source, max_problems=max_problems
                )
    ordered = [results[path] for path in paths]
    problems = [problem for result in ordered for problem in result.problems]
    if problems:
        raise ValidationError(problems, any(result.truncated for result in ordered))
    return ordered
