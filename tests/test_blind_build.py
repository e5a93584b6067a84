"""`toolkit build --blind`: a public folder without the blind split's labels, a private folder with them, and
`toolkit publish` / `toolkit eval` refusing what would leak or mislead."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from benchmark_data import build, oracle_prediction, write_split_corpus
from datasets import load_dataset
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.blind import WITHHELD_MANIFEST, withheld_gold_in
from toolkit.files import read_jsonl, write_jsonl
from toolkit.validate import validate_file

runner = CliRunner()


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The same corpus built twice: blind (public + private) and with every label public (for comparison)."""
    root = tmp_path_factory.mktemp("blind")
    documents, gold = write_split_corpus(root / "corpus")
    result = build(documents, gold, root / "dist" / "voci", "--blind", "test", "--private-out", str(root / "private"))
    assert result.exit_code == 0, result.output
    labelled = build(documents, gold, root / "open" / "voci")
    assert labelled.exit_code == 0, labelled.output
    return {
        "documents": documents,
        "gold": gold,
        "public": root / "dist" / "voci",
        "private": root / "private",
        "labelled": root / "open" / "voci",
        "output": result.output,
        "root": root,
    }


def _load(folder: Path, config: str):
    with tempfile.TemporaryDirectory() as cache:  # load_dataset caches by folder name: a fresh cache each time
        return {
            split: dataset.to_list() for split, dataset in load_dataset(str(folder), config, cache_dir=cache).items()
        }


def _test_ids(documents: Path) -> set[str]:
    return {document["id"] for document in read_jsonl(documents) if document["split"] == "test"}


def test_public_folder_loads_offline_with_test_texts_and_no_test_span(built):
    documents = _load(built["public"], "documents")
    test_ids = _test_ids(built["documents"])
    assert {row["id"] for row in documents["test"]} == test_ids
    texts = {document["id"]: document["text"] for document in read_jsonl(built["documents"])}
    for row in documents["test"]:
        assert row["entities"] == [] and row["claims"] == []
        assert row["text"] == texts[row["id"]]
        assert row["annotators"], "who annotated is not a label: it stays"
    assert all(row["entities"] for row in documents["validation"]), "only the blind split loses its labels"
    ner = _load(built["public"], "ner")
    assert {row["doc_id"] for row in ner["test"]} == test_ids
    assert {tag for row in ner["test"] for tag in row["ner_tags"]} == {-1}
    assert all(len(row["ner_tags"]) == len(row["tokens"]) for row in ner["test"])
    assert any(tag > 0 for row in ner["validation"] for tag in row["ner_tags"])
    claims = _load(built["public"], "claims")
    assert "test" not in claims and claims["validation"], "the claims config has no row of a blind split"
    assert withheld_gold_in(built["public"]) == [], "no file of the public folder holds a withheld label"


def test_blind_tokens_are_cut_without_the_gold(built):
    """In the labelled build "Corea-Russia" is cut at the entity boundaries; in the blind split it is not."""
    blind = {row["doc_id"]: row for row in _load(built["public"], "ner")["test"]}
    labelled = {row["doc_id"]: row for row in _load(built["labelled"], "ner")["test"]}
    changed = [doc_id for doc_id in blind if blind[doc_id]["tokens"] != labelled[doc_id]["tokens"]]
    assert changed, "the synthetic texts have tokens that only entity boundaries split"
    for doc_id in changed:
        assert len(blind[doc_id]["tokens"]) < len(labelled[doc_id]["tokens"])


def test_private_folder_holds_the_withheld_gold(built):
    private = built["private"]
    manifest = json.loads((private / WITHHELD_MANIFEST).read_text(encoding="utf-8"))
    gold = {record["id"]: record for record in read_jsonl(built["gold"])}
    test_ids = _test_ids(built["documents"])
    assert list(manifest["splits"]) == ["test"]
    assert manifest["splits"]["test"]["documents"] == len(test_ids)
    assert manifest["splits"]["test"]["entities"] == sum(len(gold[doc_id]["entities"]) for doc_id in test_ids)
    assert manifest["splits"]["test"]["claims"] == sum(len(gold[doc_id]["claims"]) for doc_id in test_ids)
    for name in manifest["splits"]["test"]["files"].values():
        assert (private / name).is_file(), name
    assert read_jsonl(private / "gold" / "test.jsonl") == [
        record for record in gold.values() if record["id"] in test_ids
    ]
    assert validate_file(private / "gold" / "test.documents.jsonl", kind="document").problems == []
    for config in ("documents", "ner", "claims"):  # the rows the labelled build published
        assert (
            pq.read_table(private / config / "test-00000-of-00001.parquet").to_pylist()
            == pq.read_table(built["labelled"] / config / "test-00000-of-00001.parquet").to_pylist()
        )
    assert (private / "scoring" / "test.npz").is_file()
    assert not (built["public"] / "scoring" / "test.npz").exists(), "no compiled gold of a blind split in public"
    assert "never publish" in (private / "README.md").read_text(encoding="utf-8")
    assert "blind split test: labels of 7 document(s) withheld" in built["output"]


def test_scores_on_the_private_folder_equal_the_labelled_build(built, tmp_path):
    gold = read_jsonl(built["gold"])
    predictions = tmp_path / "predictions.jsonl"
    records = [oracle_prediction(record) for record in gold]
    records[-1]["entities"] = records[-1]["entities"][1:]  # one miss, so that not every figure is 1
    write_jsonl(predictions, records)

    def scores(*arguments: str) -> dict:
        result = runner.invoke(app, ["eval", str(predictions), *arguments, "--ignore-extra", "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    private = scores("--gold", str(built["private"]), "--split", "test")
    labelled = scores("--gold", str(built["labelled"]), "--split", "test")
    jsonl = scores(
        "--gold",
        str(built["private"] / "gold" / "test.jsonl"),
        "--documents",
        str(built["private"] / "gold" / "test.documents.jsonl"),
    )
    for key in ("entities", "claims", "claimer", "stance", "end_to_end", "overall", "n_documents"):
        assert private[key] == labelled[key] == jsonl[key], key
    assert private["n_documents"] == 7 and private["entities"]["strict"]["f1"] < 1


def test_eval_refuses_the_blind_split_of_the_public_folder(built, tmp_path):
    predictions = tmp_path / "predictions.jsonl"
    write_jsonl(predictions, [{"id": document["id"], "entities": []} for document in read_jsonl(built["documents"])])
    result = runner.invoke(app, ["eval", str(predictions), "--gold", str(built["public"]), "--split", "test"])
    assert result.exit_code == 2
    assert "split 'test' is blind" in result.stderr and "--gold" in result.stderr
    everything = runner.invoke(app, ["eval", str(predictions), "--gold", str(built["public"])])
    assert everything.exit_code == 2 and "are blind" in everything.stderr
    validation = runner.invoke(
        app, ["eval", str(predictions), "--gold", str(built["public"]), "--split", "validation", "--ignore-extra"]
    )
    assert validation.exit_code == 0, validation.output


def test_card_says_which_split_is_blind_and_how_to_be_scored(built):
    card = (built["public"] / "README.md").read_text(encoding="utf-8")
    assert "### Blind splits" in card
    assert "The test split is **blind**" in card
    assert "Codabench" in card and "docs/benchmark.md" in card
    assert "| entities, all | " in card and "withheld |" in card
    labelled_card = (built["labelled"] / "README.md").read_text(encoding="utf-8")
    assert "Blind split" not in labelled_card and "withheld" not in labelled_card


def test_publish_refuses_the_private_folder(built):
    result = runner.invoke(app, ["publish", str(built["private"]), "--repo", "org/voci", "--dry-run"])
    assert result.exit_code == 2
    assert "is a private folder of withheld gold (split(s) test" in result.stderr
    assert WITHHELD_MANIFEST in result.stderr


def test_publish_refuses_a_folder_holding_withheld_gold(built, tmp_path):
    public = tmp_path / "voci"
    shutil.copytree(built["public"], public)
    assert runner.invoke(app, ["publish", str(public), "--repo", "org/voci", "--dry-run"]).exit_code == 0

    nested = tmp_path / "nested"
    shutil.copytree(built["public"], nested)
    shutil.copytree(built["private"], nested / "private")
    result = runner.invoke(app, ["publish", str(nested), "--repo", "org/voci", "--dry-run"])
    assert result.exit_code == 2
    assert "contains withheld gold" in result.stderr and str(nested / "private" / WITHHELD_MANIFEST) in result.stderr

    restored = tmp_path / "restored"
    shutil.copytree(built["public"], restored)
    blind_file = restored / "documents" / "test-00000-of-00001.parquet"
    labelled = pq.read_table(built["private"] / "documents" / "test-00000-of-00001.parquet")
    pq.write_table(labelled.replace_schema_metadata(pq.read_schema(blind_file).metadata), blind_file)
    result = runner.invoke(app, ["publish", str(restored), "--repo", "org/voci", "--dry-run"])
    assert result.exit_code == 2
    assert f"{blind_file} (a blind split's file holding" in result.stderr and "entity mentions" in result.stderr


def test_a_blind_rebuild_is_byte_identical(built, tmp_path):
    result = build(
        built["documents"], built["gold"], tmp_path / "voci", "--blind", "test", "--private-out", str(tmp_path / "p")
    )
    assert result.exit_code == 0, result.output
    for ours, theirs in ((tmp_path / "voci", built["public"]), (tmp_path / "p", built["private"])):
        files = sorted(path.relative_to(ours) for path in ours.rglob("*") if path.is_file())
        assert files == sorted(path.relative_to(theirs) for path in theirs.rglob("*") if path.is_file())
        for name in files:
            assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--blind", "dev", "--private-out", "{root}/p"],
            "--blind: split 'dev' has no annotated document (splits built: train, validation, test)",
        ),
        (["--private-out", "{root}/p"], "--private-out: {root}/p given without --blind"),
        (["--blind", "test", "--private-out", "{root}/voci/private"], "overlaps --out"),
        (["--blind", "test", "--private-out", "{root}"], "overlaps --out"),
    ],
)
def test_build_refuses_bad_blind_options(built, tmp_path, extra, message):
    arguments = [argument.format(root=tmp_path) for argument in extra]
    result = build(built["documents"], built["gold"], tmp_path / "voci", *arguments)
    assert result.exit_code == 2, result.output
    assert message.format(root=tmp_path) in result.stderr
    assert not (tmp_path / "voci").exists() and not (tmp_path / "p").exists()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")], "no staging folder left behind"
