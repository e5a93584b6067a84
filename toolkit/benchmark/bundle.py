"""``toolkit benchmark-bundle``: the public dataset and the withheld gold → a Codabench competition bundle.

The bundle (one zip, byte-identical for the same inputs and toolkit):

    competition.yaml                 the competition (`toolkit.benchmark.competition`)
    logo.png                         drawn by `toolkit.benchmark.logo`
    pages/*.md                       overview, evaluation, data, terms (`toolkit.benchmark.pages`)
    scoring_program/                 score.py, metadata.yaml (Codabench's command), requirements.txt (the pin)
    reference_data/<split>/          each phase's gold (`toolkit.benchmark.reference_data`)
    starting_kit/                    README.md, submission.zip (the baseline's predictions), prediction.schema.json

Before writing, the bundle checks itself: the starting kit is scored by the
scoring program on every phase's reference data, and its scores are reported
(and quoted in the starting kit's README).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.benchmark.archive import zip_bytes
from toolkit.benchmark.competition import (
    GENERATOR_LINE,
    LOGO,
    SCORING_PROGRAM,
    STARTING_KIT,
    SUBMISSION_ZIP,
    Phase,
    check_docker_image,
    competition,
    competition_yaml,
    make_phases,
    reference_folder,
)
from toolkit.benchmark.logo import logo_png
from toolkit.benchmark.pages import PageFacts, render_pages
from toolkit.benchmark.program import META_FILE, PREDICTIONS_FILE, leaderboard_key, score_submission
from toolkit.benchmark.reference_data import reference_files
from toolkit.built import BuiltFolder, data_file
from toolkit.dataset.blind import read_manifest, withheld_gold_in
from toolkit.dataset.build import is_build
from toolkit.dataset.publish import check_repo_id
from toolkit.dataset.splits import ordered_splits
from toolkit.errors import ConflictError, InputError, mention
from toolkit.files import dumps_line, open_parquet, parquet_errors
from toolkit.leaderboard.columns import HEADLINE_COLUMNS
from toolkit.withheld import blind_splits

DISTRIBUTION = "voci-toolkit"
COMMAND = "python3 /app/program/score.py /app/input /app/output"  # Codabench runs it with /app/program as cwd
LIMITS_HEADING = "## Bias, Risks, and Limitations"
BASELINE_META = {
    "name": "voci rule-based baseline",
    "authors": ["voci maintainers"],
    "description": "The toolkit's transparent rule-based baseline (toolkit baseline): no model, not fitted "
    "to the gold.",
}


@dataclass(frozen=True)
class BundleSettings:
    development_start: date
    test_start: date
    test_end: date | None = None
    development_split: str = "validation"
    test_split: str = "test"
    docker_image: str = f"voci-toolkit:{__version__}"
    dataset: str = "ORG/voci"


@dataclass
class BundleReport:
    out: Path
    files: list[tuple[str, int]]
    phases: list[Phase]
    docker_image: str
    starting_kit_scores: dict[str, dict[str, float]] = field(default_factory=dict)  # by phase name

    def lines(self) -> list[str]:
        total = sum(size for _, size in self.files)
        lines = [f"wrote {self.out}: a Codabench bundle of {len(self.files)} files, {total} bytes"]
        for phase in self.phases:
            lines.append(
                f"  phase {phase.name}: split {phase.split}, {phase.start_text()} to {phase.end_text() or 'no end'} "
                "(UTC)"
            )
        for name, scores in self.starting_kit_scores.items():
            figures = ", ".join(f"{key} {value:.4f}" for key, value in scores.items())
            lines.append(f"  starting kit scored on {name}: {figures}")
        lines.append(
            f"  docker image: {self.docker_image} (build it from the Dockerfile and push it before uploading; "
            "docs/benchmark.md)"
        )
        return lines


def _check_out(out: Path, folders: list[Path]) -> None:
    """The bundle is a new zip or replaces a previous bundle; never inside the dataset folders."""
    if out.suffix != ".zip":
        raise InputError(f"{out} (expected a .zip file name, e.g. dist/codabench.zip)", parameter="out")
    for folder in folders:
        if folder.resolve() in out.resolve().parents:
            raise InputError(f"{out} is inside {folder} (expected a path outside the dataset folders)", parameter="out")
    if not out.exists():
        return
    try:
        with zipfile.ZipFile(out) as archive:
            first = archive.read("competition.yaml").decode("utf-8").splitlines()[0]
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError, IndexError):
        first = ""
    if not first.startswith(GENERATOR_LINE.partition("{version}")[0]):
        raise ConflictError(
            f"{out}: exists and is not a bundle written by `toolkit benchmark-bundle`; move it away first"
        )


def _documents_per_split(folder: Path) -> dict[str, int]:
    built = BuiltFolder.open(folder)
    return {
        split: sum(open_parquet(path).metadata.num_rows for path in built.split_files(split))
        for split in ordered_splits(built.splits())
    }


def _texts(folder: Path, split: str) -> list[tuple[str, str]]:
    """``(id, text_sha256)`` of a split's documents, in file order."""
    import pyarrow.parquet as pq

    path = Path(folder) / data_file("documents", split)
    with parquet_errors(path):
        table = pq.read_table(path, columns=["id", "text_sha256"])
    return list(zip(table.column("id").to_pylist(), table.column("text_sha256").to_pylist(), strict=True))


def _gold_source(split: str, public: Path, private: Path, blind: list[str], withheld: dict[str, Any]) -> Path:
    """The folder holding a split's gold: the private folder for a blind split (checked against the public
    texts), else the public one."""
    if split in blind:
        if split not in withheld:
            raise InputError(
                f"{private}: holds no gold of the blind split {split!r} of {public} "
                f"(it holds {', '.join(withheld) or 'none'}); give the private folder written by the same build"
            )
        if _texts(public, split) != _texts(private, split):
            raise ConflictError(
                f"{private}: the gold of split {split!r} is not for the texts of {public} (document ids or "
                "text_sha256 differ); give the two folders written by the same `toolkit build --blind`"
            )
        return private
    if not (public / data_file("documents", split)).is_file():
        raise InputError(
            f"{public}: has no split {split!r} (splits: {', '.join(_documents_per_split(public))}); "
            f"choose the phase's split with {mention('development_split')} / {mention('test_split')}"
        )
    return public


def _card_facts(public: Path) -> tuple[str, str]:
    """The licence and the limits section of the dataset card."""
    import yaml

    card = (public / "README.md").read_text(encoding="utf-8")
    _, header, body = card.split("---\n", 2)
    metadata = yaml.safe_load(header) or {}
    license_name = metadata.get("license_name") or metadata.get("license") or "not stated"
    start = body.find(LIMITS_HEADING)
    if start < 0:
        raise InputError(f"{public / 'README.md'}: no {LIMITS_HEADING!r} section (expected a card by `toolkit build`)")
    section = body[start + len(LIMITS_HEADING) :]
    end = section.find("\n## ")
    limits = section[: end if end >= 0 else len(section)].replace("### ", "#### ")
    return str(license_name), limits.replace("<", "&lt;")  # the card's Markdown, without raw HTML


def _baseline_submission(public: Path) -> bytes:
    """The baseline's predictions for every public text, with its meta.json, as a submission zip."""
    import pyarrow.parquet as pq

    from toolkit.baseline.system import predict_document

    lines = []
    built = BuiltFolder.open(public)
    for path in (path for split in ordered_splits(built.splits()) for path in built.split_files(split)):
        with parquet_errors(path):
            table = pq.read_table(path, columns=["id", "lang", "text"])
        for document in table.to_pylist():
            lines.append(dumps_line(predict_document(document)))
    meta = json.dumps(BASELINE_META, ensure_ascii=False, indent=2) + "\n"
    return zip_bytes({PREDICTIONS_FILE: "".join(lines).encode("utf-8"), META_FILE: meta.encode("utf-8")})


def _scoring_program() -> dict[str, bytes]:
    import yaml

    script = resources.files("toolkit.benchmark").joinpath("scoring_program/score.py").read_bytes()
    metadata = {"command": COMMAND, "description": f"voci scoring program ({DISTRIBUTION} {__version__})"}
    return {
        "score.py": script,
        "metadata.yaml": yaml.safe_dump(metadata, sort_keys=False).encode("utf-8"),
        "requirements.txt": f"{DISTRIBUTION}=={__version__}\n".encode(),
    }


def _prefixed(prefix: str, files: dict[str, bytes]) -> dict[str, bytes]:
    return {f"{prefix}{name}": content for name, content in files.items()}


def _score_starting_kit(files: dict[str, bytes], phases: list[Phase]) -> dict[str, dict[str, float]]:
    """Run the scoring program's code on the starting kit for every phase, laid out as Codabench does."""
    scores = {}
    for phase in phases:
        with tempfile.TemporaryDirectory(prefix="voci-bundle-check-") as temporary:
            root = Path(temporary)
            prefix = reference_folder(phase.split)
            for name, content in files.items():
                if name.startswith(prefix):
                    target = root / "input" / "ref" / name[len(prefix) :]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
            with zipfile.ZipFile(io.BytesIO(files[SUBMISSION_ZIP])) as submission:
                submission.extractall(root / "input" / "res")
            scores[phase.name] = score_submission(root / "input", root / "output", bootstrap=0)
    return scores


def _starting_kit_readme(facts: PageFacts, scores: dict[str, dict[str, float]]) -> str:
    header = "| phase | " + " | ".join(column.title for column in HEADLINE_COLUMNS) + " |"
    rows = [
        f"| {name} | "
        + " | ".join(f"{phase_scores[leaderboard_key(column.key)]:.4f}" for column in HEADLINE_COLUMNS)
        + " |"
        for name, phase_scores in scores.items()
    ]
    first = facts.phases[0].split
    return f"""# {facts.title}: starting kit

- `submission.zip`: a valid submission, ready to upload to either phase: the predictions of the voci rule-based
  baseline (`toolkit baseline`) for every text of the public dataset, and its `{META_FILE}`. Records for documents
  outside a phase's split are ignored.
- `prediction.schema.json`: the JSON Schema every line of `{PREDICTIONS_FILE}` is checked against.

## Make a submission

1. Load the texts: `load_dataset("{facts.dataset}", "documents")` (the `text` and `id` columns).
2. Write `{PREDICTIONS_FILE}`: one JSON object per document, `{{"id": ..., "entities": [...], "claims": [...]}}`
   (the *Data* page shows an example; offsets are Unicode code points, end-exclusive).
3. Check it where the gold is public, with the scorer Codabench runs
   (`pip install {DISTRIBUTION}=={facts.toolkit_version}`), against a download of the dataset repository:
   `hf download {facts.dataset} --repo-type dataset --local-dir voci`, then
   `toolkit eval {PREDICTIONS_FILE} --gold voci --split {first} --ignore-extra`.
   An invalid record is reported as `file:line: field: what was expected`.
4. Zip the file itself, not a folder: `zip submission.zip {PREDICTIONS_FILE}` (add `{META_FILE}` with your
   system's `name`, `authors`, `url` and `description` if you like).
5. Upload the zip on the competition's *My Submissions* tab, in the current phase. The scoring log shows
   the headline figures; *detailed results* show every figure.

## The baseline's scores

Computed when this bundle was built, by the same scoring program:

{header}
|---|{"---:|" * len(HEADLINE_COLUMNS)}
{chr(10).join(rows)}
"""


def write_bundle(public: Path, private: Path, out: Path, settings: BundleSettings, eval_help: str) -> BundleReport:
    """Check the two folders, assemble the bundle, score its starting kit, and write the zip atomically."""
    from toolkit.dataset.card import PRETTY_NAME
    from toolkit.files import atomic_writer
    from toolkit.schemas import build_schemas, render_schema

    public, private, out = Path(public), Path(private), Path(out)
    dataset = check_repo_id(settings.dataset, "dataset")  # it is shown in code blocks of the pages and the kit
    docker_image = check_docker_image(settings.docker_image)
    if not public.is_dir() or not is_build(public):
        raise InputError(f"{public} is not a dataset folder written by `toolkit build`", parameter="public")
    leaks = withheld_gold_in(public)
    if leaks:
        raise InputError(f"{public} contains withheld gold ({'; '.join(leaks)})", parameter="public")
    withheld = read_manifest(private)["splits"]
    _check_out(out, [public, private])
    blind = blind_splits(public)
    if settings.test_split not in blind:
        raise InputError(
            f"{settings.test_split!r} is not a blind split of {public} "
            f"(blind: {', '.join(blind) or 'none'}); build it with `toolkit build --blind {settings.test_split}`",
            parameter="test_split",
        )
    if settings.development_split == settings.test_split:
        raise InputError(
            f"{settings.development_split!r} is the test split (expected another)", parameter="development_split"
        )
    phases = make_phases(
        settings.development_split,
        settings.test_split,
        settings.development_start,
        settings.test_start,
        settings.test_end,
    )
    sources = {phase.split: _gold_source(phase.split, public, private, blind, withheld) for phase in phases}
    license_name, limits = _card_facts(public)
    facts = PageFacts(
        title=PRETTY_NAME,
        description=(
            "Find the named entities, the claims, who makes each claim and with what stance, in Italian news; "
            "scored by the voci toolkit on a blind test split."
        ),
        phases=phases,
        documents=_documents_per_split(public),
        blind=blind,
        license=license_name,
        limits=limits,
        toolkit_version=__version__,
        docker_image=docker_image,
        dataset=dataset,
        eval_help=eval_help,
    )
    generator = f"toolkit benchmark-bundle (voci toolkit {__version__})"
    files: dict[str, bytes] = {
        "competition.yaml": competition_yaml(
            competition(facts.title, facts.description, docker_image, phases), __version__
        ).encode("utf-8"),
        LOGO: logo_png(),
        **{path: text.encode("utf-8") for path, text in render_pages(facts).items()},
        **_prefixed(SCORING_PROGRAM, _scoring_program()),
        SUBMISSION_ZIP: _baseline_submission(public),
        f"{STARTING_KIT}prediction.schema.json": render_schema(build_schemas()["prediction"]).encode("utf-8"),
    }
    for phase in phases:
        files.update(
            _prefixed(reference_folder(phase.split), reference_files(sources[phase.split], phase.split, generator))
        )
    scores = _score_starting_kit(files, phases)
    files[f"{STARTING_KIT}README.md"] = _starting_kit_readme(facts, scores).encode("utf-8")
    with atomic_writer(out, "wb") as handle:
        handle.write(zip_bytes(files))
    return BundleReport(out, [(name, len(files[name])) for name in sorted(files)], phases, docker_image, scores)
