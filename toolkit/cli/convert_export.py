"""``toolkit convert-export``: a Label Studio JSON export (e.g. downloaded from the UI) → per-annotator annotation
records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_err, input_path
from toolkit.cli._options import CheckDocumentsOption, StudioUrlOption, converted_out_option


@app.command("convert-export")
def convert_export(
    export: Annotated[Path, input_path(help="Label Studio JSON export (the full JSON format, not JSON_MIN).")],
    out: Annotated[
        Path,
        converted_out_option(
            "Folder for annotators/*.jsonl and conversion-problems.txt (nothing else in it is touched)."
        ),
    ] = Path("annotations"),
    documents: CheckDocumentsOption = None,
    url: StudioUrlOption = None,
) -> None:
    """Convert offline exactly as `toolkit pull` does; the export file is only read (task by task)."""
    from toolkit.labelstudio.annotations.store import iter_export
    from toolkit.labelstudio.annotations.writing import convert_export as run_conversion
    from toolkit.labelstudio.client import task_link
    from toolkit.labelstudio.report import conversion_summary
    from toolkit.validate import load_documents

    docs = load_documents(documents) if documents else None
    link = task_link(url.rstrip("/")) if url else None  # problems link to the task when the server is known
    summary, files = run_conversion(iter_export(export), out, documents=docs, task_link=link)
    conversion_summary(summary, files, str(export), echo_err)
