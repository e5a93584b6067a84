"""Where a command's result goes: ``--out FILE`` (staged with the command's other outputs) or stdout (``-``)."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.display import for_terminal, printable
from toolkit.files import dumps_json, write_text


def to_stdout(out: Path | str | None) -> bool:
    return out is None or str(out) == "-"


def emit(text: str, out: Path | str | None) -> None:
    """``text`` to stdout (control characters made visible) or to the file ``out``."""
    if to_stdout(out):
        typer.echo(printable(text), nl=False)
    else:
        write_text(out, text)


def emit_summary(lines: list[str], data, as_json: bool, out: Path | str | None) -> None:
    """A command's summary: its ``lines`` as text, or ``data`` as JSON with the lines shown beside it (on stderr
    when stdout carries the JSON)."""
    from toolkit.cli._app import echo_err, echo_out

    lines = [for_terminal(line) for line in lines]
    if not as_json:
        emit("".join(f"{line}\n" for line in lines), out)
        return
    say = echo_err if to_stdout(out) else echo_out  # stdout stays parseable when it carries the JSON
    for line in lines:
        say(line)
    emit(dumps_json(data), out)
