"""Where a command's result goes: ``--out FILE`` (staged with the command's other outputs) or stdout (``-``)."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.display import printable
from toolkit.files import write_text


def to_stdout(out: Path | str | None) -> bool:
    return out is None or str(out) == "-"


def emit(text: str, out: Path | str | None) -> None:
    """``text`` to stdout (control characters made visible) or to the file ``out``."""
    if to_stdout(out):
        typer.echo(printable(text), nl=False)
    else:
        write_text(out, text)
