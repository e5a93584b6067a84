"""``toolkit users add``: annotator accounts on a Label Studio server, passwords in a file only the lead can read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import ToolkitTyper, app, echo_err, output_path
from toolkit.cli._options import StudioKeyOption, StudioUrlOption
from toolkit.labelstudio.users import DEFAULT_PASSWORDS_FILE

users_app = ToolkitTyper(
    help="Annotator accounts on the Label Studio server.", no_args_is_help=True, add_completion=False
)
app.add_typer(users_app, name="users")


@users_app.command("add")
def add(
    emails: Annotated[list[str], typer.Argument(metavar="EMAIL...", help="Email addresses of the new annotators.")],
    passwords: Annotated[
        Path,
        output_path(
            "--passwords",
            help="JSON file (mode 0600) the generated passwords are added to; hand each one over privately.",
        ),
    ] = DEFAULT_PASSWORDS_FILE,
    url: StudioUrlOption = None,
    api_key: StudioKeyOption = None,
) -> None:
    """Create an account with a generated password for each email that has none; existing accounts are left alone."""
    from toolkit.labelstudio.client import connect
    from toolkit.labelstudio.users import add_users, check_emails

    check_emails(emails)  # a typo stops us before we reach the server
    studio = connect(url, api_key, say=echo_err)
    report = add_users(studio, emails, passwords, created=lambda email: echo_err(f"{email}: account created"))
    for email in report.existing:
        echo_err(f"{email}: already has an account, left unchanged")
    if report.created:
        echo_err(f"{len(report.created)} password(s) written to {report.passwords_path} (mode 0600; never printed)")
