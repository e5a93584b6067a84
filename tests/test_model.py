"""`toolkit train` / `toolkit predict` (toolkit.model): a spaCy pipeline trained on a small generated corpus.

One model is trained per session on generated documents (a few seconds, ``max_steps`` small); the tests check that
its predictions validate and beat an empty model, the CLI round trip, the manifest, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.synthetic import write_synthetic_corpus
from toolkit.errors import InputError
from toolkit.model.config import Settings
from toolkit.model.manifest import MANIFEST, inventory_hash, read_manifest
from toolkit.model.pipeline import TrainedModel
from toolkit.model.training import train_model
from toolkit.scoring.evaluate import evaluate
from toolkit.validate import validate_file

runner = CliRunner()
SETTINGS = Settings(width=64, depth=2, max_steps=150, eval_frequency=50)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, Path]:
    return write_synthetic_corpus(tmp_path_factory.mktemp("corpus"), 40, seed=3)


@pytest.fixture(scope="module")
def model(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trained") / "model"
    train_model(*corpus, out, seed=1, settings=SETTINGS)
    return out


def test_a_trained_model_predicts_valid_records_that_beat_an_empty_model(corpus, model, tmp_path):
    documents, gold = corpus
    from toolkit.validate import load_documents

    predictions = TrainedModel(model).predict(load_documents(documents).values())
    out = tmp_path / "p.jsonl"
    out.write_text("".join(json.dumps(p.record) + "\n" for p in predictions), encoding="utf-8")
    assert validate_file(out, kind="prediction", documents=load_documents(documents)).problems == []
    scored = evaluate(out, gold, documents).to_dict()
    empty = evaluate([{"id": p.record["id"], "entities": [], "claims": []} for p in predictions], gold, documents)
    assert empty.to_dict()["entities"]["strict"]["f1"] == 0.0
    assert scored["entities"]["strict"]["f1"] > 0.5  # the generated names recur: a trained ner finds most
    assert all(0.0 <= p.uncertainty <= 1.0 for p in predictions)


def test_the_manifest_says_what_the_model_is(corpus, model):
    manifest = json.loads((model / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["inventory_hash"] == inventory_hash()
    assert manifest["seed"] == 1
    assert manifest["entity_labels"] == ["DATE", "GPE", "ORG", "PER", "QUANTITY"]
    assert manifest["claims"] is True
    assert manifest["training"]["train_documents"] + manifest["training"]["dev_documents"] == 40
    assert 0.0 <= manifest["dev"]["entity_strict_f1"] <= 1.0 and "claim_overlap_f1" in manifest["dev"]
    assert len(manifest["training_data_hash"]) == 64
    assert (model / "config.cfg").is_file() and (model / "train.spacy").is_file() and (model / "dev.spacy").is_file()
    assert read_manifest(model).model_version == manifest["model_version"]


def test_train_predict_eval_round_trip_in_the_cli(corpus, tmp_path):
    documents, gold = corpus
    out = tmp_path / "model"
    trained = runner.invoke(
        app, ["train", "--documents", str(documents), "--gold", str(gold), "--out", str(out), "--max-steps", "20"]
    )
    assert trained.exit_code == 0, trained.output
    assert "trained spacy-" in trained.output and (out / MANIFEST).is_file()
    predictions = tmp_path / "p.jsonl"
    predicted = runner.invoke(app, ["predict", str(out), str(documents), "--out", str(predictions)])
    assert predicted.exit_code == 0, predicted.output
    version = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["model_version"]
    assert f"40 document(s) with model {version}" in predicted.output
    scored = runner.invoke(app, ["eval", str(predictions), "--gold", str(gold), "--documents", str(documents)])
    assert scored.exit_code == 0, scored.output
    assert "entities.strict.f1" in scored.stdout


def _copy(model: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(model, copy)
    return copy


def test_a_model_of_another_inventory_is_refused(model, corpus, tmp_path):
    copy = _copy(model, tmp_path)
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    (copy / MANIFEST).write_text(json.dumps({**manifest, "inventory_hash": "0" * 64}), encoding="utf-8")
    result = runner.invoke(app, ["predict", str(copy), str(corpus[0]), "--out", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 2
    assert "inventory_hash: 000000000000… is not this toolkit's label inventory" in result.output
    assert not (tmp_path / "p.jsonl").exists()


def test_a_model_with_labels_the_inventory_lacks_is_refused(model, tmp_path):
    copy = _copy(model, tmp_path)
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    (copy / MANIFEST).write_text(json.dumps({**manifest, "entity_labels": ["PER", "MISC"]}), encoding="utf-8")
    with pytest.raises(InputError, match="entity labels MISC are not in the label inventory"):
        read_manifest(copy)


def test_a_folder_that_is_not_a_model_is_refused(corpus, tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(
        app, ["predict", str(tmp_path / "empty"), str(corpus[0]), "--out", str(tmp_path / "p.jsonl")]
    )
    assert result.exit_code == 2
    assert f"no {MANIFEST} (expected a MODEL_DIR written by `toolkit train`)" in result.output


def test_an_interrupted_training_leaves_no_model_dir(corpus, tmp_path):
    def interrupt(step):
        if step.step >= 5:
            raise KeyboardInterrupt

    out = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        train_model(*corpus, out, settings=SETTINGS, on_step=interrupt)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_training_needs_a_dev_set(corpus, tmp_path):
    documents, gold = corpus
    one = tmp_path / "one.jsonl"
    one.write_text(gold.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="annotations of one document only"):
        train_model(documents, one, tmp_path / "model", settings=SETTINGS)
    assert not (tmp_path / "model").exists()


def test_the_backend_serves_a_trained_model_with_its_version_and_uncertainty(model, corpus):
    from toolkit.labelstudio.backend.launch import BackendOptions, make_backend
    from toolkit.labelstudio.config import build_label_config
    from toolkit.labelstudio.tasks import task_data
    from toolkit.validate import load_documents

    backend = make_backend(BackendOptions(model=model))
    document = next(iter(load_documents(corpus[0]).values()))
    request = {
        "tasks": [{"id": 1, "data": task_data(document)}],
        "project": "1.1",
        "label_config": build_label_config(),
    }
    answer = backend.predict(request)
    version = read_manifest(model).model_version
    assert answer["model_version"] == version and backend.setup({"project": "1.1"}) == {"model_version": version}
    result = answer["results"][0]
    assert result["model_version"] == version and "error" not in result
    assert 0.0 <= result["score"] <= 1.0
    labels = {item["value"]["labels"][0] for item in result["result"] if item["type"] == "labels"}
    assert "PER" in labels and backend.source.learns is False
    with pytest.raises(InputError, match="--model-version"):
        make_backend(BackendOptions(model=model, model_version="x"))


def test_the_generated_config_is_spacys_efficiency_config_with_the_measured_changes():
    import spacy
    from thinc.api import Config

    from toolkit.model.config import training_config

    config = Config().from_str(training_config("it", 7, Settings(), claims=True), interpolate=False)
    tok2vec = config["components"]["tok2vec"]["model"]
    assert tok2vec["encode"]["@architectures"] == "spacy.MaxoutWindowEncoder.v2"
    assert (tok2vec["encode"]["width"], tok2vec["encode"]["depth"], tok2vec["embed"]["width"]) == (64, 4, 64)
    assert tok2vec["embed"]["attrs"] == ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
    assert tok2vec["embed"]["rows"] == [20000, 2000, 5000, 1000] and tok2vec["embed"]["include_static_vectors"] is False
    assert config["training"]["optimizer"]["use_averages"] is True
    assert (config["training"]["max_steps"], config["training"]["patience"], config["system"]["seed"]) == (
        20000,
        1600,
        7,
    )
    assert config["nlp"]["pipeline"] == ["tok2vec", "ner", "span_finder"]
    mish = Config().from_str(training_config("it", 0, Settings(encoder="mish"), claims=False), interpolate=False)
    nlp = spacy.util.load_model_from_config(mish, auto_fill=True, validate=True)  # spaCy accepts the other encoder
    assert nlp.pipe_names == ["tok2vec", "ner"]
    assert nlp.config["components"]["tok2vec"]["model"]["encode"]["@architectures"] == "spacy.MishWindowEncoder.v2"


def test_max_minutes_stops_training_and_keeps_a_working_model(corpus, tmp_path):
    out = tmp_path / "model"
    run = train_model(*corpus, out, settings=SETTINGS, max_minutes=1e-9)  # the deadline has passed at the first step
    assert run.stopped_early and run.manifest.training["stopped_at_max_minutes"] is True
    assert run.manifest.training["steps"] == 0 and "stopped at --max-minutes" in run.summary()
    from toolkit.validate import load_documents

    documents = load_documents(corpus[0])
    assert len(TrainedModel(out).predict(documents.values())) == len(documents)
