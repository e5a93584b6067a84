"""``toolkit config``: the Label Studio labeling config (and instructions) generated from the label inventory."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.paths import DEFAULT_GUIDELINES


@app.command()
def config(
    out: Path = typer.Option(..., "--out", help="Where to write the labeling config XML ('-' for stdout)."),
    guidelines: Path = typer.Option(
        DEFAULT_GUIDELINES, "--guidelines", help="Markdown guidelines shown to annotators."
    ),
    instructions_out: Path = typer.Option(
        None, "--instructions-out", help="Also write the guidelines as the escaped HTML the project shows."
    ),
) -> None:
    """Write the labeling config: entity and claim labels, per-claim stance and claimer (required), relations."""
    from toolkit.files import write_text
    from toolkit.labelstudio.config import build_label_config, load_guidelines_html

    xml = build_label_config()
    if str(out) == "-":
        typer.echo(xml, nl=False)
    else:
        write_text(out, xml)
        echo_err(f"{out}: labeling config written")
    if instructions_out:
        write_text(instructions_out, load_guidelines_html(guidelines))
        echo_err(f"{instructions_out}: instructions written from {guidelines}")
