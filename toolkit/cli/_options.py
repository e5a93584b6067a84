"""Options shared by several commands, defined once."""

from __future__ import annotations

import typer

from toolkit.paths import DEFAULT_DOCUMENTS

DocumentsOption = typer.Option(
    DEFAULT_DOCUMENTS,
    "--documents",
    help="Documents file (JSONL) that annotation and prediction records are checked against.",
)

# Label Studio connection (push, pull): from the environment or options; the key is never printed.
StudioUrlOption = typer.Option(
    None, "--url", envvar="LABEL_STUDIO_URL", help="Label Studio URL [env: LABEL_STUDIO_URL].", show_envvar=False
)
StudioKeyOption = typer.Option(
    None,
    "--api-key",
    envvar="LABEL_STUDIO_API_KEY",
    help="Label Studio API key [env: LABEL_STUDIO_API_KEY].",
    show_envvar=False,
    show_default=False,
)
ProjectOption = typer.Option("voci", "--project", help="Label Studio project title.")
