"""A corpus with train, validation and test documents (synthetic, plus the seed article in test), and the
predictions that match its gold exactly: what the blind-split and benchmark tests build on."""

from __future__ import annotations

import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.synthetic import synthetic_pair
from toolkit.files import read_jsonl, write_jsonl

REPO = Path(__file__).resolve().parent.parent
DOCKER_IMAGE = "ghcr.io/voci-project/voci-toolkit:0.1.0"
runner = CliRunner()
SPLIT_COUNTS = {"train": 10, "validation": 6, "test": 6}


def write_split_corpus(folder: Path, seed: int = 7) -> tuple[Path, Path]:
    """``documents.jsonl`` and ``gold.jsonl``: synthetic documents with explicit splits, and the seed article."""
    rng = random.Random(seed)
    documents, gold = [], []
    for split, count in SPLIT_COUNTS.items():
        for _ in range(count):
            document, record = synthetic_pair(len(documents), rng, sentences=8, split=split)
            documents.append(document)
            gold.append(record)
    documents += read_jsonl(REPO / "annotations" / "documents.jsonl")
    gold += read_jsonl(REPO / "annotations" / "gold.jsonl")
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "documents.jsonl", documents)
    write_jsonl(folder / "gold.jsonl", gold)
    return folder / "documents.jsonl", folder / "gold.jsonl"


def oracle_prediction(record: dict[str, Any]) -> dict[str, Any]:
    """The prediction record that reproduces a gold record (a named claimer given as its first mention)."""
    spans = {entity["id"]: entity for entity in record["entities"]}

    def claimer(claim: dict[str, Any]):
        if claim["claimer"]["kind"] != "entity":
            return claim["claimer"]["kind"].upper()
        mention = spans[claim["claimer"]["entity_ids"][0]]
        return {"start": mention["start"], "end": mention["end"]}

    return {
        "id": record["id"],
        "entities": [{key: entity[key] for key in ("start", "end", "label")} for entity in record["entities"]],
        "claims": [
            {"start": claim["start"], "end": claim["end"], "stance": claim["stance"], "claimer": claimer(claim)}
            for claim in record["claims"]
        ],
    }


def build(documents: Path, gold: Path, out: Path, *extra: str):
    card = out.parent / f"{out.name}-CARD.md"
    return runner.invoke(
        app,
        [
            "build",
            "--documents",
            str(documents),
            "--gold",
            str(gold),
            "--out",
            str(out),
            "--card",
            str(card),
            "--agreement",
            "no-such-folder/agreement.json",
            "--scores",
            "no-such-folder/scores.json",
            *extra,
        ],
    )


BUNDLE_OPTIONS = [
    "--development-start",
    "2026-01-05",
    "--test-start",
    "2026-03-02",
    "--docker-image",
    DOCKER_IMAGE,
    "--dataset",
    "voci-project/voci",
]


def _bundle(public: Path, private: Path, out: Path, *extra: str):
    return runner.invoke(
        app, ["benchmark-bundle", "--gold", str(private), "--public", str(public), "--out", str(out), *extra]
    )


def make_bundle(root: Path) -> dict:
    """A blind build of the split corpus and its Codabench bundle, unzipped."""
    documents, gold = write_split_corpus(root / "corpus")
    public, private = root / "dist" / "voci", root / "dist" / "private"
    result = build(documents, gold, public, "--blind", "test", "--private-out", str(private))
    assert result.exit_code == 0, result.output
    out = root / "dist" / "codabench.zip"
    made = _bundle(public, private, out, *BUNDLE_OPTIONS)
    assert made.exit_code == 0, made.output
    unzipped = root / "bundle"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(unzipped)
    return {
        "root": root,
        "documents": documents,
        "gold": gold,
        "public": public,
        "private": private,
        "zip": out,
        "folder": unzipped,
        "output": made.output,
        "yaml": yaml.safe_load((unzipped / "competition.yaml").read_text(encoding="utf-8")),
    }


def run_scoring_program(bundle_folder: Path, split: str, submission: Path, workdir: Path):
    """Lay out /app as the compute worker does and run metadata.yaml's command; returns (process, output)."""
    app_folder = workdir / "app"
    shutil.copytree(bundle_folder / "scoring_program", app_folder / "program")
    shutil.copytree(bundle_folder / "reference_data" / split, app_folder / "input" / "ref")
    with zipfile.ZipFile(submission) as archive:
        archive.extractall(app_folder / "input" / "res")
    (app_folder / "output").mkdir()
    metadata = yaml.safe_load((app_folder / "program" / "metadata.yaml").read_text(encoding="utf-8"))
    command = [argument.replace("/app/", f"{app_folder}/") for argument in shlex.split(metadata["command"])]
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.run(
        command, cwd=app_folder / "program", env=environment, capture_output=True, text=True, timeout=300
    )
    return process, app_folder / "output"


def _submission(path: Path, predictions: list[dict], meta: dict | None = None, folder: str = "") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(folder + "predictions.jsonl", "".join(json.dumps(record) + "\n" for record in predictions))
        if meta is not None:
            archive.writestr(folder + "meta.json", json.dumps(meta))
    return path
