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

__version__ = "0.1.0"

_PUBLIC = {  # name → the module that defines it
    "load_gold": "toolkit.scoring.scorer",
    "Scorer": "toolkit.scoring.scorer",
    "Scored": "toolkit.scoring.scorer",
    "Gold": "toolkit.scoring.gold",
    "EvalResult": "toolkit.scoring.result",
    "evaluate": "toolkit.scoring.evaluate",
    "compare": "toolkit.scoring.evaluate",
    "ToolkitError": "toolkit.errors",
    "InputError": "toolkit.errors",
    "ValidationError": "toolkit.errors",
    "ServerError": "toolkit.errors",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value  # once imported, a plain attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
