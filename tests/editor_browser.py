"""Driving the real Label Studio editor in headless Chromium (Debian's /usr/bin/chromium, never a downloaded one)
by mouse and keyboard, as an annotator does; shared by the browser tests."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = (
    shutil.which("chromium")
    or shutil.which("chromium-browser")
    or next((p for p in ("/usr/bin/chromium",) if Path(p).exists()), None)
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
STEP_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 900}

# Client rectangle of a word in the editor's text: left edge of its first glyph, right edge of its last, and the
# vertical middle of each (words may wrap onto the next line; DOM offsets are UTF-16 units).
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
    return {left: first.left, right: last.right, middle: (first.top + first.bottom) / 2,
            lastMiddle: (last.top + last.bottom) / 2};
  }
  return null;
}"""
TEXT_ROOT = ".lsf-htx-richtext"
REGION = f"{TEXT_ROOT} .htx-highlight"
SELECTED_LABEL = ".lsf-labels .lsf-label_selected"
WARNING = ".ant-modal-confirm-warning"
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
# What the editor holds for each region (its own store, read only): text, and per control the chosen values.
REGIONS = """() => window.Htx.annotationStore.selected.regionStore.regions.map(region => ({
  text: region.text,
  values: Object.fromEntries(region.results.map(result => [result.from_name.name, result.mainValue])),
}))"""


def sync_api():
    """playwright's sync API, or a skip saying what is missing."""
    if CHROMIUM is None:
        pytest.skip("chromium not found (Debian: apt-get install -y chromium)")
    return pytest.importorskip(
        "playwright.sync_api", reason="playwright (the browser driver) is not installed: pip install -e '.[dev]'"
    )


@contextlib.contextmanager
def browser_page(playwright_api) -> Iterator:
    """A fresh page of a headless Chromium, closed afterwards."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(STEP_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def log_in(page, url: str, credentials) -> None:
    page.goto(f"{url}/user/login/")
    page.fill("#email", credentials.username)
    page.fill("#password", credentials.password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: "/user/login" not in address)


def open_task(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(EDITOR_SETTLED, arg=[TEXT_ROOT, QUIET_MS], polling=50)


def word_rect(page, word: str) -> dict:
    rect = page.evaluate(WORD_RECT, [TEXT_ROOT, word])
    assert rect is not None, f"{word!r} is not in the editor's text"
    return rect


def press_label(page, key: str, name: str) -> None:
    """A label's hotkey, then wait until the label bar shows it armed (a key pressed too early would be lost)."""
    page.keyboard.press(key)
    page.locator(SELECTED_LABEL, has_text=name).wait_for()


def drag_over(page, words: str) -> None:
    """Press on the first glyph, drag to the last, release: the editor turns the selection into a region."""
    rect = word_rect(page, words)
    page.mouse.move(rect["left"] + 1, rect["middle"])
    page.mouse.down()
    page.mouse.move((rect["left"] + rect["right"]) / 2, (rect["middle"] + rect["lastMiddle"]) / 2, steps=3)
    page.mouse.move(rect["right"] - 1, rect["lastMiddle"], steps=3)
    page.mouse.up()


def click_on(page, words: str) -> None:
    """A click on the first glyph of the words (inside them even when they wrap): selects the region there (or ends
    a relation on it)."""
    rect = word_rect(page, words)
    page.mouse.click(rect["left"] + 3, rect["middle"])


def regions(page) -> dict[str, dict]:
    return {region["text"]: region["values"] for region in page.evaluate(REGIONS)}


DUMP_FLAGS = [*FLAGS, "--disable-default-apps", "--mute-audio"]


def chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *DUMP_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class _Dom(HTMLParser):
    """Rows of the ranking table as cell texts, the title, and every tag with its attributes."""

    def __init__(self):
        super().__init__()
        self.title = ""
        self.rows: list[list[str]] = []
        self.tags: list[tuple[str, dict]] = []
        self._in = {"title": False, "ranking": False, "cell": False}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "title" and not any(name == "title" for name, _ in self.tags[:-1]):
            self._in["title"] = True  # the document's title, not an SVG <title>
        if tag == "table" and attributes.get("id") == "ranking-table":
            self._in["ranking"] = True
        if self._in["ranking"] and tag == "tr":
            self.rows.append([])
        if self._in["ranking"] and tag in {"td", "th"}:
            self._in["cell"] = True
            self.rows[-1].append("")
        elif self._in["cell"] and tag == "div":
            self.rows[-1][-1] += " "  # a block starts a new line of text

    def handle_endtag(self, tag):
        if tag == "title":
            self._in["title"] = False
        if tag == "table":
            self._in["ranking"] = False
        if tag in {"td", "th"}:
            self._in["cell"] = False

    def handle_data(self, data):
        if self._in["title"]:
            self.title += data
        elif self._in["ranking"] and self._in["cell"]:
            self.rows[-1][-1] += data


def dump(profile: Path, page: Path) -> _Dom:
    result = chromium(profile, "--dump-dom", page.resolve().as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _Dom()
    dom.feed(result.stdout)
    return dom
