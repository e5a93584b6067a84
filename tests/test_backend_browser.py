"""The editor (headless Chromium, the real Label Studio frontend) opened on a task imported without predictions shows
the regions the ML backend predicted for it: the annotator starts from the model's work."""

from __future__ import annotations

import pytest
from backend_process import running_backends
from editor_browser import CHROMIUM, browser_page, log_in

from toolkit.baseline import predict_document
from toolkit.documents import make_document
from toolkit.labelstudio.backend.register import register_backend
from toolkit.labelstudio.client import connect, push

pytestmark = [pytest.mark.studio, pytest.mark.browser]

if CHROMIUM is None:
    pytest.skip("chromium not found (Debian: apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright (the browser driver) is not installed: pip install -e '.[dev]'"
)

TEXT = "Il portavoce di Velmora Tessari ha detto che la Russia ha spedito armi a Milano."
STEP_TIMEOUT_MS = 60_000
REGION = ".lsf-htx-richtext .htx-highlight"
# The regions of the annotation the editor shows (its store: window.Htx), as (text, label) pairs.
HIGHLIGHTED = """([selector, texts]) => {
  const shown = [...document.querySelectorAll(selector)].map(element => element.textContent).join("|");
  return texts.every(text => shown.includes(text));
}"""
SHOWN_REGIONS = """() => {
  const annotation = window.Htx?.annotationStore?.selected;
  return annotation ? annotation.regions.map(region => [region.text, region.labels?.[0] ?? null]) : [];
}"""


def test_the_editor_shows_the_backends_pre_annotations_on_a_fresh_task(label_studio, tmp_path):
    document = make_document("fresh", TEXT, "it")
    connection = connect(label_studio.url, label_studio.api_key)
    project_id = push(connection, label_studio.project_title("backend-browser"), {"fresh": document}).project_id
    (task,) = label_studio.client.tasks.list(project=project_id)
    assert list(label_studio.client.predictions.list(task=task.id)) == []
    record = predict_document(document)
    expected = sorted(
        [[entity["text"], entity["label"]] for entity in record["entities"]]
        + [[claim["text"], "CLAIM"] for claim in record["claims"]]
    )
    assert len(expected) >= 4

    credentials = label_studio.server.credentials
    with running_backends() as start:
        backend = start(tmp_path)
        register_backend(connection, project_id, backend.url)
        with browser_page(sync_api) as page:
            page.set_default_timeout(STEP_TIMEOUT_MS)  # the backend answers the editor's first request too
            log_in(page, label_studio.url, credentials)
            page.goto(f"{label_studio.url}/projects/{project_id}/data?task={task.id}")
            page.wait_for_function(f"({SHOWN_REGIONS})().length >= {len(expected)}")
            shown = sorted(page.evaluate(SHOWN_REGIONS))
            mentions = [entity["text"] for entity in record["entities"]]
            page.wait_for_function(HIGHLIGHTED, arg=[REGION, mentions])  # drawn where the annotator reads them
            page.screenshot(path=str(tmp_path / "editor-pre-annotated.png"))
    assert shown == expected
    # The list and the task are loaded at the same time, and the server may ask for both before it saved either:
    # the same prediction can be stored twice.
    stored = list(label_studio.client.predictions.list(task=task.id))
    assert stored and {(p.model_version, str(p.result)) for p in stored} == {("baseline-v0", str(stored[0].result))}
