"""The dataset's configs and their ``datasets.Features``, derived from the label inventory.

Config names and column names are a contract with users (``load_dataset(path, "ner")``).
Spans are lists of structs (``datasets.List``), never ``Sequence``, which turns them
into a dict of lists.
"""

from __future__ import annotations

from collections.abc import Callable

from datasets import ClassLabel, Features, List, Value

from toolkit.inventory import load_inventory


def _labels() -> dict[str, ClassLabel]:
    inventory = load_inventory()
    return {
        "entity": ClassLabel(names=inventory.entity_names),
        "stance": ClassLabel(names=inventory.stance_names),
        "claimer_kind": ClassLabel(names=inventory.claimer_kind_names),
        "bio": ClassLabel(names=inventory.bio_tags()),
    }


def documents_features() -> Features:
    labels = _labels()
    text = Value("string")
    offset = Value("int32")
    return Features(
        {
            "id": text,
            "lang": text,
            "title": text,
            "source": text,
            "url": text,
            "published": text,
            "license": text,
            "text": text,
            "text_sha256": text,
            "annotators": List(text),
            "entities": List({"id": text, "start": offset, "end": offset, "text": text, "label": labels["entity"]}),
            "claims": List(
                {
                    "id": text,
                    "start": offset,
                    "end": offset,
                    "text": text,
                    "stance": labels["stance"],
                    "claimer_kind": labels["claimer_kind"],
                    "claimer_ids": List(text),
                }
            ),
        }
    )


def ner_features() -> Features:
    labels = _labels()
    return Features(
        {
            "doc_id": Value("string"),
            "sentence_index": Value("int32"),
            "tokens": List(Value("string")),
            "token_starts": List(Value("int32")),
            "token_ends": List(Value("int32")),
            "ner_tags": List(labels["bio"]),
        }
    )


def claims_features() -> Features:
    labels = _labels()
    return Features(
        {
            "doc_id": Value("string"),
            "claim_id": Value("string"),
            "claim": Value("string"),
            "sentence": Value("string"),
            "sentence_start": Value("int32"),
            "start": Value("int32"),
            "end": Value("int32"),
            "claimer_kind": labels["claimer_kind"],
            "claimer": List(Value("string")),
            "stance": labels["stance"],
        }
    )


CONFIG_FEATURES: dict[str, Callable[[], Features]] = {
    "documents": documents_features,
    "ner": ner_features,
    "claims": claims_features,
}
CONFIG_DESCRIPTIONS = {
    "documents": (
        "one row per document: the text with every entity mention and claim as offsets into it (the source of truth)"
    ),
    "ner": "one row per sentence: tokens with their offsets and IOB2 entity tags derived from the entity spans",
    "claims": (
        "one row per claim: the claim, the sentence(s) around it, its claimer and stance, "
        "ready for stance classification"
    ),
}
