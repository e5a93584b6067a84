"""The scorer's one-call entry points: `evaluate` one system, `compare` two (thin wrappers over `Scorer`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.scoring import parameters
from toolkit.scoring.gold.gold import Gold
from toolkit.scoring.predictions import Source
from toolkit.scoring.result import EvalResult
from toolkit.scoring.scorer import DEFAULT_IOU, DEFAULT_SEED, Scorer


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
    require_complete: bool = False,
    per_label_convention: str = "voci",
    compat: bool = False,
    token_label_map: dict[str, str] | None = None,
    newsclaims_normalisation: str = "english",
) -> EvalResult:
    """Score one system: a predictions JSONL file or a list of prediction records (see `Scorer.score`).

    The result's ``to_dict()`` is what ``toolkit eval --format json`` writes for the same inputs.
    """
    parameters.resamples(bootstrap), parameters.seed(seed)  # before the gold is read
    scorer = Scorer(
        gold,
        documents,
        split,
        iou=iou,
        ignore_extra=ignore_extra,
        engine=engine,
        require_complete=require_complete,
        per_label_convention=per_label_convention,
        compat=compat,
        token_label_map=token_label_map,
        newsclaims_normalisation=newsclaims_normalisation,
    )
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
    parameters.resamples(resamples, "resamples", minimum=1), parameters.seed(seed)
    scorer = Scorer(gold, documents, split, iou=iou, ignore_extra=ignore_extra, engine=engine)
    return scorer.score(a).paired(scorer.score(b), resamples, seed)
