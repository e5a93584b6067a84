"""The competition's pages (Markdown, rendered by Codabench): overview, evaluation, data, terms.

Every fact on them is computed: the phases and their dates, the split sizes
of the public dataset, the leaderboard columns, the figure definitions of
``toolkit eval --help``, the licence and the limits stated by the dataset
card.  Text that comes from the data (the card's licence names) is escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.benchmark.competition import PAGES, SUBMISSION_RULE, Phase
from toolkit.benchmark.program import DEFAULT_BOOTSTRAP, META_FILE, PREDICTIONS_FILE, leaderboard_key
from toolkit.leaderboard.columns import HEADLINE_COLUMNS
from toolkit.markdown import md_text
from toolkit.scoring.scorer import DEFAULT_IOU

FIGURES_HEADING = "Figures"
ENTRY = re.compile(r"^ {2}(\S.*?) {2,}(\S.*)$")
CONTINUATION = re.compile(r"^ {4,}(\S.*)$")
EXAMPLE_PREDICTION = (
    '{"id": "article-1", "entities": [{"start": 0, "end": 11, "label": "PER"}], "claims": [{"start": 12, '
    '"end": 60, "stance": "SUPPORT", "claimer": {"start": 0, "end": 11}}]}'
)


@dataclass(frozen=True)
class PageFacts:
    title: str
    description: str
    phases: list[Phase]
    documents: dict[str, int]  # public documents per split
    blind: list[str]
    license: str
    limits: str  # the card's "Bias, Risks, and Limitations" section, Markdown as the card has it
    toolkit_version: str
    docker_image: str
    dataset: str  # what `load_dataset` is given: a Hub id, or a placeholder
    eval_help: str  # `toolkit eval --help`


def figure_definitions(eval_help: str) -> list[tuple[str, str]]:
    """``(figure, definition)`` pairs from the *Figures* block of ``toolkit eval --help``."""
    definitions: list[tuple[str, str]] = []
    lines = eval_help.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(FIGURES_HEADING)), len(lines))
    for line in lines[start + 1 :]:
        entry, continuation = ENTRY.match(line), CONTINUATION.match(line)
        if continuation and definitions:
            name, text = definitions[-1]
            definitions[-1] = (name, f"{text} {continuation.group(1)}")
        elif entry:
            definitions.append((entry.group(1), entry.group(2)))
    return definitions


def _phase_rows(facts: PageFacts) -> list[str]:
    rows = ["| phase | split | opens (UTC) | closes (UTC) | submissions |", "|---|---|---|---|---|"]
    for phase in facts.phases:
        labels = "withheld (blind)" if phase.split in facts.blind else "public"
        rows.append(
            f"| {phase.name} | `{phase.split}` ({facts.documents.get(phase.split, 0)} documents, gold {labels}) "
            f"| {phase.start_text()} | {phase.end_text() or 'never'} | "
            f"{phase.max_submissions_per_day} a day, {phase.max_submissions} in all |"
        )
    return rows


def overview(facts: PageFacts) -> str:
    test = facts.phases[-1]
    lines = [
        f"# {md_text(facts.title)}",
        "",
        md_text(facts.description),
        "",
        "For every document, a system finds the **named entities**, the checkable **claims** the article reports, "
        "the **claimer** behind each claim (a mention in the text, the article's author, or an unnamed source) "
        "and the claimer's **stance** towards the claim (SUPPORT, REFUTE, NEUTRAL). All spans are character "
        "offsets into the document's text.",
        "",
        "## Phases",
        "",
        *_phase_rows(facts),
        "",
        f"The {test.split} split is blind: its texts are public, its gold is not, so nobody can tune on it. "
        "Submit your predictions on the development phase first to check the format; then on the test phase.",
        "",
        "## How to take part",
        "",
        "1. Download the starting kit (a valid submission made by the voci baseline, and a README).",
        f"2. Run your system on the texts of the dataset ({md_text(facts.dataset)}) and write "
        f"`{PREDICTIONS_FILE}`: one JSON object per document (see *Data*).",
        f"3. Zip `{PREDICTIONS_FILE}` (at the top of the zip, no folder) and submit it to the current phase.",
        "",
        "Submissions are scored by the open-source voci toolkit (`toolkit eval`), the same scorer the dataset's "
        "own leaderboard uses; *Evaluation* defines every figure.",
    ]
    return "\n".join(lines) + "\n"


def evaluation(facts: PageFacts) -> str:
    columns = [
        "| column | key in scores.json | figure |",
        "|---|---|---|",
        *(f"| {column.title} | `{leaderboard_key(column.key)}` | `{column.key}` |" for column in HEADLINE_COLUMNS),
    ]
    definitions = [
        "| figure | definition |",
        "|---|---|",
        *(f"| `{name}` | {md_text(text)} |" for name, text in figure_definitions(facts.eval_help)),
    ]
    lines = [
        "# Evaluation",
        "",
        f"Each submission is scored by the voci toolkit {facts.toolkit_version} (`toolkit eval`) against the gold "
        "of the phase's split, in the Docker image "
        f"`{facts.docker_image}`. Prediction records for documents outside that split are ignored; a document "
        "of the split without a record counts as predicting nothing. An invalid record stops the scoring with "
        "a message naming the file, line and field (shown in the submission's error log); nothing is put on the "
        "leaderboard. Settings are `toolkit eval`'s defaults: a predicted claim matches a gold claim at character "
        f"IoU ≥ {DEFAULT_IOU}.",
        "",
        "## Leaderboard",
        "",
        *columns,
        "",
        "Submissions are ranked by **Overall** (the mean of entity strict F1, claim overlap F1 and end-to-end "
        "F1), then by the other columns from left to right, as on the voci leaderboard. A figure that is "
        "undefined for a submission (for example stance macro-F1 when no claim matched) counts as 0 here; the "
        f"detailed results say which. The leaderboard shows each participant's last submission "
        f"(`{SUBMISSION_RULE}`).",
        "",
        "## Detailed results",
        "",
        "Every submission's detailed results show all figures per layer (entities under four matching schemes, "
        "claims strict and overlap, claimer, stance, end to end), entity F1 per label, the stance confusion "
        f"matrix, and 95% bootstrap intervals over documents ({DEFAULT_BOOTSTRAP} resamples), with the scorer's "
        "signature: compare numbers only under the same signature.",
        "",
        "## Figures (from `toolkit eval --help`)",
        "",
        *definitions,
        "",
        "## Scoring locally",
        "",
        f"The scorer is open source: `pip install voci-toolkit=={facts.toolkit_version}` and score a split whose "
        "gold is public against a download of the dataset repository:",
        "",
        "```",
        f"hf download {facts.dataset} --repo-type dataset --local-dir voci",
        f"toolkit eval {PREDICTIONS_FILE} --gold voci --split {facts.phases[0].split} --ignore-extra",
        "```",
    ]
    return "\n".join(lines) + "\n"


def data(facts: PageFacts) -> str:
    splits = [
        "| split | documents | gold |",
        "|---|---:|---|",
        *(
            f"| `{split}` | {count} | {'withheld (blind)' if split in facts.blind else 'public'} |"
            for split, count in facts.documents.items()
        ),
    ]
    lines = [
        "# Data",
        "",
        "The voci dataset is Italian news annotated with entities, claims, claimers and stance. Load it with "
        "Hugging Face `datasets`:",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'documents = load_dataset("{facts.dataset}", "documents")  # texts, and spans where the gold is public',
        "```",
        "",
        *splits,
        "",
        "In a blind split's rows the span lists are empty and the IOB2 tags are -1 (no label): the gold is "
        "withheld, and only this competition scores against it. The dataset card explains every field and "
        "the offset convention (Unicode code points, end-exclusive).",
        "",
        "## Submission format",
        "",
        f"A submission is a zip holding `{PREDICTIONS_FILE}` at its top, and optionally `{META_FILE}` "
        '(`{"name": ..., "authors": [...], "url": ..., "description": ...}`). Each line of '
        f"`{PREDICTIONS_FILE}` is one document's prediction record:",
        "",
        "```json",
        EXAMPLE_PREDICTION,
        "```",
        "",
        "- `id`: the document's id; predict every document of the phase's split.",
        "- `entities`: `start`, `end` (code points, end-exclusive) and `label`.",
        '- `claims`: `start`, `end`, `stance` (SUPPORT, REFUTE, NEUTRAL) and `claimer`: `"AUTHOR"`, '
        '`"UNNAMED"`, or the span `{"start", "end"}` of a mention naming the claimer.',
        "- Leave a layer's key out when your system does not predict it (the layer is then not scored).",
        "",
        "The starting kit holds `prediction.schema.json`, the JSON Schema every record is checked against, and "
        "a valid submission.",
    ]
    return "\n".join(lines) + "\n"


def terms(facts: PageFacts) -> str:
    lines = [
        "# Terms",
        "",
        "## The data",
        "",
        f"Licence stated by the dataset card: **{md_text(facts.license)}**. Each text's own terms are in the "
        "`license` column of the `documents` config; the annotations do not change the rights in the texts. "
        "Check them before redistributing any text.",
        "",
        "## Limits of the dataset (from its card)",
        "",
        facts.limits.strip(),
        "",
        "## Taking part",
        "",
        "- Submissions are prediction files: data, scored by the open-source voci scorer; no submitted code is run.",
        "- Do not try to obtain the blind split's gold, and do not annotate its texts by hand: the test "
        "phase compares systems.",
        "- Your submissions, with the name you give them, appear on the public leaderboard.",
        "- Report results with the scorer's signature and the split they were measured on.",
    ]
    return "\n".join(lines) + "\n"


PAGE_WRITERS = {"Overview": overview, "Evaluation": evaluation, "Data": data, "Terms": terms}


def render_pages(facts: PageFacts) -> dict[str, str]:
    """``{path in the bundle: Markdown}`` for every page ``competition.yaml`` lists."""
    return {file: PAGE_WRITERS[title](facts) for title, file in PAGES}
