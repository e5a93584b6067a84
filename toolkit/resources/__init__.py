"""Files the toolkit reads at run time, shipped inside the package and read with `importlib.resources`.

An installed wheel has no ``schemas/`` or ``docs/`` folder beside it, so everything the code needs travels in
this package.  The files here are copies, never edited by hand: ``toolkit schemas`` (run at the root of a
checkout) writes them from the files people edit, and a test fails when they drift.

- ``labels.json``: ``schemas/labels.json``, the label inventory;
- ``document.schema.json``, ``annotation.schema.json``, ``prediction.schema.json``: generated from the inventory
  (the same text as ``schemas/*.schema.json``);
- ``guidelines.md``: ``docs/guidelines.md``, shown to annotators as the Label Studio instructions.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.paths import DEFAULT_GUIDELINES

if TYPE_CHECKING:
    from importlib.abc import Traversable

INVENTORY = "labels.json"
GUIDELINES = "guidelines.md"


def schema_resource(kind: str) -> str:
    return f"{kind}.schema.json"


def resource(name: str) -> Traversable:
    """A shipped file (a plain path when the package is installed as files, as pip does)."""
    return files(__name__).joinpath(name)


def read_resource(name: str) -> str:
    return resource(name).read_text(encoding="utf-8")


def guidelines_markdown(path: Path = DEFAULT_GUIDELINES) -> str:
    """The guidelines at ``path``; the default path falls back to the shipped copy where the current folder has
    none (anywhere outside a checkout).  Raises `FileNotFoundError` for a missing file named by the user."""
    path = Path(path)
    if path == DEFAULT_GUIDELINES and not path.is_file():
        return read_resource(GUIDELINES)
    return path.read_text(encoding="utf-8")


def guidelines_available(path: Path = DEFAULT_GUIDELINES) -> bool:
    """Whether `guidelines_markdown` finds guidelines: always for the default, which ships with the toolkit."""
    return Path(path) == DEFAULT_GUIDELINES or Path(path).is_file()
