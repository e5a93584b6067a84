"""``toolkit schemas``: regenerate the JSON Schemas from the label inventory."""

from __future__ import annotations

from toolkit.cli._app import app, echo_out


@app.command()
def schemas() -> None:
    """Write schemas/*.schema.json from schemas/labels.json (run after editing the inventory)."""
    from toolkit.schemas import write_schemas

    for path in write_schemas():
        echo_out(str(path))
