"""``toolkit progress``: who has done what in a Label Studio project, and agreement so far."""

from __future__ import annotations

from typing import Annotated

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import (
    DEFAULT_PROJECT,
    OutOption,
    ProgressFormat,
    ProjectOption,
    StudioKeyOption,
    StudioUrlOption,
    format_option,
)


@app.command()
def progress(
    project: ProjectOption = DEFAULT_PROJECT,
    output_format: Annotated[
        ProgressFormat, format_option("table (for a terminal) or json (for machines).")
    ] = ProgressFormat.table,
    out: OutOption = None,
    url: StudioUrlOption = None,
    api_key: StudioKeyOption = None,
) -> None:
    """Per annotator: submitted, skipped, lead time, last activity; per task: annotators so far; agreement so far."""
    import shutil

    from toolkit.cli._outputs import emit, to_stdout
    from toolkit.labelstudio.client import connect
    from toolkit.labelstudio.progress import FORMATTERS, collect_progress

    studio = connect(url, api_key, say=echo_err)
    width = shutil.get_terminal_size((100, 24)).columns if to_stdout(out) else 100
    emit(FORMATTERS[output_format.value](collect_progress(studio, project), width=width), out)
    if not to_stdout(out):
        echo_err(f"wrote {out}")
