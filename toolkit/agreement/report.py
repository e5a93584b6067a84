"""The Markdown disagreement report: per document, what a reviewer should look at, with the text in context.

User text goes into table cells through `toolkit.markdown.escape_markdown` and
`toolkit.markdown.in_context` (HTML escaped, ``|`` and backticks cannot split a
cell or open code, line breaks shown as ``↵``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from toolkit.agreement.figures import headline
from toolkit.agreement.matching import UNIT_RULES, Unit, group_units
from toolkit.agreement.records import CLAIM_ATTRIBUTES, CLAIM_ATTRIBUTES_SHOWN, ByDocument, Record, group_by_document
from toolkit.markdown import escape_markdown, in_context

NOT_MARKED = "—"


def _entity_value(item: Mapping[str, Any], record: Record) -> str:
    return f"{item['label']} {item['start']}–{item['end']}"


def _claim_value(item: Mapping[str, Any], record: Record) -> str:
    attributes = " · ".join(value_of(item, record) for value_of in CLAIM_ATTRIBUTES_SHOWN.values())
    return f"{attributes} · {item['start']}–{item['end']}"


# layer → (what an annotator's cell shows, the attributes whose disagreement is reported)
LAYERS = {
    "entities": (_entity_value, {"label": lambda item, record: item["label"]}),
    "claims": (_claim_value, CLAIM_ATTRIBUTES),
}


def unit_disagreements(
    unit: Unit, items: Mapping[str, Sequence[Mapping]], by_annotator: Mapping[str, Record], layer: str
) -> list[str]:
    """What differs inside one unit: who did not mark it, boundaries, and each attribute."""
    found = []
    missing = [annotator for annotator in by_annotator if annotator not in unit]
    if missing:
        found.append(f"marked only by {', '.join(unit)}")
    members = [(items[annotator][index], by_annotator[annotator]) for annotator, index in unit.items()]
    if len({(item["start"], item["end"]) for item, _ in members}) > 1:
        found.append("different boundaries")
    for attribute, value_of in LAYERS[layer][1].items():
        if len({value_of(item, record) for item, record in members}) > 1:
            found.append(f"different {attribute}")
    return found


def document_disagreements(by_annotator: Mapping[str, Record], text: str) -> list[dict[str, Any]]:
    """Rows for one document: each unit of entities and claims on which the annotators differ."""
    rows = []
    for layer, (show, _) in LAYERS.items():
        items = {annotator: record[layer] for annotator, record in by_annotator.items()}
        for unit in group_units(items, UNIT_RULES[layer]):
            found = unit_disagreements(unit, items, by_annotator, layer)
            if not found:
                continue
            members = [items[annotator][index] for annotator, index in unit.items()]
            start, end = min(item["start"] for item in members), max(item["end"] for item in members)
            cells = {
                annotator: show(items[annotator][unit[annotator]], by_annotator[annotator])
                if annotator in unit
                else NOT_MARKED
                for annotator in by_annotator
            }
            rows.append(
                {
                    "layer": layer,
                    "start": start,
                    "end": end,
                    "disagreement": "; ".join(found),
                    "context": in_context(text, start, end),
                    "cells": cells,
                }
            )
    return sorted(rows, key=lambda row: (row["start"], row["end"], row["layer"]))


def _table_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render_report(
    records: Sequence[Record], documents: Mapping[str, Mapping[str, Any]], agreement: Mapping[str, Any]
) -> str:
    """The whole report: headline figures, then one section per document annotated by two or more annotators."""
    grouped: ByDocument = group_by_document(records)
    lines = ["# Disagreements between annotators", ""]
    lines += [f"- {escape_markdown(line)}" for line in headline(agreement)]
    lines += [
        "",
        "Each row is one span as the annotators marked it (offsets are character positions, end-exclusive); "
        f"{NOT_MARKED} means the annotator did not mark it. The span is in bold in its context.",
        "",
    ]
    single = [doc_id for doc_id, by_annotator in grouped.items() if len(by_annotator) < 2]
    clean = []
    for doc_id, by_annotator in grouped.items():
        if len(by_annotator) < 2:
            continue
        rows = document_disagreements(by_annotator, documents[doc_id]["text"])
        if not rows:
            clean.append(doc_id)
            continue
        annotators = list(by_annotator)
        lines += [
            f"## {escape_markdown(doc_id)}",
            "",
            f"Annotators: {escape_markdown(', '.join(annotators))}; {len(rows)} disagreement(s).",
            "",
        ]
        lines.append(_table_row(["#", "layer", "disagreement", "text in context", *map(escape_markdown, annotators)]))
        lines.append(_table_row(["---"] * (4 + len(annotators))))
        for number, row in enumerate(rows, start=1):
            cells = [escape_markdown(row["cells"][annotator]) for annotator in annotators]
            lines.append(
                _table_row([str(number), row["layer"], escape_markdown(row["disagreement"]), row["context"], *cells])
            )
        lines.append("")
    if clean:
        lines += [
            "## Documents on which all annotators agree",
            "",
            ", ".join(escape_markdown(doc_id) for doc_id in clean),
            "",
        ]
    if single:
        lines += [
            "## Documents with one annotator (not compared)",
            "",
            ", ".join(escape_markdown(doc_id) for doc_id in single),
            "",
        ]
    return "\n".join(lines)
