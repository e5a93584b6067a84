"""``toolkit validate``: check documents, annotation and prediction records."""

from __future__ import annotations

from pathlib import Path

from toolkit.cli._app import app, echo_out
from toolkit.cli._options import RecordKind, count_option, input_path, kind_option
from toolkit.paths import DEFAULT_DOCUMENTS


@app.command()
def validate(
    paths: list[Path] = input_path(..., help="JSONL files to check (documents, annotation or prediction records)."),
    documents: Path = input_path(
        None,
        "--documents",
        implicit=DEFAULT_DOCUMENTS,
        help="Documents file (JSONL) that annotation and prediction records are checked against "
        "(default: the documents files among PATHS, else annotations/documents.jsonl).",
    ),
    kind: RecordKind = kind_option(),
    max_problems: int = count_option(
        100, "--max-problems", what="a number of problems", help="Stop listing after this many problems per file."
    ),
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
