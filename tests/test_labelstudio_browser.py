"""Spans drawn with the mouse in the real Label Studio editor (headless Chromium) come back from ``toolkit pull``
in code points.

The text has an emoji (two UTF-16 units, one code point), curly quotes and an elision before the
words, so an editor or exporter counting UTF-16 units, bytes or grapheme clusters would shift them.
The DOM selection is made by real mouse events on the rendered glyphs; the offsets are the editor's own.
"""

from __future__ import annotations

import pytest
from editor_browser import (
    REGION,
    SELECTED_LABEL,
    STEP_TIMEOUT_MS,
    browser_page,
    drag_over,
    log_in,
    open_task,
    sync_api,
)
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.files import read_jsonl, write_jsonl
from toolkit.inventory import load_inventory

pytestmark = [pytest.mark.studio, pytest.mark.browser]

TEXT = "Oggi 😀 l’ISTAT ha detto che “il PIL cresce”. Mario Rossi conferma."


def _label(name: str):
    (label,) = [label for label in load_inventory().entity_labels if label.name == name]
    return label


def _pick_label(page, label, how: str) -> None:
    """By its hotkey or a click, then wait until the editor shows it selected (a key pressed too early would be
    lost)."""
    if how == "hotkey":
        page.keyboard.press(label.hotkey)
    else:
        page.locator(".lsf-labels .lsf-label", has_text=label.name).first.click()
    page.locator(SELECTED_LABEL, has_text=label.name).wait_for()


def test_spans_drawn_in_the_editor_are_pulled_as_code_points(label_studio, tmp_path):
    title = label_studio.project_title("browser")
    documents = tmp_path / "docs.jsonl"
    write_jsonl(documents, [make_document("doc-browser", TEXT, "it")])
    pushed = CliRunner().invoke(
        app,
        ["push", str(documents), "--project", title, "--guidelines", str(tmp_path / "none.md")],
        env=label_studio.env(),
    )
    assert pushed.exit_code == 0, pushed.output
    (project,) = [p for p in label_studio.client.projects.list(title=title) if p.title == title]
    (task,) = label_studio.client.tasks.list(project=project.id)

    # ISTAT by the ORG hotkey, Mario Rossi by clicking the PER label: both ways an annotator picks a label
    drawn = [("ISTAT", _label("ORG"), "hotkey"), ("Mario Rossi", _label("PER"), "click")]
    credentials = label_studio.server.credentials
    outside_requests: list[str] = []
    playwright_api = sync_api()
    with browser_page(playwright_api) as page:
        page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith((label_studio.url, "data:", "blob:"))
                else outside_requests.append(request.url)
            ),
        )
        log_in(page, label_studio.url, credentials)
        open_task(page, f"{label_studio.url}/projects/{project.id}/data?task={task.id}")
        for count, (word, label, how) in enumerate(drawn, start=1):
            _pick_label(page, label, how)
            drag_over(page, word)
            playwright_api.expect(page.locator(REGION)).to_have_count(count, timeout=STEP_TIMEOUT_MS)
        assert page.locator(REGION).all_text_contents() == [word for word, _, _ in drawn]
        page.screenshot(path=str(tmp_path / "editor-regions.png"))

        with page.expect_response(
            lambda response: response.request.method == "POST" and f"/api/tasks/{task.id}/annotations" in response.url
        ) as submitted:
            page.get_by_role("button", name="Submit").click()
        assert submitted.value.status == 201, submitted.value.text()
    assert outside_requests == [], "the editor reached outside the local server"

    out = tmp_path / "pulled"
    pulled = CliRunner().invoke(
        app, ["pull", "--project", title, "--out", str(out), "--documents", str(documents)], env=label_studio.env()
    )
    assert pulled.exit_code == 0, pulled.output
    (record,) = read_jsonl(out / "annotators" / "admin-voci.local.jsonl")
    assert record["id"] == "doc-browser" and record["claims"] == []
    got = sorted((e["start"], e["end"], e["label"], e["text"]) for e in record["entities"])
    expected = [(TEXT.index(word), TEXT.index(word) + len(word), label.name, word) for word, label, _ in drawn]
    assert got == expected
    for start, end, _, text in got:
        assert TEXT[start:end] == text
        assert len(TEXT[:start].encode("utf-16-le")) // 2 == start + 1  # the emoji: UTF-16 offsets would be one more
