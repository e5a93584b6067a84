"""The one path guard: no output replaces or lands inside an input, and a command's outputs do not collide.

A command says once what it reads and writes, as a `PathPlan` of `Input` and `Output` entries named by the option
the user typed (``--gold``, ``PREDICTIONS``).  `PathPlan.check` compares them all after resolving every path
(symlinks followed, hard links recognised) before any work is done, and refuses, naming both options:

- an output that is an input, lies inside an input folder, or (for a folder output) holds an input;
- two outputs that are the same path, or one inside the other;
- an input that is a FIFO, a device or a symlink loop (it is never opened);
- an output that cannot be created: an existing folder where a file goes (or a file where a folder goes), a path
  under a file, a folder the user cannot write in.

The command line builds the plan from its option types (`toolkit.cli._options`), so every command is guarded by
construction; library functions that write (``build_dataset``, ``write_leaderboard``…) declare theirs too, so a
Python caller gets the same guard.  Writing itself is `toolkit.staging`'s job.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import ConflictError, InputError, OutputError, describe_os_error

STDOUT = "-"
# Output kinds: one file; a folder written whole (replaced by the new one); named files and sub-folders inside a
# folder that is otherwise left alone ("annotators/" = any file in that sub-folder); a working folder written in place
# (a server's data).
FILE, FOLDER, FILES, WORKDIR = "file", "folder", "files", "workdir"


def real(path: str | Path) -> Path:
    """The absolute path with every symlink resolved (never raises: a loop is left as it is, `check_input` refuses)."""
    return Path(os.path.realpath(os.path.abspath(path)))


def inside(path: Path, folder: Path) -> bool:
    return path != folder and folder in path.parents


def special_kind(mode: int) -> str | None:
    """What a non-regular, non-folder file is, for messages; None for a regular file or a folder."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return None


@dataclass(frozen=True)
class Input:
    """A path the command reads: a file, or a folder whose every file is read.

    ``rewritten``: files inside an input folder that the command regenerates (``toolkit card`` rewrites README.md).
    """

    option: str
    path: Path
    rewritten: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.option} {self.path}" if self.option else str(self.path)


@dataclass(frozen=True)
class Output:
    """A path the command writes; ``kind`` is one of FILE, FOLDER, FILES (with ``names``) or WORKDIR."""

    option: str
    path: Path
    kind: str = FILE
    names: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.option} {self.path}" if self.option else str(self.path)

    @property
    def is_stdout(self) -> bool:
        return str(self.path) == STDOUT

    def targets(self) -> list[tuple[Path, bool]]:
        """``(path, is_region)`` of what is written: a region is a folder whose whole content is the command's."""
        if self.kind == FILES:
            return [(Path(self.path) / name, name.endswith("/")) for name in self.names]
        return [(Path(self.path), self.kind == FOLDER)]  # a working folder's own files are the server's, not inputs


@dataclass
class PathPlan:
    inputs: list[Input] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)

    def merged(self, other: PathPlan) -> PathPlan:
        """This plan and ``other``'s entries that it does not already hold."""
        return PathPlan(
            self.inputs + [entry for entry in other.inputs if entry not in self.inputs],
            self.outputs + [entry for entry in other.outputs if entry not in self.outputs],
        )

    def check(self) -> None:
        """Refuse the plan (`ConflictError`, `InputError`, `OutputError`) before anything is read or written."""
        inputs = [(entry, real(entry.path), _input_stat(entry)) for entry in self.inputs]
        targets = []
        for output in self.outputs:
            if output.is_stdout:
                continue
            _check_creatable(output)
            targets += [_Target(output, path, real(path), region) for path, region in output.targets()]
        for target in targets:
            for entry, path, info in inputs:
                _check_pair(target, entry, path, info)
        for index, first in enumerate(targets):
            for second in targets[index + 1 :]:
                if first.output == second.output:
                    continue
                if (
                    first.real == second.real
                    or (first.region and inside(second.real, first.real))
                    or (second.region and inside(first.real, second.real))
                ):
                    shared = first.shown if first.region or first.real == second.real else second.shown
                    raise ConflictError(
                        f"{first.output.label} and {second.output.label}: both write {shared} "
                        "(expected different outputs)"
                    )


@dataclass(frozen=True)
class _Target:
    """One path an output writes: as the user would name it, resolved, and whether it is a whole folder."""

    output: Output
    shown: Path
    real: Path
    region: bool

    @property
    def label(self) -> str:
        """The output's option and path, and the file inside it when that is what is meant."""
        return self.output.label if self.shown == Path(self.output.path) else f"{self.output.label} ({self.shown})"


def _input_stat(entry: Input) -> os.stat_result | None:
    """The input's stat (symlinks followed); None when it does not exist (its reader says so, if it is needed).

    A FIFO or a device is refused here, before anything opens it (reading would block or never end).
    """
    try:
        info = os.stat(entry.path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InputError(f"{entry.label}: {describe_os_error(error)} (expected a readable file or folder)") from None
    kind = special_kind(info.st_mode)
    if kind:
        raise InputError(f"{entry.label}: is {kind} (expected a regular file; FIFOs and devices are never read)")
    return info


def _check_pair(target: _Target, entry: Input, path: Path, info) -> None:
    same = target.real == path
    if not same and info is not None and not target.region:
        try:
            existing = os.stat(target.real)
            same = (existing.st_dev, existing.st_ino) == (info.st_dev, info.st_ino)  # a hard link
        except OSError:
            pass
    if same:
        raise ConflictError(
            f"{target.label}: is the same file as {entry.label} "
            "(an output never replaces an input; choose another path)"
        )
    if info is not None and stat.S_ISDIR(info.st_mode) and inside(target.real, path):
        if target.real in {path / name for name in entry.rewritten}:
            return
        raise ConflictError(
            f"{target.label}: is inside {entry.label}, a folder this command reads "
            "(expected an output outside its inputs)"
        )
    if target.region and inside(path, target.real):
        raise ConflictError(
            f"{target.label}: holds {entry.label} (the output folder is written whole; "
            "move the input out of it or choose another folder)"
        )


def _check_creatable(output: Output) -> None:
    """The output can be written there: right type if it exists (so are the files it names inside a folder), and
    its nearest existing ancestor a folder the user can write in."""
    path = Path(output.path)
    wants_folder = output.kind != FILE
    _check_type(output.label, path, wants_folder)
    for inner, region in output.targets() if output.kind == FILES else []:
        _check_type(f"{output.label} ({inner})", inner, region)
    ancestor = nearest_existing(path if wants_folder and os.path.lexists(path) else path.parent)
    if not os.path.isdir(ancestor):
        raise OutputError(f"{output.label}: cannot be created: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{output.label}: cannot write in {ancestor} (permission denied)")


def _check_type(label: str, path: Path, wants_folder: bool) -> None:
    if not os.path.lexists(path):
        return
    try:
        kind = special_kind(os.stat(path).st_mode)
    except OSError:  # a dangling link or a loop: writing there fails with its own message
        kind = None
    if kind:  # replacing it would turn /dev/null or a pipe into a regular file; use '-' for stdout
        raise OutputError(f"{label}: is {kind} (expected a regular file or folder path; '-' writes to stdout)")
    is_folder = os.path.isdir(path)
    if is_folder and not wants_folder:
        raise OutputError(f"{label}: is a folder (expected a file path)")
    if not is_folder and wants_folder:
        raise OutputError(f"{label}: is a file (expected a folder, or a path to create one)")


def nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists (a symlink counts, as the OS would follow it)."""
    path = Path(os.path.abspath(path))
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path
