"""The exception tree of the library layer.

Library functions raise these; only the CLI (``toolkit.cli``) turns them into a
one-line message and an exit code.  Each error carries a code (``[V101]``) that
users can search for and tests can assert, and subclasses the built-in
exception it resembles so that callers outside the toolkit can catch it
naturally.
"""

from __future__ import annotations

from dataclasses import dataclass


class ToolkitError(Exception):
    """Base of every error the toolkit raises on purpose."""

    code = "E000"
    exit_code = 1

    def __str__(self) -> str:
        return f"[{self.code}] {super().__str__()}"


class InputError(ToolkitError, ValueError):
    """The user gave input that cannot be used (bad file, bad option)."""

    code = "E100"
    exit_code = 2


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

    def __str__(self) -> str:
        location = f"{self.file}:{self.line}" if self.line else self.file
        return f"{location}: {self.field}: {self.message}"


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
        return [str(problem) for problem in self.problems]


class ConversionError(ValidationError):
    """Annotations in a Label Studio export could not be converted; the rest were written, the raw export is kept."""

    code = "E102"

    def __init__(self, problems: list[Problem], summary: str):
        super().__init__(problems)
        self.args = (summary,)
