"""The Python API: docs/api.md runs as written, its results are the command line's, and importing it is free."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path

import pytest

import toolkit

REPO = Path(__file__).resolve().parent.parent


def test_the_api_document_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    failures, attempted = doctest.testfile(
        str(REPO / "docs" / "api.md"), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert attempted > 20 and failures == 0


def test_every_public_name_is_importable_from_the_package():
    assert set(toolkit.__all__) <= set(dir(toolkit))
    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None
    with pytest.raises(AttributeError):
        toolkit.no_such_name  # noqa: B018


def test_importing_the_package_or_starting_a_command_loads_no_scorer():
    """Every command imports ``toolkit``: its public names must not pull numpy or the scorer into `toolkit validate`."""
    code = (
        "import sys\nfrom toolkit.cli import main\nsys.argv = ['toolkit', 'validate', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import toolkit\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('numpy', 'msgspec')"
        " or name.startswith('toolkit.scoring')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("form", ["file", "records"])
def test_the_api_result_is_the_command_lines(tmp_path, form):
    """`Scorer(...).score(...).result(...).to_dict()` equals ``toolkit eval --format json`` for the same inputs."""
    from toolkit import Scorer
    from toolkit.baseline import predict_document
    from toolkit.files import read_jsonl, write_jsonl
    from toolkit.validate import load_documents

    gold, documents = REPO / "annotations" / "gold.jsonl", REPO / "annotations" / "documents.jsonl"
    predictions = tmp_path / "predictions.jsonl"
    write_jsonl(predictions, [predict_document(document) for document in load_documents(documents).values()])
    command = [sys.executable, "-m", "toolkit", "eval", str(predictions), "--gold", str(gold)]
    command += ["--documents", str(documents), "--bootstrap", "300", "--seed", "4", "--format", "json"]
    cli = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    source = predictions if form == "file" else read_jsonl(predictions)
    assert Scorer(gold, documents).score(source).result(bootstrap=300, seed=4).to_dict() == cli
