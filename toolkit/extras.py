"""The optional parts of the toolkit, and how to tell whether one is installed without importing it.

``pip install voci-toolkit`` is the scorer's core; the rest comes in extras named by what a person does.  Each
extra is known here by the modules it brings (checked with `importlib.util.find_spec`: nothing is imported, so the
check costs no start-up time).  The command line maps commands to extras (`toolkit.cli.COMMAND_EXTRAS`); code that
needs an extra for one option calls `require_extra` before its import, so that a missing extra is one line naming
it, never an ImportError.
"""

from __future__ import annotations

import importlib.util

from toolkit.errors import MissingExtraError

EXTRA_MODULES = {  # the extras of pyproject.toml → the modules whose presence proves each one installed
    "dataset": ("datasets", "spacy", "jinja2"),
    "annotate": ("label_studio_sdk", "sklearn", "krippendorff", "ijson"),
    "ingest": ("trafilatura",),
    "spacy": ("spacy",),
    "backend": ("starlette", "uvicorn"),
    "studio": ("label_studio", "psycopg", "starlette", "uvicorn"),
}


def extra_installed(extra: str) -> bool:
    return all(importlib.util.find_spec(module) is not None for module in EXTRA_MODULES[extra])


def require_extra(extra: str, command: str | None = None, instead: str | None = None) -> None:
    """Raise `MissingExtraError` (exit 2, one line; ``instead``: what works without it) unless ``extra`` is
    installed."""
    if not extra_installed(extra):
        raise MissingExtraError(extra, command, instead)
