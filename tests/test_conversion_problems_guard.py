"""`agree`, `adjudicate` and `build` refuse to run on a pull whose conversion problems are still open."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.files import read_jsonl, write_jsonl

REPO = Path(__file__).resolve().parents[1]
PROBLEM = (
    "task 7 (document kim-putin), annotation 12 by anna@example.org: CLAIM “la Russia” 10..19: no stance "
    "(expected one of: SUPPORT, REFUTE, NEUTRAL) — http://127.0.0.1:8080/projects/1/data?task=7\n"
)


@pytest.fixture
def pulled(tmp_path):
    """A pull's folder: documents, two annotators' files (the seed gold twice), the problems file, a gold file."""
    folder = tmp_path / "annotations"
    (folder / "annotators").mkdir(parents=True)
    shutil.copy(REPO / "annotations" / "documents.jsonl", folder / "documents.jsonl")
    gold = read_jsonl(REPO / "annotations" / "gold.jsonl")
    for name in ("anna", "bob"):
        write_jsonl(folder / "annotators" / f"{name}.jsonl", [dict(record, annotator=name) for record in gold])
    shutil.copy(REPO / "annotations" / "gold.jsonl", folder / "gold.jsonl")
    (folder / "conversion-problems.txt").write_text(PROBLEM, encoding="utf-8")
    return folder


def _commands(folder: Path, tmp_path: Path) -> dict[str, list[str]]:
    annotators = [str(folder / "annotators" / "anna.jsonl"), str(folder / "annotators" / "bob.jsonl")]
    documents = ["--documents", str(folder / "documents.jsonl")]
    return {
        "agree": ["agree", *annotators, *documents],
        "adjudicate": ["adjudicate", *annotators, *documents, "--out", str(tmp_path / "gold-out.jsonl")],
        "build": [
            "build",
            *documents,
            "--gold",
            str(folder / "gold.jsonl"),
            "--out",
            str(tmp_path / "dataset"),
            "--card",
            str(tmp_path / "CARD.md"),
        ],
    }


@pytest.mark.parametrize("command", ["agree", "adjudicate", "build"])
def test_refuses_while_problems_are_listed_naming_the_file(pulled, tmp_path, command):
    result = CliRunner().invoke(app, _commands(pulled, tmp_path)[command])
    assert result.exit_code == 2, result.output
    problems = pulled / "conversion-problems.txt"
    assert result.output.strip().splitlines() == [
        f"error: [E100] {problems}: lists 1 problem(s) from the last pull: those annotations are missing from the "
        "per-annotator files (fix them in Label Studio and pull again, or pass --allow-problems)"
    ]
    assert not (tmp_path / "gold-out.jsonl").exists() and not (tmp_path / "dataset").exists()


@pytest.mark.parametrize("command", ["agree", "adjudicate", "build"])
def test_allow_problems_runs_with_a_warning(pulled, tmp_path, command):
    result = CliRunner().invoke(app, [*_commands(pulled, tmp_path)[command], "--allow-problems"])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and "conversion-problems.txt: lists 1 problem(s)" in result.output


@pytest.mark.parametrize("command", ["agree", "adjudicate", "build"])
def test_runs_once_the_problems_file_is_empty(pulled, tmp_path, command):
    (pulled / "conversion-problems.txt").write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, _commands(pulled, tmp_path)[command])
    assert result.exit_code == 0, result.output
    assert "conversion-problems" not in result.output
