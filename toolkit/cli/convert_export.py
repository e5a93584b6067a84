"""``toolkit convert-export``: a Label Studio JSON export (e.g. downloaded from the UI) → per-annotator annotation
records."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err


@app.command("convert-export")
def convert_export(
    export: Path = typer.Argument(..., help="Label Studio JSON export (the full JSON format, not JSON_MIN)."),
    out: Path = typer.Option(
        Path("annotations"), "--out", help="Folder for annotators/*.jsonl and conversion-problems.txt."
    ),
    documents: Path = typer.Option(
        None, "--documents", help="Also check every task's text against this documents file."
    ),
) -> None:
    """Convert offline exactly as `toolkit pull` does; the export file is only read."""
    from toolkit.labelstudio.convert import convert_tasks, read_export, write_converted
    from toolkit.labelstudio.report import conversion_summary
    from toolkit.validate import load_documents

    docs = load_documents(documents) if documents else None
    conversion = convert_tasks(read_export(export), documents=docs)
    files = write_converted(conversion, out)
    conversion_summary(conversion, files, str(export), echo_err)
