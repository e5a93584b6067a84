"""`toolkit train` / `toolkit predict` (toolkit.model): a spaCy pipeline trained on a small generated corpus.

One model is trained per session on generated documents (a few seconds, ``max_steps`` small); the tests check that
its predictions validate and beat an empty model, the CLI round trip, the manifest, and the refusals."""

from __future__ import annotations

import json
import os
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
    assert all(p.uncertainty is None for p in predictions), "only computed when asked for (the backend asks)"


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


def test_a_text_longer_than_spacy_takes_is_refused_before_training():
    from toolkit.model.training import MAX_TEXT_LENGTH, check_texts

    pairs = [({"id": "short", "text": "Roma."}, {}), ({"id": "big", "text": "a" * (MAX_TEXT_LENGTH + 1)}, {})]
    with pytest.raises(InputError, match=r"d.jsonl: document 'big': a text of 1,000,001 characters \(expected at most"):
        check_texts(pairs, Path("d.jsonl"))
    check_texts(pairs[:1], Path("d.jsonl"))


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
    with pytest.raises(InputError, match="model_version: "):
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
    assert config["components"]["ner"]["model"]["use_upper"] is False and Settings().piece_tokens == 30
    mish = Config().from_str(training_config("it", 0, Settings(encoder="mish"), claims=False), interpolate=False)
    nlp = spacy.util.load_model_from_config(mish, auto_fill=True, validate=True)  # spaCy accepts the other encoder
    assert nlp.pipe_names == ["tok2vec", "ner"]
    assert nlp.config["components"]["tok2vec"]["model"]["encode"]["@architectures"] == "spacy.MishWindowEncoder.v2"


def test_max_minutes_stops_training_and_keeps_a_working_model(corpus, tmp_path):
    out = tmp_path / "model"
    run = train_model(*corpus, out, settings=SETTINGS, max_minutes=1e-9)  # the deadline has passed at the first step
    assert run.stopped_early and run.manifest.training["stopped_at_max_minutes"] is True
    assert run.manifest.training["steps"] == 0 and "stopped at max_minutes" in run.summary()
    from toolkit.validate import load_documents

    documents = load_documents(corpus[0])
    assert len(TrainedModel(out).predict(documents.values())) == len(documents)


@pytest.fixture(scope="module")
def young_model(corpus, tmp_path_factory) -> Path:
    """A model stopped early (30 steps): retraining it, continued from its weights, does not score worse."""
    out = tmp_path_factory.mktemp("young") / "model"
    train_model(*corpus, out, seed=1, settings=Settings(width=64, depth=2, max_steps=30, eval_frequency=10))
    return out


def _annotation_event(document: dict, record: dict, annotation_id: int, annotator: int) -> dict:
    from toolkit.labelstudio.tasks import record_to_result, task_data

    task = {"id": annotation_id, "data": task_data(document)}
    annotation = {"id": annotation_id, "task": annotation_id, "completed_by": annotator}
    annotation["result"] = record_to_result(record, document["text"])
    return {"action": "ANNOTATION_CREATED", "annotation": annotation, "task": task, "project": {"id": 1}}


def _learning(model: Path, corpus, tmp_path: Path):
    """A backend serving ``model`` that retrains after every submission; the corpus's documents and gold."""
    from toolkit.files import read_jsonl
    from toolkit.labelstudio.backend.launch import BackendOptions, make_backend
    from toolkit.validate import load_documents

    options = BackendOptions(model=model, data_dir=tmp_path / "studio", learn=True, learn_every=1, learn_minutes=0)
    documents = list(load_documents(corpus[0]).values())
    return make_backend(options), documents, {record["id"]: record for record in read_jsonl(corpus[1])}


def _finish(backend) -> None:
    for thread in backend.source.threads:
        thread.join()


def _ask(backend, *documents: dict) -> list[dict]:
    from toolkit.labelstudio.tasks import task_data

    tasks = [{"id": number, "data": task_data(document)} for number, document in enumerate(documents, start=1)]
    return backend.predict({"tasks": tasks, "project": "1.1"})["results"]


def test_learn_retrains_in_the_background_and_never_serves_a_document_what_its_annotations_taught(
    young_model, corpus, tmp_path, caplog
):
    """A's annotation of ``first`` retrains the model (a new version, served to a fresh document); ``first`` itself
    keeps the version of its first prediction, the one a model without A's annotation gives."""
    backend, documents, gold = _learning(young_model, corpus, tmp_path)
    first, fresh = documents[0], documents[1]
    base = read_manifest(young_model).model_version
    (for_a,) = _ask(backend, first)
    assert for_a["model_version"] == base and backend.source.learns

    with caplog.at_level("INFO", logger="toolkit.backend"):
        answer = backend.webhook(_annotation_event(first, gold[first["id"]], 11, 1))
        assert answer["status"] == "ok"
        _finish(backend)
    served = backend.setup({"project": "1.1"})["model_version"]
    assert served.startswith(f"{base}-p1-r1-"), caplog.text
    assert f"project 1: now serving {served}" in caplog.text
    folder = tmp_path / "studio" / "backend" / "models" / "project-1" / served
    assert (
        read_manifest(folder).model_version == served and read_manifest(folder).training["submitted_annotations"] == 1
    )

    for_b, other = _ask(backend, first, fresh)
    assert for_b["model_version"] == base and for_b["result"] == for_a["result"], "frozen at its first prediction"
    assert other["model_version"] == served and "error" not in other
    expected = TrainedModel(folder).predict([fresh])[0].record
    assert {(e["start"], e["end"], e["label"]) for e in expected["entities"]} == {
        (item["value"]["start"], item["value"]["end"], item["value"]["labels"][0])
        for item in other["result"]
        if item["type"] == "labels" and item["value"]["labels"][0] != "CLAIM"
    }


def test_a_document_first_asked_after_a_retraining_on_it_gets_a_version_that_did_not_learn_it(
    young_model, corpus, tmp_path
):
    backend, documents, gold = _learning(young_model, corpus, tmp_path)
    first = documents[0]
    backend.webhook(_annotation_event(first, gold[first["id"]], 11, 1))  # annotated before any prediction
    _finish(backend)
    assert backend.setup({"project": "1.1"})["model_version"] != read_manifest(young_model).model_version
    (answer,) = _ask(backend, first)
    assert answer["model_version"] == read_manifest(young_model).model_version


def test_a_failed_retraining_keeps_the_served_model_and_says_so_in_one_line(young_model, corpus, tmp_path, caplog):
    broken = _copy(young_model, tmp_path)
    (broken / "train.spacy").write_bytes(b"not a DocBin")
    backend, documents, gold = _learning(broken, corpus, tmp_path)
    with caplog.at_level("INFO", logger="toolkit.backend"):
        backend.webhook(_annotation_event(documents[0], gold[documents[0]["id"]], 11, 1))
        _finish(backend)
    failures = [record.getMessage() for record in caplog.records if "retraining failed" in record.getMessage()]
    assert len(failures) == 1 and "\n" not in failures[0], caplog.text
    assert failures[0].startswith(f"project 1: retraining failed, still serving {read_manifest(broken).model_version}")
    assert backend.setup({"project": "1.1"})["model_version"] == read_manifest(broken).model_version
    folder = tmp_path / "studio" / "backend" / "models" / "project-1"
    assert list(folder.iterdir()) == [], "nothing half-written"


def test_learn_needs_a_model():
    from toolkit.labelstudio.backend.launch import BackendOptions, make_backend

    with pytest.raises(InputError, match="learn: only with model "):
        make_backend(BackendOptions(learn=True))


def _ranks(values: list[float]) -> list[float]:
    """Ranks from 0, ties given their mean rank (as Spearman's rho wants)."""
    order = sorted(range(len(values)), key=lambda index: values[index])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2
        start = end + 1
    return ranks


def _entity_error(record: dict, gold: dict) -> float:
    """(false positives + false negatives) / gold mentions, strict (start, end, label)."""
    wanted = {(e["start"], e["end"], e["label"]) for e in gold["entities"]}
    found = {(e["start"], e["end"], e["label"]) for e in record["entities"]}
    return len(wanted ^ found) / max(1, len(wanted))


def test_the_uncertainty_ranks_the_documents_the_model_gets_wrong_first(model):
    """Held-out generated documents, half with the training corpus's names and half with invented ones: the model
    misses names it never learned and the uncertainty (the share of unseen predicted names) follows its errors
    (Spearman's rho on ranks, by hand); it is not the same for every document."""
    import statistics

    from toolkit.dataset.synthetic import invented_names, synthetic_corpus

    pairs = [*synthetic_corpus(15, seed=11), *synthetic_corpus(15, seed=12, names=invented_names(6, seed=5))]
    documents, gold = [], {}
    for number, (document, record) in enumerate(pairs):
        documents.append({**document, "id": f"held-{number}"})
        gold[f"held-{number}"] = {**record, "id": f"held-{number}"}
    predictions = TrainedModel(model).predict(documents, scored=True)
    errors = [_entity_error(p.record, gold[p.record["id"]]) for p in predictions]
    uncertainty = [p.uncertainty for p in predictions]
    assert all(0.0 < value < 1.0 for value in uncertainty) and len(set(uncertainty)) > 5
    assert statistics.mean(errors[15:]) > statistics.mean(errors[:15]) + 0.2, "unseen names are the model's errors"
    assert statistics.mean(uncertainty[15:]) > statistics.mean(uncertainty[:15])
    rho = statistics.correlation(_ranks(uncertainty), _ranks(errors))
    assert rho > 0.5, (rho, errors, uncertainty)


def test_the_names_a_model_has_seen_are_its_training_docs_entities(model):
    """`seen_names` reads the DocBin's token rows; spaCy's own Docs of it give the same texts."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from toolkit.model.pipeline import seen_names

    docs = DocBin().from_disk(model / "train.spacy").get_docs(Vocab())
    expected = {ent.text for doc in docs for ent in doc.ents}
    assert seen_names(model) == expected and len(expected) > 10 and any(" " in name for name in expected)


def test_several_processes_predict_the_same_records_in_the_same_order(model, corpus):
    from toolkit.model.pipeline import PROCESS_DOCUMENTS, processes_for
    from toolkit.validate import load_documents

    documents = list(load_documents(corpus[0]).values())
    trained = TrainedModel(model)
    alone = [p.record for p in trained.predict(documents)]
    forked = [p.record for p in trained.predict(documents, processes=2)]
    assert forked == alone and [r["id"] for r in forked] == [d["id"] for d in documents]
    assert processes_for(PROCESS_DOCUMENTS - 1) == 1 and processes_for(10**6) == (os.cpu_count() or 1)


def test_training_pieces_are_cut_at_line_breaks_outside_every_span():
    import spacy

    from toolkit.dataset.synthetic import invented_names, synthetic_corpus
    from toolkit.model.examples import CLAIMS_KEY, training_doc, training_docs

    nlp = spacy.blank("it")
    for document, gold in synthetic_corpus(10, seed=2, sentences=12, names=invented_names(4)):
        whole = training_doc(nlp, document, gold)
        pieces = training_docs(nlp, document, gold, piece_tokens=20)
        assert "".join(piece.text for piece in pieces) == document["text"]
        assert all(piece.text[0] != "\n" for piece in pieces[1:]) and all(p.text.endswith("\n\n") for p in pieces[:-1])
        for key in ("ents", CLAIMS_KEY):
            spans = [s.text for s in (whole.ents if key == "ents" else whole.spans[key])]
            cut = [s.text for p in pieces for s in (p.ents if key == "ents" else p.spans[key])]
            assert cut == spans and spans, key
    assert len(training_docs(nlp, document, gold, piece_tokens=0)) == 1
    assert len(pieces) > 1


def test_claims_pair_each_proposed_end_with_the_latest_start_before_it():
    import spacy

    from toolkit.model.examples import CLAIMS_KEY
    from toolkit.model.pipeline import paired_claims

    doc = spacy.blank("it")("a b c d e f g h i j k l m n o p q r")
    starts, ends = [0, 3, 9, 16], [5, 12]  # span_finder proposes every start-end pair: 0-5, 0-12, 3-5, 3-12, 9-12
    doc.spans[CLAIMS_KEY] = [doc[s : e + 1] for s in starts for e in ends if s <= e]
    assert [(span.start, span.end) for span in paired_claims(doc)] == [(3, 6), (9, 13)]  # 16 has no end: dropped


def test_train_measures_both_claim_sources_on_dev_and_predict_uses_the_better(model, corpus):
    from toolkit.baseline.claims import find_claims
    from toolkit.baseline.entities import Entity
    from toolkit.validate import load_documents

    manifest = read_manifest(model)
    dev = manifest.dev
    measured = {source: dev[f"claim_overlap_f1_{source}"] for source in ("span_finder", "rules")}
    assert manifest.claims_from == max(measured, key=lambda source: (measured[source], source == "span_finder"))
    assert dev["claim_overlap_f1"] == measured[manifest.claims_from]
    document = next(iter(load_documents(corpus[0]).values()))
    trained = TrainedModel(model)
    (by_rules,) = trained.predict([document], claims_from="rules")
    entities = [Entity(e["start"], e["end"], e["label"]) for e in by_rules.record["entities"]]
    rules = [(claim.start, claim.end) for claim in find_claims(document["text"], entities)]
    assert [(c["start"], c["end"]) for c in by_rules.record["claims"]] == rules and rules
    (default,) = trained.predict([document])
    assert default.record == trained.predict([document], claims_from=manifest.claims_from)[0].record


def test_score_dev_decodes_both_claim_sources_from_one_pipeline_run_with_the_figures_of_two(model, corpus, tmp_path):
    """The manifest's dev figures (`score_dev`, one run of the pipeline) equal those of a run per claim source."""
    from toolkit.files import write_jsonl
    from toolkit.model.training import choose_split, load_pairs

    split = choose_split(load_pairs(*corpus, "gold"), None, 0.1, 1, corpus[1])
    documents = list({document["id"]: document for document, _ in split.dev}.values())
    write_jsonl(tmp_path / "documents.jsonl", documents)
    write_jsonl(tmp_path / "gold.jsonl", [record for _, record in split.dev])
    trained = TrainedModel(model)
    runs = []
    pipe = trained.nlp.pipe
    trained.nlp.pipe = lambda *args, **kwargs: runs.append(1) or pipe(*args, **kwargs)
    each = trained.predict_each_source(documents, ["span_finder", "rules"])
    assert len(runs) == 1 and each["span_finder"] != each["rules"]
    dev = read_manifest(model).dev
    for source in ("span_finder", "rules"):
        alone = [p.record for p in trained.predict(documents, claims_from=source)]
        assert each[source] == alone
        scored = evaluate(alone, tmp_path / "gold.jsonl", tmp_path / "documents.jsonl").to_dict()
        assert dev[f"claim_overlap_f1_{source}"] == scored["claims"]["overlap"]["f1"]
    assert len(runs) == 3
