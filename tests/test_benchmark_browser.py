"""The scoring program's detailed results (what Codabench shows for a submission) in a real headless Chromium:
the figures render, a hostile submission name stays text, no script runs."""

from __future__ import annotations

import json
import re
import zipfile
from html.parser import HTMLParser

import pytest
from benchmark_data import _submission, run_scoring_program
from editor_browser import chromium, dump
from leaderboard_data import XSS_NAME

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("hub_offline")]


class _Tables(HTMLParser):
    """The text of every table cell, row by row, per section id."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self.section = ""
        self.cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.section = dict(attrs).get("id", "")
        elif tag == "tr":
            self.rows.setdefault(self.section, []).append([])
        elif tag in {"td", "th"}:
            self.cell = True
            self.rows[self.section][-1].append("")

    def handle_endtag(self, tag):
        if tag in {"td", "th"}:
            self.cell = False

    def handle_data(self, data):
        if self.cell:
            self.rows[self.section][-1][-1] += data


def test_detailed_results_in_chromium(bundle, tmp_path):  # noqa: F811
    with zipfile.ZipFile(bundle["folder"] / "starting_kit" / "submission.zip") as archive:
        predictions = [json.loads(line) for line in archive.read("predictions.jsonl").decode("utf-8").splitlines()]
    submission = _submission(tmp_path / "hostile.zip", predictions, {"name": XSS_NAME})
    process, output = run_scoring_program(bundle["folder"], "validation", submission, tmp_path)
    assert process.returncode == 0, process.stderr
    page = output / "detailed_results.html"

    dom = dump(tmp_path / "profile", page)
    assert dom.title.startswith("voci: <script>"), "the name is the title's text, and no script renamed it"
    assert not any("data-pwned" in attributes for _, attributes in dom.tags)
    assert not any(tag in {"script", "img"} for tag, _ in dom.tags)

    tables = _Tables()
    tables.feed(chromium(tmp_path / "profile-dom", "--dump-dom", page.resolve().as_uri()).stdout)
    header, values = ([re.sub(r"\s+", " ", cell).strip() for cell in row] for row in tables.rows["headline"])
    assert header == [
        "Overall",
        "Entities F1 (strict)",
        "Claims F1 (overlap)",
        "Claimer accuracy",
        "Stance macro-F1",
        "End-to-end F1",
    ]
    assert re.fullmatch(r"\d+\.\d \[\d+\.\d–\d+\.\d\]", values[0]), values[0]
    layer_rows = tables.rows["layers"]
    assert any(row and row[0].strip() == XSS_NAME for row in layer_rows), "the name shown as text in every table"

    screenshot = tmp_path / "details.png"
    result = chromium(
        tmp_path / "profile-shot", f"--screenshot={screenshot}", "--window-size=1200,1800", page.resolve().as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
