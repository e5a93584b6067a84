"""The one typer app every command module registers on, and the one place errors become messages and exit codes.

Every command is a `ToolkitCommand`: before its body runs, the paths its parameters declare (`input_path`,
`output_path`, below) are checked by the path guard, and everything it writes is staged and moved into place
when it succeeds (`toolkit.staging`).  Shared options are declared once, in `toolkit.cli._options`.

Every message goes out through `toolkit.display.for_terminal` (secrets in URLs redacted, control characters made
visible), one line per problem; a usage error (a bad option value) is one line too.  ``TOOLKIT_DEBUG=1`` adds the
traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from toolkit.display import for_terminal
from toolkit.errors import (
    DEBUG_VARIABLE,
    MissingExtraError,
    MissingFileError,
    ToolkitError,
    mention,
    show_traceback,
)
from toolkit.errors import report_error as _report_error
from toolkit.pathguard import FILE, Input, Output, PathPlan

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
    in its role (`InputRole.implicit`).
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


def flags(ctx: typer.Context) -> Callable[[str], str]:
    """How the running command names library parameters (`toolkit.errors.as_named`): by its flags."""
    return partial(flag_of, ctx)


_INVOKED = "toolkit.invoked"


# ---------------------------------------------------------------- paths
# A parameter declared with `input_path` or `output_path` carries its role as its parser; `ToolkitCommand` builds the
# command's `toolkit.pathguard.PathPlan` from those roles before the command runs, so a command that declares its
# paths this way is guarded and staged by construction (no output over an input, outputs written all together).


@dataclass(frozen=True)
class InputRole:
    """Parser of a path the command reads (a file, or a folder whose files it reads).

    ``rewritten``: files inside an input folder that the command regenerates (``toolkit card``'s README.md).
    """

    rewritten: tuple[str, ...] = ()
    implicit: str | None = None  # what the command reads when the option is not given (guarded all the same)
    __name__ = "path"  # what help shows as the type of an argument

    def __call__(self, value) -> str:
        return os.fspath(value)


@dataclass(frozen=True)
class OutputRole:
    """Parser of a path the command writes; ``kind`` and ``names`` as in `toolkit.pathguard.Output`.

    ``planned_by_library``: the library function the command calls declares this output itself, after checks that
    must come first (``build --private-out``: its default depends on ``--blind``, and it must not overlap ``--out``).
    """

    kind: str = FILE
    names: tuple[str, ...] = ()
    stdout: bool = False  # "-" means standard output
    planned_by_library: bool = False
    __name__ = "path"

    def __call__(self, value) -> str:
        return os.fspath(value)


def _names(names: tuple) -> tuple[str, ...]:
    """Option names only: the default goes after ``=`` (``out: Annotated[Path, output_path("--out", ...)] = None``)."""
    if not all(isinstance(name, str) and name.startswith("-") for name in names):
        raise TypeError(f"option names expected, got {names!r} (the default goes after '=')")
    return names


def input_path(*names: str, help: str, rewritten: tuple[str, ...] = (), implicit=None, **extra):
    """An option (``names`` given) or an argument (none) naming a path the command reads, for ``Annotated``;
    ``implicit``: the file read when the option is not given (its default is None so that the command can tell)."""
    role = InputRole(rewritten, None if implicit is None else os.fspath(implicit))
    if names:
        metavar = extra.pop("metavar", "PATH")
        return typer.Option(*_names(names), parser=role, help=help, metavar=metavar, **extra)
    return typer.Argument(parser=role, help=help, **extra)


def output_path(
    *names: str,
    help: str,
    kind: str = FILE,
    files: tuple[str, ...] = (),
    stdout=False,
    planned_by_library=False,
    **extra,
):
    """An option naming a path the command writes, for ``Annotated``: a file (``-`` = stdout when ``stdout``), a
    folder written whole, or ``files`` inside a folder."""
    role = OutputRole(kind, files, stdout, planned_by_library)
    metavar = extra.pop("metavar", "FILE|-" if stdout else ("FOLDER" if kind != FILE else "FILE"))
    return typer.Option(*_names(names), parser=role, help=help, metavar=metavar, **extra)


def parameter_label(param) -> str:
    """How messages name a parameter: its long option (``--gold``) or its argument name (``PREDICTIONS``)."""
    options = [name for name in getattr(param, "opts", []) if name.startswith("--")]
    if param.param_type_name == "option" and options:
        return options[0]
    return getattr(param, "metavar", None) or (param.name or "").upper()


def path_plan(params, values) -> PathPlan:
    """The `PathPlan` of a command from its parameters' roles and the values given."""
    plan = PathPlan()
    for param in params:
        role = getattr(param.type, "func", None)
        value = values.get(param.name)
        if value is None and isinstance(role, InputRole):
            value = role.implicit
        if not isinstance(role, (InputRole, OutputRole)) or value is None:
            continue
        if isinstance(role, OutputRole) and role.planned_by_library:
            continue
        # an option by its parameter, as a library plan names it (`mention`), so that the two plans of a command agree;
        # messages show it as its flag (`flag_of`)
        label = mention(param.name) if param.param_type_name == "option" else parameter_label(param)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            path = Path(item)
            if isinstance(role, InputRole):
                plan.inputs.append(Input(label, path, role.rewritten))
            elif not (role.stdout and str(item) == "-"):
                plan.outputs.append(Output(label, path, role.kind, role.names))
    return plan


class ToolkitCommand(TyperCommand):
    """A command whose declared paths are guarded and whose outputs are staged, then committed together."""

    def invoke(self, ctx):
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
            error.names = partial(flag_of, ctx)
            option = option_defaulting_to(ctx, error.path)
            if option is not None:
                error.args = (
                    f"{error.args[0]}; it is the default of {option}, relative to the current folder: "
                    f"give {option} FILE",
                )
            raise typer.Exit(report_error(error)) from None
        except MissingExtraError as error:  # the one line says it all: which extra, and how to install it
            error.command, error.names = error.command or ctx.invoked_subcommand, partial(flag_of, ctx)
            echo_err(str(error))
            show_traceback(error)
            raise typer.Exit(error.exit_code) from None
        except ToolkitError as error:
            error.names = partial(flag_of, ctx)
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
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the installed version and exit."),
    ] = False,
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
