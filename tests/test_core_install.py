"""The core install (`pip install voci-toolkit`, no extra) as a model builder gets it: every command either works or
says in one line which extra it needs (exit 2); the scorer's figures equal those of the full install.

The core venv holds the wheel built from this checkout and only the core's distributions (`tests.core_venv`): an
extra's module imported by a core command fails here as it would for a user.  Built once per module, offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.core_venv import core_distributions, core_venv
from tests.test_wheel import _source_copy
from toolkit.cli import COMMAND_EXTRAS, COMMAND_MODULES
from toolkit.extras import EXTRA_MODULES

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS, GOLD = "annotations/documents.jsonl", "annotations/gold.jsonl"


def _environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return {**env, "HF_HUB_OFFLINE": "1", **extra}


def _run(command: list, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=_environment(**extra), capture_output=True)


@pytest.fixture(scope="module")
def core(tmp_path_factory) -> Path:
    """bin/ of the core-only venv."""
    root = tmp_path_factory.mktemp("core")
    source = _source_copy(root / "source")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", root / "wheel", source]
    assert _run(build, root).returncode == 0
    (wheel,) = (root / "wheel").glob("*.whl")
    return core_venv(root / "venv", wheel)


@pytest.fixture
def project(tmp_path) -> Path:
    for name in (DOCUMENTS, GOLD):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, tmp_path / name)
    return tmp_path


def _full() -> list:
    """The full install: this checkout, run by the test's own interpreter (every extra installed)."""
    script = f"import sys; sys.path.insert(0, {str(REPO)!r}); from toolkit.cli import main; main()"
    return [sys.executable, "-c", script]


def _name(module: str) -> str:
    return module.replace("_", "-")


def test_the_core_venv_has_no_extra(core, tmp_path):
    """The premise: none of an extra's modules can be imported there, every core distribution can."""
    modules = sorted({module for modules in EXTRA_MODULES.values() for module in modules})
    script = f"import importlib.util as u; print([m for m in {modules!r} if u.find_spec(m)])"
    assert _run([core / "python", "-c", script], tmp_path).stdout.decode().strip() == "[]"
    (wheel,) = (core.parent.parent / "wheel").glob("*.whl")
    assert len(core_distributions(wheel)) + 1 <= 35  # the target, the toolkit included


def test_every_command_works_or_names_its_extra(core, tmp_path):
    listing = _run([core / "toolkit", "--help"], tmp_path)
    assert listing.returncode == 0
    for module in COMMAND_MODULES:
        name = _name(module)
        assert f" {name} " in listing.stdout.decode(), f"{name} is listed in toolkit --help"
        for args in ([name], [name, "--help"], [name, "x", "--out", "y"]):
            done = _run([core / "toolkit", *args], tmp_path)
            if module in COMMAND_EXTRAS:
                extra = COMMAND_EXTRAS[module]
                line = f"toolkit {name} needs the '{extra}' extra: pip install 'voci-toolkit[{extra}]'\n"
                assert (done.returncode, done.stdout, done.stderr.decode()) == (2, b"", line), args
            elif args[-1] == "--help":
                assert done.returncode == 0 and b"Usage: toolkit " + name.encode() in done.stdout, done.stderr
            else:  # no input or a missing one: a usage or input error, one line, never a traceback
                assert done.returncode == 2 and done.stderr.count(b"\n") == 1, (args, done.stderr)
    assert not (tmp_path / "y").exists()


def test_the_core_commands_run(core, project):
    toolkit = core / "toolkit"
    steps = [
        ["validate", DOCUMENTS, GOLD],
        ["baseline", DOCUMENTS, "--out", "subs/baseline/predictions.jsonl"],
        ["eval", "subs/baseline/predictions.jsonl", "--gold", GOLD, "--documents", DOCUMENTS],
        ["compare", "subs/baseline/predictions.jsonl", "subs/baseline/predictions.jsonl", "--gold", GOLD],
        ["config", "--out", "label_config.xml"],
        ["tasks", DOCUMENTS, "--out", "tasks.json"],
    ]
    for step in steps:
        done = _run([toolkit, *step], project)
        assert done.returncode == 0, (step, done.stderr)
    shutil.copyfile(REPO / "submissions/baseline/meta.json", project / "subs/baseline/meta.json")
    done = _run([toolkit, "leaderboard", "subs", "--gold", GOLD, "--out", "board"], project)
    assert done.returncode == 0 and (project / "board/leaderboard.json").is_file(), done.stderr
    stats = json.loads(_run([toolkit, "stats", GOLD, "--format", "json"], project).stdout)
    full = json.loads(_run([*_full(), "stats", GOLD, "--format", "json"], project).stdout)
    assert stats["tokens"] is None and full["tokens"] > 0  # spaCy's count, or none: never another tokenizer's
    assert {**stats, "tokens": full["tokens"]} == full
    text = _run([toolkit, "stats", GOLD], project).stdout.decode()
    assert "tokens       not counted (spaCy's tokenizer: pip install 'voci-toolkit[spacy]')\n" in text
    spacy = _run([toolkit, "convert-predictions", DOCUMENTS, "--format", "spacy", "--out", "p.jsonl"], project)
    line = "toolkit convert-predictions needs the 'spacy' extra: pip install 'voci-toolkit[spacy]'\n"
    assert (spacy.returncode, spacy.stderr.decode()) == (2, line)
    assert not (project / "p.jsonl").exists()


def test_the_figures_do_not_depend_on_the_extras(core, project):
    """eval's JSON from the core and from the full install, on a gold JSONL and on a built folder: identical."""
    predictions = "p.jsonl"
    assert _run([*_full(), "baseline", DOCUMENTS, "--out", predictions], project).returncode == 0
    assert _run([*_full(), "build", "--out", "built"], project).returncode == 0
    for gold in (["--gold", GOLD, "--documents", DOCUMENTS], ["--gold", "built", "--split", "test"]):
        command = ["eval", predictions, *gold, "--bootstrap", "200", "--format", "json"]
        mine, theirs = _run([core / "toolkit", *command], project), _run([*_full(), *command], project)
        assert mine.returncode == theirs.returncode == 0, mine.stderr + theirs.stderr
        assert json.loads(mine.stdout) == json.loads(theirs.stdout)
        assert json.loads(mine.stdout)["overall"] > 0
    # CoNLL and NewsClaims files from the built folder's sentences, as the full install writes them; without the
    # folder, the one line says both ways out (spaCy's tokenizer, or --segments)
    for fmt in ("conll", "newsclaims"):
        command = ["export", predictions, "--documents", DOCUMENTS, "--format", fmt, "--segments", "built"]
        mine, theirs = (
            _run([*toolkit, *command, "--out", f"{fmt}.{n}"], project)
            for n, toolkit in enumerate(([core / "toolkit"], _full()))
        )
        assert mine.returncode == theirs.returncode == 0, mine.stderr + theirs.stderr
        assert (project / f"{fmt}.0").read_bytes() == (project / f"{fmt}.1").read_bytes()
        refused = _run([core / "toolkit", *command[:-2], "--out", f"{fmt}.2"], project)
        assert refused.returncode == 2 and not (project / f"{fmt}.2").exists()
        assert refused.stderr.decode() == (
            "toolkit export needs the 'spacy' extra: pip install 'voci-toolkit[spacy]'; or give --segments FOLDER, "
            "a folder built by `toolkit build` (its ner config's sentences)\n"
        )
    api = "import json, toolkit; print(json.dumps(toolkit.evaluate('p.jsonl', 'built', split='test').to_dict()))"
    python_api = _run([core / "python", "-c", api], project)
    command = ["eval", predictions, "--gold", "built", "--split", "test", "--format", "json"]
    assert json.loads(python_api.stdout) == json.loads(_run([*_full(), *command], project).stdout)


def test_the_wheel_holds_the_package_and_its_resources_only(core):
    """Python modules under toolkit/, the package data pyproject.toml declares, the metadata: nothing else."""
    (wheel,) = (core.parent.parent / "wheel").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = sorted(name for name in names if not name.endswith(".py") and ".dist-info/" not in name)
    assert all(name.startswith("toolkit/") for name in names if ".dist-info/" not in name)
    resources = {path.relative_to(REPO).as_posix() for path in (REPO / "toolkit").rglob("*") if path.is_file()}
    assert set(data) <= resources and "toolkit/resources/labels.json" in data
    assert {Path(name).suffix for name in data} == {".json", ".md", ".j2"}
    info = {Path(name).name for name in names if ".dist-info/" in name}
    assert info == {"METADATA", "WHEEL", "entry_points.txt", "top_level.txt", "RECORD", "LICENSE"}
