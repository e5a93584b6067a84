"""The ML backend's protocol functions, prediction sources and learned lexicon, without Label Studio.

Requests and webhook payloads have the shapes Label Studio 1.23 sends (``ml/api_connector.py``, the webhook
serializers); the real server is exercised in test_backend_labelstudio.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import sys
import time
from pathlib import Path

import pytest

from toolkit.baseline import predict_document
from toolkit.documents import make_document
from toolkit.errors import InputError
from toolkit.files import write_jsonl
from toolkit.labelstudio.backend.lexicon import LexiconStore, entity_mentions, load_lexicon_file
from toolkit.labelstudio.backend.service import Backend, missing_controls, project_id, task_document
from toolkit.labelstudio.backend.sources import PASSWORD_VARIABLE, BaselineSource, CommandSource, FileSource
from toolkit.labelstudio.config import NAMES, build_label_config
from toolkit.labelstudio.tasks import preannotation, task_data

NEW_NAME = "Velmora Tessari"
FIRST = f"Il portavoce di {NEW_NAME} ha detto che la Russia ha spedito armi a Milano."
SECOND = f"Secondo {NEW_NAME}, il mercato cresce. Mario Rossi conferma."
QUIET = "Nessuna notizia oggi da Roma."


def _task(number: int, document: dict, project: int = 7) -> dict:
    return {"id": number, "data": task_data(document), "project": project}


def _documents() -> list[dict]:
    return [
        make_document("first", FIRST, "it"),
        make_document("second", SECOND, "it"),
        make_document("quiet", QUIET, "it"),
    ]


def _request(*tasks: dict, project: int = 7) -> dict:
    return {"tasks": list(tasks), "project": f"{project}.1767225600", "label_config": build_label_config()}


def _entity_item(text: str, mention: str, label: str, region: str = "r1") -> dict:
    start = text.index(mention)
    return {
        "id": region,
        "from_name": NAMES.label,
        "to_name": NAMES.text,
        "type": "labels",
        "value": {"start": start, "end": start + len(mention), "text": mention, "labels": [label]},
    }


def _annotation_event(number: int, task: dict, result: list, action: str = "ANNOTATION_CREATED", **extra) -> dict:
    annotation = {"id": number, "task": task["id"], "project": task["project"], "completed_by": 1, "result": result}
    annotation.update({"was_cancelled": False, **extra})
    return {"action": action, "annotation": annotation, "task": task, "project": {"id": task["project"], "title": "t"}}


def _labels(prediction: dict) -> dict[str, str]:
    return {
        item["value"]["text"]: item["value"]["labels"][0]
        for item in prediction["result"]
        if item["type"] == "labels" and item["from_name"] == NAMES.label and item["value"]["labels"][0] != "CLAIM"
    }


@pytest.fixture
def baseline(tmp_path) -> Backend:
    return Backend(BaselineSource(LexiconStore(tmp_path / "studio")))


# --- protocol basics ---


def test_project_ids_in_every_shape_label_studio_sends():
    assert project_id("12.1767225600") == 12 and project_id(12) == 12 and project_id({"id": 3, "title": "x"}) == 3
    assert project_id(None) is None and project_id("voci") is None and project_id(True) is None


def test_task_document_keeps_the_ids_push_wrote_and_hashes_the_text_shown():
    document = make_document("n-1", FIRST, "it", title="Titolo", source="ANSA")
    assert task_document(_task(4, document)) == document
    bare = task_document({"id": 9, "data": {"text": "Testo importato a mano."}})
    assert bare["id"] == "task-9" and bare["lang"] == "it"
    assert bare["text_sha256"] == make_document("x", "Testo importato a mano.", "it")["text_sha256"]
    assert task_document({"id": 2, "data": {"text": "Un testo.", "doc_id": "not valid/id"}})["id"] == "task-2"
    with pytest.raises(InputError, match="data.text is missing"):
        task_document({"id": 1, "data": {"body": "x"}})
    with pytest.raises(InputError, match=r"data.text: 1000001 characters \(expected at most 1000000 per task\)"):
        task_document({"id": 1, "data": {"text": "x" * 1_000_001}})


def test_setup_answers_the_project_model_version_and_refuses_a_foreign_config(baseline):
    assert baseline.setup({"project": "7.1767225600", "schema": build_label_config()}) == {
        "model_version": "baseline-v0"
    }
    assert missing_controls(build_label_config()) == []
    foreign = '<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"/></View>'
    with pytest.raises(InputError, match="lacks label "):
        baseline.setup({"project": "7.1", "schema": foreign})
    assert baseline.health() == {"status": "UP", "model_class": "voci-baseline"}


def test_baseline_prediction_is_the_push_conversion_of_toolkit_baseline(baseline):
    documents = _documents()
    answer = baseline.predict(_request(*(_task(number, document) for number, document in enumerate(documents, 1))))
    assert answer["model_version"] == "baseline-v0" and len(answer["results"]) == 3
    for document, prediction in zip(documents, answer["results"], strict=True):
        record = predict_document(document)
        expected = preannotation(record, "prediction", document["text"], "baseline-v0")
        assert prediction["result"] == expected["result"] and prediction["model_version"] == "baseline-v0"
        assert 0.0 <= prediction["score"] <= 1.0
    assert _labels(answer["results"][0])[NEW_NAME] == "PER", "two capitalised words: the rules guess a person"
    assert _labels(answer["results"][0])["Russia"] == "GPE"
    assert answer["results"][2]["score"] == 1.0, "Roma comes from the lexicon: all of the mentions are sure"


def test_a_task_that_cannot_be_predicted_gets_an_error_item_the_others_their_prediction(baseline):
    good = _task(1, _documents()[0])
    answer = baseline.predict(_request({"id": 2, "data": {"image": "x.png"}}, good))
    failed, fine = answer["results"]
    assert "result" not in failed, "Label Studio skips an item without result (and logs it): no empty prediction"
    assert failed == {"model_version": "baseline-v0", "error": failed["error"]}
    assert failed["error"].startswith("task 2: data.text is missing")
    assert fine["result"] and fine["model_version"] == "baseline-v0"


def test_a_request_without_tasks_is_refused(baseline):
    for request in ({}, {"tasks": "x"}, {"tasks": [1, 2]}):
        with pytest.raises(InputError, match="tasks: expected a list of task objects"):
            baseline.predict(request)


# --- learning from annotations ---


def test_a_submitted_annotation_teaches_the_next_prediction_and_bumps_the_version(baseline, tmp_path):
    first, second = _task(1, _documents()[0]), _task(2, _documents()[1])
    answer = baseline.webhook(_annotation_event(11, first, [_entity_item(FIRST, NEW_NAME, "ORG")]))
    assert answer == {"status": "ok", "action": "ANNOTATION_CREATED", "model_version": "baseline-v1"}
    prediction = baseline.predict(_request(second))["results"][0]
    assert prediction["model_version"] == "baseline-v1" and _labels(prediction)[NEW_NAME] == "ORG"
    assert baseline.setup({"project": "7.1"}) == {"model_version": "baseline-v1"}
    other_project = baseline.predict(_request(_task(3, _documents()[1], project=8), project=8))["results"][0]
    assert other_project["model_version"] == "baseline-v0" and _labels(other_project)[NEW_NAME] == "PER"

    stored = json.loads((tmp_path / "studio" / "backend" / "project-7.lexicon.json").read_text(encoding="utf-8"))
    assert stored["revision"] == 1 and stored["project"] == {"id": 7, "title": "t"}
    assert stored["annotations"]["11"] == {
        "task_id": 1,
        "doc_id": "first",
        "annotator": 1,
        "mentions": [[NEW_NAME, "ORG"]],
    }
    restarted = Backend(BaselineSource(LexiconStore(tmp_path / "studio")))
    assert _labels(restarted.predict(_request(second))["results"][0])[NEW_NAME] == "ORG", "kept across restarts"


def test_updates_replace_deletions_and_skips_take_back(baseline):
    task = _task(1, _documents()[0])
    lexicons = baseline.source.lexicons
    baseline.webhook(_annotation_event(11, task, [_entity_item(FIRST, NEW_NAME, "ORG")]))
    assert (
        baseline.webhook(_annotation_event(11, task, [_entity_item(FIRST, NEW_NAME, "ORG")], "ANNOTATION_UPDATED"))[
            "model_version"
        ]
        == "baseline-v1"
    ), "an update that changes no mention changes nothing"
    baseline.webhook(_annotation_event(11, task, [_entity_item(FIRST, NEW_NAME, "FAC")], "ANNOTATION_UPDATED"))
    assert lexicons.snapshot(7) == ("baseline-v2", {NEW_NAME: "FAC"}), "the update replaced the annotation's mentions"
    baseline.webhook({"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 11}], "project": {"id": 7}})
    assert lexicons.snapshot(7) == ("baseline-v3", {})
    baseline.webhook(_annotation_event(12, task, [_entity_item(FIRST, NEW_NAME, "ORG")]))
    baseline.webhook(
        _annotation_event(12, task, [_entity_item(FIRST, NEW_NAME, "ORG")], "ANNOTATION_UPDATED", was_cancelled=True)
    )
    assert lexicons.snapshot(7) == ("baseline-v5", {})


def test_the_label_seen_most_often_wins_and_a_tie_teaches_nothing(baseline):
    task = _task(1, _documents()[0])
    for number, label in ((1, "ORG"), (2, "PER")):
        baseline.webhook(_annotation_event(number, task, [_entity_item(FIRST, NEW_NAME, label)]))
    assert baseline.source.lexicons.snapshot(7)[1] == {}
    assert _labels(baseline.predict(_request(task))["results"][0])[NEW_NAME] == "PER", "the rules again"
    baseline.webhook(_annotation_event(3, task, [_entity_item(FIRST, NEW_NAME, "ORG")]))
    assert baseline.source.lexicons.snapshot(7)[1] == {NEW_NAME: "ORG"}


def test_only_entity_regions_with_one_inventory_label_are_learned():
    result = [
        _entity_item(FIRST, NEW_NAME, "ORG"),
        _entity_item(FIRST, "Russia", "NOT-A-LABEL", "r2"),
        _entity_item(FIRST, "la Russia ha spedito armi", "CLAIM", "r3"),
        {"from_id": "r1", "to_id": "r3", "type": "relation", "labels": ["claimer"]},
    ]
    spaced = _entity_item(FIRST, "Milano", "GPE", "r4")
    spaced["value"]["end"] += 1  # the annotator's selection took the final full stop's neighbour: text from offsets
    assert entity_mentions(result + [spaced], FIRST) == [(NEW_NAME, "ORG"), ("Milano.", "GPE")]
    assert entity_mentions([_entity_item(FIRST, "Russia", "GPE")], None) == [("Russia", "GPE")]


def test_start_training_and_other_events_are_acknowledged_without_change(baseline):
    assert baseline.webhook({"action": "START_TRAINING", "project": {"id": 7}}) == {
        "status": "ignored",
        "action": "START_TRAINING",
    }
    assert baseline.webhook({"action": "TASKS_CREATED", "tasks": []})["status"] == "ignored"
    with pytest.raises(InputError, match="project"):
        baseline.webhook({"action": "ANNOTATION_CREATED", "annotation": {"id": 1, "result": []}})


def test_the_older_train_call_learns_every_annotated_task(baseline):
    document = _documents()[0]
    task = {**_task(1, document), "annotations": [{"id": 5, "result": [_entity_item(FIRST, NEW_NAME, "ORG")]}]}
    assert baseline.train({"annotations": [task], "project": "7.1767225600"}) == {"model_version": "baseline-v1"}
    assert baseline.source.lexicons.snapshot(7)[1] == {NEW_NAME: "ORG"}


def test_a_damaged_lexicon_file_is_named(tmp_path):
    path = tmp_path / "project-1.lexicon.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=f"{path}: not a JSON lexicon"):
        load_lexicon_file(path, 1)
    path.write_text(json.dumps({"format": "voci-backend-lexicon/1", "revision": -1, "annotations": {}}))
    with pytest.raises(InputError, match="revision: -1"):
        load_lexicon_file(path, 1)


# --- a prediction file ---


def _file_source(tmp_path, records: list[dict], model_version: str | None = None) -> FileSource:
    write_jsonl(tmp_path / "documents.jsonl", _documents())
    write_jsonl(tmp_path / "predictions.jsonl", records)
    return FileSource(tmp_path / "predictions.jsonl", tmp_path / "documents.jsonl", model_version)


def test_a_prediction_file_is_found_by_doc_id_or_by_the_text(tmp_path):
    start = FIRST.index(NEW_NAME)
    record = {"id": "first", "entities": [{"start": start, "end": start + len(NEW_NAME), "label": "ORG", "score": 0.8}]}
    backend = Backend(_file_source(tmp_path, [record], "my-model"))
    by_id, by_text, missing, edited = backend.predict(
        _request(
            _task(1, _documents()[0]),
            {"id": 2, "data": {"text": FIRST}},  # imported by hand: no doc_id
            _task(3, _documents()[2]),
            {"id": 4, "data": {**task_data(_documents()[0]), "text": FIRST + " Aggiunto."}},
        )
    )["results"]
    expected = preannotation(record, "prediction", FIRST, "my-model")
    assert by_id == expected and by_text == expected and by_id["score"] == 0.8
    assert missing["error"] == f"task 3 (quiet): {tmp_path / 'predictions.jsonl'} has no record for document 'quiet'"
    assert "no document of" in edited["error"] and "doc_id 'first'" in edited["error"]


def test_a_prediction_file_is_checked_when_the_backend_starts(tmp_path):
    with pytest.raises(InputError) as raised:
        _file_source(tmp_path, [{"id": "first", "entities": [{"start": 0, "end": 500, "label": "ORG"}]}])
    assert "predictions.jsonl:1: entities[0].end: 500 is past the end of the text" in "\n".join(raised.value.lines())


# --- an external command ---


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "model.py"
    path.write_text("import json, os, sys, time\n" + body, encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"


ECHO_FIRST_WORD_AS_GPE = """
for line in sys.stdin:
    document = json.loads(line)
    word = document["text"].split()[-1].rstrip(".")
    start = document["text"].rindex(word)
    print(json.dumps({"id": document["id"], "entities": [{"start": start, "end": start + len(word), "label": "GPE"}]}))
"""


def test_a_command_predicts_a_batch_and_its_records_are_converted(tmp_path):
    source = CommandSource(_script(tmp_path, ECHO_FIRST_WORD_AS_GPE), timeout=20)
    backend = Backend(source)
    tasks = [_task(number, document) for number, document in enumerate(_documents(), 1)]
    answer = backend.predict(_request(*tasks))
    assert answer["model_version"] == source.version and source.version.startswith("command-")
    assert [_labels(prediction) for prediction in answer["results"]] == [
        {"Milano": "GPE"},
        {"conferma": "GPE"},
        {"Roma": "GPE"},
    ]
    assert CommandSource("model --fast", model_version="fast-1").version == "fast-1"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("sys.stderr.write('model exploded\\n'); sys.exit(3)", "exited with code 3 (model exploded)"),
        ("print('this is not json')", "stdout line 1: invalid JSON"),
        ("print(json.dumps([1, 2]))", "stdout line 1: got a JSON array (expected a prediction record)"),
        ("print(json.dumps({'id': 'someone-else'}))", "stdout line 1: id 'someone-else' is not one of the documents"),
        ("sys.stdout.buffer.write(b'\\xff\\n')", "stdout: byte 1 is not UTF-8"),
        ("import signal; os.kill(os.getpid(), signal.SIGSEGV)", "was killed by SIGSEGV"),
    ],
    ids=["crash", "not-json", "not-an-object", "unknown-id", "not-utf8", "segfault"],
)
def test_a_failing_command_fails_the_batch_with_what_went_wrong(tmp_path, body, expected):
    backend = Backend(CommandSource(_script(tmp_path, "sys.stdin.read()\n" + body), timeout=20))
    results = backend.predict(_request(_task(1, _documents()[0]), _task(2, _documents()[1])))["results"]
    assert [set(result) for result in results] == [{"model_version", "error"}] * 2
    assert all(expected in result["error"] for result in results)
    assert results[0]["error"].startswith(f"task 1 (first): command {backend.source.shown}")


def test_a_hanging_command_is_stopped_with_its_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    body = f"""
import subprocess
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open({str(pid_file)!r}, "w").write(str(child.pid))
time.sleep(300)
"""
    backend = Backend(CommandSource(_script(tmp_path, body), timeout=2))
    started = time.monotonic()
    (result,) = backend.predict(_request(_task(1, _documents()[0])))["results"]
    assert "did not answer within 2 s (stopped)" in result["error"] and time.monotonic() - started < 60
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:  # killed; reaped by init
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists(), "the command's own child process was killed with it"


def test_invalid_records_and_missing_ones_fail_only_their_task(tmp_path):
    body = """
for line in sys.stdin:
    document = json.loads(line)
    if document["id"] == "first":
        print(json.dumps({"id": "first", "entities": [{"start": 0, "end": 9999, "label": "ORG"}]}))
    elif document["id"] == "second":
        print(json.dumps({"id": "second", "entities": [{"start": 0, "end": 7, "label": "ORG", "text": "Secondo"}]}))
"""
    backend = Backend(CommandSource(_script(tmp_path, body), timeout=20))
    documents = _documents()
    invalid, fine, missing = backend.predict(_request(*(_task(n, d) for n, d in enumerate(documents, 1))))["results"]
    assert "invalid prediction record: entities[0].end: 9999 is past the end of the text" in invalid["error"]
    assert _labels(fine) == {"Secondo": "ORG"}
    assert missing["error"].endswith("wrote no record with id 'quiet'")


def test_the_command_never_sees_the_backend_password(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_VARIABLE, "s3cret-password")
    body = """
for line in sys.stdin:
    document = json.loads(line)
    leaked = os.environ.get("TOOLKIT_BACKEND_PASSWORD", "")
    entities = [{"start": 0, "end": 1, "label": "ORG"}] if leaked else []
    print(json.dumps({"id": document["id"], "entities": entities}))
"""
    (result,) = Backend(CommandSource(_script(tmp_path, body), timeout=20)).predict(
        _request(_task(1, _documents()[0]))
    )["results"]
    assert result["result"] == []


def test_commands_that_cannot_run_are_errors_not_crashes(tmp_path):
    (result,) = Backend(CommandSource(str(tmp_path / "no-such-program"))).predict(_request(_task(1, _documents()[0])))[
        "results"
    ]
    assert "cannot be started: No such file or directory" in result["error"]
    with pytest.raises(InputError, match="cannot be split"):
        CommandSource("model 'unclosed")
    with pytest.raises(InputError, match="timeout: "):
        CommandSource("model", timeout=0)
    assert os.environ.get(PASSWORD_VARIABLE) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('print(\'{"id": "first", "entities": [], "score": NaN}\')', "stdout line 1: NaN is not a JSON number"),
        ("print('[' * 100000 + ']' * 100000)", "stdout line 1: nested too deep"),
        ("sys.stdout.write('x' * 70_000_000)", "wrote more than 64000000 bytes on stdout (stopped)"),
    ],
    ids=["nan", "deep", "flood"],
)
def test_a_command_printing_what_cannot_be_answered_fails_its_tasks(tmp_path, body, expected):
    backend = Backend(CommandSource(_script(tmp_path, "sys.stdin.read()\n" + body), timeout=60))
    (result,) = backend.predict(_request(_task(1, _documents()[0])))["results"]
    assert set(result) == {"model_version", "error"} and expected in result["error"], result


def test_a_grandchild_holding_stdout_does_not_outlive_the_timeout(tmp_path):
    """A process in its own session (setsid) escapes the group kill and keeps the pipe open for 300 s: the request
    still ends at the timeout (waited for in a thread, at most 120 s), and the grandchild is ended by the test."""
    import signal
    import threading

    pid_file = tmp_path / "grandchild.pid"
    body = f"""
import subprocess
child = subprocess.Popen(["setsid", sys.executable, "-c", "import time; time.sleep(300)"])
open({str(pid_file)!r}, "w").write(str(child.pid))
"""
    backend = Backend(CommandSource(_script(tmp_path, body), timeout=2))
    answers = []
    request = threading.Thread(target=lambda: answers.append(backend.predict(_request(_task(1, _documents()[0])))))
    request.start()
    request.join(120)
    try:
        assert answers, "the request still waits for the grandchild's pipe"
        (result,) = answers[0]["results"]
        assert "did not answer within 2 s (stopped)" in result["error"]
    finally:
        for line in pid_file.read_text().split() if pid_file.exists() else []:  # setsid execs: the same pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line), signal.SIGKILL)
        request.join()


def test_the_command_gets_no_token_and_its_stderr_never_shows_one(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value_123")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "ls_secret_value_456")
    body = """
seen = [name for name in ("HF_TOKEN", "LABEL_STUDIO_API_KEY") if name in os.environ]
sys.stderr.write(f"seen={seen} token=hf_secret_value_123\\n")
sys.exit(3)
"""
    (result,) = Backend(CommandSource(_script(tmp_path, body), timeout=20)).predict(
        _request(_task(1, _documents()[0]))
    )["results"]
    assert "exited with code 3 (seen=[] token=<HF_TOKEN>)" in result["error"], result
    assert "hf_secret_value_123" not in result["error"]


def test_odd_project_ids_and_training_requests_are_refused_or_ignored(baseline):
    assert project_id("².1") is None and project_id("9" * 5000) is None and project_id(2**70) is None
    assert project_id(-1) is None and project_id("12.x") == 12
    with pytest.raises(InputError, match="annotations: expected a list of tasks"):
        baseline.train({"project": 3, "annotations": 5})
    with pytest.raises(InputError, match="expected a list"):
        baseline.train({"project": 3, "annotations": [{"annotations": 5}]})


def test_malformed_webhook_regions_teach_nothing_and_fields_are_bounded(baseline, tmp_path):
    task = _task(1, _documents()[0])
    bad_regions = [
        {"type": "labels", "from_name": NAMES.label, "value": ["a"]},
        {"type": "labels", "from_name": NAMES.label, "value": {"labels": 5, "text": "x"}},
        {"type": "labels", "from_name": NAMES.label, "value": {"labels": {"0": "ORG"}, "text": "x"}},
        {"type": "labels", "from_name": NAMES.label, "value": {"labels": [["ORG"]], "text": "x"}},
        {"type": "labels", "from_name": NAMES.label, "value": {"labels": ["ORG"], "text": "\ud800"}},
        {"type": "labels", "from_name": NAMES.label, "value": {"labels": ["ORG"], "text": "y" * 10_000}},
    ]
    assert entity_mentions(bad_regions, None) == []
    event = _annotation_event(5, task, [_entity_item(FIRST, NEW_NAME, "ORG")], completed_by="a" * 1_000_000)
    assert baseline.webhook(event)["model_version"] == "baseline-v1"
    stored = load_lexicon_file(baseline.source.lexicons.path(7), 7)
    assert stored.contributions["5"].annotator is None and stored.contributions["5"].mentions == [(NEW_NAME, "ORG")]
    with pytest.raises(InputError, match="project: expected the project"):
        baseline.webhook(_annotation_event(6, task | {"project": "9" * 5000}, []) | {"project": "9" * 5000})


def test_a_pre_annotation_never_uses_another_annotators_work_on_the_same_document(baseline, tmp_path):
    """Overlap 2: annotator A submits the first document; annotator B opens the same document (another task). B's
    pre-annotation equals a backend that never saw A's annotation; another document does learn from it."""
    document = _documents()[0]
    task_of_a, task_of_b = _task(1, document), _task(2, document)
    baseline.webhook(_annotation_event(11, task_of_a, [_entity_item(FIRST, NEW_NAME, "ORG")]))
    for_b = baseline.predict(_request(task_of_b))["results"][0]
    unseen = Backend(BaselineSource(LexiconStore(tmp_path / "never-learned"))).predict(_request(task_of_b))
    assert for_b["result"] == unseen["results"][0]["result"]
    assert _labels(for_b)[NEW_NAME] == "PER", "A's ORG for this very document did not leak into B's"
    other = baseline.predict(_request(_task(3, _documents()[1])))["results"][0]
    assert _labels(other)[NEW_NAME] == "ORG", "what A taught still serves the other documents"


def test_a_cancelled_command_request_kills_the_command(tmp_path):
    """The client of a --command /predict left: the command is stopped at once, not at its timeout."""
    import threading

    from toolkit.labelstudio.backend.sources import Cancellation, Cancelled

    pid_file = tmp_path / "command.pid"
    body = f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(300)\n"
    backend = Backend(CommandSource(_script(tmp_path, body), timeout=250))
    cancellation, outcome = Cancellation(), []

    def predict() -> None:
        try:
            outcome.append(backend.predict(_request(_task(1, _documents()[0])), cancellation))
        except Cancelled as stopped:
            outcome.append(stopped)

    request = threading.Thread(target=predict)
    request.start()
    for _ in range(600):  # until the command runs (bounded, not timed)
        if pid_file.exists() and pid_file.read_text():
            break
        request.join(0.1)
    pid = int(pid_file.read_text())
    cancellation.cancel()
    request.join(120)
    try:
        assert not request.is_alive(), "the request waits for the command's timeout"
        (stopped,) = outcome
        assert isinstance(stopped, Cancelled) and "stopped" in str(stopped)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
        request.join()


def test_a_cancelled_baseline_request_stops_before_its_next_document(tmp_path):
    from toolkit.labelstudio.backend.sources import Cancellation, Cancelled

    backend = Backend(BaselineSource(LexiconStore(tmp_path / "studio")))
    cancellation = Cancellation()
    cancellation.cancel()
    with pytest.raises(Cancelled, match="stopped after 0 of 2 document"):
        backend.predict(_request(_task(1, _documents()[0]), _task(2, _documents()[1])), cancellation)
    assert backend.predict(_request(_task(1, _documents()[0])))["results"][0]["result"]
