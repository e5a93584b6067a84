"""The two scoring engines, in a registry: ``fast`` (the default) and ``reference`` (the definition).

Both give the same figures (``tests/test_scoring_engines.py``); the reference
engine exists so that a figure that looks wrong can be checked against plain
code in one switch: ``toolkit eval --engine reference``, ``VOCI_SCORER_ENGINE=reference``,
or ``Scorer(..., engine="reference")``.  What each engine does at each step:

| step | fast | reference |
|---|---|---|
| built folder | compiled gold when valid, else parquet | parquet |
| predictions | the short way, else the validator | the validator |
| counting | whole corpus with numpy (`engines.fast`) | document by document (`engines.reference`) |
| gold hash | stored at build time, else vectorised | written out line by line |

The fast engine's switches and sizes are in `toolkit.scoring.engines.thresholds`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from toolkit.errors import InputError
from toolkit.scoring.engines import fast, reference
from toolkit.scoring.gold.gold import gold_hash
from toolkit.scoring.signature import DEFAULT_ENGINE

ENGINE_VARIABLE = "VOCI_SCORER_ENGINE"


@dataclass(frozen=True)
class Engine:
    name: str
    compiled_gold: bool  # a build's compiled gold may be read
    short_way: bool  # predictions are read the short way first
    count: Callable  # (gold, predictions, iou[, pairs]) -> (documents × statistics, labels × entity counts); a
    # ``pairs`` list receives the matched claims' (gold rows, predicted rows, claimer right)
    gold_hash: Callable  # gold -> its content hash


ENGINES = {
    "fast": Engine("fast", True, True, fast.count, lambda gold: gold.digest or gold_hash(gold)),
    "reference": Engine("reference", False, False, reference.count, reference.gold_hash),
}


def engine_named(name: str | None = None) -> Engine:
    """The engine called ``name``; when ``None``, the one `ENGINE_VARIABLE` names, else the default."""
    where = {"parameter": "engine"}
    if name is None:
        name, where = os.environ.get(ENGINE_VARIABLE) or DEFAULT_ENGINE, {}
    if name not in ENGINES:
        variable = "" if where else f"{ENGINE_VARIABLE}: "
        expected = f"expected one of: {', '.join(ENGINES)}"
        raise InputError(f"{variable}{name!r} is not a scoring engine ({expected})", **where)
    return ENGINES[name]
