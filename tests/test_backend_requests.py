"""What reaches `toolkit backend` over HTTP from someone other than Label Studio, or malformed: refused with a 4xx
and one line, alone, and the backend keeps serving with its learnt state on disk intact (real HTTP, real service).

A web page in the annotator's browser can send a text/plain or form POST to 127.0.0.1 without asking (a CORS
"simple request"); it cannot send JSON or a custom header without a preflight the backend never answers."""

from __future__ import annotations

import base64
import json
import re
import secrets
import socket
import time

import httpx
import pytest
from backend_process import running_backends

from toolkit.documents import make_document
from toolkit.labelstudio.backend.http import MAX_BODY, WEBHOOK_SECRET_HEADER
from toolkit.labelstudio.backend.sources import PASSWORD_VARIABLE, WEBHOOK_SECRET_VARIABLE
from toolkit.labelstudio.config import NAMES
from toolkit.labelstudio.tasks import task_data

TEXT = "Il portavoce di Velmora Tessari ha detto che la Russia ha spedito armi a Milano."
NAME = "Velmora Tessari"
TIMEOUT = 60.0
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def backends():
    with running_backends() as start:
        yield start


def _event(annotation_id: int, mention: str = NAME, label: str = "ORG", **annotation) -> dict:
    start = TEXT.index(mention) if mention in TEXT else 0
    region = {
        "type": "labels",
        "from_name": NAMES.label,
        "to_name": NAMES.text,
        "value": {"start": start, "end": start + len(mention), "text": mention, "labels": [label]},
    }
    task = {"id": 1, "data": task_data(make_document("d1", TEXT, "it")), "project": 4}
    body = {"id": annotation_id, "task": 1, "completed_by": 1, "result": [region], "was_cancelled": False}
    return {"action": "ANNOTATION_CREATED", "annotation": body | annotation, "task": task, "project": {"id": 4}}


def _post(backend, path: str, content: bytes | str, headers: dict | None = None) -> httpx.Response:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return httpx.post(f"{backend.url}{path}", content=data, headers=headers or {}, timeout=TIMEOUT)


def _lexicon(backend) -> dict | None:
    path = backend.data_dir / "backend" / "project-4.lexicon.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def test_a_forged_webhook_is_refused_and_teaches_or_erases_nothing(backends, tmp_path):
    secret = secrets.token_urlsafe(16)
    backend = backends(tmp_path, environment={WEBHOOK_SECRET_VARIABLE: secret, PASSWORD_VARIABLE: ""})
    signed = {**JSON, WEBHOOK_SECRET_HEADER: secret}
    taught = _post(backend, "/webhook", json.dumps(_event(1)), signed)
    assert taught.status_code == 200 and taught.json()["model_version"] == "baseline-v1"
    before = _lexicon(backend)
    assert before["annotations"]["1"]["mentions"] == [[NAME, "ORG"]]

    garbage = json.dumps(_event(2, "ha", "DATE"))
    erase = json.dumps({"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 1}], "project": {"id": 4}})
    for content, headers, status in (
        (garbage, {"Content-Type": "text/plain"}, 403),  # what any web page can send
        (erase, {"Content-Type": "text/plain"}, 403),
        (garbage, JSON, 403),  # no secret
        (erase, {**JSON, WEBHOOK_SECRET_HEADER: "wrong"}, 403),
        (erase, {"Content-Type": "text/plain", WEBHOOK_SECRET_HEADER: secret}, 415),
        (erase, {"Content-Type": "application/x-www-form-urlencoded", WEBHOOK_SECRET_HEADER: secret}, 415),
    ):
        refused = _post(backend, "/webhook", content, headers)
        assert refused.status_code == status, (headers, refused.text)
        assert refused.json()["status"] == "ERROR" and "\n" not in refused.json()["error"]
    assert _lexicon(backend) == before
    assert _post(backend, "/predict", json.dumps({"tasks": []}), {"Content-Type": "text/plain"}).status_code == 415


def test_without_a_secret_the_webhook_is_closed(backends, tmp_path):
    backend = backends(tmp_path, environment={WEBHOOK_SECRET_VARIABLE: "", PASSWORD_VARIABLE: ""})
    refused = _post(backend, "/webhook", json.dumps(_event(1)), JSON)
    assert refused.status_code == 403 and WEBHOOK_SECRET_HEADER in refused.json()["error"]
    assert _lexicon(backend) is None


def test_a_bad_event_is_refused_alone_and_the_next_one_is_learnt(backends, tmp_path):
    secret = secrets.token_urlsafe(16)
    backend = backends(tmp_path, environment={WEBHOOK_SECRET_VARIABLE: secret, PASSWORD_VARIABLE: ""})
    signed = {**JSON, WEBHOOK_SECRET_HEADER: secret}
    nan = json.dumps(_event(1)).replace('"completed_by": 1', '"completed_by": NaN')
    surrogate = json.dumps(_event(2, mention="Velmora Tessari")).replace("Velmora Tessari", "Velmora \\ud800")
    deep = '{"action": "ANNOTATION_CREATED", "annotation": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for content, reason in (
        (nan, "NaN is not JSON"),
        (surrogate, "lone surrogate"),
        (deep, "nested too deep"),
        (json.dumps(_event(3) | {"project": "9" * 5000}), "project: expected the project"),
    ):
        refused = _post(backend, "/webhook", content, signed)
        assert refused.status_code == 400 and reason in refused.json()["error"], refused.text
    huge = _post(backend, "/webhook", json.dumps(_event(4, completed_by="x" * 1_000_000)), signed)
    assert huge.status_code == 200 and huge.json()["model_version"] == "baseline-v1"
    later = _post(backend, "/webhook", json.dumps(_event(5)), signed)
    assert later.status_code == 200 and later.json()["model_version"] == "baseline-v2"
    stored = _lexicon(backend)
    assert stored["revision"] == 2 and sorted(stored["annotations"]) == ["4", "5"]
    assert stored["annotations"]["4"]["annotator"] is None, "a 1 MB completed_by is not stored"
    assert backend.data_dir.joinpath("backend", "project-4.lexicon.json").stat().st_size < 10_000
    assert "Traceback" not in backend.stderr()


def test_malformed_requests_get_400_and_the_backend_keeps_serving(backends, tmp_path):
    password = secrets.token_urlsafe(12)
    backend = backends(tmp_path, environment={WEBHOOK_SECRET_VARIABLE: "", PASSWORD_VARIABLE: password})
    token = base64.b64encode(f"voci:{password}".encode()).decode()
    lower = {**JSON, "Authorization": f"basic {token}"}  # RFC 7617: the scheme is case-insensitive
    document = make_document("d1", TEXT, "it")
    good = json.dumps({"tasks": [{"id": 1, "data": task_data(document)}], "project": "4.1"})
    assert _post(backend, "/predict", good, lower).status_code == 200
    surrogate = json.dumps({"tasks": [{"id": 1, "data": {"text": "Roma \ud800"}}]})
    for path, content, reason in (
        ("/predict", '{"tasks": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deep"),
        ("/predict", surrogate, "lone surrogate"),
        ("/train", json.dumps({"project": 4, "annotations": 5}), "annotations: expected a list of tasks"),
        ("/webhook", json.dumps(_event(1) | {"project": {"id": "²"}}), "project: expected the project"),
    ):
        refused = _post(backend, path, content, lower)
        assert refused.status_code == 400 and reason in refused.json()["error"], refused.text
    for project in ("².1", "9" * 5000):
        odd = json.dumps({"tasks": [{"id": 1, "data": task_data(document)}], "project": project})
        answer = _post(backend, "/predict", odd, lower)
        assert answer.status_code == 200 and answer.json()["results"][0]["model_version"] == "baseline-v0"
    too_big = _post(backend, "/predict", b'{"tasks": [], "pad": "' + b"x" * MAX_BODY + b'"}', lower)
    assert too_big.status_code == 413 and f"more than {MAX_BODY} bytes" in too_big.json()["error"]
    assert _post(backend, "/predict", good, {**JSON, "Authorization": "Bearer x"}).status_code == 401
    assert _post(backend, "/predict", good, lower).status_code == 200, "still serving"
    assert "Traceback" not in backend.stderr()


def test_a_prediction_stops_when_its_client_leaves_and_the_backend_keeps_serving(backends, tmp_path):
    """'Cost that grows with the input': a /predict nobody waits for any more stops before its next document (the
    log says after how many), instead of running every task to the end in a worker thread."""
    backend = backends(tmp_path)
    total = 300  # about 0.3 s of baseline each: a minute and more if it ran to the end
    text = (TEXT + " ") * 400
    tasks = [{"id": n, "data": task_data(make_document(f"long-{n}", text, "it")), "project": 4} for n in range(total)]
    body = json.dumps({"tasks": tasks, "project": "4.1"}).encode("utf-8")
    head = f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", backend.port)) as client:
        client.sendall(head.encode("ascii") + body)
        time.sleep(1)  # the work has begun; then the client leaves without reading an answer
    deadline = time.monotonic() + 120  # a bound for a loaded machine, not a measurement
    stopped = re.compile(rf"POST /predict: the client left; stopped after (\d+) of {total} document\(s\)")
    while not (found := stopped.search(backend.stderr())) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert found, backend.stderr()
    assert int(found[1]) < total, backend.stderr()
    (answer,) = httpx.post(
        f"{backend.url}/predict", json={"tasks": [_event(1)["task"]], "project": 4}, timeout=TIMEOUT
    ).json()["results"]
    assert answer["model_version"] == "baseline-v0" and answer["result"]
    assert "Traceback" not in backend.stderr()
