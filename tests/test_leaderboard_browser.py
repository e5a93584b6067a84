"""The leaderboard page in a real headless Chromium, from ``file://``: ranking table, escaping, no script run,
a screenshot."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from editor_browser import CHROMIUM
from editor_browser import FLAGS as BROWSER_FLAGS

from tests.test_leaderboard import XSS_NAME, _board, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
if CHROMIUM is None:
    pytest.skip(
        "chromium not found (Debian: apt-get install -y chromium; `make test` tries to install it)",
        allow_module_level=True,
    )

FLAGS = [*BROWSER_FLAGS, "--disable-default-apps", "--mute-audio"]


def chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *arguments],
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


def test_control_an_unescaped_script_would_run_and_be_seen(tmp_path):
    """The detector works: the same payload, unescaped and without the page's CSP, does run in this browser."""
    page = tmp_path / "control.html"
    page.write_text(
        f"<!doctype html><html><head><title>control</title></head><body><p>{XSS_NAME}</p></body></html>",
        encoding="utf-8",
    )
    dom = dump(tmp_path / "profile", page)
    assert dom.title == "pwned"


def test_page_in_chromium(world, tmp_path):  # noqa: F811
    board, _ = _board(world)
    page = world / "out" / "index.html"
    dom = dump(tmp_path / "profile", page)

    assert dom.title == "voci leaderboard"  # the submission's script would have set it to 'pwned'
    assert not any("data-pwned" in attributes for _, attributes in dom.tags)
    assert not any(tag in {"script", "img"} for tag, _ in dom.tags)

    header, *rows = [[re.sub(r"\s+", " ", cell).strip() for cell in row] for row in dom.rows]
    assert header[:4] == ["Rank", "System", "Overall", "Entities F1 (strict)"]
    assert [(row[0], row[1]) for row in rows] == [
        ("1=", "Perfect Ada Lovelace · 2025-01-01"),
        ("1=", "Twin of perfect Grace Hopper same output, other name"),
        ("3", "Weaker"),
        ("4", XSS_NAME + " <b>bold?</b> | pipe"),
        ("5", "Entities only no overall: the predictions have no claims layer (no record has the key 'claims')"),
    ]
    weaker = board.entries[2]
    assert rows[2][2].startswith(f"{100 * weaker.overall:.1f}")
    assert rows[0][2].startswith("100.0") and rows[4][2].startswith("—")
    assert rows[1][2].replace(" ", "").startswith("100.0[100.0–100.0]†")

    screenshot = tmp_path / "leaderboard.png"
    result = chromium(
        tmp_path / "profile-shot",
        f"--screenshot={screenshot}",
        "--window-size=1280,2000",
        "--hide-scrollbars",
        page.resolve().as_uri(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
