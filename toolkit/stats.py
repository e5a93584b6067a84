"""Corpus statistics for documents, annotation records and prediction records."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from toolkit.extras import extra_installed
from toolkit.inventory import ENTITY_CLAIMER, load_inventory
from toolkit.tokenize import token_spans
from toolkit.validate import Documents, require_valid


def _claimer_kind(claimer: Any) -> str:
    """Annotation claimers carry ``kind``; prediction claimers are a keyword or a span."""
    if isinstance(claimer, dict) and "kind" in claimer:
        return claimer["kind"]
    if isinstance(claimer, dict):
        return ENTITY_CLAIMER
    return load_inventory().prediction_claimer_keywords[claimer]


def _tokens(sources: list[dict[str, Any]]) -> int | None:
    """spaCy's token count (the dataset's tokenization); None without spaCy (the core install), never another count."""
    if not extra_installed("spacy"):
        return None
    return sum(len(token_spans(source["text"], source["lang"])) for source in sources)


def compute_stats(path: str | Path, kind: str, documents: Documents | None = None) -> dict[str, Any]:
    """Counts a user checks before publishing: documents, tokens, labels, claimers, stances."""
    inventory = load_inventory()
    records = require_valid(path, kind, documents)
    sources = records if kind == "document" else [documents[record["id"]] for record in records]
    stats: dict[str, Any] = {
        "kind": kind,
        "documents": len(records),
        "characters": sum(len(source["text"]) for source in sources),
        "tokens": _tokens(sources),
    }
    if kind == "document":
        stats["languages"] = dict(sorted(Counter(record["lang"] for record in records).items()))
        return stats
    entities = Counter(entity["label"] for record in records for entity in record.get("entities", []))
    claims = [claim for record in records for claim in record.get("claims", [])]
    stats["entities"] = sum(entities.values())
    stats["entities_per_label"] = {name: entities.get(name, 0) for name in inventory.entity_names}
    stats["claims"] = len(claims)
    kinds = Counter(_claimer_kind(claim["claimer"]) for claim in claims)
    stats["claims_per_claimer_kind"] = {name: kinds.get(name, 0) for name in inventory.claimer_kind_names}
    stances = Counter(claim["stance"] for claim in claims)
    stats["claims_per_stance"] = {name: stances.get(name, 0) for name in inventory.stance_names}
    return stats
