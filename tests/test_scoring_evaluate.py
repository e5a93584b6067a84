"""``evaluate`` / ``compare``: loading, validation, pitfalls, signature, JSON contract."""

from __future__ import annotations

import json

import pytest
from scoring_data import TEXT, at, entity, standard_corpus, write_corpus, write_predictions

from toolkit.errors import InputError, ValidationError
from toolkit.scoring.evaluate import compare, evaluate
from toolkit.scoring.scorer import DEFAULT_SEED

ENTITY_KEYS = {
    "correct",
    "incorrect",
    "partial",
    "missed",
    "spurious",
    "possible",
    "actual",
    "precision",
    "recall",
    "f1",
}


def span(fragment: str, occurrence: int = 0) -> dict:
    start, end = at(TEXT, fragment, occurrence)
    return {"start": start, "end": end}


def perfect_prediction() -> dict:
    return {
        "id": "d1",
        "entities": [
            {**span("Mario Rossi"), "label": "PER"},
            {**span("Roma"), "label": "GPE"},
            {**span("Milano"), "label": "GPE"},
            {**span("Rossi", 1), "label": "PER"},
            {**span("governo"), "label": "ORG"},
        ],
        "claims": [
            {**span("Roma e Milano crescono"), "stance": "SUPPORT", "claimer": span("Mario Rossi")},
            {**span("il governo nega"), "stance": "REFUTE", "claimer": "UNNAMED"},
        ],
    }


@pytest.fixture
def corpus(tmp_path):
    documents, gold = standard_corpus(tmp_path)
    return tmp_path, documents, gold


def test_perfect_predictions_score_one_everywhere(corpus):
    folder, documents, gold = corpus
    result = evaluate(write_predictions(folder / "p.jsonl", [perfect_prediction()]), gold, documents)
    data = result.to_dict()
    assert {
        "signature",
        "n_documents",
        "missing_documents",
        "extra_documents",
        "entities",
        "claims",
        "claimer",
        "stance",
        "end_to_end",
        "overall",
        "ci",
    } <= set(data)
    for scheme in ("strict", "exact", "partial", "ent_type"):
        assert set(data["entities"][scheme]) == ENTITY_KEYS and data["entities"][scheme]["f1"] == 1.0
    assert data["claims"]["strict"]["f1"] == data["claims"]["overlap"]["f1"] == 1.0
    assert data["claimer"]["accuracy"] == 1.0 and data["stance"]["accuracy"] == 1.0 and data["end_to_end"]["f1"] == 1.0
    assert data["overall"] == 1.0 and data["overall_reason"] is None and data["ci"] is None
    assert json.loads(json.dumps(data)) == data


def test_hand_computed_errors(corpus):
    folder, documents, gold = corpus
    prediction = perfect_prediction()
    milano_start, milano_end = at(TEXT, "Milano")
    prediction["entities"] = [
        {**span("Mario Rossi"), "label": "PER"},
        {**span("Roma"), "label": "LOC"},
        {"start": milano_start - 2, "end": milano_end, "label": "GPE"},
        {**span("detto"), "label": "ORG"},
    ]
    prediction["claims"][0]["claimer"] = span("Rossi", 1)  # another mention, but "Rossi" is not the text "Mario Rossi"
    prediction["claims"][1]["stance"] = "NEUTRAL"
    result = evaluate(write_predictions(folder / "p.jsonl", [prediction]), gold, documents)
    strict = result.entities["strict"]
    assert (strict["correct"], strict["incorrect"], strict["partial"], strict["missed"], strict["spurious"]) == (
        1,
        2,
        0,
        2,
        1,
    )
    assert result.entities["partial"]["partial"] == 1 and result.entities["ent_type"]["correct"] == 2
    assert strict["f1"] == pytest.approx(2 * 1 / (5 + 4))
    per_label = result.entities["per_label"]
    assert (
        per_label["GPE"]["strict"]["incorrect"] == 2 and "LOC" not in per_label
    )  # the confusion counts under the gold label
    assert per_label["ORG"]["strict"]["spurious"] == 1 and per_label["ORG"]["strict"]["missed"] == 1
    assert result.claimer["accuracy"] == 0.5 and result.stance["accuracy"] == 0.5
    assert result.end_to_end["true_positives"] == 0 and result.end_to_end["f1"] == 0.0
    assert result.overall == pytest.approx((strict["f1"] + 1.0 + 0.0) / 3)


def test_claimer_as_another_mention_of_the_same_source(tmp_path):
    text = "Mario Rossi parla. Poi Mario Rossi dice che piove."
    entities = [entity(text, "e1", "Mario Rossi", "PER"), entity(text, "e2", "Mario Rossi", "PER", 1)]
    start, end = at(text, "piove")
    claims = [
        {
            "id": "c1",
            "start": start,
            "end": end,
            "text": "piove",
            "stance": "SUPPORT",
            "claimer": {"kind": "entity", "entity_ids": ["e2"]},
        }
    ]
    documents, gold = write_corpus(tmp_path, {"d1": (text, entities, claims)})
    s, e = at(text, "Mario Rossi")
    prediction = {
        "id": "d1",
        "claims": [{"start": start, "end": end, "stance": "SUPPORT", "claimer": {"start": s, "end": e}}],
    }
    result = evaluate(write_predictions(tmp_path / "p.jsonl", [prediction]), gold, documents)
    assert result.claimer["accuracy"] == 1.0


def test_missing_documents_count_as_predicting_nothing(tmp_path):
    golds = {doc_id: (TEXT, [entity(TEXT, "e1", "Roma", "GPE")], []) for doc_id in ("a", "b")}
    documents, gold = write_corpus(tmp_path, golds)
    prediction = {"id": "a", "entities": [{**span("Roma"), "label": "GPE"}]}
    result = evaluate(write_predictions(tmp_path / "p.jsonl", [prediction]), gold, documents)
    assert result.missing_documents == ["b"]
    assert result.entities["strict"]["missed"] == 1 and result.entities["strict"]["recall"] == 0.5


def test_extra_documents_are_an_error_unless_ignored(tmp_path):
    documents, gold = write_corpus(tmp_path, {"a": (TEXT, [], [])})
    predictions = write_predictions(tmp_path / "p.jsonl", [{"id": "a", "entities": []}, {"id": "zzz", "entities": []}])
    with pytest.raises(ValidationError) as raised:
        evaluate(predictions, gold, documents)
    assert raised.value.lines()[0].startswith(f"{predictions}:2: id: 'zzz' is not a document in the gold gold.jsonl")
    result = evaluate(predictions, gold, documents, ignore_extra=True)
    assert result.extra_documents == ["zzz"]


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"start": 0, "end": 999, "label": "PER"}, "entities[0].end"),  # offsets outside the text
        ({"start": 0, "end": 5, "label": "per"}, "entities[0].label"),  # labels are exact: no case folding
        ({"start": 0, "end": 5, "label": " PER"}, "entities[0].label"),
        ({"start": 0, "end": 5, "label": "WORK_OF_ART"}, "entities[0].label"),  # outside the inventory
        ({"start": 0, "end": 5, "label": "PER", "text": "Rossi"}, "entities[0].text"),  # text that does not match
    ],
)
def test_invalid_predictions_stop_the_run(corpus, bad, field):
    folder, documents, gold = corpus
    predictions = write_predictions(folder / "p.jsonl", [{"id": "d1", "entities": [bad]}])
    with pytest.raises(ValidationError) as raised:
        evaluate(predictions, gold, documents)
    assert raised.value.lines()[0].startswith(f"{predictions}:1: {field}: ")


def test_duplicate_spans_are_reported(corpus):
    folder, documents, gold = corpus
    duplicate = {**span("Roma"), "label": "GPE"}
    predictions = write_predictions(folder / "p.jsonl", [{"id": "d1", "entities": [duplicate, duplicate]}])
    with pytest.raises(ValidationError, match="problem") as raised:
        evaluate(predictions, gold, documents)
    assert "entities[1]: duplicate of entities[0]" in raised.value.lines()[0]


def test_empty_predictions_give_null_overall_with_reason(corpus):
    folder, documents, gold = corpus
    result = evaluate(write_predictions(folder / "p.jsonl", []), gold, documents)
    assert result.overall is None and "no entities and no claims layer" in result.overall_reason
    assert result.entities["strict"]["precision"] is None and result.entities["strict"]["recall"] == 0.0
    assert result.missing_documents == ["d1"]
    entities_only = evaluate(write_predictions(folder / "q.jsonl", [{"id": "d1", "entities": []}]), gold, documents)
    assert entities_only.overall is None and "no claims layer" in entities_only.overall_reason


def test_empty_gold(tmp_path):
    documents, gold = write_corpus(tmp_path, {"a": (TEXT, [], [])})
    result = evaluate(
        write_predictions(tmp_path / "p.jsonl", [{"id": "a", "entities": [], "claims": []}]),
        gold,
        documents,
        bootstrap=50,
    )
    assert result.entities["strict"]["f1"] is None and result.claims["overlap"]["f1"] is None
    assert result.overall is None and "undefined" in result.overall_reason
    assert result.ci["overall"]["low"] is None


def test_order_of_predictions_does_not_matter(corpus):
    folder, documents, gold = corpus
    forward = perfect_prediction()
    forward["entities"][1]["start"] -= 2
    backward = json.loads(json.dumps(forward))
    backward["entities"].reverse()
    backward["claims"].reverse()
    a = evaluate(write_predictions(folder / "a.jsonl", [forward]), gold, documents).to_dict()
    b = evaluate(write_predictions(folder / "b.jsonl", [backward]), gold, documents).to_dict()
    assert a == b


def test_signature_names_every_setting(corpus):
    folder, documents, gold = corpus
    predictions = write_predictions(folder / "p.jsonl", [perfect_prediction()])
    plain = evaluate(predictions, gold, documents)
    fields = dict(part.split(":", 1) for part in plain.signature.split("|"))
    assert fields["gold"] == plain.settings["gold_hash"] and len(fields["gold"]) == 12
    assert fields["split"] == "all" and fields["docs"] == "1"
    assert (
        fields["iou"] == "0.5" and fields["match"] == "hungarian-v2" and fields["boot"] == "0" and "seed" not in fields
    )
    assert fields["voci-eval"] == "2.0" and "engine" not in fields and "hub" not in fields  # the default engine
    assert plain.settings["engine"] == "fast" and plain.settings["revision"] is None
    reference = evaluate(predictions, gold, documents, engine="reference")
    assert reference.signature == plain.signature + "|engine:reference" and reference.settings["engine"] == "reference"
    booted = evaluate(predictions, gold, documents, iou=0.7, bootstrap=20, seed=3)
    assert "|iou:0.7|" in booted.signature and booted.signature.endswith("|boot:20|seed:3")
    assert set(booted.ci) == {"entities.strict.f1", "claims.overlap.f1", "end_to_end.f1", "overall"}
    # the settings of the compat figures: a label map and another normalisation change numbers, so they are named
    mapped = evaluate(predictions, gold, documents, token_label_map={"GPE": "LOC", "FAC": "O"})
    assert mapped.signature == plain.signature + "|tokenmap:FAC=O,GPE=LOC"
    italian = evaluate(predictions, gold, documents, newsclaims_normalisation="italian")
    assert italian.signature == plain.signature + "|norm:italian"
    # a change in the gold changes its hash
    record = json.loads(gold.read_text())
    record["entities"] = record["entities"][:-1]
    gold.write_text(json.dumps(record) + "\n")
    assert evaluate(predictions, gold, documents).signature != plain.signature


def test_split_selection(tmp_path):
    golds = {doc_id: (TEXT, [entity(TEXT, "e1", "Roma", "GPE")], []) for doc_id in ("a", "b")}
    documents, gold = write_corpus(tmp_path, golds, splits={"a": "test", "b": "train"})
    predictions = write_predictions(tmp_path / "p.jsonl", [{"id": "a", "entities": [{**span("Roma"), "label": "GPE"}]}])
    result = evaluate(predictions, gold, documents, split="test")
    assert result.n_documents == 1 and result.entities["strict"]["f1"] == 1.0 and "|split:test|" in result.signature
    with pytest.raises(InputError, match=r"\] split: 'validation' is not a split of .*\(splits there: test, train\)$"):
        evaluate(predictions, gold, documents, split="validation")
    for bad in ("*", "../test", "test\n", ""):  # a name, never a pattern or a path
        with pytest.raises(InputError, match="is not a split name"):
            evaluate(predictions, gold, documents, split=bad)


def test_bad_settings(corpus):
    folder, documents, gold = corpus
    predictions = write_predictions(folder / "p.jsonl", [perfect_prediction()])
    with pytest.raises(InputError, match=r"^\[E100\] iou: 0 is out of range"):
        evaluate(predictions, gold, documents, iou=0)


def _write_built(folder, gold_path, documents_path, split="test"):
    """A built dataset's documents config, written with the project's own features (ClassLabel ints)."""
    from datasets import Dataset

    from toolkit.dataset.features import documents_features
    from toolkit.inventory import load_inventory

    inventory = load_inventory()
    texts = {d["id"]: d for d in map(json.loads, documents_path.read_text().splitlines())}
    rows = []
    for record in map(json.loads, gold_path.read_text().splitlines()):
        document = texts[record["id"]]
        rows.append(
            {
                "id": record["id"],
                "lang": "it",
                "title": None,
                "source": None,
                "url": None,
                "published": None,
                "license": None,
                "text": document["text"],
                "text_sha256": document["text_sha256"],
                "annotators": [],
                "entities": [
                    {
                        **{k: e[k] for k in ("id", "start", "end", "text")},
                        "label": inventory.entity_names.index(e["label"]),
                    }
                    for e in record["entities"]
                ],
                "claims": [
                    {
                        **{k: c[k] for k in ("id", "start", "end", "text")},
                        "stance": inventory.stance_names.index(c["stance"]),
                        "claimer_kind": inventory.claimer_kind_names.index(c["claimer"]["kind"]),
                        "claimer_ids": c["claimer"]["entity_ids"],
                    }
                    for c in record["claims"]
                ],
            }
        )
    (folder / "documents").mkdir(parents=True)
    Dataset.from_list(rows, features=documents_features()).to_parquet(
        str(folder / "documents" / f"{split}-00000-of-00001.parquet")
    )
    return folder


def test_gold_from_a_built_folder_scores_like_the_jsonl(corpus):
    folder, documents, gold = corpus
    built = _write_built(folder / "voci", gold, documents)
    prediction = perfect_prediction()
    prediction["claims"][1]["stance"] = "NEUTRAL"
    predictions = write_predictions(folder / "p.jsonl", [prediction])
    from_jsonl = evaluate(predictions, gold, documents).to_dict()
    from_build = evaluate(predictions, built, split="test").to_dict()
    assert from_build["settings"]["gold_hash"] == from_jsonl["settings"]["gold_hash"]  # same content, same hash
    for key in ("entities", "claims", "claimer", "stance", "end_to_end", "overall"):
        assert from_build[key] == from_jsonl[key]
    with pytest.raises(InputError, match=r"\] split: 'train' is not a split of .*voci \(splits there: test\)$"):
        evaluate(predictions, built, split="train")
    with pytest.raises(InputError, match="is not a split name"):
        evaluate(predictions, built, split="*")  # never a glob: once, '*' scored every split


def test_compare(corpus):
    folder, documents, gold = corpus
    good = write_predictions(folder / "good.jsonl", [perfect_prediction()])
    worse = perfect_prediction()
    worse["entities"] = worse["entities"][:2]
    bad = write_predictions(folder / "bad.jsonl", [worse])
    comparison = compare(good, bad, gold, documents, resamples=200)
    strict = comparison["figures"]["entities.strict.f1"]
    assert (
        strict["a"] == 1.0 and strict["b"] == pytest.approx(4 / 7) and strict["difference"] == pytest.approx(4 / 7 - 1)
    )
    assert (
        strict["p_value"] is None and strict["seed"] == DEFAULT_SEED
    )  # one document: no variation to judge a difference by
    assert comparison["figures"]["claims.overlap.f1"]["p_value"] == 1.0  # identical claims
    assert set(comparison["figures"]) == {"entities.strict.f1", "claims.overlap.f1", "end_to_end.f1", "overall"}


def test_a_loaded_gold_scores_like_its_files(tmp_path, monkeypatch):
    """Scoring many systems (the leaderboard) loads the gold once; the figures and signatures are the same as from
    the files."""
    from toolkit.scoring.gold import loading
    from toolkit.scoring.scorer import load_gold

    golds = {doc_id: (TEXT, [entity(TEXT, "e1", "Roma", "GPE")], []) for doc_id in ("a", "b")}
    documents, gold = write_corpus(tmp_path, golds, splits={"a": "test", "b": "train"})
    good = write_predictions(
        tmp_path / "good.jsonl",
        [{"id": "a", "entities": [{**span("Roma"), "label": "GPE"}]}, {"id": "b", "entities": []}],
    )
    empty = write_predictions(tmp_path / "empty.jsonl", [{"id": "a", "entities": []}])
    loaded = load_gold(gold, documents, split="test")
    reads = []
    monkeypatch.setattr(loading, "_load_jsonl_gold", lambda *args: reads.append(args))
    assert load_gold(loaded) is loaded and reads == []
    monkeypatch.undo()
    from_files = evaluate(good, gold, documents, split="test", ignore_extra=True).to_dict()
    assert evaluate(good, loaded, ignore_extra=True).to_dict() == from_files
    assert "|split:test|" in from_files["signature"]
    compared = compare(good, empty, loaded, resamples=50, ignore_extra=True)
    assert compared == compare(good, empty, gold, documents, split="test", resamples=50, ignore_extra=True)
    assert "|split:test|" in compared["signature"]
