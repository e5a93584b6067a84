"""`toolkit backend` as a command: bad options stop it with one line and exit 2, it serves on loopback only, answers
the protocol over HTTP, stops on Ctrl-C, and exports what it learned."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import httpx
import pytest
from backend_process import running_backends
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.files import write_jsonl
from toolkit.labelstudio.backend.lexicon import LexiconStore, entity_mentions
from toolkit.labelstudio.backend.sources import Contribution
from toolkit.labelstudio.tasks import task_data

TEXT = "Il portavoce di Velmora Tessari ha detto che la Russia ha spedito armi."
runner = CliRunner()


@pytest.fixture
def backends():
    with running_backends() as start:
        yield start


def _invoke(*arguments: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["backend", *arguments], env={"TOOLKIT_BACKEND_PASSWORD": "", **(env or {})})


def _one_error_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert lines[-1].startswith("error:") and "Traceback" not in result.output
    return lines[-1]


def _listening(port: int) -> set[str]:
    """Local addresses in state LISTEN on ``port``, as /proc/net/tcp and tcp6 write them."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, local_port = fields[1].split(":")
            if int(local_port, 16) == port and fields[3] == "0A":
                found.add(address)
    return found


def test_two_prediction_sources_are_refused(tmp_path):
    line = _one_error_line(_invoke("--system", "baseline", "--command", "model", "--port", "0"))
    assert "--system and --command: give one" in line


def test_the_baseline_names_its_own_versions():
    assert "--model-version" in _one_error_line(_invoke("--model-version", "mine", "--port", "0"))


def test_a_user_without_a_password_is_refused():
    line = _one_error_line(_invoke("--auth-user", "annotator", "--port", "0"))
    assert "--auth-user 'annotator': no password (expected it in TOOLKIT_BACKEND_PASSWORD)" in line


def test_a_bad_prediction_file_is_reported_before_serving(tmp_path):
    write_jsonl(tmp_path / "documents.jsonl", [make_document("d1", TEXT, "it")])
    write_jsonl(tmp_path / "predictions.jsonl", [{"id": "d1", "entities": [{"start": 3, "end": 1, "label": "ORG"}]}])
    result = _invoke(
        "--predictions", str(tmp_path / "predictions.jsonl"), "--documents", str(tmp_path / "documents.jsonl")
    )
    assert result.exit_code == 2
    assert f"{tmp_path / 'predictions.jsonl'}:1: entities[0].end: 1 is not after start 3" in result.output


def test_a_missing_http_library_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # what an install without the extra looks like
    line = _one_error_line(_invoke("--port", "0"))
    assert "the ML backend needs uvicorn (expected `pip install 'voci-toolkit[backend]'`" in line


def test_a_busy_port_is_an_error_not_a_move():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _invoke("--port", str(port))
    assert result.exit_code == 3 and f"cannot listen on 127.0.0.1:{port}" in result.output


def test_serves_on_loopback_answers_the_protocol_and_stops_on_ctrl_c(backends, tmp_path):
    backend = backends(tmp_path)
    err = backend.stderr()
    assert f"ML backend listening on {backend.url}: the baseline" in err
    assert f"Settings → Model → Connect model, URL {backend.url}" in err
    assert _listening(backend.port) == {"0100007F"}, "only 127.0.0.1 listens (/proc/net/tcp: little-endian hex)"
    assert httpx.get(f"{backend.url}/health").json() == {"status": "UP", "model_class": "voci-baseline"}
    assert httpx.post(f"{backend.url}/setup", json={"project": "3.1"}).json() == {"model_version": "baseline-v0"}
    document = make_document("d1", TEXT, "it")
    answer = httpx.post(f"{backend.url}/predict", json={"tasks": [{"id": 1, "data": task_data(document)}]}).json()
    assert answer["results"][0]["model_version"] == "baseline-v0" and answer["results"][0]["result"]
    refused = httpx.post(f"{backend.url}/predict", content=b"[1", headers={"Content-Type": "application/json"})
    assert refused.status_code == 400 and refused.json()["error"].startswith("request body: not JSON")
    assert httpx.get(f"{backend.url}/nothing").status_code == 404
    assert backend.interrupt() == 0
    assert backend.stderr().rstrip().endswith("ML backend stopped") and "Traceback" not in backend.stderr()


def test_export_lexicon_writes_what_the_project_learned(tmp_path):
    store = LexiconStore(tmp_path / "studio")
    start = TEXT.index("Velmora Tessari")
    item = {
        "type": "labels",
        "from_name": "entity",
        "value": {"start": start, "end": start + 15, "labels": ["ORG"]},
    }
    for annotation, label in (("1", "ORG"), ("2", "ORG"), ("3", "PER")):
        item["value"]["labels"] = [label]
        store.learn(4, "voci", annotation, Contribution(9, "d1", 1, entity_mentions([item], TEXT)))
    out = tmp_path / "review" / "lexicon.json"
    result = _invoke("--export-lexicon", str(out), "--data-dir", str(tmp_path / "studio"))
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["learned"] == {"Velmora Tessari": "ORG"}
    assert exported["counts"] == {"Velmora Tessari": {"ORG": 2, "PER": 1}}
    assert exported["model_version"] == "baseline-v3" and exported["project"] == {"id": 4, "title": "voci"}
    assert sorted(exported["annotations"]) == ["1", "2", "3"]
    assert "lexicon of project 4 ('voci'), baseline-v3: 1 learned mention(s) from 3 annotation(s)" in result.output

    assert "no lexicon for project 'other'" in _one_error_line(
        _invoke("--export-lexicon", str(out), "--data-dir", str(tmp_path / "studio"), "--project", "other")
    )
    assert "no lexicon in" in _one_error_line(_invoke("--export-lexicon", str(out), "--data-dir", str(tmp_path)))
    own = Path(store.path(4))
    assert "is the backend's own lexicon" in _one_error_line(
        _invoke("--export-lexicon", str(own), "--data-dir", str(tmp_path / "studio"))
    )
