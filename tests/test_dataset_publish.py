"""`toolkit publish`: dry run, refusals, no token, no network; the token is never printed."""

from __future__ import annotations

import hashlib
import socket

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.build import BUILD_MANIFEST, build_dataset
from toolkit.dataset.card import CardInputs
from toolkit.dataset.synthetic import write_synthetic_corpus

runner = CliRunner()
SECRET = "hf_test_secret_value_never_shown"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    base = tmp_path_factory.mktemp("publish")
    documents, gold = write_synthetic_corpus(base, 4, seed=9)
    build_dataset(
        documents, gold, base / "voci", card_inputs=CardInputs(agreement=base / "missing", scores=base / "missing")
    )
    return base / "voci"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dry_run_lists_every_file_with_size_and_hash(folder, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    result = runner.invoke(app, ["publish", str(folder), "--repo", "voci-org/voci", "--dry-run"])
    assert result.exit_code == 0, result.output
    listed = [line.split() for line in result.stdout.strip().splitlines()]
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and path.parent.name != "scoring" and path.name != BUILD_MANIFEST
    )
    assert list((folder / "scoring").glob("*.npz"))  # the gold compiled for the local scorer is not uploaded
    assert [row[2] for row in listed] == [path.relative_to(folder).as_posix() for path in files]
    for (size, digest, _), path in zip(listed, files, strict=True):
        assert int(size) == path.stat().st_size and digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"dry run: {len(files)} files" in result.output


def test_missing_token_is_a_clear_error(folder, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    result = runner.invoke(app, ["publish", str(folder), "--repo", "voci-org/voci"])
    assert result.exit_code == 2
    assert "no Hugging Face token: set HF_TOKEN" in result.output and "Traceback" not in result.output


def test_no_network_exits_3_without_showing_the_token(folder, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    result = runner.invoke(app, ["publish", str(folder), "--repo", "voci-org/voci"])
    assert result.exit_code == 3
    assert "cannot reach the Hugging Face Hub" in result.output and SECRET not in result.output
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = runner.invoke(app, ["publish", str(folder), "--repo", "voci-org/voci"])
    assert result.exit_code == 3 and "HF_HUB_OFFLINE is set" in result.output and SECRET not in result.output


@pytest.mark.parametrize("repo", ["voci", "a/b/c", "org/na me", "org/-x", "../x"])
def test_bad_repo_id_is_refused(folder, repo):
    result = runner.invoke(app, ["publish", str(folder), "--repo", repo, "--dry-run"])
    assert result.exit_code == 2 and "is not a Hub repo id" in result.output


def test_folder_that_differs_from_its_card_is_refused(tmp_path, folder):
    import shutil

    copy = tmp_path / "voci"
    shutil.copytree(folder, copy)
    (copy / "ner" / "extra-00000-of-00001.parquet").write_bytes(
        (copy / "ner" / "train-00000-of-00001.parquet").read_bytes()
    )
    result = runner.invoke(app, ["publish", str(copy), "--repo", "voci-org/voci", "--dry-run"])
    assert result.exit_code == 2 and "not in the card: ner/extra-00000-of-00001.parquet" in result.output
    result = runner.invoke(app, ["publish", str(tmp_path / "nothing"), "--repo", "voci-org/voci", "--dry-run"])
    assert result.exit_code == 2 and "not a folder written by `toolkit build`" in result.output
