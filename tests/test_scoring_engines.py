"""The fast engine equals the reference engine, end to end, on random corpora that take every fast path.

One generator (`scoring_corpus`) makes documents, gold and predictions dense in every case a scorer can get wrong;
each corpus is built with ``toolkit build`` (compiled gold, written a few documents per batch).  Every prediction
set is scored by both engines, from a file and from records in memory, against the built folder and the gold
JSONL: the JSON results must be identical apart from the engine, and invalid predictions must be refused by both
with the same messages.  The modes force the fast paths: every size threshold of `toolkit.scoring.engines.thresholds` at
zero (two processes everywhere, small chunks and batches), or composite keys ruled out.
"""

from __future__ import annotations

import copy
import json
import random

import pytest
from scoring_corpus import ACCEPTED_BY_THE_VALIDATOR_ONLY, MUTATIONS, random_corpus, random_predictions

from toolkit.errors import ValidationError
from toolkit.files import write_jsonl
from toolkit.scoring.engines import thresholds
from toolkit.scoring.gold import parquet
from toolkit.scoring.scorer import Scorer

SEEDS = (3, 11)
MODES = ("default", "every fast path", "no composite keys")
MAP = {"GPE": "LOC"}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """Per seed: the corpus folder (documents.jsonl, gold.jsonl, a build in voci/), its documents and gold."""
    from toolkit.dataset.build import build_dataset
    from toolkit.dataset.card import CardInputs

    built = {}
    batch_rows = parquet.BATCH_ROWS
    parquet.BATCH_ROWS = 4  # the compiled gold written and read across batch boundaries
    try:
        for seed in SEEDS:
            folder = tmp_path_factory.mktemp(f"corpus-{seed}")
            documents, golds = random_corpus(random.Random(seed), 40)
            write_jsonl(folder / "documents.jsonl", documents)
            write_jsonl(folder / "gold.jsonl", golds)
            none = folder / "none"
            card = CardInputs(agreement=none, scores=none, guidelines=none)
            build_dataset(folder / "documents.jsonl", folder / "gold.jsonl", folder / "voci", card_inputs=card)
            built[seed] = (folder, documents, golds)
    finally:
        parquet.BATCH_ROWS = batch_rows
    return built


@pytest.fixture(params=MODES)
def mode(request, forking, monkeypatch) -> tuple[str, list]:
    """The mode's name and the forked children started under it."""
    children: list = []
    if request.param == "every fast path":
        for name in ("PARALLEL_BYTES", "PARALLEL_SPANS", "PARALLEL_DRAWS"):
            children = forking(thresholds, name)
        monkeypatch.setattr(thresholds, "CHUNK_LINES", 3)
        monkeypatch.setattr(parquet, "BATCH_ROWS", 5)
    elif request.param == "no composite keys":
        monkeypatch.setattr(thresholds, "KEY_LIMIT", 1)
    return request.param, children


def scorers(folder, split="test") -> dict[str, Scorer]:
    """Both engines against the built folder (compiled or parquet) and the gold JSONL."""
    built, jsonl = folder / "voci", (folder / "gold.jsonl", folder / "documents.jsonl")
    return {
        f"{engine} {form}": Scorer(*gold, split=split, ignore_extra=True, engine=engine, compat=True)
        for engine in ("fast", "reference")
        for form, gold in (("built", (built,)), ("jsonl", jsonl))
    }


def outcome(scorer: Scorer, source, seed: int) -> dict | list[str]:
    """The result as JSON without what names the engine, or the validator's messages."""
    try:
        scored = scorer.score(source)
    except ValidationError as error:
        return error.lines()
    result = scored.result(bootstrap=25, seed=seed).to_dict()
    result["settings"].pop("engine")
    result["signature"] = result["signature"].removesuffix("|engine:reference")
    return result


def sources(tmp_path, name: str, records: list[dict]) -> dict:
    path = tmp_path / f"{name}.jsonl"  # json.dumps, not the toolkit's writer: a mutation may hold a NaN
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return {"file": path, "records": copy.deepcopy(records)}


def figures_only(result: dict) -> dict:
    """What two gold forms must agree on: everything but the gold's name and the intervals (documents are
    resampled in the gold's order, which is the file's)."""
    result = copy.deepcopy(result)
    result["settings"].pop("gold")
    result.pop("ci")
    result["compat"]["token"].pop("tokenization")  # the gold JSONL's documents are tokenized as the build does
    for key in ("newsclaims", "newsclaims_reason"):  # means summed in the gold's order (test_scoring_compat compares)
        result["compat"].pop(key)
    result["missing_documents"].sort()
    return result


@pytest.mark.parametrize("seed", SEEDS)
def test_engines_agree_on_valid_predictions(corpora, mode, seed, tmp_path):
    name, children = mode
    folder, documents, golds = corpora[seed]
    engines = scorers(folder)
    assert (
        "compiled gold" in engines["fast built"].gold.notes[0] and "parquet" in engines["reference built"].gold.notes[0]
    )
    rng = random.Random(seed * 7)
    for trial in range(4):
        records = random_predictions(rng, documents, golds)
        for kind, source in sources(tmp_path, f"p{trial}", records).items():
            results = {key: outcome(scorer, source, trial) for key, scorer in engines.items()}
            assert results["fast built"] == results["reference built"], (name, kind)
            assert results["fast jsonl"] == results["reference jsonl"], (name, kind)
            assert figures_only(results["fast built"]) == figures_only(results["fast jsonl"])
            assert "short way" in engines["fast built"].score(source).notes[-1]
    figures = results["fast built"]
    assert figures["entities"]["strict"]["incorrect"] and figures["claims"]["overlap"]["true_positives"]
    assert 0 < figures["compat"]["token"]["micro"]["f1"] < 1
    assert figures["missing_documents"] and figures["extra_documents"]
    assert bool(children) == (name == "every fast path")


def test_engines_agree_on_every_split_of_a_build(corpora, mode):
    """Without --split, a build is read from its parquet files, every split at once."""
    folder, documents, golds = corpora[SEEDS[0]]
    records = random_predictions(random.Random(5), documents, golds)
    fast, reference = (
        Scorer(folder / "voci", engine=engine, compat=True, per_label_convention="seqeval", token_label_map=MAP)
        for engine in ("fast", "reference")
    )
    result = outcome(fast, records, 1)
    assert result == outcome(reference, records, 1)
    assert "weighted" in result["entities"] and "GPE" not in result["compat"]["token"]["per_label"]
    assert fast.gold.notes == [f"gold: {folder / 'voci'}, split all, from its parquet files"]


def in_test_split(documents: list[dict], records: list[dict]) -> list[dict]:
    """The records of test documents only: nothing is skipped as another split's, so every mutation counts."""
    tested = {document["id"] for document in documents if document["split"] == "test"}
    return [record for record in records if record["id"] in tested]


def test_engines_agree_on_invalid_predictions(corpora, mode, tmp_path):
    """Mutated predictions: refused by both with the same messages, or (JSON Schema's leniencies) read by both."""
    folder, documents, golds = corpora[SEEDS[1]]
    texts = {document["id"]: document["text"] for document in documents}
    engines = {engine: Scorer(folder / "voci", split="test", engine=engine) for engine in ("fast", "reference")}
    for mutation, mutate in MUTATIONS.items():
        rng = random.Random(mutation)
        refused = accepted = 0
        for trial in range(3):
            records = in_test_split(documents, random_predictions(rng, documents, golds))
            if not mutate(rng, records, texts):
                continue
            for kind, source in sources(tmp_path, f"m{trial}", records).items():
                fast, reference = (outcome(engines[engine], source, 0) for engine in ("fast", "reference"))
                assert fast == reference, (mutation, kind)
                refused += isinstance(fast, list)
                accepted += isinstance(fast, dict)
        if mutation in ACCEPTED_BY_THE_VALIDATOR_ONLY:
            assert accepted and not refused, mutation
        else:
            assert refused, f"{mutation}: the mutation never produced invalid predictions"


def test_records_are_located_by_index(corpora):
    folder, documents, golds = corpora[SEEDS[0]]
    records = in_test_split(documents, random_predictions(random.Random(2), documents, golds))
    records[1] = {**records[1], "entities": [{"start": 0, "end": 10**6, "label": "PER"}]}
    for engine in ("fast", "reference"):
        with pytest.raises(ValidationError) as raised:
            Scorer(folder / "voci", split="test", ignore_extra=True, engine=engine).score(records)
        assert raised.value.lines()[0].startswith("record 1: entities[0].end: 1000000 is past the end of the text")


def counted_both_ways(gold: list[list[tuple]], pred: list[list[tuple]], n_labels: int = 4):
    """The fast engine's entity counts and the reference engine's, for spans given per document."""
    import numpy as np

    from toolkit.scoring.engines.fast import score_entity_columns
    from toolkit.scoring.engines.reference import score_entities
    from toolkit.scoring.spans import EntityColumns
    from toolkit.scoring.statistics import ENTITY_WIDTH

    fast = score_entity_columns(
        EntityColumns.from_documents(gold), EntityColumns.from_documents(pred), len(gold), n_labels
    )
    labels = [0] * (n_labels * ENTITY_WIDTH)
    rows = [score_entities(g, p, labels) for g, p in zip(gold, pred, strict=True)]
    plain = np.array(rows, dtype=np.int64).reshape(len(gold), ENTITY_WIDTH), np.array(labels).reshape(n_labels, -1)
    assert all(np.array_equal(a, b) for a, b in zip(fast, plain, strict=True))
    return fast[0]


def test_hand_built_groups():
    """Each kind of group the columns settle at once, and those they hand to the matcher."""
    gold = [
        [(0, 5, 0), (10, 14, 1), (20, 24, 0), (26, 30, 0), (40, 45, 2), (60, 70, 1), (62, 66, 3)],
        [],
        [(0, 3, 1)],
        [(0, 19, 0), (16, 19, 0)],  # issue 17: an identical pair beside a span it could pair with instead
        [(0, 18, 1), (14, 18, 2)],  # nested, both predicted exactly: a group of identical pairs only
    ]
    pred = [
        [(0, 5, 0), (10, 14, 2), (20, 30, 0), (50, 55, 1), (60, 70, 1), (61, 66, 3)],
        [(1, 2, 0)],
        [],
        [(0, 3, 0), (0, 19, 0)],
        [(14, 18, 2), (0, 18, 1)],
    ]
    documents = counted_both_ways(gold, pred)
    # strict: (0,5) and (60,70) correct; three incorrect; two missed; one spurious
    assert documents[0, :5].tolist() == [2, 3, 0, 2, 1]
    assert documents[3, 15:20].tolist() == [2, 0, 0, 0, 0] and documents[3, :5].tolist() == [1, 0, 0, 1, 1]
    assert documents[4].tolist() == [2, 0, 0, 0, 0] * 4


def test_repeated_spans_and_empty_inputs():
    """A repeated span (never in validated data) sends the fast engine to the reference one; no spans, zeros."""
    counted_both_ways([[(0, 5, 0), (0, 5, 0)], [(2, 4, 1)]], [[(0, 5, 0)], []])
    assert not counted_both_ways([[], []], [[], []]).any()
