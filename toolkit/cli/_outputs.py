"""Where a command's machine-readable result goes: ``--json OUT`` writes a file atomically, ``--json -`` prints it."""

from __future__ import annotations

import json
from typing import Any

import typer

from toolkit.files import write_json


def emit_json(data: Any, target: str) -> None:
    if target == "-":
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        write_json(target, data)
