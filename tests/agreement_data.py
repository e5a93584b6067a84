"""Small hand-checkable documents and per-annotator records for the agreement and adjudication tests."""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.documents import make_document

TEXT = (
    "Mario Rossi ha detto che la Russia è grande. "
    "Anna Bianchi ha negato che Roma sia piccola. "
    "Secondo i media, Putin visiterà Pyongyang."
)
OTHER_TEXT = "Il ministero ha confermato che Milano | `Torino` sono vicine.\nLo ha detto Luca Verdi."


def documents() -> dict[str, dict]:
    return {"d1": make_document("d1", TEXT, "it"), "d2": make_document("d2", OTHER_TEXT, "it")}


def span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def entity(needle: str, label: str, entity_id: str, text: str = TEXT) -> dict:
    start, end = span(text, needle)
    return {"id": entity_id, "start": start, "end": end, "label": label, "text": needle}


def claim(
    needle: str, stance: str, kind: str = "author", entity_ids: tuple = (), claim_id: str = "c1", text: str = TEXT
) -> dict:
    start, end = span(text, needle)
    return {
        "id": claim_id,
        "start": start,
        "end": end,
        "text": needle,
        "stance": stance,
        "claimer": {"kind": kind, "entity_ids": list(entity_ids)},
    }


def record(doc_id: str, annotator: str, entities: list, claims: list, ground_truth: bool | None = None) -> dict:
    document = documents()[doc_id]
    result = {
        "id": doc_id,
        "text_sha256": document["text_sha256"],
        "entities": entities,
        "claims": claims,
        "annotator": annotator,
        "annotation_id": f"{doc_id}-{annotator}",
        "created_at": "2026-11-27T00:00:00Z",
    }
    if ground_truth is not None:
        result["ground_truth"] = ground_truth
    return result


def write_documents(folder: Path) -> Path:
    path = folder / "documents.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents().values()), encoding="utf-8")
    return path


def write_records(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path
