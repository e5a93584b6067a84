"""The scorer's one-call entry points: `evaluate` one system, `compare` two (thin wrappers over `Scorer`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.scoring import parameters
from toolkit.scoring.gold.gold import Gold
from toolkit.scoring.options import ScoringOptions
from toolkit.scoring.predictions import Source
from toolkit.scoring.result import EvalResult
from toolkit.scoring.scorer import DEFAULT_IOU, DEFAULT_SEED, Scorer


def evaluate(
    predictions: Source,
    gold: str | Path | Gold,
    documents: str | Path | None = None,
    split: str | None = None,
    *,
    options: ScoringOptions | None = None,
    **keywords: Any,
) -> EvalResult:
    """Score one system: a predictions JSONL file or a list of prediction records (see `Scorer.score`).

    The options are `ScoringOptions`' fields, given as ``options`` or as keywords (which replace ``options``'
    values): ``iou``, ``ignore_extra``, ``engine``, ``require_complete``, ``per_label_convention``, ``compat``,
    ``token_label_map``, ``newsclaims_normalisation``, ``breakdown``, ``bootstrap``, ``seed``, ``by`` and
    ``per_document``.  The result's ``to_dict()`` is what ``toolkit eval --format json`` writes for the same
    inputs and options.
    """
    options = ScoringOptions.of(options, **keywords)  # every value checked before the gold is read
    return options.score(options.scorer(gold, documents, split), predictions)[1]


def compare(
    a: Source,
    b: Source,
    gold: str | Path | Gold,
    documents: str | Path | None = None,
    split: str | None = None,
    *,
    iou: float = DEFAULT_IOU,
    resamples: int = 1000,
    seed: int = DEFAULT_SEED,
    ignore_extra: bool = False,
    engine: str | None = None,
) -> dict[str, Any]:
    """Paired bootstrap of system B against system A on the same gold documents (see `Scored.paired`): what
    ``toolkit compare --json`` prints."""
    parameters.resamples(resamples, "resamples", minimum=1), parameters.seed(seed)
    scorer = Scorer(gold, documents, split, iou=iou, ignore_extra=ignore_extra, engine=engine)
    return scorer.score(a).paired(scorer.score(b), resamples, seed)
