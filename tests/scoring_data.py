"""Builders of small gold/prediction files for the scorer tests (one document text, spans by substring)."""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.documents import make_document
from toolkit.files import write_jsonl

TEXT = "Mario Rossi ha detto che Roma e Milano crescono. Lo conferma Rossi, e il governo nega."


def at(text: str, fragment: str, occurrence: int = 0) -> tuple[int, int]:
    """Offsets of the n-th occurrence of ``fragment``."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(fragment, start + 1)
    return start, start + len(fragment)


def entity(text: str, entity_id: str, fragment: str, label: str, occurrence: int = 0) -> dict:
    start, end = at(text, fragment, occurrence)
    return {"id": entity_id, "start": start, "end": end, "label": label, "text": text[start:end]}


def claim(
    text: str, claim_id: str, fragment: str, stance: str, kind: str = "author", entity_ids: list[str] | None = None
) -> dict:
    start, end = at(text, fragment)
    return {
        "id": claim_id,
        "start": start,
        "end": end,
        "text": text[start:end],
        "stance": stance,
        "claimer": {"kind": kind, "entity_ids": entity_ids or []},
    }


def write_corpus(
    folder: Path, golds: dict[str, tuple[str, list, list]], splits: dict[str, str] | None = None
) -> tuple[Path, Path]:
    """``golds``: id → (text, entities, claims).  Returns (documents path, gold path)."""
    documents, records = [], []
    for doc_id, (text, entities, claims) in golds.items():
        document = make_document(doc_id, text, "it", split=(splits or {}).get(doc_id))
        documents.append(document)
        records.append({"id": doc_id, "text_sha256": document["text_sha256"], "entities": entities, "claims": claims})
    write_jsonl(folder / "documents.jsonl", documents)
    write_jsonl(folder / "gold.jsonl", records)
    return folder / "documents.jsonl", folder / "gold.jsonl"


def write_predictions(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def standard_corpus(folder: Path) -> tuple[Path, Path]:
    """One document: two PER mentions of Rossi, two GPE, one claim by Rossi, one by the author."""
    entities = [
        entity(TEXT, "e1", "Mario Rossi", "PER"),
        entity(TEXT, "e2", "Roma", "GPE"),
        entity(TEXT, "e3", "Milano", "GPE"),
        entity(TEXT, "e4", "Rossi", "PER", 1),
        entity(TEXT, "e5", "governo", "ORG"),
    ]
    claims = [
        claim(TEXT, "c1", "Roma e Milano crescono", "SUPPORT", "entity", ["e1"]),
        claim(TEXT, "c2", "il governo nega", "REFUTE", "unnamed"),
    ]
    return write_corpus(folder, {"d1": (TEXT, entities, claims)})
