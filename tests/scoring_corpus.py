"""One generator of random scoring corpora: documents, gold records and prediction records, dense in every case a
scorer can get wrong (nested and boundary-sharing spans, one prediction over several gold spans, identical pairs
beside overlapping spans, long overlapping claims, claimers named again elsewhere, documents missing from the
predictions), and the mutations that make prediction records invalid."""

from __future__ import annotations

import copy
import random

from toolkit.documents import make_document
from toolkit.inventory import load_inventory

INVENTORY = load_inventory()
LABELS = INVENTORY.entity_names
STANCES = INVENTORY.stance_names
KEYWORDS = sorted(INVENTORY.prediction_claimer_keywords)
NAMES = ["Mario Rossi", "mario  rossi", "Rossi", "Roma", "ISTAT", "Anna Bianchi", "anna bianchi", "il Governo", "Città"]
FILLERS = ["ha detto che", "e poi", "secondo", ",", "crescono del 3%", "nega", "è così?", "più", "nel 2024"]


def random_document(rng: random.Random, doc_id: str, split: str) -> tuple[dict, list[tuple[int, int]]]:
    """A document and the word spans of its names (where entities go)."""
    parts, names, position = [], [], 0
    for _ in range(rng.randint(2, 9)):
        filler = rng.choice(FILLERS) + " "
        name = rng.choice(NAMES)
        parts += [filler, name, " "]
        start = position + len(filler)
        names.append((start, start + len(name)))
        position = start + len(name) + 1
    return make_document(doc_id, "".join(parts) + ".", "it", split=split), names


def random_gold(rng: random.Random, document: dict, names: list[tuple[int, int]]) -> dict:
    text = document["text"]
    spans = {}
    for start, end in names:
        spans[start, end, rng.choice(LABELS[:3])] = None
        if rng.random() < 0.3:  # nested in a longer mention, or sharing a boundary with one
            spans[max(0, start - rng.randint(0, 4)), min(len(text), end + rng.randint(1, 12)), rng.choice(LABELS)] = (
                None
            )
        if rng.random() < 0.15:  # the same span under another label
            spans[start, end, rng.choice(LABELS)] = None
    entities = [
        {"id": f"e{k}", "start": s, "end": e, "label": label, "text": text[s:e]}
        for k, (s, e, label) in enumerate(spans)
    ]
    claims, seen = [], set()
    for c in range(rng.randint(0, 4)):
        start = rng.randrange(len(text) - 2)
        end = rng.randint(start + 1, min(len(text), start + rng.randint(5, 60)))
        kind = rng.choice(INVENTORY.claimer_kind_names)
        ids = (
            sorted({e["id"] for e in rng.sample(entities, min(len(entities), rng.randint(1, 2)))})
            if kind == "entity"
            else []
        )
        if (start, end, kind, tuple(ids)) in seen:
            continue
        seen.add((start, end, kind, tuple(ids)))
        claims.append(
            {
                "id": f"c{c}",
                "start": start,
                "end": end,
                "text": text[start:end],
                "stance": rng.choice(STANCES),
                "claimer": {"kind": kind, "entity_ids": ids},
            }
        )
    return {"id": document["id"], "text_sha256": document["text_sha256"], "entities": entities, "claims": claims}


def random_prediction(rng: random.Random, document: dict, gold: dict) -> dict:
    """Predictions derived from the gold with every kind of error, plus spurious spans; keys sometimes left out."""
    text = document["text"]
    length = len(text)
    entities = {}
    for entity in gold["entities"]:
        start, end, label = entity["start"], entity["end"], entity["label"]
        roll = rng.random()
        if roll < 0.35:
            entities[start, end, label] = None
        elif roll < 0.5:
            entities[start, end, rng.choice(LABELS)] = None
        elif roll < 0.7:
            entities[max(0, start - rng.randint(0, 3)), min(length, end + rng.randint(0, 3)), label] = None
        elif roll < 0.85:  # may cover the next mentions too
            entities[start, min(length, end + rng.randint(4, 25)), rng.choice(LABELS)] = None
    for _ in range(rng.randint(0, 3)):
        start = rng.randrange(length - 1)
        entities[start, min(length, start + rng.randint(1, 8)), rng.choice(LABELS)] = None
    record: dict = {"id": document["id"]}
    if rng.random() < 0.95:
        record["entities"] = [
            {"start": s, "end": e, "label": label, **({"text": text[s:e]} if rng.random() < 0.2 else {})}
            for s, e, label in entities
        ]
        if rng.random() < 0.2 and record["entities"]:
            record["entities"][0]["score"] = rng.choice([1, 0.25, 0])
    mentions = [(e["start"], e["end"]) for e in gold["entities"]]
    claims = {}
    for claim in gold["claims"]:
        if rng.random() < 0.15:
            continue
        start = min(length - 1, max(0, claim["start"] + rng.randint(-4, 4)))
        end = min(length, max(start + 1, claim["end"] + rng.randint(-4, 8)))
        claimer = (
            rng.choice(KEYWORDS)
            if rng.random() < 0.4 or not mentions
            else dict(zip(("start", "end"), rng.choice(mentions), strict=True))
        )
        stance = claim["stance"] if rng.random() < 0.6 else rng.choice(STANCES)
        claims[start, end, repr(claimer)] = {"start": start, "end": end, "stance": stance, "claimer": claimer}
    for _ in range(rng.randint(0, 1)):
        start = rng.randrange(length - 1)
        end = min(length, start + rng.randint(3, 30))
        claims[start, end, "'AUTHOR'"] = {
            "start": start,
            "end": end,
            "stance": rng.choice(STANCES),
            "claimer": "AUTHOR",
        }
    if rng.random() < 0.9:
        record["claims"] = list(claims.values())
        if record["claims"] and rng.random() < 0.3:
            first = record["claims"][0]
            first["text"] = text[first["start"] : first["end"]]
    return record


def random_corpus(rng: random.Random, n_documents: int, splits=("test", "train")) -> tuple[list, list]:
    """``(documents, gold records)``; the gold in another order than the documents (alignment is by id)."""
    documents, golds = [], []
    for d in range(n_documents):
        document, names = random_document(rng, f"doc-{d:03d}", rng.choice(splits))
        documents.append(document)
        golds.append(random_gold(rng, document, names))
    rng.shuffle(golds)
    return documents, golds


def random_predictions(rng: random.Random, documents: list, golds: list) -> list[dict]:
    """Predictions for most gold documents, in a shuffled order."""
    texts = {document["id"]: document for document in documents}
    records = [random_prediction(rng, texts[gold["id"]], gold) for gold in golds if rng.random() < 0.9]
    rng.shuffle(records)
    return records


# Each mutation edits valid prediction records in place; returns False when they have nothing it applies to.
def _items(records, layer):
    return [(record, index) for record in records for index in range(len(record.get(layer, [])))]


def set_item(layer, key, value):
    def mutate(rng, records, texts):
        items = _items(records, layer)
        if not items:
            return False
        record, index = rng.choice(items)
        item = record[layer][index]
        target, key_name = (item["claimer"], "start") if key == "claimer.start" else (item, key)
        if not isinstance(target, dict):
            return False
        target[key_name] = value(target, texts[record["id"]]) if callable(value) else value
        return True

    return mutate


def drop_key(layer, key):
    def mutate(rng, records, texts):
        items = [(record, index) for record, index in _items(records, layer) if key in record[layer][index]]
        if not items:
            return False
        record, index = rng.choice(items)
        del record[layer][index][key]
        return True

    return mutate


def duplicate(layer, change=None):
    def mutate(rng, records, texts):
        items = _items(records, layer)
        if not items:
            return False
        record, index = rng.choice(items)
        copied = copy.deepcopy(record[layer][index])
        if change:
            change(copied, texts[record["id"]])
        record[layer].append(copied)
        return True

    return mutate


def replace_item(layer, make):
    def mutate(rng, records, texts):
        items = _items(records, layer)
        if not items:
            return False
        record, index = rng.choice(items)
        record[layer][index] = make(record[layer][index])
        return True

    return mutate


def set_record(key, value):
    def mutate(rng, records, texts):
        if not records:
            return False
        rng.choice(records)[key] = value
        return True

    return mutate


def add_record(record):
    def mutate(rng, records, texts):
        records.insert(rng.randint(0, len(records)), copy.deepcopy(record))
        return True

    return mutate


def repeat_record(rng, records, texts):
    if not records:
        return False
    records.append(copy.deepcopy(rng.choice(records)))
    return True


def _claimer_with_text(claim, text):
    if isinstance(claim["claimer"], dict):
        claim["claimer"] = {**claim["claimer"], "text": text[claim["claimer"]["start"] : claim["claimer"]["end"]]}


MUTATIONS = {
    "start is a boolean": set_item("entities", "start", True),
    "end is a boolean": replace_item("entities", lambda item: {"start": 0, "end": True, "label": item["label"]}),
    "end is a fraction": set_item("entities", "end", lambda item, text: item["end"] - 0.5),
    "end is an integral float": set_item("entities", "end", lambda item, text: float(item["end"])),
    "start is a string": set_item("entities", "start", lambda item, text: str(item["start"])),
    "start is null": set_item("entities", "start", None),
    "label in lower case": set_item("entities", "label", lambda item, text: item["label"].lower()),
    "label with a space": set_item("entities", "label", lambda item, text: " " + item["label"]),
    "label outside the inventory": set_item("entities", "label", "WORK_OF_ART"),
    "label is a list": set_item("entities", "label", ["PER"]),
    "label is a number": set_item("entities", "label", 1),
    "end past the text": set_item("entities", "end", lambda item, text: len(text) + 1),
    "end equals start": set_item("entities", "end", lambda item, text: item["start"]),
    "end before start": set_item("entities", "start", lambda item, text: item["end"] + 1),
    "negative start": set_item("entities", "start", -1),
    "offset beyond 64 bits": set_item("entities", "end", 2**70),
    "entity text mismatch": set_item("entities", "text", lambda item, text: text[item["start"] : item["end"]] + "x"),
    "entity text not a string": set_item("entities", "text", 7),
    "entity score is a boolean": set_item("entities", "score", True),
    "entity score is a string": set_item("entities", "score", "0.5"),
    "entity score is not a number": set_item("entities", "score", float("nan")),
    "entity extra key": set_item("entities", "kind", "PER"),
    "entity without label": drop_key("entities", "label"),
    # three items, like a valid entity's three keys: the short way must not take the count of keys for the keys
    "entity with three keys, one unknown": replace_item(
        "entities", lambda item: {"start": item["start"], "end": item["end"], "kind": item["label"]}
    ),
    "entity with text instead of label": replace_item(
        "entities", lambda item: {"start": item["start"], "end": item["end"], "text": "x"}
    ),
    "entity is a list of three": replace_item("entities", lambda item: [item["start"], item["end"], item["label"]]),
    "entity is a tuple of three": replace_item("entities", lambda item: (item["start"], item["end"], item["label"])),
    "entity is a three-letter string": replace_item("entities", lambda item: "PER"),
    "entity is a number": replace_item("entities", lambda item: 3),
    "entity without start": drop_key("entities", "start"),
    "duplicate entity": duplicate("entities"),
    "duplicate entity with text": duplicate(
        "entities", lambda item, text: item.update(text=text[item["start"] : item["end"]])
    ),
    "claim end past the text": set_item("claims", "end", lambda item, text: len(text) + 5),
    "claim start is a boolean": set_item("claims", "start", False),
    "claim text mismatch": set_item("claims", "text", "altro"),
    "claim stance in lower case": set_item("claims", "stance", lambda item, text: item["stance"].lower()),
    "claim stance is a list": set_item("claims", "stance", ["SUPPORT"]),
    "claim without claimer": drop_key("claims", "claimer"),
    "claim without stance": drop_key("claims", "stance"),
    "claim extra key": set_item("claims", "source", "x"),
    "claim score is a boolean": set_item("claims", "score", False),
    "claimer in lower case": set_item("claims", "claimer", "author"),
    "claimer unknown keyword": set_item("claims", "claimer", "NOBODY"),
    "claimer is a list": set_item("claims", "claimer", [0, 3]),
    "claimer is null": set_item("claims", "claimer", None),
    "claimer without end": set_item("claims", "claimer", {"start": 0}),
    "claimer with kind": set_item("claims", "claimer", {"start": 0, "end": 3, "kind": "entity"}),
    "claimer past the text": set_item("claims", "claimer", lambda item, text: {"start": 0, "end": len(text) + 1}),
    "claimer empty span": set_item("claims", "claimer", {"start": 2, "end": 2}),
    "claimer text mismatch": set_item("claims", "claimer", {"start": 0, "end": 3, "text": "zzz"}),
    "claimer start is a boolean": set_item("claims", "claimer.start", True),
    "duplicate claim": duplicate("claims"),
    "duplicate claim whose claimer has a text": duplicate("claims", _claimer_with_text),
    "entities is an object": set_record("entities", {"start": 0, "end": 1, "label": "PER"}),
    "claims is null": set_record("claims", None),
    "record extra key": set_record("meta", 1),
    "unknown document": add_record({"id": "zzz", "entities": []}),
    "id is a number": add_record({"id": 5, "entities": []}),
    "id with a space": add_record({"id": "a b", "entities": []}),
    "id with a final newline": add_record({"id": "doc-000\n", "entities": []}),
    "repeated record": repeat_record,
}
# What the validator would accept and the short way not: none since a NaN, which no JSON file may hold, is refused
# by both (in a record in memory too).
ACCEPTED_BY_THE_VALIDATOR_ONLY: set[str] = set()


def build_random(tmp_path, seed: int, n_documents: int, splits=("test",)):
    """``toolkit build`` of a random corpus into ``tmp_path/voci``, every document in one of ``splits``."""
    from toolkit.dataset.build import build_dataset
    from toolkit.dataset.card import CardInputs
    from toolkit.files import write_jsonl

    documents, records = random_corpus(random.Random(seed), n_documents, splits=splits)
    write_jsonl(tmp_path / "documents.jsonl", documents)
    write_jsonl(tmp_path / "gold.jsonl", records)
    none = tmp_path / "none"
    build_dataset(
        tmp_path / "documents.jsonl",
        tmp_path / "gold.jsonl",
        tmp_path / "voci",
        card_inputs=CardInputs(agreement=none, scores=none, guidelines=none),
    )
    return tmp_path / "voci"
