"""``--by FIELD``: the headline figures of each value's documents equal those of scoring those documents alone,
from a gold JSONL and from a built folder alike."""

from __future__ import annotations

import json
import random

import pytest
from scoring_corpus import build_random, random_predictions
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import InputError
from toolkit.files import read_jsonl, write_jsonl
from toolkit.scoring.figures import HEADLINE_FIGURES
from toolkit.scoring.scorer import Scorer

FIGURES = HEADLINE_FIGURES[:3]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("by")
    built = build_random(folder, 11, 24, splits=("test", "train"))
    documents = read_jsonl(folder / "documents.jsonl")
    for k, document in enumerate(documents):  # a field some documents lack, and dates of two years
        if k % 3:
            document["published"] = f"{2023 + k % 2}-0{1 + k % 9}-15"
    write_jsonl(folder / "documents.jsonl", documents)
    predictions = random_predictions(random.Random(4), documents, read_jsonl(folder / "gold.jsonl"))
    write_jsonl(folder / "predictions.jsonl", predictions)
    return folder, built


def _headline(result) -> dict:
    return {name: result.figure(name) for name in FIGURES} | {"overall": result.overall}


def test_each_split_as_scored_alone(corpus):
    folder, built = corpus
    predictions = folder / "predictions.jsonl"
    for gold in ((built,), (folder / "gold.jsonl", folder / "documents.jsonl")):
        by = Scorer(*gold, ignore_extra=True).score(predictions).result(by=["split"]).by["split"]
        assert set(by) == {"test", "train"}
        for split, figures in by.items():
            alone = Scorer(*gold, split=split, ignore_extra=True).score(predictions).result()
            assert figures["n_documents"] == alone.n_documents
            assert {name: figures[name] for name in (*FIGURES, "overall")} == _headline(alone)


def test_published_year_and_missing_values(corpus):
    folder, _ = corpus
    scorer = Scorer(folder / "gold.jsonl", folder / "documents.jsonl", ignore_extra=True)
    result = scorer.score(folder / "predictions.jsonl").result(bootstrap=50, by=["published"])
    by = result.by["published"]
    assert set(by) == {"(none)", "2023", "2024"}
    assert sum(value["n_documents"] for value in by.values()) == result.n_documents == 24
    assert by["(none)"]["n_documents"] == 8
    for value in by.values():
        assert set(value["ci"]) == set(HEADLINE_FIGURES) and value["ci_warning"]  # fewer than 30 documents each
        low, high = value["ci"]["entities.strict.f1"]["low"], value["ci"]["entities.strict.f1"]["high"]
        assert low <= value["entities.strict.f1"] <= high


def test_a_field_no_document_has(corpus):
    folder, built = corpus
    for gold in ((built,), (folder / "gold.jsonl", folder / "documents.jsonl")):
        scored = Scorer(*gold, ignore_extra=True).score(folder / "predictions.jsonl")
        with pytest.raises(InputError, match="no document of the gold .* has the field 'sorce'"):
            scored.result(by=["sorce"])


def test_by_on_the_command_line(corpus):
    folder, built = corpus
    arguments = ["eval", str(folder / "predictions.jsonl"), "--gold", str(built), "--ignore-extra", "--by", "split"]
    run = CliRunner().invoke(app, [*arguments, "--by", "lang", "--format", "json"])
    assert run.exit_code == 0, run.output
    by = json.loads(run.stdout)["by"]
    assert set(by) == {"split", "lang"} and by["lang"]["it"]["n_documents"] == 24
    table = CliRunner().invoke(app, arguments)
    assert "by split" in table.stdout and "\ntest " in table.stdout
    refused = CliRunner().invoke(app, [*arguments, "--by", "sorce"])
    assert refused.exit_code == 2 and "'sorce'" in refused.output and "Traceback" not in refused.output
