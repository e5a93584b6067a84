"""``toolkit validate``: check documents, annotation and prediction records."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app


@app.command()
def validate(
    paths: list[Path] = typer.Argument(..., help="JSONL files to check (documents, annotation or prediction records)."),
    documents: Path = typer.Option(
        None,
        "--documents",
        help="Documents file (JSONL) that annotation and prediction records are checked against "
        "(default: the documents files among PATHS, else annotations/documents.jsonl).",
    ),
    kind: str = typer.Option(
        None,
        "--kind",
        help="Record kind: document, annotation or prediction (default: detected from the first record).",
    ),
    max_problems: int = typer.Option(
        100, "--max-problems", min=1, help="Stop listing after this many problems per file."
    ),
) -> None:
    """Validate records against the schemas and against their documents; exit 2 on any problem."""
    from toolkit.validate import validate_paths

    typer.echo(validate_paths(paths, kind=kind, documents_path=documents, max_problems=max_problems))
