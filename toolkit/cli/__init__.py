"""The ``toolkit`` command line: one module per command, all registered on one app.

Every module in this package (other than those starting with ``_``) is a
command module named after its command (``convert_export`` is
``convert-export``); importing it registers the command, so adding a command
means adding a file, not editing a list.  ``toolkit NAME ...`` imports only
module NAME: a scorer run does not pay for loading the Label Studio commands.

A command outside the core install declares its extra (`toolkit.extras.EXTRA_MODULES`) with one line in
`COMMAND_EXTRAS`, keyed by its module name: ``"train": "spacy"``.  When that extra is not installed, a stand-in of
the same name is registered instead of the module (still listed in ``toolkit --help``); run, it exits 2 with one
line, ``toolkit train needs the 'spacy' extra: pip install 'voci-toolkit[spacy]'``.  The module itself imports the
extra's packages inside its function, as every command does.  A core command that needs an extra for one option
(``export --format spacy``) calls ``toolkit.extras.require_extra("spacy")`` before the import instead.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

COMMAND_MODULES = sorted(module.name for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_"))
COMMAND_EXTRAS = {  # command module → the extra it needs; a command not listed is in the core install
    "build": "dataset",
    "card": "dataset",
    "publish": "dataset",
    "benchmark_bundle": "dataset",
    "push": "annotate",
    "pull": "annotate",
    "progress": "annotate",
    "users": "annotate",
    "convert_export": "annotate",
    "agree": "annotate",
    "adjudicate": "annotate",
    "ingest": "ingest",
    "train": "spacy",
    "predict": "spacy",
    "backend": "backend",
    "studio": "studio",
}


def register_commands(names=COMMAND_MODULES):
    """Import the command modules ``names`` (each registers its command), or a stand-in for one whose extra is
    missing, and return the app."""
    from toolkit.cli._app import app, register_missing_extra
    from toolkit.extras import extra_installed

    for name in names:
        extra = COMMAND_EXTRAS.get(name)
        if extra is None or extra_installed(extra):
            importlib.import_module(f"{__name__}.{name}")
        else:
            register_missing_extra(name.replace("_", "-"), extra)

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


__all__ = ["COMMAND_EXTRAS", "COMMAND_MODULES", "app", "main", "register_commands"]
