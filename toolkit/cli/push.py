"""``toolkit push``: documents (and pre-annotations) into a Label Studio project, idempotently."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import ProjectOption, StudioKeyOption, StudioUrlOption, count_option, input_path
from toolkit.paths import DEFAULT_GUIDELINES


@app.command()
def push(
    documents: Path = input_path(..., help="Documents file (JSONL)."),
    project: str = ProjectOption,
    predictions: Path = input_path(
        None, "--predictions", help="Prediction or annotation records (JSONL) to pre-fill the editor."
    ),
    model_version: str = typer.Option(
        None, "--model-version", help="Name shown for the pre-annotations (default: preannotation)."
    ),
    guidelines: Path = input_path(
        DEFAULT_GUIDELINES, "--guidelines", help="Guidelines shown to annotators when the project is created."
    ),
    batch_size: int = count_option(1000, "--batch-size", what="a number of tasks", help="Tasks per import request."),
    url: str = StudioUrlOption,
    api_key: str = StudioKeyOption,
) -> None:
    """Create the project if missing and import only the documents it does not have yet."""
    from toolkit.cli._progress import progress_bar
    from toolkit.labelstudio.client import connect
    from toolkit.labelstudio.client import push as run_push
    from toolkit.labelstudio.tasks import load_preannotations
    from toolkit.validate import load_documents

    docs = load_documents(documents)
    preannotations = load_preannotations(predictions, docs, str(documents), model_version) if predictions else None
    studio = connect(url, api_key)
    with progress_bar("importing") as progress:
        report = run_push(
            studio, project, docs, preannotations, guidelines=guidelines, batch_size=batch_size, progress=progress
        )
    state = "created" if report.project_created else "existing"
    echo_err(f"project {project!r} ({state}, id {report.project_id}) on {studio.url}")
    if report.config_updated:
        echo_err(
            "its labeling config was replaced by this toolkit's (Label Studio found no annotation needing the old one)"
        )
    echo_err(
        f"{report.created} task(s) created, {report.unchanged} already present, {report.predictions} pre-annotation(s)"
    )
    for note in report.unlinked_claimers:
        echo_err(f"note: {note}: no predicted entity at these offsets, claimer left for the annotator")
