"""The guard of the commands that read pulled annotations: no agreement, gold or dataset from a pull whose
conversion problems are still open (the per-annotator files then miss that work)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import echo_err
from toolkit.errors import InputError

AllowProblemsOption = Annotated[
    bool,
    typer.Option(
        "--allow-problems",
        help="Run even though the conversion-problems.txt of the last pull lists annotations that were not converted.",
    ),
]


def refuse_pending_problems(inputs: Iterable[Path], allow: bool) -> None:
    """Exit 2 naming the problems file beside the inputs while it lists problems, unless ``allow``."""
    from toolkit.labelstudio.annotations.problems import pending_problems

    for path, count in pending_problems(inputs):
        message = (
            f"{path}: lists {count} problem(s) from the last pull: those annotations are missing from the "
            "per-annotator files"
        )
        if not allow:
            raise InputError(f"{message} (fix them in Label Studio and pull again, or pass --allow-problems)")
        echo_err(f"warning: {message} (--allow-problems: going on without them)")
