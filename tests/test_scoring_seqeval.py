"""``--per-label-convention seqeval``: per-label figures equal seqeval's ``classification_report`` (the independent
implementation) on IOB2 tags of the same spans, and both engines give the same JSON."""

from __future__ import annotations

import random

import pytest
from scoring_corpus import random_corpus, random_predictions
from scoring_data import TEXT, at, entity, write_corpus

from toolkit.errors import InputError
from toolkit.files import write_jsonl
from toolkit.scoring.evaluate import evaluate
from toolkit.scoring.scorer import Scorer


def flat(entities: list[dict]) -> list[dict]:
    """A greedy non-overlapping subset (IOB2 can hold no more), kept in text order."""
    kept, end = [], -1
    for e in sorted(entities, key=lambda e: (e["start"], e["end"], e["label"])):
        if e["start"] >= end:
            kept.append(e)
            end = e["end"]
    return kept


def tags(text: str, entities: list[dict]) -> list[str]:
    """One IOB2 tag per character (any tokenization of the same spans gives seqeval the same entities)."""
    sequence = ["O"] * len(text)
    for e in entities:
        sequence[e["start"] : e["end"]] = [f"B-{e['label']}"] + [f"I-{e['label']}"] * (e["end"] - e["start"] - 1)
    return sequence


def flat_corpus(seed: int, n: int = 30):
    rng = random.Random(seed)
    documents, golds = random_corpus(rng, n)
    for gold in golds:
        gold["entities"] = flat(gold["entities"])
        gold["claims"] = []
    predictions = random_predictions(rng, documents, golds)
    for record in predictions:
        record["entities"] = flat(record.get("entities", []))
        record.pop("claims", None)
    return documents, golds, predictions


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_per_label_figures_equal_seqevals_report(tmp_path, seed):
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    documents, golds, predictions = flat_corpus(seed)
    write_jsonl(tmp_path / "documents.jsonl", documents)
    write_jsonl(tmp_path / "gold.jsonl", golds)
    texts = {d["id"]: d["text"] for d in documents}
    by_id = {p["id"]: p for p in predictions}
    y_true = [tags(texts[g["id"]], g["entities"]) for g in golds]
    y_pred = [tags(texts[g["id"]], by_id.get(g["id"], {}).get("entities", [])) for g in golds]
    for mode in ({}, {"mode": "strict", "scheme": IOB2}):
        report = classification_report(y_true, y_pred, output_dict=True, zero_division=0, **mode)
        results = [
            evaluate(
                predictions,
                tmp_path / "gold.jsonl",
                tmp_path / "documents.jsonl",
                per_label_convention="seqeval",
                engine=engine,
            ).to_dict()
            for engine in ("fast", "reference")
        ]
        assert results[0] == {**results[1], "settings": results[0]["settings"], "signature": results[0]["signature"]}
        entities = results[0]["entities"]
        labels = [name for name in report if not name.endswith(" avg")]
        assert sorted(entities["per_label"]) == sorted(labels) and len(labels) >= 3
        for name in labels:
            ours = entities["per_label"][name]["strict"]
            assert ours["support"] == report[name]["support"]
            for figure, theirs in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
                assert ours[figure] == pytest.approx(report[name][theirs], abs=1e-12), (name, figure)
        for average in ("macro", "weighted"):
            for figure, theirs in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
                assert entities[average]["strict"][figure] == pytest.approx(report[f"{average} avg"][theirs], abs=1e-12)
        micro = report["micro avg"]["f1-score"]
        assert entities["strict"]["f1"] == pytest.approx(micro, abs=1e-12)  # micro is the same under both conventions


def test_a_confused_pair_counts_against_both_labels(tmp_path):
    golds = {"a": (TEXT, [entity(TEXT, "e1", "Roma", "GPE"), entity(TEXT, "e2", "Milano", "GPE")], [])}
    documents, gold = write_corpus(tmp_path, golds)
    start, end = at(TEXT, "Roma")
    prediction = {"id": "a", "entities": [{"start": start, "end": end, "label": "LOC"}]}
    voci = evaluate([prediction], gold, documents).entities
    seqeval = evaluate([prediction], gold, documents, per_label_convention="seqeval")
    # voci: the pair is counted under its gold label GPE only; LOC has no figure at all
    assert set(voci["per_label"]) == {"GPE"} and voci["per_label"]["GPE"]["strict"]["incorrect"] == 1
    assert voci["macro"]["strict"]["precision"] == 0.0
    per_label = seqeval.entities["per_label"]
    assert per_label["GPE"]["strict"] == {
        "true_positives": 0,
        "predicted": 0,
        "support": 2,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    assert per_label["LOC"]["strict"] == {
        "true_positives": 0,
        "predicted": 1,
        "support": 0,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    assert seqeval.entities["macro"] == {"strict": {"precision": 0.0, "recall": 0.0, "f1": 0.0}}
    assert seqeval.entities["strict"] == voci["strict"]  # the micro figures do not depend on the convention
    assert seqeval.signature.endswith("|labels:seqeval") and seqeval.settings["per_label_convention"] == "seqeval"
    assert "labels:" not in evaluate([prediction], gold, documents).signature


def test_a_never_predicted_label_is_zero_not_skipped(tmp_path):
    golds = {"a": (TEXT, [entity(TEXT, "e1", "Roma", "GPE"), entity(TEXT, "e2", "Mario Rossi", "PER")], [])}
    documents, gold = write_corpus(tmp_path, golds)
    start, end = at(TEXT, "Roma")
    prediction = {"id": "a", "entities": [{"start": start, "end": end, "label": "GPE"}]}
    voci = evaluate([prediction], gold, documents).entities["macro"]["strict"]
    seqeval = evaluate([prediction], gold, documents, per_label_convention="seqeval").entities["macro"]["strict"]
    assert voci["precision"] == 1.0  # PER's precision is undefined and left out of voci's mean
    assert seqeval == {"precision": 0.5, "recall": 0.5, "f1": 0.5}  # seqeval counts it as 0


def test_an_unknown_convention_is_refused(tmp_path):
    documents, gold = write_corpus(tmp_path, {"a": (TEXT, [], [])})
    with pytest.raises(InputError, match="per_label_convention: 'nervaluate' is not a convention"):
        Scorer(gold, documents, per_label_convention="nervaluate")
