"""The toolkit as a pip user gets it: the wheel and the sdist built from this checkout, installed (not editable) into
an isolated environment, run from a folder outside the checkout; every output equals the checkout's own run.

The isolated environment is a fresh venv holding only the built package; the dependencies are reached through a
``.pth`` line naming this venv's site-packages (a plain path entry: the editable install's hook there is never
run).  A test proves which copy of ``toolkit`` runs.  Built once per module: about half a minute in all.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.core_venv import empty_venv

REPO = Path(__file__).resolve().parent.parent
CHECKOUT_TOOLKIT = Path(sys.executable).parent / "toolkit"
PREDICTIONS = "dist/submissions/baseline/predictions.jsonl"
# `make release`, step by step, with every project file at its default place (relative to the current folder).
RELEASE = [
    ["validate", "annotations/documents.jsonl", "annotations/gold.jsonl"],
    ["baseline", "annotations/documents.jsonl", "--out", PREDICTIONS],
    ["eval", PREDICTIONS, "--gold", "annotations/gold.jsonl", "--documents", "annotations/documents.jsonl"],
    [
        *["eval", PREDICTIONS, "--gold", "annotations/gold.jsonl", "--documents", "annotations/documents.jsonl"],
        *["--bootstrap", "1000", "--format", "json", "--out", "scores-jsonl-gold.json"],
    ],
    ["build", "--out", "dist/voci"],
    [
        *["eval", PREDICTIONS, "--gold", "dist/voci", "--split", "test"],
        *["--bootstrap", "1000", "--format", "json", "--out", "scores-built-gold.json"],
    ],
    ["config", "--out", "label_config.xml", "--instructions-out", "instructions.html"],
    ["leaderboard", "dist/submissions", "--gold", "dist/voci", "--split", "test", "--out", "dist/leaderboard"],
]
# The three commands of issue 12, in a folder holding nothing but a documents file and a gold file.
FIRST_STEPS = [
    ["validate", "documents.jsonl", "gold.jsonl"],
    ["baseline", "documents.jsonl", "--out", "p.jsonl"],
    ["eval", "p.jsonl", "--gold", "gold.jsonl", "--documents", "documents.jsonl"],
]


@dataclass(frozen=True)
class Environment:
    python: Path
    toolkit: Path
    site_packages: Path


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(cwd.parent / "hf-home"))
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done


def _source_copy(target: Path) -> Path:
    """The checkout's files (tracked or new, not ignored) copied away, so that building writes nothing here."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    return target


def _isolated(folder: Path, package: Path) -> Environment:
    """A venv with only ``package`` installed (no pip, no editable hook); dependencies through a plain path line."""
    python, site_packages = empty_venv(folder)
    (site_packages / "voci-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet"]
    _run([*install, "--no-build-isolation", package], folder.parent)
    return Environment(python, folder / "bin" / "toolkit", site_packages)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The wheel and the sdist, each built once from a copy of the checkout."""
    root = tmp_path_factory.mktemp("built")
    source = _source_copy(root / "source")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", root / "wheel", source], root
    )
    _run(
        [sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(root / 'sdist')!r})"],
        source,
    )
    (wheel,) = (root / "wheel").glob("*.whl")
    (sdist,) = (root / "sdist").glob("*.tar.gz")
    return wheel, sdist


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    return _isolated(tmp_path_factory.mktemp("wheel-env") / "venv", built[0])


def _project(folder: Path) -> Path:
    """A project folder outside the checkout: the repo's inputs at their default places, nothing else."""
    for name in ("documents.jsonl", "gold.jsonl", "agreement.json", "baseline_scores.json"):
        (folder / "annotations").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "annotations" / name, folder / "annotations" / name)
    return folder


def _release(toolkit: Path, folder: Path) -> list[str]:
    outputs = []
    for command in RELEASE:
        if command[0] == "leaderboard":
            shutil.copyfile(REPO / "submissions/baseline/meta.json", folder / "dist/submissions/baseline/meta.json")
        done = _run([toolkit, *command], folder)
        outputs.append(f"$ toolkit {' '.join(command)}\n{done.stdout}{done.stderr}")
    return outputs


def _files(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def test_the_installed_copy_is_what_runs(installed, tmp_path):
    """Not the checkout: ``toolkit`` comes from the isolated site-packages, installed from the wheel, not editable."""
    script = (
        "import json, sys, importlib.metadata as m, toolkit; d = m.distribution('voci-toolkit'); "
        "print(json.dumps({'file': toolkit.__file__, 'path': sys.path, 'modules': sorted(sys.modules), "
        "'direct_url': d.read_text('direct_url.json'), 'dist': str(d.locate_file(''))}))"
    )
    seen = json.loads(_run([installed.python, "-c", script], tmp_path).stdout)
    assert Path(seen["file"]) == installed.site_packages / "toolkit" / "__init__.py"
    assert Path(seen["dist"]) == installed.site_packages
    assert "archive_info" in json.loads(seen["direct_url"]), "installed from the wheel file, not from a folder"
    assert not any("editable" in module for module in seen["modules"]), "the editable install's hook was not run"
    importable = [entry for entry in seen["path"] if entry and (Path(entry) / "toolkit" / "__init__.py").is_file()]
    assert importable == [str(installed.site_packages)], "no checkout folder on sys.path"
    assert installed.toolkit.read_text().startswith(f"#!{installed.python}")


def test_the_wheel_carries_everything_read_at_run_time(built):
    names = set(zipfile.ZipFile(built[0]).namelist())
    for name in (
        "toolkit/resources/labels.json",
        "toolkit/resources/guidelines.md",
        "toolkit/resources/document.schema.json",
        "toolkit/resources/annotation.schema.json",
        "toolkit/resources/prediction.schema.json",
        "toolkit/baseline/lexicon.json",
        "toolkit/dataset/templates/card.md.j2",
    ):
        assert name in names
    assert not any(name.startswith(("schemas/", "docs/", "annotations/", "tests/")) for name in names)


def test_the_release_outside_the_checkout_equals_the_checkouts_own(installed, tmp_path):
    """validate, baseline, eval (JSONL gold and built folder), build, config and leaderboard: same bytes, same
    messages; and the figures and card the repo commits are what the installed wheel computes."""
    mine = _release(installed.toolkit, _project(tmp_path / "installed"))
    theirs = _release(CHECKOUT_TOOLKIT, _project(tmp_path / "checkout"))
    assert mine == theirs
    assert mine[0].endswith("(1 document record), annotations/gold.jsonl (1 annotation record)\n")
    assert _files(tmp_path / "installed") == _files(tmp_path / "checkout")
    for name in _files(tmp_path / "installed"):
        assert filecmp.cmp(tmp_path / "installed" / name, tmp_path / "checkout" / name, shallow=False), name
    for name in ("dist/voci/documents/test-00000-of-00001.parquet", "dist/leaderboard/index.html", "label_config.xml"):
        assert name in _files(tmp_path / "installed")
    assert (tmp_path / "installed/DATASET_CARD.md").read_bytes() == (REPO / "DATASET_CARD.md").read_bytes()
    committed = json.loads((REPO / "annotations/baseline_scores.json").read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "installed/scores-jsonl-gold.json").read_text(encoding="utf-8")) == committed


def test_the_first_three_commands_work_in_any_folder(installed, tmp_path):
    runs = {}
    for name, toolkit in (("installed", installed.toolkit), ("checkout", CHECKOUT_TOOLKIT)):
        folder = tmp_path / name
        folder.mkdir()
        for file in ("documents.jsonl", "gold.jsonl"):
            shutil.copyfile(REPO / "annotations" / file, folder / file)
        runs[name] = [_run([toolkit, *command], folder) for command in FIRST_STEPS]
        assert _files(folder) == ["documents.jsonl", "gold.jsonl", "p.jsonl"]
    assert [(r.stdout, r.stderr) for r in runs["installed"]] == [(r.stdout, r.stderr) for r in runs["checkout"]]
    validate, _, evaluate = runs["installed"]
    assert validate.stdout == "valid: documents.jsonl (1 document record), gold.jsonl (1 annotation record)\n"
    assert evaluate.stdout.startswith("signature: voci-eval:2.0|toolkit:0.1.0|gold:")


def test_the_sdist_carries_what_the_wheel_needs_and_installs(built, tmp_path):
    """A wheel built from the sdist holds the same files; the sdist installed on its own runs the first steps."""
    wheel, sdist = built
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", "again", sdist], tmp_path)
    (again,) = (tmp_path / "again").glob("*.whl")

    def contents(path: Path) -> set[str]:
        return {name for name in zipfile.ZipFile(path).namelist() if ".dist-info/" not in name}

    assert contents(again) == contents(wheel)
    environment = _isolated(tmp_path / "sdist-env", sdist)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    for file in ("documents.jsonl", "gold.jsonl"):
        shutil.copyfile(REPO / "annotations" / file, folder / file)
    for command in FIRST_STEPS:
        _run([environment.toolkit, *command], folder)
    done = _run([environment.python, "-c", "import toolkit; print(toolkit.__file__)"], folder)
    assert Path(done.stdout.strip()) == environment.site_packages / "toolkit" / "__init__.py"
