"""A round trip: the built dataset's documents config, read back as predictions, scores perfectly against the gold."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.convert_predictions import convert_file, from_documents_row
from toolkit.errors import ValidationError
from toolkit.scoring.evaluate import evaluate
from toolkit.validate import load_documents

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rows")
    for name in ("documents.jsonl", "gold.jsonl"):
        shutil.copyfile(REPO / "annotations" / name, folder / name)
    args = ["build", "--documents", str(folder / "documents.jsonl"), "--gold", str(folder / "gold.jsonl")]
    result = runner.invoke(app, [*args, "--out", str(folder / "voci"), "--card", str(folder / "CARD.md")])
    assert result.exit_code == 0, result.output
    return folder


def _perfect(result) -> None:
    assert result.overall == 1.0
    figures = result.to_dict()
    assert figures["entities"]["strict"]["f1"] == figures["claims"]["strict"]["f1"] == 1.0
    assert figures["claimer"]["accuracy"] == figures["stance"]["accuracy"] == figures["end_to_end"]["f1"] == 1.0


@pytest.mark.parametrize("documents", ["documents.jsonl", "voci"])
def test_parquet_rows_round_trip_to_a_perfect_score(built, tmp_path, documents):
    """--documents is a documents JSONL, or the built folder itself (what a model builder holding the dataset has)."""
    out = tmp_path / "p.jsonl"
    parquet = built / "voci" / "documents" / "test-00000-of-00001.parquet"
    args = ["convert-predictions", str(parquet), "--format", "documents", "--documents", str(built / documents)]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "converted 1 document(s)" in result.output
    _perfect(evaluate(out, built / "gold.jsonl", built / "documents.jsonl"))
    _perfect(evaluate(out, built / "voci", split="test"))
    gold = json.loads((built / "gold.jsonl").read_text(encoding="utf-8").splitlines()[0])
    record = json.loads(out.read_text(encoding="utf-8"))
    assert len(record["entities"]) == len(gold["entities"]) and len(record["claims"]) == len(gold["claims"])


def test_rows_loaded_with_datasets_and_exported_to_json_round_trip(built, tmp_path):
    """What a model builder holds: `load_dataset` rows (ClassLabel indices), or their `to_json` export."""
    from datasets import load_dataset

    rows = load_dataset(str(built / "voci"), "documents", split="test", cache_dir=str(tmp_path / "cache"))
    documents = load_documents(built / "documents.jsonl")
    in_memory = [from_documents_row(row, documents[row["id"]]) for row in rows]
    exported = tmp_path / "rows.jsonl"
    rows.to_json(str(exported))
    assert convert_file(exported, "documents", documents) == in_memory
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps(record) + "\n" for record in in_memory), encoding="utf-8")
    _perfect(evaluate(predictions, built / "voci", split="test"))


def test_a_row_that_does_not_fit_its_document_is_located(built, tmp_path):
    documents = load_documents(built / "documents.jsonl")
    (doc_id,) = documents
    row = {"id": doc_id, "entities": [{"start": 0, "end": 3, "label": 42}], "claims": []}
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps(row | {"id": "nope"}) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        convert_file(path, "documents", documents)
    assert [line.split(" (expected")[0] for line in caught.value.lines()] == [
        f"{path}:1: entities[0].label: got 42",
        f"{path}:2: id: 'nope' is not the id of a document in the documents file",
    ]
