"""The dataset card: parses, carries configs and figures, and the repo's DATASET_CARD.md does not drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from huggingface_hub import DatasetCard
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.build import build_dataset
from toolkit.dataset.card import CardInputs, collect_stats, render_card
from toolkit.dataset.synthetic import write_synthetic_corpus
from toolkit.files import read_jsonl, write_json
from toolkit.inventory import load_inventory

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("card")
    documents, gold = write_synthetic_corpus(folder, 12, seed=8)
    none = CardInputs(agreement=folder / "missing.json", scores=folder / "missing.json")
    build_dataset(documents, gold, folder / "voci", card_inputs=none)
    return folder, documents, gold


def test_card_parses_and_lists_every_config_with_one_default(built):
    folder, _, gold = built
    card = DatasetCard.load(folder / "voci" / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "cc0-1.0" and data["language"] == ["it"] and data["size_categories"] == ["n<1K"]
    assert [config["config_name"] for config in data["configs"]] == ["documents", "ner", "claims"]
    assert [config.get("default", False) for config in data["configs"]] == [True, False, False]
    for config in data["configs"]:
        for entry in config["data_files"]:
            assert (folder / "voci" / entry["path"]).is_file()
    infos = {info["config_name"]: info for info in data["dataset_info"]}
    stats = collect_stats(folder / "voci")
    for config, splits in stats["rows"].items():
        assert {split["name"]: split["num_examples"] for split in infos[config]["splits"]} == splits
    entities = sum(len(record["entities"]) for record in read_jsonl(gold))
    assert f"{entities} entity mentions" in card.text
    for section in (
        "## Dataset Details",
        "## Uses",
        "## Dataset Structure",
        "## Dataset Creation",
        "### Annotations",
        "## Data Statement",
        "## Bias, Risks, and Limitations",
        "## Citation",
        "**Offsets.**",
    ):
        assert section in card.text
    for label in load_inventory().entity_labels:
        assert f"| `{label.name}` | {label.description} |" in card.text


def test_card_says_what_is_not_available(built):
    folder, _, _ = built
    text = (folder / "voci" / "README.md").read_text(encoding="utf-8")
    assert "Agreement is not available: every document of this release was annotated by a single annotator" in text
    assert "Baseline scores are not available for this release" in text


def test_card_quotes_agreement_and_scores_when_given(built, tmp_path):
    folder, _, gold = built
    agreement, scores = tmp_path / "agreement.json", tmp_path / "scores.json"
    write_json(
        agreement,
        {
            "comparable": True,
            "note": "1 pair(s) of annotators on 3 document(s)",
            "entities": {"strict": {"mean_pairwise_f1": 0.8125}},
            "stance": {"krippendorff_alpha": None},
        },
    )
    write_json(scores, {"overall": 0.41234, "stance": {"macro_f1": 0.5}, "signature": "voci-eval:1|split:test"})
    text = render_card(folder / "voci", CardInputs(agreement=agreement, scores=scores, gold=gold))
    assert "| entity mentions, strict match: mean pairwise F1 | 0.812 |" in text
    assert "| stance: Krippendorff's alpha | not available |" in text
    assert "| overall | 0.412 |" in text and "| stance macro F1 | 0.500 |" in text
    assert "Signature: `voci-eval:1|split:test`" in text
    (tmp_path / "broken.json").write_text("{oops", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "card",
            str(folder / "voci"),
            "--card",
            str(tmp_path / "CARD.md"),
            "--agreement",
            str(tmp_path / "broken.json"),
            "--gold",
            str(gold),
        ],
    )
    assert result.exit_code == 2 and "broken.json:1: invalid JSON" in result.output


def test_card_command_regenerates_the_same_card(built, tmp_path):
    folder, _, _ = built
    before = (folder / "voci" / "README.md").read_bytes()
    result = runner.invoke(
        app,
        [
            "card",
            str(folder / "voci"),
            "--card",
            str(tmp_path / "CARD.md"),
            "--agreement",
            str(folder / "missing.json"),
            "--scores",
            str(folder / "missing.json"),
            "--documents",
            str(folder / "documents.jsonl"),
            "--gold",
            str(folder / "gold.jsonl"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "CARD.md").read_bytes() == (folder / "voci" / "README.md").read_bytes()
    header = yaml.safe_load(before.decode("utf-8").split("---\n")[1])
    assert header["pretty_name"].startswith("voci")
    result = runner.invoke(app, ["card", str(tmp_path)])
    assert result.exit_code == 2 and "not a folder written by `toolkit build`" in result.output


def test_repo_dataset_card_matches_a_fresh_build(tmp_path, monkeypatch):
    """DATASET_CARD.md must be what `make release` (toolkit build with the default inputs) writes today."""
    monkeypatch.chdir(REPO)
    if not Path("annotations/gold.jsonl").is_file():
        pytest.skip("annotations/gold.jsonl is not written yet")
    build_dataset(
        Path("annotations/documents.jsonl"), Path("annotations/gold.jsonl"), tmp_path / "voci", card_inputs=CardInputs()
    )
    fresh = (tmp_path / "voci" / "README.md").read_text(encoding="utf-8")
    committed = Path("DATASET_CARD.md").read_text(encoding="utf-8")
    assert committed == fresh, (
        "DATASET_CARD.md is stale: run `make release` (or `toolkit build --out dist/voci`) and commit it"
    )
    assert json.dumps(DatasetCard.load(Path("DATASET_CARD.md")).data.to_dict()["configs"])


def test_user_supplied_strings_are_inert_in_the_card(tmp_path):
    """A title, source or annotator name full of HTML and Markdown cannot inject markup or split a table."""
    documents, gold = write_synthetic_corpus(tmp_path, 2, seed=3)
    hostile = "<script>alert(1)</script> | `x` [link](javascript:alert(1))"
    rows = read_jsonl(documents)
    for row in rows:
        row.update(title=hostile, source=hostile, license="<b>CC</b>")
    from toolkit.files import write_jsonl

    write_jsonl(documents, rows)
    records = read_jsonl(gold)
    for record in records:
        record["annotator"] = "eve`<img src=x onerror=alert(1)>"
    write_jsonl(gold, records)
    none = CardInputs(agreement=tmp_path / "missing.json", scores=tmp_path / "missing.json")
    build_dataset(documents, gold, tmp_path / "voci", card_inputs=none)
    card = (tmp_path / "voci" / "README.md").read_text(encoding="utf-8")
    body = card.split("\n---\n", 1)[1]  # the YAML header holds the strings as data; the body is rendered
    assert "<script>" not in body and "<img" not in body and "<b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\`x\\` \\[link\\](javascript:alert(1))" in card
    assert "eve\\`&lt;img src=x onerror=alert(1)&gt;" in card
    assert DatasetCard.load(tmp_path / "voci" / "README.md").data.to_dict()["license_name"] == "<b>CC</b>"
