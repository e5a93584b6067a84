"""The short way of reading predictions accepts a file exactly when `validate_file` finds no problem, and reads
the same thing.

Every test runs twice: reading the file in one process, and in two halves (the second in a forked child).
"""

from __future__ import annotations

import copy
import json
import random

import numpy as np
import pytest

from toolkit.errors import ValidationError
from toolkit.files import dumps_line
from toolkit.inventory import load_inventory
from toolkit.scoring import predictions
from toolkit.scoring.columns import ClaimColumns, EntityColumns
from toolkit.scoring.evaluate import Gold, load_predictions, read_predictions, score
from toolkit.scoring.predictions import from_records, read_fast

INVENTORY = load_inventory()
LABELS = INVENTORY.entity_names
STANCES = INVENTORY.stance_names
KEYWORDS = sorted(INVENTORY.prediction_claimer_keywords)
TEXTS = {
    "a": "Mario Rossi ha detto che Roma e Milano crescono. Lo conferma Rossi, e il governo nega.",
    "b": "Perché è così? Lo dice l'ISTAT: più 3% nel 2024.",
    "c.1": "Breve.",
}


@pytest.fixture(params=["one process", "two halves"], autouse=True)
def halves(request, forking) -> list:
    """In "two halves", every file is read in two halves and the children started are recorded."""
    return forking(predictions, "PARALLEL_BYTES") if request.param == "two halves" else []


def make_gold() -> Gold:
    ids = list(TEXTS)
    documents = {doc_id: {"id": doc_id, "text": text, "text_sha256": "0" * 64} for doc_id, text in TEXTS.items()}
    return Gold(
        "gold.jsonl",
        None,
        documents,
        ids,
        EntityColumns.from_documents([[] for _ in ids]),
        ClaimColumns.from_documents([[] for _ in ids]),
    )


def random_span(rng: random.Random, text: str) -> dict:
    start = rng.randrange(len(text))
    return {"start": start, "end": rng.randint(start + 1, min(len(text), start + 12))}


def random_record(rng: random.Random, doc_id: str) -> dict:
    text = TEXTS[doc_id]
    record: dict = {"id": doc_id}
    if rng.random() < 0.9:
        entities = {}
        for _ in range(rng.randint(0, 6)):
            entity = {**random_span(rng, text), "label": rng.choice(LABELS)}
            if rng.random() < 0.3:
                entity["text"] = text[entity["start"] : entity["end"]]
            if rng.random() < 0.2:
                entity["score"] = rng.choice([1, 0.25, 0])
            entities[(entity["start"], entity["end"], entity["label"])] = entity
        record["entities"] = list(entities.values())
    if rng.random() < 0.8:
        claims = {}
        for _ in range(rng.randint(0, 3)):
            claimer = rng.choice(KEYWORDS) if rng.random() < 0.5 else random_span(rng, text)
            if isinstance(claimer, dict) and rng.random() < 0.3:
                claimer["text"] = text[claimer["start"] : claimer["end"]]
            claim = {**random_span(rng, text), "stance": rng.choice(STANCES), "claimer": claimer}
            if rng.random() < 0.3:
                claim["text"] = text[claim["start"] : claim["end"]]
            if rng.random() < 0.2:
                claim["score"] = 0.5
            claims[(claim["start"], claim["end"], json.dumps(claimer, sort_keys=True))] = claim
        record["claims"] = list(claims.values())
    return record


def random_file(rng: random.Random) -> list[dict]:
    ids = [doc_id for doc_id in TEXTS if rng.random() < 0.8]
    rng.shuffle(ids)
    return [random_record(rng, doc_id) for doc_id in ids]


def _items(records, layer):
    return [(record, index) for record in records for index in range(len(record.get(layer, [])))]


# Each mutation edits one valid file in place; returns False when the file has nothing it applies to.
def set_item(layer, key, value):
    def mutate(rng, records):
        items = _items(records, layer)
        if not items:
            return False
        record, index = rng.choice(items)
        item = record[layer][index]
        if key == "claimer.start" and isinstance(item["claimer"], dict):
            item["claimer"]["start"] = value(item, TEXTS[record["id"]]) if callable(value) else value
            return True
        if key == "claimer.start":
            return False
        item[key] = value(item, TEXTS[record["id"]]) if callable(value) else value
        return True

    return mutate


def drop_key(layer, key):
    def mutate(rng, records):
        items = [(record, index) for record, index in _items(records, layer) if key in record[layer][index]]
        if not items:
            return False
        record, index = rng.choice(items)
        del record[layer][index][key]
        return True

    return mutate


def duplicate(layer, change=None):
    def mutate(rng, records):
        items = _items(records, layer)
        if not items:
            return False
        record, index = rng.choice(items)
        copied = copy.deepcopy(record[layer][index])
        if change:
            change(copied, TEXTS[record["id"]])
        record[layer].append(copied)
        return True

    return mutate


def replace_item(layer, make):
    def mutate(rng, records):
        items = _items(records, layer)
        if not items:
            return False
        record, index = rng.choice(items)
        record[layer][index] = make(record[layer][index])
        return True

    return mutate


def set_record(key, value):
    def mutate(rng, records):
        if not records:
            return False
        rng.choice(records)[key] = value
        return True

    return mutate


def add_record(record):
    def mutate(rng, records):
        records.insert(rng.randint(0, len(records)), copy.deepcopy(record))
        return True

    return mutate


def repeat_record(rng, records):
    if not records:
        return False
    records.append(copy.deepcopy(rng.choice(records)))
    return True


def claimer_with_text(claim, text):
    if isinstance(claim["claimer"], dict):
        claim["claimer"] = {**claim["claimer"], "text": text[claim["claimer"]["start"] : claim["claimer"]["end"]]}


MUTATIONS = {
    "start is a boolean": set_item("entities", "start", True),
    "end is a boolean": set_item("entities", "end", lambda item, text: True if item["start"] == 0 else item["end"]),
    "end is a fraction": set_item("entities", "end", lambda item, text: item["end"] - 0.5),
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
    "duplicate claim whose claimer has a text": duplicate("claims", claimer_with_text),
    "entities is an object": set_record("entities", {"start": 0, "end": 1, "label": "PER"}),
    "claims is null": set_record("claims", None),
    "record extra key": set_record("meta", 1),
    "unknown document": add_record({"id": "zzz", "entities": []}),
    "id is a number": add_record({"id": 5, "entities": []}),
    "id with a space": add_record({"id": "a b", "entities": []}),
    "repeated record": repeat_record,
}
RAW_MUTATIONS = {  # edits of the file's bytes
    "not JSON": lambda data: data + b"{oops\n",
    "a JSON array": lambda data: data + b"[1, 2]\n",
    "byte-order mark": lambda data: b"\xef\xbb\xbf" + data,
    "not UTF-8": lambda data: data + b'{"id": "a\xff"}\n',
    "NaN score": lambda data: data.replace(b'"score": 0.5', b'"score": NaN', 1),
    "integral float offset": lambda data: data.replace(b'"end": 5,', b'"end": 5.0,', 1),
    "blank lines": lambda data: b"\n  \n" + data + b"\r\n\n",
}
# What the validator would accept and the short way not (none since NaN, which is not JSON, is refused by both).
ACCEPTED_BY_THE_VALIDATOR_ONLY: set[str] = set()


def read_both(path, gold, ignore_extra=False):
    """``(short way or None, problems of the validator, predictions read the long way or None)``."""
    fast = read_fast(path, gold.texts(), gold.text_lengths(), gold.position, ignore_extra)
    try:
        records, extra = load_predictions(path, gold, ignore_extra)
    except ValidationError as error:
        return fast, error.lines(), None
    return fast, [], from_records(records, extra, gold.position, len(gold.ids))


def same_predictions(a, b) -> bool:
    rows = [
        np.stack([p.entities.doc, p.entities.start, p.entities.end, p.entities.label], axis=1).tolist() for p in (a, b)
    ]
    claims = [p.claims.per_document(len(TEXTS)) for p in (a, b)]
    return (
        sorted(rows[0]) == sorted(rows[1])
        and claims[0] == claims[1]
        and a.present == b.present
        and a.layers == b.layers
        and a.extra == b.extra
    )


def check(path, gold, name, ignore_extra=False):
    fast, problems, slow = read_both(path, gold, ignore_extra)
    if fast is not None:
        assert not problems, (name, problems)  # never more lenient than the validator
        assert same_predictions(fast, slow), name
        assert np.array_equal(score(gold, fast).stats, score(gold, slow).stats), name
    elif name not in ACCEPTED_BY_THE_VALIDATOR_ONLY:
        assert problems, name  # never refuses what the validator accepts
    return fast, problems


def test_valid_files_take_the_short_way_and_read_the_same(tmp_path, halves, request):
    rng = random.Random(1)
    gold = make_gold()
    non_empty = 0
    for trial in range(150):
        path = tmp_path / f"valid-{trial}.jsonl"
        records = random_file(rng)
        non_empty += bool(records)
        path.write_text("".join(map(dumps_line, records)), encoding="utf-8")
        fast, problems = check(path, gold, "valid")
        assert fast is not None and not problems
    assert len(halves) == (non_empty if "two halves" in request.node.name else 0)  # an empty file has no halves


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_every_mutation_is_refused_by_both_or_accepted_by_both(tmp_path, name):
    rng = random.Random(name)
    gold = make_gold()
    refused = 0
    for trial in range(25):
        records = random_file(rng)
        if not MUTATIONS[name](rng, records):
            continue
        path = tmp_path / f"{trial}.jsonl"
        path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
        fast, problems = check(path, gold, name)
        refused += bool(problems)
    assert refused, f"{name}: the mutation never produced an invalid file"


@pytest.mark.parametrize("name", sorted(RAW_MUTATIONS))
def test_raw_mutations(tmp_path, name):
    rng = random.Random(name)
    gold = make_gold()
    for trial in range(10):
        anchor = {
            "id": "c.1",
            "entities": [{"start": 0, "end": 5, "label": "PER"}],
            "claims": [{"start": 0, "end": 5, "stance": "SUPPORT", "claimer": "AUTHOR", "score": 0.5}],
        }
        records = random_file(rng) + [anchor]  # a record every raw mutation finds something to change in
        records = [record for i, record in enumerate(records) if record["id"] != "c.1" or i == len(records) - 1]
        path = tmp_path / f"{trial}.jsonl"
        path.write_bytes(
            RAW_MUTATIONS[name](
                "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode("utf-8")
            )
        )
        fast, problems = check(path, gold, name)
        if name == "blank lines":
            assert fast is not None
        if name in ACCEPTED_BY_THE_VALIDATOR_ONLY:
            assert fast is None and not problems  # the long way reads it


def test_ignore_extra_lists_the_same_documents(tmp_path):
    gold = make_gold()
    path = tmp_path / "p.jsonl"
    path.write_text(
        "".join(map(dumps_line, [{"id": "zzz", "whatever": [1]}, {"id": "a", "entities": []}, {"id": "yyy"}])),
        encoding="utf-8",
    )
    fast, problems = check(path, gold, "ignore extra", ignore_extra=True)
    assert fast is not None and fast.extra == ["yyy", "zzz"] and fast.present == {0}


def test_invalid_file_messages_come_from_the_validator(tmp_path):
    gold = make_gold()
    path = tmp_path / "p.jsonl"
    path.write_text(dumps_line({"id": "a", "entities": [{"start": True, "end": 3, "label": "PER"}]}), encoding="utf-8")
    with pytest.raises(ValidationError) as raised:
        read_predictions(path, gold)
    assert raised.value.lines()[0] == f"{path}:1: entities[0].start: got boolean True (expected integer)"


@pytest.mark.parametrize("key", ['"text"', '"te\\u0078t"'])
def test_an_entity_text_that_does_not_match_is_refused_however_its_key_is_written(tmp_path, key):
    gold = make_gold()
    path = tmp_path / "p.jsonl"
    path.write_bytes(
        ('{"id": "a", "entities": [{"start": 0, "end": 5, "label": "PER", ' + key + ': "Mario Rossi"}]}\n').encode()
    )
    fast, problems = check(path, gold, "escaped text key")
    assert fast is None and problems == [
        f"{path}:1: entities[0].text: 'Mario Rossi' does not match the document text[0:5] = 'Mario'"
    ]


def test_a_document_in_both_halves_is_refused(tmp_path, halves):
    gold = make_gold()
    path = tmp_path / "p.jsonl"
    path.write_text(
        "".join(
            map(dumps_line, [{"id": "a", "entities": []}, {"id": "b", "entities": []}, {"id": "a", "entities": []}])
        ),
        encoding="utf-8",
    )
    fast, problems = check(path, gold, "a document twice")
    assert fast is None and any("'a'" in line for line in problems)


def test_the_command_line_process_may_read_in_two_halves():
    """`toolkit` keeps numpy's BLAS to one thread, so the process has one OS thread and `can_fork` holds (Linux)."""
    import os
    import subprocess
    import sys

    if not os.path.isdir("/proc/self/task"):
        pytest.skip("no /proc: files are read in one process here")
    code = (
        "import sys\nfrom toolkit.cli import main\nsys.argv = ['toolkit', 'eval', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import msgspec, numpy\nfrom toolkit.scoring.forked import can_fork\nprint('can fork:', can_fork())"
    )
    environment = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True)
    assert run.stdout.strip().endswith("can fork: True")
