"""Per-annotator annotation records: loading, grouping by document, and comparable item values.

A per-annotator file may hold the same document several times (one record per
annotator), so it is read record by record rather than with `validate_file`,
which refuses repeated ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from toolkit.errors import Problem, ValidationError
from toolkit.files import iter_jsonl
from toolkit.inventory import ENTITY_CLAIMER
from toolkit.validate import DEFAULT_MAX_PROBLEMS, CheckContext, Documents, check_annotation, schema_findings

Record = dict[str, Any]
ByDocument = dict[str, dict[str, Record]]  # document id → annotator → record


def load_annotator_records(
    paths: Sequence[str | Path], documents: Documents, documents_source: str = "the documents file"
) -> list[Record]:
    """Every record of the files, each checked like `toolkit validate` checks one.

    Also required: an ``annotator`` on every record, and at most one record per
    document per annotator across all files.  All problems are collected and
    raised together as `ValidationError`.
    """
    problems: list[Problem] = []
    records: list[Record] = []
    first_seen: dict[tuple[str, str], str] = {}
    context = CheckContext(documents, documents_source)
    for path in paths:
        name = str(path)
        for line, record in iter_jsonl(path, problems):
            findings = schema_findings("annotation", record) or list(check_annotation(record, context))
            if not findings and "annotator" not in record:
                findings = [
                    (
                        "annotator",
                        "missing (expected the annotator's name: agreement and adjudication read "
                        "per-annotator records, e.g. from `toolkit pull`)",
                    )
                ]
            if not findings:
                key = (record["id"], record["annotator"])
                if key in first_seen:
                    findings = [
                        (
                            "annotator",
                            f"second record of document {key[0]!r} by {key[1]!r} "
                            f"(expected one record per document per annotator; first at {first_seen[key]})",
                        )
                    ]
                else:
                    first_seen[key] = f"{name}:{line}"
                    records.append(record)
            problems.extend(Problem(name, line, field, message) for field, message in findings)
    if problems:
        raise ValidationError(problems[:DEFAULT_MAX_PROBLEMS], truncated=len(problems) > DEFAULT_MAX_PROBLEMS)
    return records


def group_by_document(records: Sequence[Record]) -> ByDocument:
    """Records by document id (sorted) and then by annotator (sorted), so every result is order-independent."""
    grouped: dict[str, dict[str, Record]] = {}
    for record in records:
        grouped.setdefault(record["id"], {})[record["annotator"]] = record
    return {doc_id: dict(sorted(grouped[doc_id].items())) for doc_id in sorted(grouped)}


def _name(text: str) -> str:
    return " ".join(text.split())


def claimer_value(claim: Mapping[str, Any], record: Mapping[str, Any]) -> str:
    """The claimer as a value two annotators can share: the kind, and for entities the names of the mentions.

    Entity ids are private to each record, so an entity claimer is compared by
    the text of its mentions (whitespace collapsed, case folded): two annotators
    who attribute a claim to different mentions of "Putin" agree on the claimer.
    """
    return _claimer(claim, record, str.casefold)


def claimer_shown(claim: Mapping[str, Any], record: Mapping[str, Any]) -> str:
    """The claimer as a person reads it: like `claimer_value`, with the names as the text writes them."""
    return _claimer(claim, record, None)


def _claimer(claim: Mapping[str, Any], record: Mapping[str, Any], fold) -> str:
    claimer = claim["claimer"]
    if claimer["kind"] != ENTITY_CLAIMER:
        return claimer["kind"]
    texts = {entity["id"]: entity["text"] for entity in record["entities"]}
    names: dict[str, str] = {}  # folded → the first form written, so "Putin" and "PUTIN" are one name
    for entity_id in claimer["entity_ids"]:
        name = _name(texts[entity_id])
        names.setdefault(name.casefold(), fold(name) if fold else name)
    return f"{ENTITY_CLAIMER}: " + " + ".join(names[key] for key in sorted(names))


def stance_value(claim: Mapping[str, Any], record: Mapping[str, Any]) -> str:
    return claim["stance"]


# The attributes of a claim that annotators can agree on, compared on claims both marked.
CLAIM_ATTRIBUTES = {"stance": stance_value, "claimer": claimer_value}
# How each attribute is shown in a report (the same value, written as the text has it).
CLAIM_ATTRIBUTES_SHOWN = {"stance": stance_value, "claimer": claimer_shown}
