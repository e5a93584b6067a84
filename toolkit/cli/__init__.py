"""The ``toolkit`` command line: one module per command, all registered on one app.

Every module in this package (other than those starting with ``_``) is a
command module; importing it registers its command, so adding a command means
adding a file, not editing a list.
"""

from __future__ import annotations

import importlib
import pkgutil

from toolkit.cli._app import app


def _register_commands() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_register_commands()


def main() -> None:
    app()


__all__ = ["app", "main"]
