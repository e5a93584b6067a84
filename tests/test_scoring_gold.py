"""Gold as the scorer reads it: the same spans, claimers and hash from the JSONL and from the built folder."""

from __future__ import annotations

import random

from toolkit.documents import make_document
from toolkit.files import write_jsonl
from toolkit.inventory import load_inventory
from toolkit.scoring import compiled as compiled_module
from toolkit.scoring.columns import ClaimColumns, EntityColumns
from toolkit.scoring.evaluate import Gold, gold_from_parquet, gold_hash, load_gold
from toolkit.scoring.signature import content_hash

INVENTORY = load_inventory()
NAMES = ["Mario Rossi", "mario  rossi", "Rossi", "Roma", "ISTAT", "Anna Bianchi", "anna bianchi", "il Governo"]


def reference_lines(gold: Gold):
    """The hash's definition, written plainly: the inventory, then per document in id order its id, text hash,
    sorted entities, claims sorted by repr."""
    yield repr((INVENTORY.entity_names, INVENTORY.stance_names)) + "\n"
    entities = gold.entities.per_document(len(gold.ids))
    for doc_id, spans, claims in sorted(zip(gold.ids, entities, gold.claims.per_document(len(gold.ids)), strict=True)):
        yield f"{doc_id}\t{gold.documents[doc_id]['text_sha256']}\t{sorted(spans)!r}\t{sorted(claims, key=repr)!r}\n"


def test_gold_hash_equals_its_plain_definition():
    rng = random.Random(4)
    for _ in range(20):
        ids = rng.sample([f"d{k}" for k in range(200)] + ["B", "a", "a.1", "Z-9"], rng.randint(0, 12))
        spans = [
            sorted({(s, s + rng.randint(1, 5), rng.randrange(9)) for s in rng.sample(range(100), rng.randint(0, 6))})
            for _ in ids
        ]
        claims = [
            [
                (
                    rng.randrange(50),
                    rng.randrange(50, 120),
                    rng.randrange(3),
                    rng.choice(["author", "unnamed", ((1, 4),), ((1, 4), (10, 12)), ((100, 105),)]),
                )
                for _ in range(rng.randint(0, 3))
            ]
            for _ in ids
        ]
        documents = {doc_id: {"text_sha256": f"{rng.getrandbits(64):016x}"} for doc_id in ids}
        gold = Gold("g", None, documents, ids, EntityColumns.from_documents(spans), ClaimColumns.from_documents(claims))
        assert gold_hash(gold) == content_hash(reference_lines(gold))


def random_corpus(rng: random.Random, n_documents: int):
    """Documents naming the same sources in several spellings; claims by an entity, the author or nobody named."""
    documents, records = [], []
    for d in range(n_documents):
        parts, entities = [], []
        position = 0
        for k in range(rng.randint(1, 7)):
            filler = rng.choice(["ha detto che ", "e poi ", "secondo ", ", "])
            name = rng.choice(NAMES)
            start = position + len(filler)
            parts += [filler, name]
            position = start + len(name)
            entities.append(
                {"id": f"e{k}", "start": start, "end": position, "label": rng.choice(["PER", "ORG"]), "text": name}
            )
        text = "".join(parts) + "."
        claims = []
        for c in range(rng.randint(0, 3)):
            start = rng.randrange(len(text) - 2)
            end = rng.randint(start + 1, len(text))
            kind = rng.choice(INVENTORY.claimer_kind_names)
            claimer_ids = (
                sorted({entity["id"] for entity in rng.sample(entities, rng.randint(1, min(2, len(entities))))})
                if kind == "entity"
                else []
            )
            claims.append(
                {
                    "id": f"c{c}",
                    "start": start,
                    "end": end,
                    "text": text[start:end],
                    "stance": rng.choice(INVENTORY.stance_names),
                    "claimer": {"kind": kind, "entity_ids": claimer_ids},
                }
            )
        document = make_document(f"doc-{d:03d}", text, "it", split="test")
        documents.append(document)
        records.append(
            {"id": document["id"], "text_sha256": document["text_sha256"], "entities": entities, "claims": claims}
        )
    return documents, records


def by_document(gold: Gold) -> dict:
    entities = gold.entities.per_document(len(gold.ids))
    claims = gold.claims.per_document(len(gold.ids))
    return {
        doc_id: (sorted(spans), sorted(document, key=repr))
        for doc_id, spans, document in zip(gold.ids, entities, claims, strict=True)
    }


def build_random(tmp_path, seed: int, n_documents: int, shuffle: bool = False):
    """``toolkit build`` of a random corpus into ``tmp_path/voci``, every document in the test split."""
    from toolkit.dataset.build import build_dataset
    from toolkit.dataset.card import CardInputs

    documents, records = random_corpus(random.Random(seed), n_documents)
    if shuffle:
        random.Random(seed + 1).shuffle(
            records
        )  # the gold file in another order than the documents: alignment is by id
    write_jsonl(tmp_path / "documents.jsonl", documents)
    write_jsonl(tmp_path / "gold.jsonl", records)
    build_dataset(
        tmp_path / "documents.jsonl",
        tmp_path / "gold.jsonl",
        tmp_path / "voci",
        ratios={"test": 1.0},
        card_inputs=CardInputs(agreement=tmp_path / "none", scores=tmp_path / "none", guidelines=tmp_path / "none"),
    )
    return tmp_path / "voci"


def test_built_folder_reads_the_same_gold_as_the_jsonl(tmp_path):
    folder = build_random(tmp_path, 8, 60, shuffle=True)
    from_jsonl = load_gold(tmp_path / "gold.jsonl", tmp_path / "documents.jsonl", split="test")
    compiled = load_gold(folder, split="test")
    from_parquet = gold_from_parquet(folder, "test")
    assert compiled.digest is not None and from_parquet.digest is None  # the first came from scoring/test.npz
    assert by_document(from_jsonl) == by_document(compiled) == by_document(from_parquet)
    assert gold_hash(from_jsonl) == gold_hash(from_parquet) == gold_hash(compiled) == compiled.digest
    assert compiled.ids == from_parquet.ids and dict(compiled.documents) == from_parquet.documents
    assert compiled.text_lengths().tolist() == [len(from_jsonl.documents[doc_id]["text"]) for doc_id in compiled.ids]
    claimers = [
        claim[3]
        for claims in from_jsonl.claims.per_document(len(from_jsonl.ids))
        for claim in claims
        if not isinstance(claim[3], str)
    ]
    assert any(
        len(accepted) > 1 for accepted in claimers
    )  # some claimer was named again elsewhere (same label, same normalised text)


def test_built_folder_with_a_missing_entity_list_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pytest

    from toolkit.errors import InputError

    build_random(tmp_path, 3, 5)
    assert len(load_gold(tmp_path / "voci", split="test").ids) == 5
    (path,) = (tmp_path / "voci" / "documents").glob("test-*.parquet")
    table = pq.read_table(path)
    entities = table.column("entities").to_pylist()
    entities[2] = None
    pq.write_table(
        table.set_column(
            table.schema.get_field_index("entities"),
            "entities",
            pa.array(entities, type=table.schema.field("entities").type),
        ),
        path,
    )
    with pytest.raises(InputError, match="1 missing list.*entities"):
        load_gold(tmp_path / "voci", split="test")


def test_a_stale_or_damaged_compiled_gold_is_not_used(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    folder = build_random(tmp_path, 5, 12)
    path = compiled_module.compiled_path(folder, "test")
    original = path.read_bytes()
    digest = compiled_module.read_compiled(folder, "test")["digest"]
    assert compiled_module.read_compiled(folder, None) is None  # compiled per split only
    path.write_bytes(original[: len(original) // 2])
    assert compiled_module.read_compiled(folder, "test") is None
    path.write_bytes(original)
    monkeypatch.setattr(compiled_module, "SCORER_VERSION", "0.0")  # written by another scorer
    assert compiled_module.read_compiled(folder, "test") is None
    monkeypatch.undo()
    assert compiled_module.read_compiled(folder, "test") is not None

    (parquet,) = (folder / "documents").glob(
        "test-*.parquet"
    )  # the split rewritten after the build: its parquet file decides
    table = pq.read_table(parquet)
    pq.write_table(table.slice(1), parquet)
    gold = load_gold(folder, split="test")
    assert gold.digest is None and gold.ids == table.column("id").to_pylist()[1:]
    assert gold_hash(gold) == gold_hash(gold_from_parquet(folder, "test")) != digest
