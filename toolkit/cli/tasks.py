"""``toolkit tasks``: a Label Studio import file, one task per document, optionally pre-annotated."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import input_path, output_path


@app.command()
def tasks(
    documents: Path = input_path(..., help="Documents file (JSONL)."),
    out: Path = output_path(..., "--out", help="Label Studio import file to write (JSON)."),
    predictions: Path = input_path(
        None, "--predictions", help="Prediction or annotation records (JSONL) to pre-fill the editor."
    ),
    model_version: str = typer.Option(
        None, "--model-version", help="Name shown for the pre-annotations (default: preannotation)."
    ),
) -> None:
    """Write tasks with data.text, data.doc_id, data.text_sha256 and metadata, plus pre-annotations."""
    from toolkit.files import write_json
    from toolkit.labelstudio.tasks import iter_tasks, load_preannotations
    from toolkit.validate import load_documents

    docs = load_documents(documents)
    preannotations = load_preannotations(predictions, docs, str(documents), model_version) if predictions else None
    task_list = list(iter_tasks(docs.values(), preannotations))
    write_json(out, task_list)
    with_predictions = sum(1 for task in task_list if task.get("predictions"))
    echo_err(f"{out}: {len(task_list)} task(s), {with_predictions} with pre-annotations")
    for note in preannotations.notes.unlinked_claimers if preannotations else []:
        echo_err(f"note: {note}: no predicted entity at these offsets, claimer left for the annotator")
