"""`toolkit studio --ml-backend` run as a user runs it: Label Studio and the baseline backend start together, the
backend is connected to the project, a task is pre-annotated live, an annotation teaches it, Ctrl-C stops both."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from toolkit.documents import make_document
from toolkit.files import write_jsonl
from toolkit.labelstudio.server import free_port

pytestmark = pytest.mark.studio

REPO = Path(__file__).resolve().parents[1]
TOOLKIT = Path(sys.executable).parent / "toolkit"
READY = "press Ctrl-C to stop the server"
START_LIMIT = 300.0  # bounds for waiting on a loaded machine, not assertions about speed
STOP_LIMIT = 30.0
NEW_NAME = "Velmora Tessari"
FIRST = f"Il portavoce di {NEW_NAME} ha detto che la Russia ha spedito armi a Milano."
SECOND = f"Secondo {NEW_NAME}, il mercato cresce. Mario Rossi conferma."


def _environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith(("LABEL_STUDIO_", "TOOLKIT_"))}


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_system_or_command_need_the_backend_option(tmp_path):
    result = subprocess.run(  # noqa: S603 (our own command)
        [str(TOOLKIT), "studio", "--command", "model", "--data-dir", str(tmp_path / "data")],
        cwd=REPO,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "only with --ml-backend" in result.stderr
    assert not (tmp_path / "data").exists()


def test_studio_serves_the_baseline_backend_beside_label_studio(tmp_path):
    documents = tmp_path / "documents.jsonl"
    write_jsonl(documents, [make_document("first", FIRST, "it"), make_document("second", SECOND, "it")])
    data_dir, port = tmp_path / "data", free_port()
    stderr_path = tmp_path / "studio.stderr"
    command = [str(TOOLKIT), "studio", "--ml-backend", "--port", str(port), "--data-dir", str(data_dir)]
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 (our own command)
            [*command, "--documents", str(documents)],
            cwd=REPO,
            env=_environment(),
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + START_LIMIT
        while READY not in stderr_path.read_text(errors="replace"):
            assert process.poll() is None, stderr_path.read_text(errors="replace")
            assert time.monotonic() < deadline, stderr_path.read_text(errors="replace")
            time.sleep(0.5)
        err = stderr_path.read_text(errors="replace")
        backend_url = re.search(r"ML backend on (http://127\.0\.0\.1:\d+): the baseline", err).group(1)
        assert "connected to the project as 'voci' (model version baseline-v0)" in err

        from label_studio_sdk import LabelStudio

        key = json.loads((data_dir / "credentials.json").read_text())["api_key"]
        url = f"http://127.0.0.1:{port}"
        client = LabelStudio(base_url=url, api_key=key)
        (project,) = client.projects.list()
        (backend,) = client.ml.list(project=project.id)
        assert (backend.url, backend.state, backend.model_version) == (backend_url, "CO", "baseline-v0")
        project = client.projects.get(id=project.id)
        assert project.model_version == "voci" and project.evaluate_predictions_automatically

        http = httpx.Client(base_url=url, headers={"Authorization": f"Token {key}"}, timeout=60)
        task = http.get(f"/api/projects/{project.id}/next/").json()  # what "Label All Tasks" opens
        assert task["data"]["doc_id"] == "first"
        labels = {
            item["value"]["text"]: item["value"]["labels"][0]
            for item in task["predictions"][0]["result"]
            if item.get("from_name") == "entity" and item["value"]["labels"][0] != "CLAIM"
        }
        assert task["predictions"][0]["model_version"] == "baseline-v0" and labels[NEW_NAME] == "PER"
        start = FIRST.index(NEW_NAME)
        value = {"start": start, "end": start + len(NEW_NAME), "text": NEW_NAME, "labels": ["ORG"]}
        client.annotations.create(
            id=task["id"],
            result=[{"id": "m", "from_name": "entity", "to_name": "text", "type": "labels", "value": value}],
        )
        lexicon = json.loads((data_dir / "backend" / f"project-{project.id}.lexicon.json").read_text())
        assert lexicon["model_version"] == "baseline-v1" and lexicon["project"]["title"] == "voci"
        second = http.get(f"/api/projects/{project.id}/next/").json()
        assert second["data"]["doc_id"] == "second" and second["predictions"][0]["model_version"] == "baseline-v1"
        assert any(
            item["value"]["text"] == NEW_NAME and item["value"]["labels"] == ["ORG"]
            for item in second["predictions"][0]["result"]
            if item.get("from_name") == "entity" and item["value"]["labels"][0] != "CLAIM"
        )
        backend_port = int(backend_url.rsplit(":", 1)[1])
        assert _listening(backend_port) and _listening(port)

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=STOP_LIMIT) == 0
        err = stderr_path.read_text(errors="replace")
        assert err.rstrip().endswith("Label Studio stopped") and "Traceback" not in err
        assert not _listening(backend_port) and not _listening(port), "Ctrl-C stopped the backend and the server"
        assert key not in err
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_LIMIT)
            except subprocess.TimeoutExpired:
                process.kill()
