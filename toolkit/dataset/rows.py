"""One document and its gold record → the rows of each config (plain data, class labels as indices)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from toolkit.bio import Mention, sentence_tags, tags_to_spans
from toolkit.inventory import load_inventory
from toolkit.sentences import Sentence, ner_sentences


@dataclass
class Encoders:
    """Label name → ClassLabel index, from the inventory (the same order as the features)."""

    entity: dict[str, int]
    stance: dict[str, int]
    claimer_kind: dict[str, int]
    bio: dict[str, int]

    @classmethod
    def from_inventory(cls) -> Encoders:
        inventory = load_inventory()

        def index(names: list[str]) -> dict[str, int]:
            return {name: position for position, name in enumerate(names)}

        return cls(
            index(inventory.entity_names),
            index(inventory.stance_names),
            index(inventory.claimer_kind_names),
            index(inventory.bio_tags()),
        )


@dataclass
class Tally:
    """What deriving the views changed, for the build report."""

    sentences: int = 0
    tokens: int = 0
    tokens_split_at_entity_boundaries: int = 0
    entities_dropped_as_overlapping: int = 0
    entities_not_reproduced_by_tags: int = 0
    sentence_joins_for_entities: int = 0

    def add(self, other: Tally) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class DocumentRows:
    documents: list[dict[str, Any]]
    ner: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    tally: Tally = field(default_factory=Tally)


def annotators_of(gold: Mapping[str, Any]) -> list[str]:
    """Everyone the gold record names: its ``annotator`` and the ``annotators`` of its items."""
    names = {gold["annotator"]} if gold.get("annotator") else set()
    for layer in ("entities", "claims"):
        for item in gold[layer]:
            names.update(item.get("annotators", []))
    return sorted(names)


def document_row(document: Mapping[str, Any], gold: Mapping[str, Any], encoders: Encoders) -> dict[str, Any]:
    return {
        "id": document["id"],
        "lang": document["lang"],
        **{name: document.get(name) for name in ("title", "source", "url", "published", "license")},
        "text": document["text"],
        "text_sha256": document["text_sha256"],
        "annotators": annotators_of(gold),
        "entities": [
            {
                "id": entity["id"],
                "start": entity["start"],
                "end": entity["end"],
                "text": entity["text"],
                "label": encoders.entity[entity["label"]],
            }
            for entity in gold["entities"]
        ],
        "claims": [
            {
                "id": claim["id"],
                "start": claim["start"],
                "end": claim["end"],
                "text": claim["text"],
                "stance": encoders.stance[claim["stance"]],
                "claimer_kind": encoders.claimer_kind[claim["claimer"]["kind"]],
                "claimer_ids": list(claim["claimer"]["entity_ids"]),
            }
            for claim in gold["claims"]
        ],
    }


def ner_rows(
    document: Mapping[str, Any], sentences: list[Sentence], mentions: list[Mention], encoders: Encoders, tally: Tally
) -> list[dict[str, Any]]:
    """One row per sentence; ``mentions`` must not overlap and must not cross sentences."""
    text = document["text"]
    rows, tagged = [], 0
    for index, sentence in enumerate(sentences):
        inside, tokens, split_count, tags = sentence_tags(sentence, mentions)
        tagged += len(inside)
        tally.tokens_split_at_entity_boundaries += split_count
        tally.entities_not_reproduced_by_tags += len(set(inside) - set(tags_to_spans(tokens, tags)))
        tally.tokens += len(tokens)
        rows.append(
            {
                "doc_id": document["id"],
                "sentence_index": index,
                "tokens": [text[start:end] for start, end in tokens],
                "token_starts": [start for start, _ in tokens],
                "token_ends": [end for _, end in tokens],
                "ner_tags": [encoders.bio[tag] for tag in tags],
            }
        )
    tally.entities_not_reproduced_by_tags += len(mentions) - tagged
    return rows


def claim_rows(
    document: Mapping[str, Any], gold: Mapping[str, Any], sentences: list[Sentence], encoders: Encoders
) -> list[dict[str, Any]]:
    """One row per claim with the sentence(s) it lies in and its claimer's mention texts."""
    text = document["text"]
    entity_text = {entity["id"]: entity["text"] for entity in gold["entities"]}
    rows = []
    for claim in gold["claims"]:
        covering = [
            sentence for sentence in sentences if sentence.start < claim["end"] and claim["start"] < sentence.end
        ]
        start = min([claim["start"], *(sentence.start for sentence in covering)])
        end = max([claim["end"], *(sentence.end for sentence in covering)])
        rows.append(
            {
                "doc_id": document["id"],
                "claim_id": claim["id"],
                "claim": claim["text"],
                "sentence": text[start:end],
                "sentence_start": start,
                "start": claim["start"],
                "end": claim["end"],
                "claimer_kind": encoders.claimer_kind[claim["claimer"]["kind"]],
                "claimer": [entity_text[entity_id] for entity_id in claim["claimer"]["entity_ids"]],
                "stance": encoders.stance[claim["stance"]],
            }
        )
    return rows


def rows_for(document: Mapping[str, Any], gold: Mapping[str, Any], encoders: Encoders) -> DocumentRows:
    """Every config's rows for one annotated document."""
    tally = Tally()
    mentions, dropped, sentences, joins = ner_sentences(
        document["text"],
        document["lang"],
        ((entity["start"], entity["end"], entity["label"]) for entity in gold["entities"]),
    )
    tally.entities_dropped_as_overlapping = len(dropped)
    tally.sentence_joins_for_entities = joins
    tally.sentences = len(sentences)
    return DocumentRows(
        documents=[document_row(document, gold, encoders)],
        ner=ner_rows(document, sentences, mentions, encoders, tally),
        claims=claim_rows(document, gold, sentences, encoders),
        tally=tally,
    )
