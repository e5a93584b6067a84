"""The leaderboard page in a real headless Chromium, from ``file://``: ranking table, escaping, no script run,
a screenshot."""

from __future__ import annotations

import re

import pytest
from editor_browser import CHROMIUM, chromium, dump
from leaderboard_data import XSS_NAME, _board

pytestmark = pytest.mark.browser
if CHROMIUM is None:
    pytest.skip(
        "chromium not found (Debian: apt-get install -y chromium; `make test` tries to install it)",
        allow_module_level=True,
    )


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
