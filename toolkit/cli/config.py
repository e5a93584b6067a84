"""``toolkit config``: the Label Studio labeling config (and instructions) generated from the label inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_err, output_path
from toolkit.cli._options import GuidelinesOption, described
from toolkit.paths import DEFAULT_GUIDELINES


@app.command()
def config(
    out: Annotated[
        Path, output_path("--out", stdout=True, help="Where to write the labeling config XML ('-' for stdout).")
    ],
    guidelines: described(GuidelinesOption, "Markdown guidelines shown to annotators.") = DEFAULT_GUIDELINES,
    instructions_out: Annotated[
        Path, output_path("--instructions-out", help="Also write the guidelines as the escaped HTML the project shows.")
    ] = None,
) -> None:
    """Write the labeling config: entity and claim labels, per-claim stance and claimer (required), relations."""
    from toolkit.cli._outputs import emit, to_stdout
    from toolkit.files import write_text
    from toolkit.labelstudio.config import build_label_config, load_guidelines_html

    emit(build_label_config(), out)
    if not to_stdout(out):
        echo_err(f"{out}: labeling config written")
    if instructions_out:
        write_text(instructions_out, load_guidelines_html(guidelines))
        echo_err(f"{instructions_out}: instructions written from {guidelines}")
