"""The one typer app every command module registers on, and the one place errors become messages and exit codes.

Every command is a `ToolkitCommand`: before its body runs, the paths its options declare
(`toolkit.cli._options`) are checked by the path guard, and everything it writes is staged and moved into place
when it succeeds (`toolkit.staging`).  Every message goes out through `toolkit.display.for_terminal` (secrets in
URLs redacted, control characters made visible), one line per problem; a usage error (a bad option value) is one
line too.  ``TOOLKIT_DEBUG=1`` adds the traceback.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperCommand, TyperGroup

from toolkit.display import for_terminal
from toolkit.errors import DEBUG_VARIABLE, MissingExtraError, MissingFileError, ToolkitError, show_traceback
from toolkit.errors import report_error as _report_error

USAGE_ERROR_EXIT = 2
INTERNAL_ERROR_EXIT = 1
# typer vendors click from 0.28 on: take click's classes from typer's own BadParameter, whichever click it is.
UsageError, ClickException = typer.BadParameter.__mro__[1:3]


def _is_click_signal(error: BaseException) -> bool:
    """click's and typer's ways of ending a command (``Exit``, ``Abort``, their own messages): not a bug."""
    return isinstance(error, ClickException) or type(error).__name__ in ("Exit", "Abort")


def echo_err(message: str) -> None:
    """Progress and summaries for humans go to stderr so stdout stays parseable."""
    typer.echo(for_terminal(message), err=True)


def echo_out(message: str) -> None:
    """A line of a command's result on stdout, shown as safely as a message."""
    typer.echo(for_terminal(message))


def report_error(error: ToolkitError) -> int:
    """`toolkit.errors.report_error` through typer's stderr."""
    return _report_error(error, echo_err)


def report_usage_error(error, command: str | None) -> int:
    """A bad option value, a missing argument, an unknown option: one line naming the option."""
    from toolkit.cli._options import parameter_label

    param = getattr(error, "param", None)
    message = " ".join(str(getattr(error, "message", None) or error.format_message()).split())
    where = f"{parameter_label(param)}: " if param is not None and not message.startswith("Missing") else ""
    help_hint = f" (see `toolkit {command} -h`)" if command else ""
    echo_err(f"error: [E100] {where}{message}{help_hint}")
    show_traceback(error)
    return USAGE_ERROR_EXIT


def option_defaulting_to(ctx: typer.Context, path) -> str | None:
    """The option of the invoked command that the user left out and whose default is ``path``, if any.

    Project files (``annotations/documents.jsonl``...) are defaults relative to the current folder; when one is
    missing, the message names the option that gives another file.  The command line is parsed again, without
    callbacks, to learn which options were left out; an option whose default is None names the file it stands for
    in its role (`toolkit.cli._options.InputRole.implicit`).
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
        value = parsed.params.get(param.name)
        default = getattr(getattr(param.type, "func", None), "implicit", None) if value is None else value
        if isinstance(default, (str, Path)) and Path(default) == Path(path):
            return max(param.opts, key=len)
    return None


def flag_of(ctx: typer.Context, parameter: str) -> str:
    """The invoked command's flag for a library parameter: the one place parameters become flags."""
    invoked = ctx.meta.get(_INVOKED)
    for param in invoked[1].params if invoked else []:
        if param.name == parameter and param.param_type_name == "option":
            return max(param.opts, key=len)
    return "--" + parameter.replace("_", "-")


_INVOKED = "toolkit.invoked"


class ToolkitCommand(TyperCommand):
    """A command whose declared paths are guarded and whose outputs are staged, then committed together."""

    def invoke(self, ctx):
        from toolkit.cli._options import path_plan
        from toolkit.staging import staged

        with staged(path_plan(self.params, ctx.params)):
            return super().invoke(ctx)


class ToolkitGroup(TyperGroup):
    """Maps every `ToolkitError`, usage error and unexpected exception to its message and exit code."""

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
        except MissingExtraError as error:  # the one line says it all: which extra, and how to install it
            error.command = error.command or ctx.invoked_subcommand
            echo_err(str(error))
            show_traceback(error)
            raise typer.Exit(error.exit_code) from None
        except ToolkitError as error:
            if error.parameter is not None:
                error.shown_as = flag_of(ctx, error.parameter)
            raise typer.Exit(report_error(error)) from None
        except UsageError as error:
            raise typer.Exit(report_usage_error(error, ctx.invoked_subcommand)) from None
        except KeyboardInterrupt:
            echo_err("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:  # the reader left (`toolkit eval --help | head -3`): click exits 1 without a word
            raise
        except Exception as error:  # a bug: say so in one line; TOOLKIT_DEBUG=1 shows where
            if _is_click_signal(error):
                raise
            echo_err(
                f"error: [E000] internal error: {type(error).__name__}: {error} "
                f"(a bug in the toolkit: please report it with the output of {DEBUG_VARIABLE}=1)"
            )
            show_traceback(error)
            raise typer.Exit(INTERNAL_ERROR_EXIT) from None


class ToolkitTyper(typer.Typer):
    """A typer app whose commands are `ToolkitCommand`s unless a command says otherwise."""

    def command(self, *args, cls=None, **kwargs):
        return super().command(*args, cls=cls or ToolkitCommand, **kwargs)


app = ToolkitTyper(
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


def register_missing_extra(name: str, extra: str) -> None:
    """A stand-in for command ``name`` whose extra is not installed: listed as always; run, it says what to install."""

    @app.command(
        name,
        help=f"Needs the '{extra}' extra: pip install 'voci-toolkit[{extra}]'.",
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )
    def missing_extra() -> None:
        raise MissingExtraError(extra, name)
