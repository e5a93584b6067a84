"""`toolkit benchmark-bundle`, checked as Codabench reads and runs it.

The bundle is unzipped and its ``competition.yaml`` checked against the rules
of Codabench's v2 unpacker and serializers (codalab/codabench:
``src/apps/competitions/unpackers/v2.py``, ``base_unpacker.py``,
``api/serializers/leaderboards.py``, ``leaderboards/models.py``); the scoring
program runs the way Codabench's compute worker runs it: the program folder,
``input/ref``, ``input/res`` and ``output`` side by side, the command of
``metadata.yaml`` (``/app`` being that folder) in a subprocess whose
``python3`` has the toolkit installed, with the program folder as working
directory.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
import yaml
from benchmark_data import (
    BUNDLE_OPTIONS,
    DOCKER_IMAGE,
    REPO,
    _bundle,
    _submission,
    build,
    oracle_prediction,
    run_scoring_program,
    write_split_corpus,
)
from dateutil import parser as date_parser
from typer.testing import CliRunner

from toolkit.benchmark.pages import figure_definitions
from toolkit.benchmark.program import LEADERBOARD_KEYS
from toolkit.cli import app
from toolkit.cli.eval import EVAL_HELP
from toolkit.files import read_jsonl

runner = CliRunner()
NOT_SOURCES = (".git", ".venv", ".studio", "build", "dist", "data", "tmp", "*.egg-info", "__pycache__", ".*_cache")
HEADLINE = {
    "overall": "overall",
    "entities_strict_f1": "entities.strict.f1",
    "claims_overlap_f1": "claims.overlap.f1",
    "claimer_accuracy": "claimer.accuracy",
    "stance_macro_f1": "stance.macro_f1",
    "end_to_end_f1": "end_to_end.f1",
}


pytestmark = pytest.mark.usefixtures("hub_offline")


# ---------------------------------------------------------------- the bundle as Codabench unpacks it


def codabench_problems(folder: Path) -> list[str]:
    """What Codabench's v2 unpacker and serializers would refuse in an unzipped bundle (empty: none)."""
    problems: list[str] = []
    path = folder / "competition.yaml"
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))

    def exists(name: str, what: str) -> None:
        if not (folder / name).exists():
            problems.append(f"{what}: {name} is not in the bundle")

    def readable(name: str, what: str) -> None:
        exists(name, what)
        if (folder / name).is_file() and not (folder / name).read_text(encoding="utf-8").strip():
            problems.append(f"{what}: {name} is empty")

    if str(definition.get("version")) != "2":
        problems.append("version: not 2")
    for key in ("title", "image", "terms", "tasks", "phases", "leaderboards"):
        if key not in definition:
            problems.append(f"{key}: missing")
    if len(definition.get("title", "")) > 256:
        problems.append("title: longer than 256 characters")
    if len(definition.get("docker_image", "")) > 128:
        problems.append("docker_image: longer than 128 characters")
    exists(definition.get("image", ""), "image")
    readable(definition.get("terms", ""), "terms")
    for page in definition.get("pages", []):
        readable(page["file"], f"page {page.get('title')}")
    tasks = {}
    for task in definition.get("tasks", []):
        if "index" not in task or task["index"] in tasks:
            problems.append(f"task {task.get('name')}: no index or a duplicate one")
        tasks[task.get("index")] = task
        if "scoring_program" not in task:
            problems.append(f"task {task.get('name')}: no scoring program")
        for kind in ("scoring_program", "reference_data", "input_data", "ingestion_program"):
            if kind in task:
                exists(task[kind], f"task {task['index']} {kind}")
        program = folder / task.get("scoring_program", "")
        if program.is_dir():
            metadata = yaml.safe_load((program / "metadata.yaml").read_text(encoding="utf-8"))
            if not isinstance(metadata, dict) or not metadata.get("command"):
                problems.append(f"task {task['index']}: scoring program without a command in metadata.yaml")
    for solution in definition.get("solutions", []):
        if not set(solution.get("tasks", [])) <= set(tasks):
            problems.append(f"solution {solution.get('index')}: points to a task that does not exist")
        exists(solution.get("path", ""), f"solution {solution.get('index')}")
    phases = sorted(definition.get("phases", []), key=lambda phase: phase.get("index", 0))
    for position, phase in enumerate(phases):
        if not phase.get("tasks") or not set(phase["tasks"]) <= set(tasks):
            problems.append(f"phase {phase.get('name')}: no tasks, or tasks that do not exist")
        for key in ("starting_kit", "public_data"):
            if key in phase:
                exists(phase[key], f"phase {phase.get('name')} {key}")
        start = date_parser.parse(phase["start"])
        end = date_parser.parse(phase["end"]) if phase.get("end") else None
        if end is not None and end <= start:
            problems.append(f"phase {phase['name']}: ends before it starts")
        if position + 1 < len(phases):
            following = date_parser.parse(phases[position + 1]["start"])
            if end is None:
                problems.append(f"phase {phase['name']}: no end, but a phase follows it")
            elif following <= end:
                problems.append(f"phase {phases[position + 1]['name']}: starts before {phase['name']} has ended")
    for board in definition.get("leaderboards", []):
        columns = board.get("columns") or []
        if not columns:
            problems.append(f"leaderboard {board.get('title')}: no columns")
        if len(board.get("title", "")) > 64 or len(board.get("key", "")) > 36:
            problems.append(f"leaderboard {board.get('title')}: title or key too long")
        if len({column["index"] for column in columns}) != len(columns):
            problems.append("leaderboard: column indexes are not unique")
        if len({column["key"] for column in columns}) != len(columns):
            problems.append("leaderboard: column keys are not unique")
        for column in columns:
            if len(column["title"]) > 36 or len(column["key"]) > 36:
                problems.append(f"column {column['key']}: title or key longer than 36 characters")
            if column.get("sorting", "desc") not in ("asc", "desc"):
                problems.append(f"column {column['key']}: sorting {column['sorting']!r}")
        if board.get("submission_rule", "Add") not in (
            "Add",
            "Add_And_Delete",
            "Add_And_Delete_Multiple",
            "Force_Last",
            "Force_Latest_Multiple",
            "Force_Best",
        ):
            problems.append(f"leaderboard: submission_rule {board['submission_rule']!r}")
    return problems


def test_competition_yaml_passes_codabench_rules(bundle):
    definition = bundle["yaml"]
    assert codabench_problems(bundle["folder"]) == []
    assert (
        (bundle["folder"] / "competition.yaml")
        .read_text(encoding="utf-8")
        .startswith("# Codabench competition bundle generated by `toolkit benchmark-bundle`")
    )
    assert definition["docker_image"] == DOCKER_IMAGE and definition["enable_detailed_results"] is True
    assert [page["title"] for page in definition["pages"]] == ["Overview", "Evaluation", "Data", "Terms"]
    development, test = definition["phases"]
    assert (development["start"], development["end"], test["start"]) == (
        "2026-01-05 00:00:00",
        "2026-03-01 23:59:59",
        "2026-03-02 00:00:00",
    )
    assert "end" not in test, "the test phase of a standing benchmark never ends"
    assert [definition["tasks"][phase["tasks"][0]]["reference_data"] for phase in (development, test)] == [
        "reference_data/validation/",
        "reference_data/test/",
    ]
    (board,) = definition["leaderboards"]
    assert [column["key"] for column in board["columns"]] == list(HEADLINE)
    assert [column["index"] for column in board["columns"]] == list(range(6))
    assert {column["sorting"] for column in board["columns"]} == {"desc"}


def test_the_rules_catch_a_broken_bundle(bundle, tmp_path):
    broken = tmp_path / "bundle"
    shutil.copytree(bundle["folder"], broken)
    definition = yaml.safe_load((broken / "competition.yaml").read_text(encoding="utf-8"))
    definition["phases"][1]["start"] = definition["phases"][0]["start"]
    definition["leaderboards"][0]["columns"][1]["key"] = "overall"
    (broken / "competition.yaml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    shutil.rmtree(broken / "reference_data" / "test")
    (broken / "pages" / "data.md").write_text("", encoding="utf-8")
    problems = codabench_problems(broken)
    assert "phase Test: starts before Development has ended" in problems
    assert "leaderboard: column keys are not unique" in problems
    assert "task 1 reference_data: reference_data/test/ is not in the bundle" in problems
    assert "page Data: pages/data.md is empty" in problems


def test_bundle_file_list(bundle):
    with zipfile.ZipFile(bundle["zip"]) as archive:
        names = archive.namelist()
        dates = {entry.date_time for entry in archive.infolist()}
    reference = [
        "documents/{split}-00000-of-00001.parquet",
        "gold/{split}.documents.jsonl",
        "gold/{split}.jsonl",
        "scoring/{split}.npz",
        "withheld.json",
    ]
    assert names == sorted(
        [
            "competition.yaml",
            "logo.png",
            "pages/data.md",
            "pages/evaluation.md",
            "pages/overview.md",
            "pages/terms.md",
            *(
                f"reference_data/{split}/{name.format(split=split)}"
                for split in ("test", "validation")
                for name in reference
            ),
            "scoring_program/metadata.yaml",
            "scoring_program/requirements.txt",
            "scoring_program/score.py",
            "starting_kit/README.md",
            "starting_kit/prediction.schema.json",
            "starting_kit/submission.zip",
        ]
    )
    assert dates == {(1980, 1, 1, 0, 0, 0)}


def test_bundle_is_byte_identical_when_rebuilt(bundle, tmp_path):
    again = tmp_path / "again.zip"
    result = _bundle(bundle["public"], bundle["private"], again, *BUNDLE_OPTIONS)
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == bundle["zip"].read_bytes()


def test_reference_data_is_the_phase_gold(bundle):
    gold = {record["id"]: record for record in read_jsonl(bundle["gold"])}
    splits = {document["id"]: document["split"] for document in read_jsonl(bundle["documents"])}
    for split in ("validation", "test"):
        folder = bundle["folder"] / "reference_data" / split
        records = read_jsonl(folder / "gold" / f"{split}.jsonl")
        assert {record["id"] for record in records} == {doc_id for doc_id, value in splits.items() if value == split}
        for record in records:  # the gold as annotated, without the annotator fields the parquet rows do not keep
            original = gold[record["id"]]
            assert record["entities"] == [
                {key: e[key] for key in ("id", "start", "end", "label", "text")} for e in original["entities"]
            ]
            assert record["claims"] == original["claims"]
        manifest = json.loads((folder / "withheld.json").read_text(encoding="utf-8"))
        assert list(manifest["splits"]) == [split]


# ---------------------------------------------------------------- the scoring program as Codabench runs it


def _eval(predictions: Path, gold: Path, split: str) -> dict:
    result = runner.invoke(
        app, ["eval", str(predictions), "--gold", str(gold), "--split", split, "--ignore-extra", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _figure(result: dict, dotted: str):
    for part in dotted.split("."):
        result = result[part]
    return result


@pytest.mark.parametrize(("split", "gold"), [("validation", "public"), ("test", "private")])
def test_starting_kit_scores_equal_toolkit_eval(bundle, tmp_path, split, gold):
    submission = bundle["folder"] / "starting_kit" / "submission.zip"
    process, output = run_scoring_program(bundle["folder"], split, submission, tmp_path)
    assert process.returncode == 0, process.stderr
    scores = json.loads((output / "scores.json").read_text(encoding="utf-8"))
    assert list(scores) == list(LEADERBOARD_KEYS) == list(HEADLINE)
    with zipfile.ZipFile(submission) as archive:
        archive.extract("predictions.jsonl", tmp_path / "kit")
    expected = _eval(tmp_path / "kit" / "predictions.jsonl", bundle[gold], split)
    assert scores == {key: round(_figure(expected, dotted) or 0.0, 10) for key, dotted in HEADLINE.items()}
    assert 0 < scores["overall"] < 1
    for title in ("Overall", "Entities F1 (strict)", "End-to-end F1"):
        assert title in process.stdout
    details = (output / "detailed_results.html").read_text(encoding="utf-8")
    for heading in (
        "Per layer",
        "<h3>Entities</h3>",
        "<h3>Claims</h3>",
        "Stance confusion",
        "voci rule-based baseline",
    ):
        assert heading in details
    assert f"Scored on the {split} split: {expected['n_documents']} document(s)" in details


def test_oracle_submission_scores_one_everywhere(bundle, tmp_path):
    test_ids = {document["id"] for document in read_jsonl(bundle["documents"]) if document["split"] == "test"}
    predictions = [oracle_prediction(record) for record in read_jsonl(bundle["gold"]) if record["id"] in test_ids]
    submission = _submission(tmp_path / "oracle.zip", predictions, {"name": "oracle"})
    process, output = run_scoring_program(bundle["folder"], "test", submission, tmp_path)
    assert process.returncode == 0, process.stderr
    assert json.loads((output / "scores.json").read_text(encoding="utf-8")) == dict.fromkeys(HEADLINE, 1.0)


def test_invalid_submission_fails_with_the_toolkit_message_and_no_scores(bundle, tmp_path):
    document = next(record for record in read_jsonl(bundle["documents"]) if record["split"] == "test")
    predictions = [
        {"id": document["id"], "entities": [{"start": 0, "end": 5, "label": "PERSON"}]},
    ]
    submission = _submission(tmp_path / "broken.zip", predictions)
    process, output = run_scoring_program(bundle["folder"], "test", submission, tmp_path)
    assert process.returncode == 2
    assert re.search(r"input/res/predictions\.jsonl:1: entities\[0\]\.label: .*PERSON", process.stderr), process.stderr
    assert "Traceback" not in process.stderr
    assert not (output / "scores.json").exists()


def test_predictions_in_a_folder_are_refused_with_a_hint(bundle, tmp_path):
    submission = _submission(tmp_path / "nested.zip", [], folder="mine/")
    process, output = run_scoring_program(bundle["folder"], "test", submission, tmp_path)
    assert process.returncode == 2
    assert "found mine/predictions.jsonl: zip the file itself" in process.stderr
    assert not (output / "scores.json").exists()


def test_scoring_program_refuses_another_toolkit_version(bundle, tmp_path):
    folder = tmp_path / "bundle"
    shutil.copytree(bundle["folder"], folder)
    (folder / "scoring_program" / "requirements.txt").write_text("voci-toolkit==9.9.9\n", encoding="utf-8")
    process, output = run_scoring_program(folder, "test", folder / "starting_kit" / "submission.zip", tmp_path)
    assert process.returncode == 2
    assert "needs voci-toolkit==9.9.9 in the Docker image, found 0.1.0" in process.stderr
    assert not (output / "scores.json").exists()


def test_detailed_results_escape_submission_text(bundle, tmp_path):
    meta = {"name": "<script>alert(1)</script>", "description": '"><img src=x onerror=alert(2)>'}
    submission = _submission(tmp_path / "hostile.zip", [], meta)
    process, output = run_scoring_program(bundle["folder"], "validation", submission, tmp_path)
    assert process.returncode == 0, process.stderr
    details = (output / "detailed_results.html").read_text(encoding="utf-8")
    assert "<script>" not in details and "&lt;script&gt;alert(1)&lt;/script&gt;" in details
    assert "<img" not in details
    assert "default-src 'none'" in details
    scores = json.loads((output / "scores.json").read_text(encoding="utf-8"))
    assert scores["overall"] == 0.0 and scores["claimer_accuracy"] == 0.0
    assert "the leaderboard counts an undefined figure as 0" in details


# ---------------------------------------------------------------- pages, logo, starting kit


def test_pages_are_generated_from_the_scorer_and_the_card(bundle):
    pages = bundle["folder"] / "pages"
    evaluation = (pages / "evaluation.md").read_text(encoding="utf-8")
    definitions = figure_definitions(EVAL_HELP)
    assert len(definitions) >= 15
    for name, _ in definitions:
        assert f"| `{name}` |" in evaluation
    assert "stance.macro_f1" in evaluation and "0.1.0" in evaluation and DOCKER_IMAGE in evaluation
    terms = (pages / "terms.md").read_text(encoding="utf-8")
    card = (bundle["public"] / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---\n")[1])
    assert f"**{header.get('license_name') or header['license']}**" in terms
    assert "Selection bias" in terms and "Stance is not truth" in terms
    overview = (pages / "overview.md").read_text(encoding="utf-8")
    assert "| Test | `test` (7 documents, gold withheld (blind)) | 2026-03-02 00:00:00 | never |" in overview
    data = (pages / "data.md").read_text(encoding="utf-8")
    assert 'load_dataset("voci-project/voci", "documents")' in data
    assert "| `test` | 7 | withheld (blind) |" in data


def test_logo_is_a_png_drawn_by_code(bundle):
    png = (bundle["folder"] / "logo.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, depth, color_type = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, color_type) == (200, 200, 8, 6)
    length = struct.unpack(">I", png[33:37])[0]
    pixels = zlib.decompress(png[41 : 41 + length])
    assert len(pixels) == height * (1 + 4 * width)
    assert len({pixels[i : i + 4] for i in range(1, len(pixels), 4)}) > 10, "more than a flat colour"


def test_starting_kit_readme_and_schema(bundle):
    readme = (bundle["folder"] / "starting_kit" / "README.md").read_text(encoding="utf-8")
    assert "zip submission.zip predictions.jsonl" in readme and "My Submissions" in readme
    assert "| Development | " in readme and "| Test | " in readme
    schema = json.loads((bundle["folder"] / "starting_kit" / "prediction.schema.json").read_text(encoding="utf-8"))
    assert schema == json.loads((REPO / "schemas" / "prediction.schema.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(bundle["folder"] / "starting_kit" / "submission.zip") as archive:
        assert archive.namelist() == ["meta.json", "predictions.jsonl"]
        ids = [json.loads(line)["id"] for line in archive.read("predictions.jsonl").decode().splitlines()]
    assert sorted(ids) == sorted(document["id"] for document in read_jsonl(bundle["documents"]))
    assert "starting kit scored on Test: overall" in bundle["output"]


# ---------------------------------------------------------------- refusals


def test_bundle_refuses_inconsistent_folders(bundle, tmp_path):
    not_blind = _bundle(bundle["public"], bundle["private"], tmp_path / "a.zip", "--test-split", "validation")
    assert not_blind.exit_code == 2 and "'validation' is not a blind split" in not_blind.stderr

    documents, gold = write_split_corpus(tmp_path / "other", seed=11)
    other = build(
        documents, gold, tmp_path / "other" / "voci", "--blind", "test", "--private-out", str(tmp_path / "op")
    )
    assert other.exit_code == 0, other.output
    mixed = _bundle(bundle["public"], tmp_path / "op", tmp_path / "b.zip", *BUNDLE_OPTIONS)
    assert mixed.exit_code == 2 and "is not for the texts of" in mixed.stderr

    inside = _bundle(bundle["public"], bundle["private"], bundle["public"] / "codabench.zip", *BUNDLE_OPTIONS)
    assert inside.exit_code == 2 and "is inside" in inside.stderr

    dates = _bundle(bundle["public"], bundle["private"], tmp_path / "c.zip", "--test-start", "2020-01-01")
    assert dates.exit_code == 2 and "--test-start: 2020-01-01 is not after --development-start" in dates.stderr

    image = _bundle(bundle["public"], bundle["private"], tmp_path / "d.zip", "--docker-image", "ORG/Voci:latest")
    assert image.exit_code == 2 and "--docker-image: 'ORG/Voci:latest' is not an image name" in image.stderr

    day = _bundle(bundle["public"], bundle["private"], tmp_path / "e.zip", "--development-start", "2026-13-01")
    assert day.exit_code == 2 and "--development-start: '2026-13-01' is not a date (expected YYYY-MM-DD)" in day.stderr
    ends = _bundle(bundle["public"], bundle["private"], tmp_path / "f.zip", *BUNDLE_OPTIONS, "--test-end", "2026-03-01")
    assert ends.exit_code == 2 and "--test-end: 2026-03-01 is before --test-start 2026-03-02" in ends.stderr
    no_gold = _bundle(bundle["public"], bundle["public"], tmp_path / "g.zip", *BUNDLE_OPTIONS)
    assert no_gold.exit_code == 2 and "no withheld.json (expected a private folder" in no_gold.stderr
    no_public = _bundle(bundle["private"], bundle["private"], tmp_path / "h.zip", *BUNDLE_OPTIONS)
    assert no_public.exit_code == 2 and "is not a dataset folder written by `toolkit build`" in no_public.stderr

    not_ours = tmp_path / "mine.zip"
    not_ours.write_bytes(b"precious")
    kept = _bundle(bundle["public"], bundle["private"], not_ours, *BUNDLE_OPTIONS)
    assert kept.exit_code == 2 and not_ours.read_bytes() == b"precious"
    assert sorted(path.name for path in tmp_path.glob("*.zip")) == ["mine.zip"], "a refused run writes nothing"


# ---------------------------------------------------------------- the Docker image


def test_dockerfile_installs_the_wheel_the_bundle_pins(bundle, tmp_path):
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.\d+-slim$", dockerfile, re.MULTILINE)
    wheel_name = re.search(r"^ARG WHEEL=(\S+)$", dockerfile, re.MULTILINE).group(1)
    assert re.search(r"^COPY dist/\$\{WHEEL\} /tmp/\$\{WHEEL\}$", dockerfile, re.MULTILINE)
    assert re.search(r"^RUN pip install --no-cache-dir /tmp/\$\{WHEEL\}", dockerfile, re.MULTILINE)
    sources = tmp_path / "sources"  # a copy: building in the checkout would leave build/ behind
    shutil.copytree(REPO, sources, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path), str(sources)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name == wheel_name
    pinned = (bundle["folder"] / "scoring_program" / "requirements.txt").read_text(encoding="utf-8").strip()
    assert pinned == f"voci-toolkit=={wheel.name.split('-')[1]}"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "toolkit/benchmark/scoring_program/score.py" in names, "the script the bundle copies ships in the wheel"
    assert (bundle["folder"] / "scoring_program" / "score.py").read_bytes() == (
        REPO / "toolkit" / "benchmark" / "scoring_program" / "score.py"
    ).read_bytes()
