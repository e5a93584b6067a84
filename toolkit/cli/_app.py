"""The one typer app every command module registers on, and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import typer
from typer.core import TyperGroup

from toolkit.errors import MissingFileError, ToolkitError, ValidationError
from toolkit.paths import IMPLIED_DEFAULTS

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


def option_defaulting_to(ctx: typer.Context, path) -> str | None:
    """The option of the invoked command that the user left out and whose default is ``path``, if any.

    Project files (``annotations/documents.jsonl``...) are defaults relative to the current folder; when one is
    missing, the message names the option that gives another file.  The command line is parsed again, without
    callbacks, to learn which options were left out.
    """
    invoked = ctx.meta.get(_INVOKED)
    if invoked is None:
        return None
    name, command, args = invoked
    parsed = command.make_context(name, list(args), parent=ctx, resilient_parsing=True)
    for param in command.params:
        source = parsed.get_parameter_source(param.name)
        if param.param_type_name != "option" or source is None or source.name != "DEFAULT":
            continue
        option = max(param.opts, key=len)
        value = parsed.params.get(param.name)
        default = IMPLIED_DEFAULTS.get(option) if value is None else value
        if isinstance(default, (str, Path)) and Path(default) == Path(path):
            return option
    return None


_INVOKED = "toolkit.invoked"


class ToolkitGroup(TyperGroup):
    """Maps every `ToolkitError` raised by a command to its message and exit code."""

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[_INVOKED] = (name, command, list(rest))  # a copy: parsing consumes the list
        return name, command, rest

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MissingFileError as error:
            option = option_defaulting_to(ctx, error.path)
            if option is not None:
                error.args = (
                    f"{error.args[0]}; it is the default of {option}, relative to the current folder: "
                    f"give {option} FILE",
                )
            raise typer.Exit(report_error(error)) from None
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
