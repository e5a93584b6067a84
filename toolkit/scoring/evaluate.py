"""The scorer's one-call entry points: `evaluate` one system, `compare` two (thin wrappers over `Scorer`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.scoring.gold.gold import Gold
from toolkit.scoring.predictions import Source
from toolkit.scoring.result import EvalResult
from toolkit.scoring.scorer import DEFAULT_IOU, DEFAULT_SEED, Scorer, check_resamples


def evaluate(
    predictions: Source,
    gold: str | Path | Gold,
    documents: str | Path | None = None,
    split: str | None = None,
    *,
    iou: float = DEFAULT_IOU,
    bootstrap: int = 0,
    seed: int = DEFAULT_SEED,
    ignore_extra: bool = False,
    engine: str | None = None,
) -> EvalResult:
    """Score one system: a predictions JSONL file or a list of prediction records (see `Scorer.score`).

    The result's ``to_dict()`` is what ``toolkit eval --format json`` writes for the same inputs.
    """
    check_resamples(bootstrap=bootstrap)
    scorer = Scorer(gold, documents, split, iou=iou, ignore_extra=ignore_extra, engine=engine)
    return scorer.score(predictions).result(bootstrap, seed)


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
    check_resamples(resamples=resamples)
    scorer = Scorer(gold, documents, split, iou=iou, ignore_extra=ignore_extra, engine=engine)
    return scorer.score(a).paired(scorer.score(b), resamples, seed)
