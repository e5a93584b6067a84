"""From documents to prediction records: the baseline as a system people can score and compare."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.baseline.claims import find_claims
from toolkit.baseline.entities import GUESS, find_entities
from toolkit.baseline.lexicon import load_lexicon
from toolkit.errors import mention
from toolkit.files import write_jsonl
from toolkit.pathguard import Input, Output, PathPlan
from toolkit.staging import staged


@dataclass(frozen=True)
class DocumentPrediction:
    """A prediction record and how much of it rests on sure evidence rather than capitalisation guesses."""

    record: dict[str, Any]
    sure_share: float  # entity mentions from the lexicons, patterns or annotators over all mentions (0 when none)


def predict_with_evidence(document: Mapping[str, Any], learned: Mapping[str, str] | None = None) -> DocumentPrediction:
    """`predict_document` plus the share of sure mentions; ``learned`` maps mention texts to labels annotators gave."""
    lexicon = load_lexicon()
    text = document["text"]
    entities = find_entities(text, lexicon, learned)
    claims = find_claims(text, entities, lexicon)
    record = {
        "id": document["id"],
        "entities": [entity.record(text) for entity in entities],
        "claims": [claim.record(text) for claim in claims],
    }
    sure = sum(entity.tier < GUESS for entity in entities)
    return DocumentPrediction(record, sure / len(entities) if entities else 0.0)


def predict_document(document: Mapping[str, Any], learned: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One prediction record (``id``, ``entities``, ``claims``) for one document record."""
    return predict_with_evidence(document, learned).record


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

    with staged(PathPlan([Input("DOCUMENTS", Path(documents_path))], [Output(mention("out"), Path(out))])):
        documents = load_documents(documents_path)
        records = [predict_document(document) for document in documents.values()]
        write_jsonl(out, records)
    return BaselineRun(
        len(records), sum(len(r["entities"]) for r in records), sum(len(r["claims"]) for r in records), Path(out)
    )
