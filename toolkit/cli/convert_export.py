"""``toolkit convert-export``: a Label Studio JSON export (e.g. downloaded from the UI) → per-annotator annotation
records."""

from __future__ import annotations

from pathlib import Path

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import check_documents_option, converted_out_option, input_path


@app.command("convert-export")
def convert_export(
    export: Path = input_path(..., help="Label Studio JSON export (the full JSON format, not JSON_MIN)."),
    out: Path = converted_out_option(
        "Folder for annotators/*.jsonl and conversion-problems.txt (nothing else in it is touched)."
    ),
    documents: Path = check_documents_option(),
) -> None:
    """Convert offline exactly as `toolkit pull` does; the export file is only read."""
    from toolkit.documents import load_documents
    from toolkit.labelstudio.convert import convert_tasks, read_export, write_converted
    from toolkit.labelstudio.report import conversion_summary

    docs = load_documents(documents) if documents else None
    conversion = convert_tasks(read_export(export), documents=docs)
    files = write_converted(conversion, out)
    conversion_summary(conversion, files, str(export), echo_err)
