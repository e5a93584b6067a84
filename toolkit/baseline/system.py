"""From documents to prediction records: the baseline as a system people can score and compare."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.baseline.claims import find_claims
from toolkit.baseline.entities import find_entities
from toolkit.baseline.lexicon import load_lexicon
from toolkit.files import write_jsonl


def predict_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """One prediction record (``id``, ``entities``, ``claims``) for one document record."""
    lexicon = load_lexicon()
    text = document["text"]
    entities = find_entities(text, lexicon)
    claims = find_claims(text, entities, lexicon)
    return {
        "id": document["id"],
        "entities": [entity.record(text) for entity in entities],
        "claims": [claim.record(text) for claim in claims],
    }


@dataclass(frozen=True)
class BaselineRun:
    documents: int
    entities: int
    claims: int
    out: Path

    def summary(self) -> str:
        return f"baseline: {self.documents} document(s), {self.entities} entities, {self.claims} claims → {self.out}"


def run_baseline(documents_path: str | Path, out: str | Path) -> BaselineRun:
    """Predict every document of a (validated) documents file and write the predictions atomically."""
    from toolkit.validate import load_documents

    documents = load_documents(documents_path)
    records = [predict_document(document) for document in documents.values()]
    write_jsonl(out, records)
    return BaselineRun(
        len(records), sum(len(r["entities"]) for r in records), sum(len(r["claims"]) for r in records), Path(out)
    )
