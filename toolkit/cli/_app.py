"""The one typer app every command module registers on, and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
import traceback

import typer
from typer.core import TyperGroup

from toolkit.errors import ToolkitError, ValidationError

DEBUG_VARIABLE = "TOOLKIT_DEBUG"


def report_error(error: ToolkitError) -> int:
    """Print the error the way users read it (one line per problem) and return its exit code."""
    if isinstance(error, ValidationError):
        for line in error.lines():
            typer.echo(line, err=True)
        typer.echo(f"error: {error}", err=True)
    else:
        typer.echo(f"error: {error}", err=True)
    if os.environ.get(DEBUG_VARIABLE):
        traceback.print_exception(error, file=sys.stderr)
    return error.exit_code


class ToolkitGroup(TyperGroup):
    """Maps every `ToolkitError` raised by a command to its message and exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ToolkitError as error:
            raise typer.Exit(report_error(error)) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=ToolkitGroup,
    name="toolkit",
    help="voci: build, annotate, validate, publish and score the who-claims-what dataset.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from toolkit import DISTRIBUTION, __version__

        typer.echo(f"{DISTRIBUTION} {__version__}")
        raise typer.Exit()


@app.callback()
def _group(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the installed version and exit."
    ),
) -> None:
    """A callback keeps the app a group of commands even when only one command module is loaded (see
    `toolkit.cli.main`)."""


def echo_err(message: str) -> None:
    """Progress and summaries for humans go to stderr so stdout stays parseable."""
    typer.echo(message, err=True)
