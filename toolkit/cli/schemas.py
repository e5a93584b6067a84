"""``toolkit schemas``: regenerate the JSON Schemas and the package's copies from the label inventory."""

from __future__ import annotations

from toolkit.cli._app import app, echo_out


@app.command()
def schemas() -> None:
    """At the root of a checkout: write schemas/*.schema.json from schemas/labels.json, and copy the inventory,
    the schemas and docs/guidelines.md into toolkit/resources/ (what an installed toolkit reads). Run after editing
    the inventory or the guidelines."""
    from toolkit.schemas import write_generated_files

    for path in write_generated_files():
        echo_out(str(path))
