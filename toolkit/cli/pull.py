"""``toolkit pull``: export a Label Studio project, keep the raw export, write per-annotator annotation records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import (
    DEFAULT_PROJECT,
    CheckDocumentsOption,
    ProjectOption,
    StudioKeyOption,
    StudioUrlOption,
    converted_out_option,
)


@app.command()
def pull(
    project: ProjectOption = DEFAULT_PROJECT,
    out: Annotated[
        Path,
        converted_out_option(
            "Folder for raw/ exports, annotators/*.jsonl and conversion-problems.txt (nothing else is touched)."
        ),
    ] = Path("annotations"),
    documents: CheckDocumentsOption = None,
    url: StudioUrlOption = None,
    api_key: StudioKeyOption = None,
) -> None:
    """Pull every submitted annotation (cancelled ones counted); unconvertible ones are listed, never dropped."""
    from toolkit.labelstudio.client import connect
    from toolkit.labelstudio.client import pull as run_pull
    from toolkit.labelstudio.report import conversion_summary
    from toolkit.validate import load_documents

    docs = load_documents(documents) if documents else None
    studio = connect(url, api_key, say=echo_err)
    report = run_pull(studio, project, out, documents=docs, step=lambda name: echo_err(f"{name}…"))
    echo_err(f"{report.raw_path}: raw export saved")
    conversion_summary(report.conversion, report.files, str(report.raw_path), echo_err)
