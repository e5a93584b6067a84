"""docs/api.md "Score any model's output" runs as written: its Python blocks in one namespace, its shell blocks with
this venv's `toolkit`, in a folder holding only the voci documents and gold; blocks marked `<!-- not run: ... -->`
(a model download) are the only ones skipped."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Score any model's output"
FENCE = re.compile(r"(?P<marker><!-- not run: [^>]*-->\n)?```(?P<language>python|sh)\n(?P<code>.*?)```", re.DOTALL)


def _section() -> str:
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end >= 0 else len(text)]


def test_the_section_runs_as_written(tmp_path, monkeypatch):
    for name in ("documents.jsonl", "gold.jsonl"):
        shutil.copyfile(REPO / "annotations" / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    namespace: dict = {"__name__": "docs_api"}
    printed = io.StringIO()
    ran, skipped = [], []
    for block in FENCE.finditer(_section()):
        if block["marker"]:
            skipped.append(block["code"])
            continue
        if block["language"] == "python":
            with contextlib.redirect_stdout(printed):
                exec(compile(block["code"], "docs/api.md", "exec"), namespace)
        else:
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block["code"]], env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, f"{block['code']}\n{done.stdout}{done.stderr}"
            printed.write(done.stdout)
        ran.append(block["language"])
    assert ran == ["python", "python", "sh", "python", "python", "sh"]
    assert len(skipped) == 1 and "pipeline(" in skipped[0]

    # the spaCy model: its entities scored; the DocBin through the CLI gives the same records and figures
    spacy_records = [json.loads(line) for line in Path("predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["text"], e["label"]) for e in spacy_records[0]["entities"]][:3] == [
        ("Kim Jong Un", "PER"),
        ("Russia", "GPE"),
        ("Vladimir Putin", "PER"),
    ]
    assert Path("from-docbin.jsonl").read_text(encoding="utf-8") == Path("predictions.jsonl").read_text(
        encoding="utf-8"
    )
    result = namespace["result"].to_dict()
    assert json.loads(Path("scores.json").read_text(encoding="utf-8"))["entities"] == result["entities"]
    assert 0 < result["entities"]["strict"]["f1"] < 1 and result["entities"]["strict"]["precision"] == 1.0
    assert f"entities, strict F1: {round(result['entities']['strict']['f1'], 4)}" in printed.getvalue()

    # the transformers output: MISC dropped, LOC mapped, scores kept; Python and CLI agree
    pipeline_records = [
        json.loads(line) for line in Path("from-pipeline.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert pipeline_records == [
        json.loads(line) for line in Path("transformers-predictions.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [(e["text"], e["label"], e["score"]) for e in pipeline_records[0]["entities"]] == [
        ("Kim Jong Un", "PER", 0.998),
        ("Russia", "GPE", 0.991),
    ]
    assert printed.getvalue().count("voci-eval:2.0|toolkit:") == 3  # two signatures printed in Python, one table
