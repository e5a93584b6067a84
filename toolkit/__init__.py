"""voci: an annotated Italian news dataset of who claims what, and the toolkit that makes and scores it.

The Python API (docs/api.md)::

    from toolkit import Scorer
    scorer = Scorer("dist/voci", split="test")          # or a gold JSONL + documents, or a Hub id ORG/NAME
    result = scorer.score(records).result(bootstrap=1000)  # records: prediction dicts, or a JSONL path
    result.to_dict()                                        # what `toolkit eval --format json` writes

Every command imports this package, so the names below are imported on first use only: ``toolkit validate``
does not pay for numpy or the scorer.
"""

from __future__ import annotations

import importlib

DISTRIBUTION = "voci-toolkit"
_PUBLIC = {  # name → the module that defines it
    "load_gold": "toolkit.scoring.scorer",
    "Scorer": "toolkit.scoring.scorer",
    "Scored": "toolkit.scoring.scorer",
    "Gold": "toolkit.scoring.gold.gold",
    "EvalResult": "toolkit.scoring.result",
    "evaluate": "toolkit.scoring.evaluate",
    "ScoringOptions": "toolkit.scoring.options",
    "compare": "toolkit.scoring.evaluate",
    "ToolkitError": "toolkit.errors",
    "InputError": "toolkit.errors",
    "ValidationError": "toolkit.errors",
    "ServerError": "toolkit.errors",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    """The public names, and ``__version__``: the installed distribution's version (pyproject.toml, via the package
    metadata), each looked up on first use only."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version(DISTRIBUTION)
        except PackageNotFoundError:  # a source tree that was never installed
            value = "0+unknown"
    elif name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # once looked up, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
