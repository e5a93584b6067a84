"""Spans drawn with the mouse in the real Label Studio editor (headless Chromium) come back from ``toolkit pull``
in code points.

The text has an emoji (two UTF-16 units, one code point), curly quotes and an elision before the
words, so an editor or exporter counting UTF-16 units, bytes or grapheme clusters would shift them.
The DOM selection is made by real mouse events on the rendered glyphs; the offsets are the editor's own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.files import read_jsonl, write_jsonl
from toolkit.inventory import load_inventory

pytestmark = [pytest.mark.studio, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or next((p for p in ("/usr/bin/chromium",) if Path(p).exists()), None)
if CHROMIUM is None:
    pytest.skip("chromium not found (Debian: apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright (the browser driver) is not installed: pip install -e '.[dev]'"
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEXT = "Oggi 😀 l’ISTAT ha detto che “il PIL cresce”. Mario Rossi conferma."
STEP_TIMEOUT_MS = 30_000

# Client rectangle of a word in the editor's text: left edge of its first glyph, right edge of its last
# (DOM offsets are UTF-16 units).
WORD_RECT = """([root, word]) => {
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + 1);
    const first = range.getBoundingClientRect();
    range.setStart(node, at + word.length - 1); range.setEnd(node, at + word.length);
    const last = range.getBoundingClientRect();
    return {left: first.left, right: last.right, middle: (first.top + first.bottom) / 2};
  }
  return null;
}"""
TEXT_ROOT = ".lsf-htx-richtext"
REGION = f"{TEXT_ROOT} .htx-highlight"
SELECTED_LABEL = ".lsf-labels .lsf-label_selected"
# The quick view mounts the editor twice (task from the list, then the full task): a drag on the first mount is lost.
# Settled = the editor's store (window.Htx) is not loading, and the same text element and annotation have stayed
# for QUIET_MS.
QUIET_MS = 500
EDITOR_SETTLED = """([root, quiet]) => {
  const store = window.Htx, text = document.querySelector(root);
  const annotation = store && !store.isLoading && text ? store.annotationStore.selected?.id : null;
  const seen = window.__editorSeen, now = performance.now();
  if (!annotation || !seen || seen.text !== text || seen.annotation !== annotation) {
    window.__editorSeen = {text, annotation, since: now};
    return false;
  }
  return now - seen.since >= quiet;
}"""


def _label(name: str):
    (label,) = [label for label in load_inventory().entity_labels if label.name == name]
    return label


def _open_task(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(EDITOR_SETTLED, arg=[TEXT_ROOT, QUIET_MS], polling=50)


def _pick_label(page, label, how: str) -> None:
    """By its hotkey or a click, then wait until the editor shows it selected (a key pressed too early would be
    lost)."""
    if how == "hotkey":
        page.keyboard.press(label.hotkey)
    else:
        page.locator(".lsf-labels .lsf-label", has_text=label.name).first.click()
    page.locator(SELECTED_LABEL, has_text=label.name).wait_for()


def _drag_over(page, word: str) -> None:
    """Press on the word's first glyph, drag to its last, release: the editor turns the selection into a region."""
    rect = page.evaluate(WORD_RECT, [TEXT_ROOT, word])
    assert rect is not None, f"{word!r} is not in the editor's text"
    page.mouse.move(rect["left"] + 1, rect["middle"])
    page.mouse.down()
    page.mouse.move((rect["left"] + rect["right"]) / 2, rect["middle"], steps=3)
    page.mouse.move(rect["right"] - 1, rect["middle"], steps=3)
    page.mouse.up()


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
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            page.on(
                "request",
                lambda request: (
                    None
                    if request.url.startswith((label_studio.url, "data:", "blob:"))
                    else outside_requests.append(request.url)
                ),
            )
            page.goto(f"{label_studio.url}/user/login/")
            page.fill("#email", credentials.username)
            page.fill("#password", credentials.password)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/user/login" not in url)

            _open_task(page, f"{label_studio.url}/projects/{project.id}/data?task={task.id}")
            for count, (word, label, how) in enumerate(drawn, start=1):
                _pick_label(page, label, how)
                _drag_over(page, word)
                sync_api.expect(page.locator(REGION)).to_have_count(count, timeout=STEP_TIMEOUT_MS)
            assert page.locator(REGION).all_text_contents() == [word for word, _, _ in drawn]
            page.screenshot(path=str(tmp_path / "editor-regions.png"))

            with page.expect_response(
                lambda response: (
                    response.request.method == "POST" and f"/api/tasks/{task.id}/annotations" in response.url
                )
            ) as submitted:
                page.get_by_role("button", name="Submit").click()
            assert submitted.value.status == 201, submitted.value.text()
        finally:
            browser.close()
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
