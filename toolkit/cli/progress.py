"""``toolkit progress``: who has done what in a Label Studio project, and agreement so far."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import ProjectOption, StudioKeyOption, StudioUrlOption


@app.command()
def progress(
    project: str = ProjectOption,
    output_format: str = typer.Option("table", "--format", help="table (for a terminal) or json (for machines)."),
    out: Path = typer.Option(None, "--out", help="Write the result to this file instead of stdout ('-' = stdout)."),
    url: str = StudioUrlOption,
    api_key: str = StudioKeyOption,
) -> None:
    """Per annotator: submitted, skipped, lead time, last activity; per task: annotators so far; agreement so far."""
    import shutil

    from toolkit.errors import InputError
    from toolkit.files import write_text
    from toolkit.labelstudio.client import connect
    from toolkit.labelstudio.progress import FORMATTERS, collect_progress

    if output_format not in FORMATTERS:
        raise InputError(f"--format: {output_format!r} is not a format (expected one of: {', '.join(FORMATTERS)})")
    studio = connect(url, api_key)
    text = FORMATTERS[output_format](collect_progress(studio, project), width=shutil.get_terminal_size((100, 24))[0])
    if out is None or str(out) == "-":
        typer.echo(text, nl=False)
    else:
        write_text(out, text)
        echo_err(f"wrote {out}")
