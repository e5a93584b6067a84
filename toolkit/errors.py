"""The exception tree of the library layer.

Library functions raise these; the entry points (the CLI, ``toolkit.cli``, and the Codabench scoring program)
turn them into one-line messages and an exit code with `report_error`.  Each error carries a code (``[V101]``) that
users can search for and tests can assert, and subclasses the built-in
exception it resembles so that callers outside the toolkit can catch it
naturally.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from toolkit.display import for_terminal

DEBUG_VARIABLE = "TOOLKIT_DEBUG"


_MENTION = re.compile("\x00([A-Za-z_][A-Za-z0-9_]*)\x00")


def mention(parameter: str) -> str:
    """A parameter named inside an error message (``f"given without {mention('blind')}"``): shown as the caller
    names its parameters, Python by the name itself, the CLI by its flag (`toolkit.cli._app.flag_of`).  Only for
    errors: text a function returns names no parameter."""
    return f"\x00{parameter}\x00"


def as_named(text: str, names: Callable[[str], str] | None = None) -> str:
    """``text`` with each `mention` shown as ``names`` calls the parameter (default: its own name)."""
    return _MENTION.sub(lambda match: names(match[1]) if names else match[1], text)


class ToolkitError(Exception):
    """Base of every error the toolkit raises on purpose."""

    code = "E000"
    exit_code = 1
    keeps_outputs = False  # True: the outputs written so far are complete and are kept (see `toolkit.staging`)
    names: Callable[[str], str] | None = None  # how an entry point names parameters (the CLI: `toolkit.cli._app`)

    def __init__(self, *args, parameter: str | None = None):
        super().__init__(*args)
        self.parameter = parameter  # the library parameter whose value is wrong, as data: ``"split"``, ``"gold"``

    def __str__(self) -> str:
        where = as_named(mention(self.parameter), self.names) if self.parameter else None
        return f"[{self.code}] {f'{where}: ' if where else ''}{as_named(super().__str__(), self.names)}"


class InputError(ToolkitError, ValueError):
    """The user gave input that cannot be used (bad file, bad option)."""

    code = "E100"
    exit_code = 2


class ParameterError(InputError):
    """A function was given a value it cannot use; ``parameter`` names it (``iou``) and ``reason`` says why, so that
    the CLI can say it under the option's name (``--iou``) instead."""

    def __init__(self, parameter: str, reason: str):
        self.reason = reason
        super().__init__(reason, parameter=parameter)


class OutputError(InputError):
    """An output cannot be written where the user asked (a folder, a read-only folder, a path under a file)."""

    code = "E103"


class MissingFileError(InputError):
    """An input file does not exist; carries the path, so that the CLI can name the option whose default it was."""

    code = "E110"

    def __init__(self, path, expected: str):
        self.path = path
        super().__init__(f"{path}: file not found (expected {expected})")


class ConflictError(ToolkitError, ValueError):
    """Existing data disagrees with new data; the run stops instead of guessing."""

    code = "E200"
    exit_code = 2


class ServerError(ToolkitError, ConnectionError):
    """A server (Label Studio, a web page, the Hub) could not be reached or refused."""

    code = "E300"
    exit_code = 3


class ConfigurationError(ToolkitError, RuntimeError):
    """Something the environment must provide is missing (a token, a program)."""

    code = "E400"
    exit_code = 2


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one record, located precisely enough to fix by hand."""

    file: str
    line: int
    field: str
    message: str

    def text(self, names: Callable[[str], str] | None = None) -> str:
        """The line a user reads; ``names`` shows the parameters it names (`as_named`)."""
        location = f"{self.file}:{self.line}" if self.line else self.file
        return as_named(f"{location}: {self.field}: {self.message}", names)

    def __str__(self) -> str:
        return self.text()


SHOWN_PROBLEMS = 3  # problems that `str(ValidationError)` quotes


class ValidationError(InputError):
    """Records failed validation; carries every problem found (up to a limit)."""

    code = "E101"

    def __init__(self, problems: list[Problem], truncated: bool = False):
        self.problems = list(problems)
        self.truncated = truncated
        more = " (more problems not shown)" if truncated else ""
        super().__init__(f"{len(self.problems)} problem(s){more}")

    def lines(self) -> list[str]:
        """The messages a user reads, one per problem."""
        return [problem.text(self.names) for problem in self.problems]

    def summary(self) -> str:
        """``[E101] 3 problem(s)``: the CLI's last line, under the problem lines it printed."""
        return super().__str__()

    def __str__(self) -> str:
        """The summary and the first problems: what a caller that only prints the exception (a training loop) needs
        to fix its records; every problem is in `lines`."""
        lines = self.lines()
        if not lines:
            return self.summary()
        rest = len(lines) - SHOWN_PROBLEMS
        more = f"; and {rest} more (all in .lines())" if rest > 0 else ""
        return f"{self.summary()}: " + "; ".join(lines[:SHOWN_PROBLEMS]) + more


class ConversionError(ValidationError):
    """Annotations in a Label Studio export could not be converted; the rest were written, the raw export is kept."""

    code = "E102"

    keeps_outputs = True  # the records that could be converted are written; the problems file lists the others

    def __init__(self, problems: list[Problem], summary: str):
        super().__init__(problems)
        self.args = (summary,)


OS_REASONS = {
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ELOOP: "symlink loop (a symbolic link that leads back to itself)",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.ENAMETOOLONG: "name too long",
    errno.EEXIST: "already exists",
    errno.EXDEV: "on another file system",
    errno.EIO: "input/output error",
}


def describe_os_error(error: OSError) -> str:
    """What an `OSError` means to a user, in a few words and without the path (the message names it)."""
    return OS_REASONS.get(error.errno, error.strerror or type(error).__name__)


class MissingExtraError(ToolkitError, ImportError):
    """A command or an option needs a package of an extra that is not installed (`toolkit.extras`)."""

    code = "E120"
    exit_code = 2

    def __init__(self, extra: str, command: str | None = None, instead: str | None = None):
        self.extra = extra
        self.command = command
        self.instead = instead  # what works without the extra (``give --segments FOLDER``), said after the install
        super().__init__(extra)

    def __str__(self) -> str:
        needing = f"toolkit {self.command}" if self.command else "this"
        install = f"{needing} needs the '{self.extra}' extra: pip install 'voci-toolkit[{self.extra}]'"
        return install + (f"; or {as_named(self.instead, self.names)}" if self.instead else "")


def show_traceback(error: BaseException) -> None:
    """The traceback on stderr, only when ``TOOLKIT_DEBUG`` is set."""
    if os.environ.get(DEBUG_VARIABLE):
        traceback.print_exception(error, file=sys.stderr)


def _to_stderr(message: str) -> None:
    print(for_terminal(message), file=sys.stderr)


def report_error(error: ToolkitError, echo: Callable[[str], None] = _to_stderr) -> int:
    """Print the error the way users read it (one line per problem) and return its exit code.

    ``echo`` writes one line to stderr; the default shows it as safely as `toolkit.display.for_terminal` does.
    """
    if isinstance(error, ValidationError):
        for line in error.lines():
            echo(line)
    echo(f"error: {error.summary() if isinstance(error, ValidationError) else error}")
    show_traceback(error)
    return error.exit_code
