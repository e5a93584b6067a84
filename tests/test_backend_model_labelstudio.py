"""A real Label Studio (the session server), a real `toolkit backend --model MODEL_DIR --learn` process and two
annotator accounts on one document (`push --overlap 2`): the trained model pre-annotates, retrains from A's
submission and serves the new version to a fresh task, while B's pre-annotation of A's document is the one of the
model that never saw A's annotation (the independence rule of docs/model.md).

The model is trained here on a small generated corpus and stopped early (30 steps), so the retraining, continued
from its weights, scores no worse on the dev documents and is swapped in.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx
import pytest
from backend_process import running_backends

from toolkit.dataset.synthetic import synthetic_corpus, write_synthetic_corpus
from toolkit.inventory import load_inventory
from toolkit.labelstudio.backend.register import register_backend
from toolkit.labelstudio.backend.sources import WEBHOOK_SECRET_VARIABLE
from toolkit.labelstudio.client import Overlap, connect, push
from toolkit.labelstudio.tasks import preannotation, record_to_result
from toolkit.model.config import Settings
from toolkit.model.manifest import read_manifest
from toolkit.model.pipeline import TrainedModel
from toolkit.model.training import train_model

pytestmark = pytest.mark.studio

RETRAIN_LIMIT = 180.0  # a bound for waiting on a loaded machine, not an assertion about speed


@pytest.fixture(scope="module")
def young_model(tmp_path_factory) -> Path:
    corpus = write_synthetic_corpus(tmp_path_factory.mktemp("corpus"), 40, seed=3)
    out = tmp_path_factory.mktemp("trained") / "model"
    young = Settings(width=64, depth=2, max_steps=30, eval_frequency=10, averages=False)  # 30 raw steps, as written for
    train_model(*corpus, out, seed=1, settings=young)
    return out


def _regions(result: list[dict]) -> set[tuple]:
    return {
        (item["value"]["start"], item["value"]["end"], item["value"]["labels"][0])
        for item in result
        if item["type"] == "labels"
    }


def _served(backend_url: str, project_id: int, unlike: str) -> str:
    """The version the backend names for the project, once it is no longer ``unlike`` (the retraining is done)."""
    deadline = time.monotonic() + RETRAIN_LIMIT
    while time.monotonic() < deadline:
        version = httpx.post(f"{backend_url}/setup", json={"project": f"{project_id}.1"}).json()["model_version"]
        if version != unlike:
            return version
        time.sleep(0.5)
    pytest.fail(f"the backend still serves {unlike} {RETRAIN_LIMIT:.0f} s after the submission")


def test_two_annotators_under_overlap_and_a_model_that_learns(label_studio, young_model, tmp_path):
    secret = secrets.token_urlsafe(16)
    new_documents = list(synthetic_corpus(2, seed=11))  # documents and gold the model never saw
    documents = {document["id"]: document for document, _ in new_documents}
    gold = {document["id"]: record for document, record in new_documents}
    first, fresh = list(documents)
    base = read_manifest(young_model).model_version
    connection = connect(label_studio.url, label_studio.api_key)
    title = label_studio.project_title("backend-model")
    project_id = push(connection, title, documents, overlap=Overlap(2, 100)).project_id
    task_ids = {task.data["doc_id"]: task.id for task in label_studio.client.tasks.list(project=project_id)}
    annotator_a, annotator_b = label_studio.annotators("model-overlap", 2, tmp_path / "passwords.jsonl")

    with running_backends() as start:
        arguments = ("--model", str(young_model), "--learn", "--learn-every", "1", "--learn-minutes", "0")
        backend = start(tmp_path, *arguments, environment={WEBHOOK_SECRET_VARIABLE: secret})
        register_backend(connection, project_id, backend.url, webhook_secret=secret)

        task_a = annotator_a.next_task(project_id)
        assert task_a["id"] == task_ids[first]
        (for_a,) = task_a["predictions"]
        without_a = TrainedModel(young_model).predict([documents[first]])[0].record
        expected = preannotation(without_a, "prediction", documents[first]["text"], base)["result"]
        assert for_a["model_version"] == base and _regions(for_a["result"]) == _regions(expected) != set()
        assert 0.0 <= for_a["score"] <= 1.0
        annotator_a.submit(task_a, record_to_result(gold[first], documents[first]["text"]), lead_time=3.0)

        served = _served(backend.url, project_id, base)
        assert served.startswith(f"{base}-p{project_id}-r1-")
        assert f"project {project_id}: now serving {served}" in backend.stderr()
        retrained = TrainedModel(backend.data_dir / "backend" / "models" / f"project-{project_id}" / served)
        learned = retrained.predict([documents[first]])[0].record
        leak = preannotation(learned, "prediction", documents[first]["text"], served)["result"]
        assert _regions(leak) != _regions(expected), "the retrained model learned A's annotation of this document"

        task_b = annotator_b.next_task(project_id)  # the label stream completes the overlap first
        assert task_b["id"] == task_ids[first]
        assert [(p["model_version"], _regions(p["result"])) for p in task_b["predictions"]] == [
            (base, _regions(expected))
        ]
        asked = httpx.post(f"{backend.url}/predict", json={"tasks": [task_b], "project": f"{project_id}.1"})
        (for_b,) = asked.json()["results"]  # what the backend answers for B's task after learning from A
        assert for_b["model_version"] == base and _regions(for_b["result"]) == _regions(expected)

        opened = httpx.get(
            f"{label_studio.url}/api/tasks/{task_ids[fresh]}",
            headers={"Authorization": f"Token {label_studio.api_key}"},
        ).json()
        (for_fresh,) = opened["predictions"]
        assert for_fresh["model_version"] == served
        new = retrained.predict([documents[fresh]])[0].record
        assert _regions(for_fresh["result"]) == _regions(
            preannotation(new, "prediction", documents[fresh]["text"], served)["result"]
        )
        text = documents[fresh]["text"]
        labels = set(load_inventory().entity_names) | {"CLAIM"}
        assert all(
            0 <= start < end <= len(text) and label in labels for start, end, label in _regions(for_fresh["result"])
        )


def test_push_order_uncertainty_creates_the_least_sure_tasks_first(label_studio, young_model, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from toolkit.cli import app
    from toolkit.files import write_jsonl

    documents = [document for document, _ in synthetic_corpus(5, seed=21)]
    write_jsonl(tmp_path / "documents.jsonl", documents)
    for name, value in label_studio.env().items():
        monkeypatch.setenv(name, value)
    title = label_studio.project_title("push-uncertainty")
    arguments = ["push", str(tmp_path / "documents.jsonl"), "--project", title, "--model", str(young_model)]
    result = CliRunner().invoke(app, [*arguments, "--order", "uncertainty"])
    assert result.exit_code == 0, result.output
    assert "5 task(s) created, 0 already present, 5 pre-annotation(s)" in result.output

    uncertainty = {p.record["id"]: p.uncertainty for p in TrainedModel(young_model).predict(documents, scored=True)}
    least_sure_first = sorted(uncertainty, key=lambda doc_id: -uncertainty[doc_id])  # ties: file order
    assert len(set(uncertainty.values())) >= 4 and least_sure_first != [d["id"] for d in documents], "decided by them"
    (project,) = [p for p in label_studio.client.projects.list() if p.title == title]
    tasks = sorted(label_studio.client.tasks.list(project=project.id, fields="all"), key=lambda task: task.id)
    assert [task.data["doc_id"] for task in tasks] == least_sure_first
    stored = {task.data["doc_id"]: list(label_studio.client.predictions.list(task=task.id)) for task in tasks}
    version = read_manifest(young_model).model_version
    assert {doc_id: [(p.model_version, round(p.score, 6)) for p in found] for doc_id, found in stored.items()} == {
        doc_id: [(version, round(score, 6))] for doc_id, score in uncertainty.items()
    }
