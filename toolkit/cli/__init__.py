"""The ``toolkit`` command line: one module per command, all registered on one app.

Every module in this package (other than those starting with ``_``) is a
command module named after its command (``convert_export`` is
``convert-export``); importing it registers the command, so adding a command
means adding a file, not editing a list.  ``toolkit NAME ...`` imports only
module NAME: a scorer run does not pay for loading the Label Studio commands.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

COMMAND_MODULES = sorted(module.name for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_"))


def register_commands(names=COMMAND_MODULES):
    """Import the command modules ``names`` (each registers its command) and return the app."""
    for name in names:
        importlib.import_module(f"{__name__}.{name}")
    from toolkit.cli._app import app

    return app


def __getattr__(name: str):
    """``from toolkit.cli import app``: the app with every command."""
    if name == "app":
        return register_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    # One BLAS thread unless the user says otherwise: the toolkit's matrix products are thin (the bootstrap), and
    # a BLAS thread pool started with numpy would make the scorer's two-process read unsafe (`toolkit.scoring.forked`).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    command = sys.argv[1].replace("-", "_") if len(sys.argv) > 1 else None
    register_commands([command] if command in COMMAND_MODULES else COMMAND_MODULES)()


__all__ = ["COMMAND_MODULES", "app", "main", "register_commands"]
