"""``toolkit validate``: check documents, annotation and prediction records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_out, input_path
from toolkit.cli._options import KindOption, ValidateDocumentsOption, count_option


@app.command()
def validate(
    paths: Annotated[
        list[Path], input_path(help="JSONL files to check (documents, annotation or prediction records).")
    ],
    documents: ValidateDocumentsOption = None,
    kind: KindOption = None,
    max_problems: Annotated[
        int,
        count_option(
            "--max-problems", what="a number of problems", help="Stop listing after this many problems per file."
        ),
    ] = 100,
) -> None:
    """Validate records against the schemas and against their documents; exit 2 on any problem."""
    from toolkit.validate import validate_paths

    results = validate_paths(
        paths, kind=kind.value if kind else None, documents_path=documents, max_problems=max_problems
    )
    parts = [
        f"{result.path} ({len(result.records)} {result.kind} record{'s' if len(result.records) != 1 else ''})"
        for result in results
    ]
    echo_out("valid: " + ", ".join(parts))
