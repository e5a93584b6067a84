"""One version, from the package metadata: `toolkit --version` and every signature say what pip installed."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from typer.testing import CliRunner

import toolkit
from toolkit.cli import app

REPO = Path(__file__).resolve().parent.parent


def test_version_option_prints_the_installed_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"voci-toolkit {version('voci-toolkit')}\n"
    assert toolkit.__version__ == version("voci-toolkit")


def test_the_signature_carries_whatever_version_the_metadata_says(tmp_path):
    """Metadata patched to 9.9.9 in a fresh interpreter: the eval signature follows (no version typed in the code)."""
    out, predictions = tmp_path / "scores.json", tmp_path / "predictions.jsonl"
    gold_id = json.loads((REPO / "annotations" / "gold.jsonl").read_text(encoding="utf-8").splitlines()[0])["id"]
    predictions.write_text(json.dumps({"id": gold_id, "entities": []}) + "\n", encoding="utf-8")
    script = f"""
import importlib.metadata as metadata
import sys

real = metadata.version
metadata.version = lambda name: "9.9.9" if name == "voci-toolkit" else real(name)
sys.argv = ["toolkit", "eval", {str(predictions)!r}, "--gold", "annotations/gold.jsonl",
            "--documents", "annotations/documents.jsonl", "--format", "json", "--out", {str(out)!r}]
from toolkit.cli import main
main()
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "|toolkit:9.9.9|" in json.loads(out.read_text(encoding="utf-8"))["signature"]
