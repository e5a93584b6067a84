"""A corpus with train, validation and test documents (synthetic, plus the seed article in test), and the
predictions that match its gold exactly: what the blind-split and benchmark tests build on."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from tests.test_dataset_build import _cli_build as build  # noqa: F401  (the build the dataset tests run)
from toolkit.dataset.synthetic import synthetic_pair
from toolkit.files import read_jsonl, write_jsonl

REPO = Path(__file__).resolve().parent.parent
SPLIT_COUNTS = {"train": 10, "validation": 6, "test": 6}


def write_split_corpus(folder: Path, seed: int = 7) -> tuple[Path, Path]:
    """``documents.jsonl`` and ``gold.jsonl``: synthetic documents with explicit splits, and the seed article."""
    rng = random.Random(seed)
    documents, gold = [], []
    for split, count in SPLIT_COUNTS.items():
        for _ in range(count):
            document, record = synthetic_pair(len(documents), rng, sentences=8, split=split)
            documents.append(document)
            gold.append(record)
    documents += read_jsonl(REPO / "annotations" / "documents.jsonl")
    gold += read_jsonl(REPO / "annotations" / "gold.jsonl")
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "documents.jsonl", documents)
    write_jsonl(folder / "gold.jsonl", gold)
    return folder / "documents.jsonl", folder / "gold.jsonl"


def oracle_prediction(record: dict[str, Any]) -> dict[str, Any]:
    """The prediction record that reproduces a gold record (a named claimer given as its first mention)."""
    spans = {entity["id"]: entity for entity in record["entities"]}

    def claimer(claim: dict[str, Any]):
        if claim["claimer"]["kind"] != "entity":
            return claim["claimer"]["kind"].upper()
        mention = spans[claim["claimer"]["entity_ids"][0]]
        return {"start": mention["start"], "end": mention["end"]}

    return {
        "id": record["id"],
        "entities": [{key: entity[key] for key in ("start", "end", "label")} for entity in record["entities"]],
        "claims": [
            {"start": claim["start"], "end": claim["end"], "stance": claim["stance"], "claimer": claimer(claim)}
            for claim in record["claims"]
        ],
    }
