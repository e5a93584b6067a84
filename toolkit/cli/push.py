"""``toolkit push``: documents (and pre-annotations) into a Label Studio project, idempotently."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, echo_err, input_path
from toolkit.cli._options import (
    DEFAULT_PROJECT,
    GuidelinesOption,
    ModelOption,
    ModelVersionOption,
    PrefillPredictionsOption,
    ProjectOption,
    StudioKeyOption,
    StudioUrlOption,
    count_option,
    described,
)
from toolkit.paths import DEFAULT_GUIDELINES


class TaskOrder(str, Enum):
    """The order new tasks are created in (Label Studio's label stream and "Label Tasks As Displayed" by id)."""

    documents = "documents"  # the documents file's
    uncertainty = "uncertainty"  # the --model's least sure first


@app.command()
def push(
    documents: Annotated[Path, input_path(help="Documents file (JSONL).")],
    project: ProjectOption = DEFAULT_PROJECT,
    predictions: PrefillPredictionsOption = None,
    model: described(
        ModelOption, "Pre-fill the editor with a MODEL_DIR's predictions, scored by its uncertainty."
    ) = None,
    order: Annotated[
        TaskOrder,
        typer.Option(
            "--order",
            help="Order of the new tasks: the documents file's, or uncertainty (with --model: least sure first).",
        ),
    ] = TaskOrder.documents,
    model_version: ModelVersionOption = None,
    guidelines: GuidelinesOption = DEFAULT_GUIDELINES,
    batch_size: Annotated[
        int, count_option("--batch-size", what="a number of tasks", help="Tasks per import request.")
    ] = 1000,
    overlap: Annotated[
        int,
        count_option(
            "--overlap",
            what="a number of annotators per document",
            help="Ask Label Studio for N annotations (by N annotators) per document; kept in the project for later "
            "pushes.",
        ),
    ] = None,
    overlap_share: Annotated[
        int,
        count_option(
            "--overlap-share",
            what="a percentage of the documents",
            maximum=100,
            help="With --overlap: N annotators on P percent of the documents, 1 on the rest (default 100).",
        ),
    ] = None,
    url: StudioUrlOption = None,
    api_key: StudioKeyOption = None,
) -> None:
    """Create the project if missing and import only the documents it does not have yet."""
    from toolkit.cli._progress import progress_bar
    from toolkit.errors import InputError
    from toolkit.labelstudio.client import Overlap, connect
    from toolkit.labelstudio.client import push as run_push
    from toolkit.labelstudio.tasks import load_preannotations, model_preannotations, most_uncertain_first
    from toolkit.validate import load_documents

    if overlap_share is not None and overlap is None:
        raise InputError(f"--overlap-share: {overlap_share} given without --overlap (expected --overlap N with it)")
    if model is not None and (predictions is not None or model_version is not None):
        raise InputError("--model: give it without --predictions and --model-version (its voci-model.json names it)")
    if order is TaskOrder.uncertainty and model is None:
        raise InputError("--order uncertainty: needs --model (expected the MODEL_DIR whose uncertainty orders tasks)")
    wanted_overlap = Overlap(overlap, 100 if overlap_share is None else overlap_share) if overlap is not None else None
    docs = load_documents(documents)
    preannotations = load_preannotations(predictions, docs, str(documents), model_version) if predictions else None
    if model is not None:
        preannotations = model_preannotations(model, docs)
    if order is TaskOrder.uncertainty:
        docs = most_uncertain_first(docs, preannotations)
    studio = connect(url, api_key, say=echo_err)
    with progress_bar("importing") as progress:
        report = run_push(
            studio,
            project,
            docs,
            preannotations,
            guidelines=guidelines,
            batch_size=batch_size,
            progress=progress,
            overlap=wanted_overlap,
        )
    state = "created" if report.project_created else "existing"
    echo_err(f"project {project!r} ({state}, id {report.project_id}) on {studio.url}; overlap: {report.overlap}")
    if report.config_updated:
        echo_err(
            "its labeling config was replaced by this toolkit's (Label Studio found no annotation needing the old one)"
        )
    echo_err(
        f"{report.created} task(s) created, {report.unchanged} already present, {report.predictions} pre-annotation(s)"
    )
    for note in report.unlinked_claimers:
        echo_err(f"note: {note}: no predicted entity at these offsets, claimer left for the annotator")
