"""The figures committed under annotations/ are what `make release` computes from the repo's inputs (no drift).

The dataset card quotes `annotations/agreement.json` and `annotations/baseline_scores.json`; if either were
stale, the card would publish numbers nobody can reproduce.  Each test reruns the release step by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)
    return REPO


def test_agreement_json_matches_a_fresh_run(in_repo, tmp_path):
    annotator_folder = in_repo / "annotations" / "annotators"
    inputs = sorted(str(path.relative_to(in_repo)) for path in annotator_folder.glob("*.jsonl")) or [
        "annotations/gold.jsonl"
    ]
    out = tmp_path / "agreement.json"
    result = runner.invoke(
        app, ["agree", *inputs, "--documents", "annotations/documents.jsonl", "--format", "json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(
        (in_repo / "annotations" / "agreement.json").read_text(encoding="utf-8")
    ), "annotations/agreement.json is stale: run `make release`"


def test_baseline_scores_match_a_fresh_run(in_repo, tmp_path):
    predictions = tmp_path / "predictions.jsonl"
    assert runner.invoke(app, ["baseline", "annotations/documents.jsonl", "--out", str(predictions)]).exit_code == 0
    out = tmp_path / "scores.json"
    args = ["eval", str(predictions), "--gold", "annotations/gold.jsonl", "--documents", "annotations/documents.jsonl"]
    result = runner.invoke(app, [*args, "--bootstrap", "1000", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    committed = json.loads((in_repo / "annotations" / "baseline_scores.json").read_text(encoding="utf-8"))
    assert json.loads(out.read_text(encoding="utf-8")) == committed, (
        "annotations/baseline_scores.json is stale: run `make release`"
    )
    assert committed["signature"].startswith("voci-eval:") and committed["ci"] is not None
