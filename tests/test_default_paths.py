"""Project files are defaults relative to the current folder; a missing default names the option that replaces it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """An empty folder outside the checkout, with a gold file and no annotations/ folder."""
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(REPO / "annotations" / "gold.jsonl", tmp_path / "gold.jsonl")
    shutil.copyfile(REPO / "annotations" / "documents.jsonl", tmp_path / "documents.jsonl")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "option", "default"),
    [
        (["validate", "gold.jsonl"], "--documents", "annotations/documents.jsonl"),
        (["eval", "gold.jsonl", "--gold", "gold.jsonl"], "--documents", "annotations/documents.jsonl"),
        (["build", "--out", "built"], "--documents", "annotations/documents.jsonl"),
        (["build", "--documents", "documents.jsonl", "--out", "built"], "--gold", "annotations/gold.jsonl"),
        (["agree", "gold.jsonl"], "--documents", "annotations/documents.jsonl"),
    ],
)
def test_a_missing_default_file_names_its_option(elsewhere, args, option, default):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    expected = (
        rf"error: \[E110\] {re.escape(default)}: file not found \(expected [^)]+\); "
        rf"it is the default of {option}, relative to the current folder: give {option} FILE"
    )
    assert re.fullmatch(expected, result.output.strip()), result.output
    assert "Traceback" not in result.output
    assert not (elsewhere / "built").exists()


def test_a_missing_file_given_explicitly_is_not_called_a_default(elsewhere):
    for args in (
        ["validate", "gold.jsonl", "--documents", "annotations/documents.jsonl"],
        ["validate", "gold.jsonl", "--documents=nope.jsonl"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "file not found (expected a JSONL file)" in result.output
        assert "default" not in result.output


def test_defaults_resolve_against_the_current_folder(elsewhere):
    (elsewhere / "annotations").mkdir()
    shutil.copyfile(elsewhere / "documents.jsonl", elsewhere / "annotations" / "documents.jsonl")
    result = runner.invoke(app, ["validate", "gold.jsonl"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid: gold.jsonl (1 annotation record)")


def test_validate_checks_records_against_the_documents_files_given_beside_them(elsewhere):
    """`toolkit validate documents.jsonl gold.jsonl` in any folder: no annotations/ needed."""
    result = runner.invoke(app, ["validate", "documents.jsonl", "gold.jsonl"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "valid: documents.jsonl (1 document record), gold.jsonl (1 annotation record)\n"
    document = json.loads((elsewhere / "documents.jsonl").read_text(encoding="utf-8"))
    other = make_document(document["id"], document["text"] + " Fine.", document["lang"])
    (elsewhere / "other.jsonl").write_text(json.dumps(other) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "other.jsonl", "gold.jsonl"])
    assert result.exit_code == 2
    assert f"gold.jsonl:1: text_sha256: does not match document {document['id']!r}" in result.output
    result = runner.invoke(app, ["validate", "documents.jsonl", "other.jsonl", "gold.jsonl"])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: [E200] other.jsonl: id {document['id']!r} comes with another text")
