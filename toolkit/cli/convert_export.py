"""``toolkit convert-export``: a Label Studio JSON export (e.g. downloaded from the UI) → per-annotator annotation
records."""

from __future__ import annotations

from pathlib import Path

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import input_path, output_path
from toolkit.pathguard import FILES
from toolkit.paths import CONVERTED_FILES


@app.command("convert-export")
def convert_export(
    export: Path = input_path(..., help="Label Studio JSON export (the full JSON format, not JSON_MIN)."),
    out: Path = output_path(
        Path("annotations"),
        "--out",
        kind=FILES,
        files=CONVERTED_FILES,
        help="Folder for annotators/*.jsonl and conversion-problems.txt (nothing else in it is touched).",
    ),
    documents: Path = input_path(None, "--documents", help="Also check every task's text against this documents file."),
) -> None:
    """Convert offline exactly as `toolkit pull` does; the export file is only read."""
    from toolkit.documents import load_documents
    from toolkit.labelstudio.convert import convert_tasks, read_export, write_converted
    from toolkit.labelstudio.report import conversion_summary

    docs = load_documents(documents) if documents else None
    conversion = convert_tasks(read_export(export), documents=docs)
    files = write_converted(conversion, out)
    conversion_summary(conversion, files, str(export), echo_err)
