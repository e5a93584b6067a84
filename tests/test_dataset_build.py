"""`toolkit build`: configs that load offline, exact spans and tags, splits, byte-identical rebuilds, refusals."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from benchmark_data import build as _cli_build
from datasets import ClassLabel, List, load_dataset
from typer.testing import CliRunner

from toolkit.bio import resolve_overlaps, tags_to_spans
from toolkit.dataset.build import BUILD_MANIFEST, build_dataset
from toolkit.dataset.card import CardInputs
from toolkit.dataset.features import CONFIG_FEATURES
from toolkit.dataset.inputs import index_valid
from toolkit.dataset.splits import hashed_split, parse_ratios
from toolkit.dataset.synthetic import write_synthetic_corpus
from toolkit.errors import InputError, ValidationError
from toolkit.files import read_jsonl, write_jsonl
from toolkit.inventory import load_inventory
from toolkit.validate import validate_file

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    documents, gold = write_synthetic_corpus(folder, 40, seed=3, nested=True)
    result = _cli_build(documents, gold, folder / "dist" / "voci")
    assert result.exit_code == 0, result.output
    return documents, gold, folder / "dist" / "voci", result.output


pytestmark = pytest.mark.usefixtures("hub_offline")


def _load(folder: Path, config: str | None):
    with tempfile.TemporaryDirectory() as cache:  # a fresh cache: load_dataset caches by folder name, not content
        loaded = load_dataset(str(folder), config, cache_dir=cache)
        return {split: dataset.to_list() for split, dataset in loaded.items()}, {
            split: dataset.features for split, dataset in loaded.items()
        }


def test_all_configs_load_offline_with_features_and_row_counts(corpus):
    documents_path, gold_path, folder, _ = corpus
    documents = {record["id"]: record for record in read_jsonl(documents_path)}
    gold = read_jsonl(gold_path)
    expected_split = {doc_id: hashed_split(doc_id) for doc_id in documents}
    loaded = {config: _load(folder, config) for config in CONFIG_FEATURES}
    for config, (_, features) in loaded.items():
        for split_features in features.values():
            assert split_features == CONFIG_FEATURES[config](), config
    doc_rows, _ = loaded["documents"]
    assert {split: len(rows) for split, rows in doc_rows.items()} == {
        split: list(expected_split.values()).count(split) for split in set(expected_split.values())
    }
    claim_rows, _ = loaded["claims"]
    claims_per_split = {}
    for record in gold:
        claims_per_split[expected_split[record["id"]]] = claims_per_split.get(expected_split[record["id"]], 0) + len(
            record["claims"]
        )
    assert {split: len(rows) for split, rows in claim_rows.items()} == claims_per_split
    ner_rows, _ = loaded["ner"]
    assert sum(len(rows) for rows in ner_rows.values()) > len(documents)
    for split, rows in ner_rows.items():
        assert {row["doc_id"] for row in rows} == {doc_id for doc_id, name in expected_split.items() if name == split}
    default_rows, _ = _load(folder, None)
    assert default_rows == doc_rows


def test_entity_and_claim_texts_equal_their_document_slices(corpus):
    _, gold_path, folder, _ = corpus
    rows, features = _load(folder, "documents")
    labels = load_inventory().entity_names
    gold = {record["id"]: record for record in read_jsonl(gold_path)}
    for split_rows in rows.values():
        for row in split_rows:
            for entity in row["entities"]:
                assert row["text"][entity["start"] : entity["end"]] == entity["text"]
            assert [(e["id"], e["start"], e["end"], labels[e["label"]]) for e in row["entities"]] == [
                (e["id"], e["start"], e["end"], e["label"]) for e in gold[row["id"]]["entities"]
            ]
            for claim in row["claims"]:
                assert row["text"][claim["start"] : claim["end"]] == claim["text"]
    claim_rows, _ = _load(folder, "claims")
    texts = {row["id"]: row["text"] for split_rows in rows.values() for row in split_rows}
    for split_rows in claim_rows.values():
        for row in split_rows:
            text = texts[row["doc_id"]]
            assert text[row["start"] : row["end"]] == row["claim"]
            assert text[row["sentence_start"] : row["sentence_start"] + len(row["sentence"])] == row["sentence"]
            assert row["sentence_start"] <= row["start"] and row["end"] <= row["sentence_start"] + len(row["sentence"])


def test_ner_tags_reproduce_the_spans_exactly(corpus):
    documents_path, gold_path, folder, output = corpus
    bio = load_inventory().bio_tags()
    rows, features = _load(folder, "ner")
    assert isinstance(features["train"]["ner_tags"], List) and isinstance(
        features["train"]["ner_tags"].feature, ClassLabel
    )
    texts = {record["id"]: record["text"] for record in read_jsonl(documents_path)}
    from_tags: dict[str, list] = {}
    for split_rows in rows.values():
        for row in split_rows:
            tokens = list(zip(row["token_starts"], row["token_ends"], strict=True))
            assert row["tokens"] == [texts[row["doc_id"]][start:end] for start, end in tokens]
            from_tags.setdefault(row["doc_id"], []).extend(tags_to_spans(tokens, [bio[tag] for tag in row["ner_tags"]]))
    dropped_total = 0
    for record in read_jsonl(gold_path):
        kept, dropped = resolve_overlaps((e["start"], e["end"], e["label"]) for e in record["entities"])
        dropped_total += len(dropped)
        assert from_tags.get(record["id"], []) == kept
    assert dropped_total > 0  # the corpus has nested mentions, and the report counts them
    assert f"overlapping entities left out of ner tags {dropped_total}" in output
    assert "entities the tags do not reproduce exactly 0" in output
    assert "tokens split at entity boundaries 0" not in output


def test_round_trip_on_the_repo_gold(tmp_path):
    gold = REPO / "annotations" / "gold.jsonl"
    if not gold.is_file():
        pytest.skip("annotations/gold.jsonl is not written yet")
    report = build_dataset(
        REPO / "annotations" / "documents.jsonl",
        gold,
        tmp_path / "voci",
        card_inputs=CardInputs(agreement=tmp_path / "none", scores=tmp_path / "none"),
    )
    assert report.tally.entities_not_reproduced_by_tags == 0
    bio = load_inventory().bio_tags()
    table = pq.read_table(tmp_path / "voci" / "ner" / "test-00000-of-00001.parquet").to_pylist()
    spans = [
        span
        for row in table
        for span in tags_to_spans(
            list(zip(row["token_starts"], row["token_ends"], strict=True)), [bio[tag] for tag in row["ner_tags"]]
        )
    ]
    record = read_jsonl(gold)[0]
    kept, _ = resolve_overlaps((e["start"], e["end"], e["label"]) for e in record["entities"])
    assert spans == kept
    assert report.rows["documents"] == {"test": 1}  # the seed article is marked test; train and validation are left out


def test_rebuild_is_byte_identical(corpus, tmp_path):
    documents, gold, first, _ = corpus
    second = tmp_path / "voci"
    assert _cli_build(documents, gold, second).exit_code == 0
    assert _cli_build(documents, gold, second).exit_code == 0  # in place, replacing the previous build

    def files(folder):
        return {
            path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }

    assert files(first) == files(second)
    splits = ("train", "validation", "test")
    parquet = {f"{config}/{split}-00000-of-00001.parquet" for config in CONFIG_FEATURES for split in splits}
    built = {"README.md", *parquet, *(f"scoring/{split}.npz" for split in splits)}
    assert set(files(second)) == {*built, BUILD_MANIFEST}
    assert json.loads(files(second)[BUILD_MANIFEST])["files"] == sorted(built)
    assert (tmp_path / "voci-CARD.md").read_bytes() == (second / "README.md").read_bytes()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]  # no staging folder left


def test_empty_splits_are_left_out_of_files_and_yaml(tmp_path):
    documents, gold = write_synthetic_corpus(tmp_path, 5, seed=1)
    records = read_jsonl(documents)
    write_jsonl(documents, [record | {"split": "test"} for record in records])
    write_jsonl(gold, read_jsonl(gold))
    out = tmp_path / "voci"
    assert _cli_build(documents, gold, out).exit_code == 0
    assert sorted(path.relative_to(out).as_posix() for path in out.rglob("*.parquet")) == [
        f"{config}/test-00000-of-00001.parquet" for config in ("claims", "documents", "ner")
    ]
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "split: train" not in readme and "name: validation" not in readme
    rows, _ = _load(out, "ner")
    assert list(rows) == ["test"]


def test_invalid_gold_is_refused_with_a_clear_error_and_nothing_written(tmp_path):
    documents, gold = write_synthetic_corpus(tmp_path, 3, seed=2)
    records = read_jsonl(gold)
    records[1]["entities"][0]["end"] = 10_000
    records[2]["claims"][0]["stance"] = "MAYBE"
    write_jsonl(gold, records)
    out = tmp_path / "voci"
    result = _cli_build(documents, gold, out)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert f"{gold}:2: entities[0].end: 10000 is past the end of the text" in lines[0]
    assert lines[1].startswith(
        f"{gold}:3: claims[0].stance: 'MAYBE' is not allowed (expected one of: SUPPORT, REFUTE, NEUTRAL)"
    )
    assert "Traceback" not in result.output
    assert not out.exists() and not [path for path in tmp_path.iterdir() if path.name.startswith(".")]


def test_streaming_validation_reports_what_validate_file_reports(tmp_path):
    documents, gold = write_synthetic_corpus(tmp_path, 6, seed=4)
    records = read_jsonl(gold)
    records[0]["entities"][0]["text"] = "wrong"
    records[2]["claims"][0]["claimer"]["entity_ids"] = ["nope"]
    records[3]["id"] = records[4]["id"]
    del records[5]["text_sha256"]
    write_jsonl(gold, records)
    index = index_valid(documents, "document")
    with pytest.raises(ValidationError) as raised:
        index_valid(gold, "annotation", documents=index, documents_source=str(documents))
    expected = validate_file(
        gold, "annotation", documents={r["id"]: r for r in read_jsonl(documents)}, documents_source=str(documents)
    ).problems
    assert raised.value.problems == expected and len(expected) == 5


def test_existing_folder_that_is_not_a_build_is_not_replaced(tmp_path):
    documents, gold = write_synthetic_corpus(tmp_path, 2, seed=5)
    out = tmp_path / "voci"
    out.mkdir()
    (out / "precious.txt").write_text("keep me", encoding="utf-8")
    result = _cli_build(documents, gold, out)
    assert result.exit_code == 2 and "is not a dataset built by `toolkit build`" in result.output
    assert (out / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_documents_without_gold_are_left_out_and_counted(tmp_path):
    documents, gold = write_synthetic_corpus(tmp_path, 4, seed=6)
    write_jsonl(gold, read_jsonl(gold)[:3])
    result = _cli_build(documents, gold, tmp_path / "voci")
    assert result.exit_code == 0
    assert "3 document(s) with gold (1 without gold left out)" in result.output


def test_split_ratios_and_hash():
    assert parse_ratios("train=0.5,test=0.5") == {"train": 0.5, "test": 0.5}
    with pytest.raises(InputError, match="sums to 0.9"):
        parse_ratios("train=0.8,test=0.1")
    with pytest.raises(InputError, match="NAME=RATIO"):
        parse_ratios("train:0.8")
    ids = [f"doc-{index}" for index in range(2000)]
    shares = {
        name: sum(hashed_split(doc_id) == name for doc_id in ids) / len(ids) for name in ("train", "validation", "test")
    }
    assert abs(shares["train"] - 0.8) < 0.04 and abs(shares["test"] - 0.1) < 0.03
    assert [hashed_split(doc_id) for doc_id in ids] == [hashed_split(doc_id) for doc_id in ids]


def test_build_report_names_rows_per_config(corpus):
    _, _, folder, output = corpus
    counts = {
        path.parent.name + "/" + path.name.split("-")[0]: pq.ParquetFile(path).metadata.num_rows
        for path in folder.rglob("*.parquet")
    }
    for config in CONFIG_FEATURES:
        line = next(line for line in output.splitlines() if line.strip().startswith(f"{config}:"))
        for split in ("train", "validation", "test"):
            assert f"{split} {counts[f'{config}/{split}']}" in line
    assert json.loads(json.dumps(counts))  # plain numbers
