"""``toolkit tasks``: a Label Studio import file, one task per document, optionally pre-annotated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_err, input_path, output_path
from toolkit.cli._options import ModelVersionOption, PrefillPredictionsOption


@app.command()
def tasks(
    documents: Annotated[Path, input_path(help="Documents file (JSONL).")],
    out: Annotated[Path, output_path("--out", help="Label Studio import file to write (JSON).")],
    predictions: PrefillPredictionsOption = None,
    model_version: ModelVersionOption = None,
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
