"""``toolkit publish``: upload a built dataset folder to the Hugging Face Hub."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, echo_err, echo_out, input_path
from toolkit.paths import DEFAULT_BUILD


@app.command()
def publish(
    folder: Annotated[
        Path, input_path(help="A folder written by `toolkit build` (regular files only).")
    ] = DEFAULT_BUILD,
    repo: Annotated[str, typer.Option("--repo", help="Dataset repo on the Hub, ORG/NAME (created if missing).")] = ...,
    private: Annotated[bool, typer.Option("--private", help="Create the repo as private.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="List the files (size, SHA-256) that would be uploaded; no token or network needed."
        ),
    ] = False,
) -> None:
    """Upload FOLDER as a dataset repo, byte for byte; the token comes from HF_TOKEN (never printed)."""
    from toolkit.dataset.publish import TOKEN_VARIABLE, check_repo_id, upload_plan
    from toolkit.dataset.publish import publish as publish_folder

    if dry_run:
        check_repo_id(repo)
        plan = upload_plan(folder)
        for item in plan:
            echo_out(f"{item.size:>12}  {item.sha256}  {item.path}")
        echo_err(
            f"dry run: {len(plan)} files, {sum(item.size for item in plan)} bytes would be uploaded "
            f"to dataset {repo}{' (private)' if private else ''}"
        )
        return
    url = publish_folder(folder, repo, token=os.environ.get(TOKEN_VARIABLE), private=private)
    echo_err(f"published {folder} to dataset {repo}: {url}")
