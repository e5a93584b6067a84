"""The one writer: all outputs of a run are staged, then moved into place together (or not at all).

``with staged(plan) as staging:`` checks the plan (`toolkit.pathguard`), then every write to a declared output
goes to a staged copy: a hidden file beside its target, or, for a folder written whole, a hidden sibling folder
(`Staging.folder`).  When the block ends without error, `Staging.commit` moves each staged copy into place, keeping
the previous version aside until every move has succeeded; if one move fails, the versions already replaced are
restored.  On an error (or Ctrl-C) the staged copies are deleted and nothing was written.  An error whose
``keeps_outputs`` is true (a conversion that wrote what it could) commits first.

Writers never call this directly: `toolkit.files.write_text`, ``write_json``, ``write_jsonl``, ``append_text`` and
``atomic_writer`` ask the active staging where to write, and outside one they stage their single file the same way.
A nested ``staged(plan)`` (a library function that declares its own outputs, called by a command that already
did) joins the active staging, adding what its plan declares.  Writing a path that no plan declared is a bug
in the toolkit and raises `UndeclaredOutput`.

A library function that writes declares its paths the same way, so that Python callers get the guard too (its labels
name parameters, `toolkit.errors.mention`: the CLI shows them as flags)::

    outputs = [Output(mention("out"), out), Output(mention("built"), built, FOLDER)]
    plan = PathPlan([Input(mention("gold"), gold)], outputs)
    with staged(plan) as run:
        write_jsonl(out, records)
        folder = run.folder(built)  # fill this staged folder: it replaces ``built`` at the end
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import OutputError, describe_os_error
from toolkit.pathguard import FILE, FILES, FOLDER, WORKDIR, Output, PathPlan, inside, nearest_existing, real

_ACTIVE: ContextVar[Staging | None] = ContextVar("toolkit_staging", default=None)


class UndeclaredOutput(RuntimeError):
    """A write to a path that the running command did not declare (a bug: declare it in the command's plan)."""


def default_permissions(folder: bool = False) -> int:
    """What a plain ``open(path, "w")`` (or ``mkdir``) would give: 0o666 (0o777) less the umask; staged copies
    start private."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if folder else 0o666) & ~umask


@dataclass
class _Move:
    """One staged copy moved into place: what was there is kept aside in ``backup`` until the commit is done."""

    target: Path
    created: list[Path]
    backup: Path | None = None
    replaced: bool = False

    def undo(self) -> None:
        with contextlib.suppress(OSError):
            if self.replaced:
                _remove(self.target)
            if self.backup is not None:
                os.rename(self.backup, self.target)
            for folder in reversed(self.created):
                folder.rmdir()


class Staging:
    """The staged copies of one run's outputs, by resolved target path."""

    def __init__(self, plan: PathPlan):
        self.plan = plan
        self.files: dict[Path, tuple[Output, Path]] = {}
        self.folders: dict[Path, tuple[Output, Path]] = {}
        self.removals: dict[Path, Output] = {}

    # --- where a write goes

    def _match(self, target: Path) -> tuple[Output, Path | None] | None:
        """The declared output that ``target`` belongs to, and the staged folder holding it (for folder outputs)."""
        for output, folder in self.folders.values():
            if target == folder or inside(target, folder):
                return output, folder
        for output in self.plan.outputs:
            if output.is_stdout:
                continue
            root = real(output.path)
            if output.kind == FILE and target == root:
                return output, None
            if output.kind in (FOLDER, WORKDIR) and inside(target, root):
                return output, None
            if output.kind == FILES:
                for path, region in output.targets():
                    wanted = real(path)
                    if target == wanted or (region and inside(target, wanted)):
                        return output, None
        return None

    def covers(self, output: Output) -> bool:
        """Whether every path of ``output`` is declared already; a path declared as another kind of output (a file
        that a nested plan writes as a folder) is not covered: the check of the merged plan refuses the clash."""
        if output.is_stdout:
            return True
        for path, _ in output.targets():
            match = self._match(real(path))
            if match is None or (match[0].kind != output.kind and real(match[0].path) == real(path)):
                return False
        return True

    def extend(self, plan: PathPlan) -> None:
        """Add a nested plan's inputs and the outputs not already declared, and check the whole again."""
        extra = PathPlan(plan.inputs, [output for output in plan.outputs if not self.covers(output)])
        merged = self.plan.merged(extra)
        merged.check()
        self.plan = merged

    def file(self, path: str | Path, permissions: int | None = None) -> Path | None:
        """Where to write ``path`` now: its staged copy, or None for a working folder (written in place)."""
        target = real(path)
        match = self._match(target)
        if match is None:
            raise UndeclaredOutput(f"{path} is written but is not an output declared by this command")
        output, staged_folder = match
        if staged_folder is not None:
            return target
        if output.kind == WORKDIR:
            return None
        if output.kind == FOLDER:
            root = real(output.path)
            return self.folder(output.path) / target.relative_to(root)
        if target not in self.files:
            self.files[target] = (output, self._new_file(output, target, permissions))
        return self.files[target][1]

    def remove(self, path: str | Path) -> None:
        """Delete the declared output ``path`` at the commit (kept aside until every move has succeeded)."""
        target = real(path)
        match = self._match(target)
        if match is None or match[1] is not None or match[0].kind in (FOLDER, WORKDIR):
            raise UndeclaredOutput(f"{path} is removed but is not a file output declared by this command")
        self.files.pop(target, None)
        self.removals[target] = match[0]

    def folder(self, path: str | Path) -> Path:
        """The staged folder that replaces the folder output ``path`` at commit (created empty on first use)."""
        target = real(path)
        if target not in self.folders:
            output = next(
                (entry for entry in self.plan.outputs if entry.kind == FOLDER and real(entry.path) == target), None
            )
            if output is None:
                raise UndeclaredOutput(f"{path} is written as a folder but is not a folder output of this command")
            try:
                staged = real(tempfile.mkdtemp(prefix=f".{target.name}.staged-", dir=nearest_existing(target.parent)))
                os.chmod(staged, default_permissions(folder=True))
            except OSError as error:
                raise OutputError(f"{output.label}: cannot write ({describe_os_error(error)})") from None
            self.folders[target] = (output, staged)
        return self.folders[target][1]

    def label(self, path: str | Path) -> str:
        """How messages name the output that ``path`` belongs to."""
        match = self._match(real(path))
        return match[0].label if match else str(path)

    @staticmethod
    def _new_file(output: Output, target: Path, permissions: int | None) -> Path:
        try:
            descriptor, name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".staged", dir=nearest_existing(target.parent)
            )
            os.fchmod(descriptor, default_permissions() if permissions is None else permissions)
            os.close(descriptor)
        except OSError as error:
            raise OutputError(f"{output.label}: cannot write ({describe_os_error(error)})") from None
        return Path(name)

    # --- all or nothing

    def commit(self) -> None:
        """Move every staged copy into place; on a failure, put back what was there and raise `OutputError`."""
        moves: list[_Move] = []
        label = ""
        try:
            for target, (output, staged) in {**self.files, **self.folders}.items():
                label = output.label
                move = _Move(target, [])
                moves.append(move)
                _make_folders(target.parent, move.created)
                if os.path.lexists(target):
                    move.backup = _sibling(target, "previous")
                    os.rename(target, move.backup)
                os.replace(staged, target)
                move.replaced = True
            for target, output in self.removals.items():
                label = output.label
                if os.path.lexists(target):
                    move = _Move(target, [], _sibling(target, "removed"))
                    moves.append(move)
                    os.rename(target, move.backup)
        except BaseException as error:
            for move in reversed(moves):
                move.undo()
            self.discard()
            if isinstance(error, OSError):
                raise OutputError(f"{label}: cannot write {moves[-1].target} ({describe_os_error(error)})") from None
            raise
        for move in moves:
            if move.backup is not None:
                with contextlib.suppress(OSError):
                    _remove(move.backup)
        self.files.clear()
        self.folders.clear()
        self.removals.clear()

    def discard(self) -> None:
        """Delete every staged copy: nothing of this run reaches its target."""
        for _, staged in self.files.values():
            with contextlib.suppress(OSError):
                staged.unlink()
        for _, staged in self.folders.values():
            shutil.rmtree(staged, ignore_errors=True)
        self.files.clear()
        self.folders.clear()
        self.removals.clear()


def _make_folders(folder: Path, created: list[Path]) -> None:
    """Create ``folder`` and its missing ancestors, appending each one created (outermost first) to ``created``."""
    missing = []
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        os.mkdir(path)
        created.append(path)


def _sibling(target: Path, tag: str) -> Path:
    while True:
        candidate = target.with_name(f".{target.name}.{tag}-{os.urandom(4).hex()}")
        if not os.path.lexists(candidate):
            return candidate


def _remove(path: Path) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def active() -> Staging | None:
    """The staging of the run in progress, if any."""
    return _ACTIVE.get()


@contextlib.contextmanager
def staged(plan: PathPlan, own: bool = False) -> Iterator[Staging]:
    """Check ``plan``, stage every write to its outputs, and commit them together when the block succeeds.

    Inside another run, the block joins it (its outputs are committed with the run's), unless ``own``: a run of
    its own inside the run (a scoring program writing its scratch folder) commits when its block ends, and may
    still not write over an input of the run it is part of.
    """
    current = _ACTIVE.get()
    if current is not None and not own:
        current.extend(plan)
        yield current
        return
    PathPlan([*(current.plan.inputs if current else []), *plan.inputs], plan.outputs).check()
    staging = Staging(plan)
    token = _ACTIVE.set(staging)
    try:
        yield staging
    except BaseException as error:
        _ACTIVE.reset(token)
        if getattr(error, "keeps_outputs", False):
            staging.commit()
        else:
            staging.discard()
        raise
    _ACTIVE.reset(token)
    staging.commit()
