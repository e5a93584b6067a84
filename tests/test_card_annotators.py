"""Honest metadata: the card's annotations_creators comes from the gold records' annotator_kind."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from agreement_data import documents, entity, record
from typer.testing import CliRunner

from toolkit.agreement.adjudicate import adjudicate_records
from toolkit.cli import app
from toolkit.dataset.build import build_dataset
from toolkit.dataset.card import CardInputs, annotations_creators, render_card
from toolkit.dataset.synthetic import write_synthetic_corpus
from toolkit.errors import InputError
from toolkit.files import read_jsonl
from toolkit.validate import load_documents, validate_file

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("creators")
    documents, gold = write_synthetic_corpus(folder, 6, seed=3)
    return folder, documents, read_jsonl(gold)


def _card(folder: Path, documents: Path, records: list[dict], name: str) -> tuple[dict, str]:
    gold = folder / f"{name}.jsonl"
    gold.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    none = folder / "missing.json"
    build_dataset(documents, gold, folder / name, card_inputs=CardInputs(agreement=none, scores=none))
    text = (folder / name / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1]), text


def _made_by(records: list[dict], kinds: list[str | None]) -> list[dict]:
    made = []
    for original, kind in zip(records, kinds, strict=True):
        stripped = {key: value for key, value in original.items() if key != "annotator_kind"}
        made.append(stripped if kind is None else stripped | {"annotator_kind": kind})
    return made


def test_people_only_is_expert_generated(corpus):
    folder, documents, records = corpus
    header, text = _card(folder, documents, _made_by(records, ["person"] * 6), "people")
    assert header["annotations_creators"] == ["expert-generated"]
    assert "All 6 gold records were made by people (`annotator_kind: person`" in text


def test_one_model_record_makes_it_machine_generated(corpus):
    folder, documents, records = corpus
    header, text = _card(folder, documents, _made_by(records, ["person"] * 5 + ["model"]), "one-model")
    assert header["annotations_creators"] == ["machine-generated"]
    assert "**Made by a model.** 1 of the 6 gold records was made by a model (`annotator_kind: model`" in text
    assert "no person decided its annotations" in text


def test_records_that_do_not_say_are_not_called_expert_made(corpus):
    folder, documents, records = corpus
    header, text = _card(folder, documents, _made_by(records, ["person"] * 4 + [None] * 2), "unstated")
    assert header["annotations_creators"] == ["other"]
    assert "2 of the 6 gold records do not say whether a person or a model made them" in text


def test_the_rule():
    assert annotations_creators(Counter({"model": 1, "person": 9})) == ["machine-generated"]
    assert annotations_creators(Counter({"person": 3})) == ["expert-generated"]
    assert annotations_creators(Counter({"person": 3, None: 1})) == ["other"]


def test_the_repo_card_says_the_seed_gold_was_made_by_a_model():
    gold = read_jsonl(REPO / "annotations" / "gold.jsonl")
    assert {record["annotator_kind"] for record in gold} == {"model"}
    header = yaml.safe_load((REPO / "DATASET_CARD.md").read_text(encoding="utf-8").split("---\n")[1])
    assert header["annotations_creators"] == ["machine-generated"]


def test_a_gold_the_folder_was_not_built_from_is_refused(corpus, tmp_path, monkeypatch):
    folder, documents, records = corpus
    _card(folder, documents, records, "built")
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(records[0]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"other.jsonl: no record for 5 built document\(s\)"):
        render_card(folder / "built", CardInputs(gold=other))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["card", str(folder / "built"), "--card", "CARD.md"])
    assert result.exit_code == 2
    assert result.output == (
        "error: [E110] annotations/gold.jsonl: file not found (expected the gold JSONL the folder was built from); "
        "it is the default of --gold, relative to the current folder: give --gold FILE\n"
    )
    assert not (tmp_path / "CARD.md").exists()


def test_the_schema_knows_two_kinds(tmp_path):
    documents = REPO / "annotations" / "documents.jsonl"
    record = read_jsonl(REPO / "annotations" / "gold.jsonl")[0] | {"annotator_kind": "human"}
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = validate_file(path, "annotation", documents=load_documents(documents))
    assert [str(problem) for problem in result.problems] == [
        f"{path}:1: annotator_kind: 'human' is not allowed (expected one of: person, model)"
    ]


def test_adjudicated_gold_keeps_the_kind_of_its_sources():
    items = [entity("Mario Rossi", "PER", "e1")]

    def gold_kind(kinds):
        sources = [record("d1", f"a{n}", items, []) | ({"annotator_kind": k} if k else {}) for n, k in enumerate(kinds)]
        gold, _ = adjudicate_records(sources, documents(), ["majority"])
        return gold[0].get("annotator_kind")

    assert gold_kind(["person", "person"]) == "person"
    assert gold_kind(["person", "model"]) == "model"
    assert gold_kind(["person", None]) is None
