"""Options shared by several commands, defined once."""

from __future__ import annotations

import typer

from toolkit.documents import DEFAULT_DOCUMENTS

DocumentsOption = typer.Option(
    DEFAULT_DOCUMENTS,
    "--documents",
    help="Documents file (JSONL) that annotation and prediction records are checked against.",
)
