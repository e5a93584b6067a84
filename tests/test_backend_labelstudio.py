"""A real Label Studio (the session server) and a real `toolkit backend` process: pre-annotation on opening a task,
learning from a submitted annotation, a failing command, and Basic auth, all through the server's own calls.

Tasks are opened with the APIs the editor uses: ``GET /api/tasks/<id>`` (the data manager's task view) and
``GET /api/projects/<id>/next/`` (the label stream). Task ids are listed before the backend is connected, because
listing tasks with "retrieve predictions automatically" on asks the backend too.
"""

from __future__ import annotations

import json
import secrets
import shlex
import sys

import httpx
import pytest
from backend_process import running_backends
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.errors import ConflictError, ServerError
from toolkit.files import read_jsonl, write_jsonl
from toolkit.labelstudio.backend.http import WEBHOOK_SECRET_HEADER, BasicAuth
from toolkit.labelstudio.backend.register import BACKEND_TITLE, register_backend
from toolkit.labelstudio.backend.sources import WEBHOOK_SECRET_VARIABLE
from toolkit.labelstudio.client import connect, push
from toolkit.labelstudio.tasks import preannotation

pytestmark = pytest.mark.studio

NEW_NAME = "Velmora Tessari"
FIRST = f"Il portavoce di {NEW_NAME} ha detto che la Russia ha spedito armi a Milano."
SECOND = f"Secondo {NEW_NAME}, il mercato cresce. Mario Rossi conferma."
TIMEOUT = 60.0


@pytest.fixture
def backends():
    with running_backends() as start:
        yield start


class Studio:
    """The session server as the tests use it: push, connect a backend, open tasks like the editor."""

    def __init__(self, label_studio, title: str, documents: list[dict]):
        self.label_studio = label_studio
        self.connection = connect(label_studio.url, label_studio.api_key)
        self.documents = {document["id"]: document for document in documents}
        self.project_id = push(self.connection, title, self.documents).project_id
        self.task_ids = {
            task.data["doc_id"]: task.id for task in label_studio.client.tasks.list(project=self.project_id)
        }
        self.http = httpx.Client(
            base_url=label_studio.url, headers={"Authorization": f"Token {label_studio.api_key}"}, timeout=TIMEOUT
        )

    def add(self, *documents: dict) -> None:
        """Push more documents (push sends only the new ones) and note their task ids."""
        self.documents.update({document["id"]: document for document in documents})
        push(self.connection, self.title, self.documents)
        for task in self.label_studio.client.tasks.list(project=self.project_id, include="id,data"):
            self.task_ids[task.data["doc_id"]] = task.id

    @property
    def title(self) -> str:
        return self.label_studio.client.projects.get(id=self.project_id).title

    def stored_predictions(self, doc_id: str) -> list:
        """What the server holds, read without asking the backend."""
        return list(self.label_studio.client.predictions.list(task=self.task_ids[doc_id]))

    def open_task(self, doc_id: str) -> dict:
        response = self.http.get(f"/api/tasks/{self.task_ids[doc_id]}")
        assert response.status_code == 200, response.text
        return response.json()

    def next_task(self) -> dict:
        response = self.http.get(f"/api/projects/{self.project_id}/next/")
        assert response.status_code == 200, response.text
        return response.json()

    def backend(self):
        (backend,) = self.label_studio.client.ml.list(project=self.project_id)
        return backend

    def test_request(self) -> dict:
        """The project settings' *Send Test Request* (a random task of the project)."""
        response = self.http.post(f"/api/ml/{self.backend().id}/predict/test", params={"random": "true"})
        assert response.status_code == 200, response.text
        return response.json()


def _entity_labels(prediction: dict) -> dict[str, str]:
    return {
        item["value"]["text"]: item["value"]["labels"][0]
        for item in prediction["result"]
        if item["type"] == "labels" and item["from_name"] == "entity" and item["value"]["labels"][0] != "CLAIM"
    }


def _baseline_record(tmp_path, document: dict) -> dict:
    """What `toolkit baseline` writes for this document."""
    write_jsonl(tmp_path / "one.jsonl", [document])
    result = CliRunner().invoke(app, ["baseline", str(tmp_path / "one.jsonl"), "--out", str(tmp_path / "base.jsonl")])
    assert result.exit_code == 0, result.output
    (record,) = read_jsonl(tmp_path / "base.jsonl")
    return record


def test_a_task_opened_without_prediction_is_pre_annotated_by_the_baseline(label_studio, backends, tmp_path):
    backend = backends(tmp_path)
    documents = [make_document("first", FIRST, "it"), make_document("second", SECOND, "it")]
    studio = Studio(label_studio, label_studio.project_title("backend-open"), documents)
    assert studio.stored_predictions("first") == [] and studio.stored_predictions("second") == []

    registration = register_backend(studio.connection, studio.project_id, backend.url)
    assert registration.model_version == "baseline-v0" and registration.replaced == []
    project = label_studio.client.projects.get(id=studio.project_id)
    assert project.model_version == BACKEND_TITLE, "the label stream asks the backend whose title is the version"
    assert project.show_collab_predictions and project.evaluate_predictions_automatically
    connected = studio.backend()
    assert (connected.url, connected.title, connected.state) == (backend.url, BACKEND_TITLE, "CO")
    hooks = [hook.url for hook in label_studio.client.webhooks.list(project=str(studio.project_id))]
    assert hooks == [f"{backend.url}/webhook"]

    task = studio.open_task("first")
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "baseline-v0" and 0.0 <= prediction["score"] <= 1.0
    record = _baseline_record(tmp_path, documents[0])
    assert prediction["result"] == preannotation(record, "prediction", FIRST, "baseline-v0")["result"]
    regions = {
        (item["value"]["start"], item["value"]["end"], item["value"]["labels"][0])
        for item in prediction["result"]
        if item["type"] == "labels"
    }
    expected = {(e["start"], e["end"], e["label"]) for e in record["entities"]}
    expected |= {(c["start"], c["end"], "CLAIM") for c in record["claims"]}
    assert regions == expected and len(record["entities"]) >= 3 and record["claims"]
    assert [p.model_version for p in studio.stored_predictions("first")] == ["baseline-v0"]
    assert studio.stored_predictions("second") == [], "only the opened task was predicted"


def test_an_annotation_submitted_in_label_studio_teaches_the_next_task(label_studio, backends, tmp_path):
    secret = secrets.token_urlsafe(16)
    backend = backends(tmp_path, environment={WEBHOOK_SECRET_VARIABLE: secret})
    documents = [make_document("first", FIRST, "it"), make_document("second", SECOND, "it")]
    title = label_studio.project_title("backend-learn")
    studio = Studio(label_studio, title, documents)
    register_backend(studio.connection, studio.project_id, backend.url, webhook_secret=secret)
    (hook,) = label_studio.client.webhooks.list(project=str(studio.project_id))
    assert hook.headers == {WEBHOOK_SECRET_HEADER: secret}, "the server's webhook sends the backend's secret"
    before = studio.open_task("first")["predictions"][0]
    assert _entity_labels(before)[NEW_NAME] == "PER", "the rules' guess for two capitalised words"

    start = FIRST.index(NEW_NAME)
    organisation = {
        "id": "m1",
        "from_name": "entity",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": start + len(NEW_NAME), "text": NEW_NAME, "labels": ["ORG"]},
    }
    label_studio.client.annotations.create(id=studio.task_ids["first"], result=[organisation], lead_time=3.0)

    lexicon = json.loads((backend.data_dir / "backend" / f"project-{studio.project_id}.lexicon.json").read_text())
    assert lexicon["revision"] == 1 and lexicon["project"]["title"] == title
    (taught,) = lexicon["annotations"].values()
    assert taught["mentions"] == [[NEW_NAME, "ORG"]] and taught["doc_id"] == "first"
    assert f"project {studio.project_id}: annotation" in backend.stderr()

    task = studio.next_task()
    assert task["id"] == studio.task_ids["second"]
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "baseline-v1", "a new version: Label Studio tells the predictions apart"
    assert _entity_labels(prediction)[NEW_NAME] == "ORG"
    assert studio.backend().model_version == "baseline-v1"

    exported = tmp_path / "lexicon.json"
    result = CliRunner().invoke(
        app,
        ["backend", "--export-lexicon", str(exported), "--data-dir", str(backend.data_dir), "--project", title],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(exported.read_text())["learned"] == {NEW_NAME: "ORG"}


def test_a_prediction_file_is_served_to_tasks_pushed_or_imported_by_hand(label_studio, backends, tmp_path):
    documents = [make_document("first", FIRST, "it"), make_document("second", SECOND, "it")]
    records = []
    for document in documents:
        start = document["text"].index(NEW_NAME)
        entity = {"start": start, "end": start + len(NEW_NAME), "label": "ORG", "score": 0.75}
        records.append({"id": document["id"], "entities": [entity]})
    write_jsonl(tmp_path / "documents.jsonl", documents)
    write_jsonl(tmp_path / "predictions.jsonl", records)
    backend = backends(
        tmp_path,
        "--predictions",
        str(tmp_path / "predictions.jsonl"),
        "--documents",
        str(tmp_path / "documents.jsonl"),
        "--model-version",
        "file-model",
    )
    studio = Studio(label_studio, label_studio.project_title("backend-file"), documents[:1])
    # what importing a text in the UI gives: no doc_id, no hash, only the text
    label_studio.client.projects.import_tasks(id=studio.project_id, request=[{"data": {"text": SECOND}}])
    (by_hand,) = [
        task.id for task in label_studio.client.tasks.list(project=studio.project_id) if "doc_id" not in task.data
    ]
    register_backend(studio.connection, studio.project_id, backend.url)

    (pushed,) = studio.open_task("first")["predictions"]
    response = studio.http.get(f"/api/tasks/{by_hand}")
    (imported,) = response.json()["predictions"]
    for prediction, record, text in ((pushed, records[0], FIRST), (imported, records[1], SECOND)):
        expected = preannotation(record, "prediction", text, "file-model")
        assert (prediction["model_version"], prediction["score"]) == ("file-model", 0.75)
        assert prediction["result"] == expected["result"] and _entity_labels(prediction) == {NEW_NAME: "ORG"}


FLAKY_MODEL = """
import json, sys, time
for line in sys.stdin:
    document = json.loads(line)
    text = document["text"]
    if "ESPLODE" in text:
        sys.stderr.write("model exploded\\n")
        sys.exit(3)
    if "BLOCCA" in text:
        time.sleep(300)
    if "SPORCO" in text:
        print("<html>not a record</html>")
        continue
    word = text.split()[-1].rstrip(".")
    start = text.rindex(word)
    print(json.dumps({"id": document["id"], "entities": [{"start": start, "end": start + len(word), "label": "GPE"}]}))
"""


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        ("Il modello ESPLODE su questo testo.", "exited with code 3 (model exploded)"),
        ("Il modello si BLOCCA su questo testo.", "did not answer within 2 s (stopped)"),
        ("Il modello scrive SPORCO su questo testo.", "stdout line 1: invalid JSON"),
    ],
    ids=["crash", "hang", "invalid-output"],
)
def test_a_failing_command_is_reported_and_the_backend_keeps_serving(label_studio, backends, tmp_path, text, reported):
    script = tmp_path / "flaky_model.py"
    script.write_text(FLAKY_MODEL, encoding="utf-8")
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    backend = backends(tmp_path, "--command", command, "--timeout", "2", "--model-version", "flaky-1")
    studio = Studio(label_studio, label_studio.project_title("backend-flaky"), [make_document("bad", text, "it")])
    register_backend(studio.connection, studio.project_id, backend.url)

    shown = studio.test_request()  # the one task of the project
    assert shown["status"] == 200 and shown["url"] == f"{backend.url}/predict"
    (item,) = shown["response"]
    assert "result" not in item and item["model_version"] == "flaky-1"
    assert item["error"].startswith(f"task {studio.task_ids['bad']} (bad): command ") and reported in item["error"]

    assert studio.open_task("bad")["predictions"] == [], "no empty prediction: the task is asked again next time"
    assert studio.stored_predictions("bad") == []
    assert reported in backend.stderr()

    studio.add(make_document("good", "Le truppe sono arrivate a Leopoli.", "it"))
    (prediction,) = studio.open_task("good")["predictions"]
    assert prediction["model_version"] == "flaky-1" and _entity_labels(prediction) == {"Leopoli": "GPE"}
    assert backend.process.poll() is None and httpx.get(f"{backend.url}/health", timeout=TIMEOUT).status_code == 200


def test_a_backend_with_a_password_is_called_with_it(label_studio, backends, tmp_path):
    password = secrets.token_urlsafe(18)  # made per run: no password is written in the repository
    backend = backends(tmp_path, environment={"TOOLKIT_BACKEND_PASSWORD": password})
    assert password not in backend.stderr()
    assert httpx.get(f"{backend.url}/health", timeout=TIMEOUT).status_code == 401
    assert httpx.get(f"{backend.url}/health", auth=("voci", password), timeout=TIMEOUT).json()["status"] == "UP"
    assert httpx.get(f"{backend.url}/health", auth=("voci", "wrong"), timeout=TIMEOUT).status_code == 401

    studio = Studio(label_studio, label_studio.project_title("backend-auth"), [make_document("first", FIRST, "it")])
    refusal = f"refused the ML backend at {backend.url}: Able to connect to ML Server, but authentication parameters"
    with pytest.raises(ServerError, match=refusal):
        register_backend(studio.connection, studio.project_id, backend.url, BasicAuth("voci", "wrong"))
    with pytest.raises(ServerError, match=refusal):
        register_backend(studio.connection, studio.project_id, backend.url)
    register_backend(studio.connection, studio.project_id, backend.url, BasicAuth("voci", password))
    (prediction,) = studio.open_task("first")["predictions"]
    assert prediction["model_version"] == "baseline-v0" and _entity_labels(prediction)["Russia"] == "GPE"
    assert password not in backend.stderr()


def test_connecting_again_replaces_the_backend_of_an_earlier_run(label_studio, backends, tmp_path):
    studio = Studio(label_studio, label_studio.project_title("backend-again"), [make_document("first", FIRST, "it")])
    (tmp_path / "earlier").mkdir()
    earlier = backends(tmp_path / "earlier")
    register_backend(studio.connection, studio.project_id, earlier.url)
    assert earlier.interrupt() == 0
    later = backends(tmp_path)
    registration = register_backend(studio.connection, studio.project_id, later.url)
    assert registration.replaced == [earlier.url]
    assert studio.backend().url == later.url
    hooks = [hook.url for hook in label_studio.client.webhooks.list(project=str(studio.project_id))]
    assert hooks == [f"{later.url}/webhook"], "the earlier run's webhook is gone, the new one is there"
    assert studio.open_task("first")["predictions"][0]["model_version"] == "baseline-v0"

    label_studio.client.ml.create(project=studio.project_id, url=later.url, title="someone-else")
    with pytest.raises(ConflictError, match="already has ML backend\\(s\\) 'someone-else'"):
        register_backend(studio.connection, studio.project_id, later.url)


def test_under_overlap_the_second_annotator_gets_no_pre_annotation_learned_from_the_first(
    label_studio, backends, tmp_path
):
    """One task, two annotations (`push --overlap 2`): after annotator A's submission (model version bumped), the
    task as B opens it, and what the backend answers for it, equal a backend that never saw A's annotation (the
    independence rule), while another document learns from A."""
    secret = secrets.token_urlsafe(16)  # the webhook that teaches the backend must carry its secret
    backend = backends(tmp_path, environment={WEBHOOK_SECRET_VARIABLE: secret})
    documents = [make_document("first", FIRST, "it"), make_document("second", SECOND, "it")]
    studio = Studio(label_studio, label_studio.project_title("backend-overlap"), documents)
    register_backend(studio.connection, studio.project_id, backend.url, webhook_secret=secret)
    for_a = studio.open_task("first")["predictions"][0]
    assert for_a["model_version"] == "baseline-v0" and _entity_labels(for_a)[NEW_NAME] == "PER"

    start = FIRST.index(NEW_NAME)
    value = {"start": start, "end": start + len(NEW_NAME), "text": NEW_NAME, "labels": ["ORG"]}
    region = {"id": "m1", "from_name": "entity", "to_name": "text", "type": "labels", "value": value}
    label_studio.client.annotations.create(id=studio.task_ids["first"], result=[region], lead_time=3.0)

    opened = studio.open_task("first")  # B opens the task A annotated
    assert [p["result"] for p in opened["predictions"]] == [for_a["result"]], "Label Studio keeps the first one"
    asked = httpx.post(f"{backend.url}/predict", json={"tasks": [opened], "project": f"{studio.project_id}.1"})
    (for_b,) = asked.json()["results"]  # what the backend answers for this task now that it has learned from A
    assert for_b["model_version"] == "baseline-v1"
    assert for_b["result"] == for_a["result"], "B's pre-annotation is the one of a backend without A's annotation"
    assert _entity_labels(for_b)[NEW_NAME] == "PER"
    other = studio.open_task("second")["predictions"]
    assert [_entity_labels(p)[NEW_NAME] for p in other if p["model_version"] == "baseline-v1"] == ["ORG"]
