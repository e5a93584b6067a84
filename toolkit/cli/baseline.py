"""``toolkit baseline``: run the rule-based Italian baseline on a documents file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_err, input_path, output_path


@app.command()
def baseline(
    documents: Annotated[Path, input_path(help="Documents file (JSONL), e.g. annotations/documents.jsonl.")],
    out: Annotated[Path, output_path("--out", help="Where to write the prediction records (JSONL).")],
) -> None:
    """Predict entities, claims, claimers and stance with transparent rules (no model download)."""
    from toolkit.baseline import run_baseline

    echo_err(run_baseline(documents, out).summary())
