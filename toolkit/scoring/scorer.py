"""The in-memory core of the scorer: a `Scorer` holds the gold, `Scorer.score` turns predictions into a `Scored`.

A `Scored` keeps the per-document sufficient statistics (sacreBLEU's split
between statistics and scores): `Scored.result` computes every figure, with
bootstrap intervals when asked, and `Scored.paired` the paired test against
another system scored by the same `Scorer`.  The gold is read once and each
system scored once, however many results and tests are asked of them (the
leaderboard).  ``toolkit eval``, ``toolkit compare``, the leaderboard and
`toolkit.scoring.evaluate` are thin wrappers over this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError
from toolkit.inventory import load_inventory
from toolkit.scoring.engines.registry import engine_named
from toolkit.scoring.figures import (
    HEADLINE_COUNTS,
    HEADLINE_FIGURES,
    claim_figures,
    entity_figures,
    headline,
    overall_figure,
)
from toolkit.scoring.gold.gold import Gold
from toolkit.scoring.gold.loading import read_gold
from toolkit.scoring.predictions import Source, is_file, paused_gc, read_predictions
from toolkit.scoring.result import EvalResult
from toolkit.scoring.signature import MATCHING_RULE, make_signature
from toolkit.scoring.statistics import layout

DEFAULT_SEED = 12345
DEFAULT_IOU = 0.5


def load_gold(
    source: str | Path | Gold, documents: str | Path | None = None, split: str | None = None, engine: str | None = None
) -> Gold:
    """The gold: a `Gold` as it is; an existing folder built by ``toolkit build`` (``split``: one of its splits);
    an existing gold JSONL, its texts from ``documents`` (default ``annotations/documents.jsonl``; ``split``: the
    documents whose ``split`` field says so); otherwise a Hugging Face Hub dataset id ``ORG/NAME[@REVISION]``.

    Raises `toolkit.errors.InputError` (or its `ValidationError`) on bad input, `ServerError` when the Hub cannot
    be reached and the dataset is not in the local cache.
    """
    if isinstance(source, Gold):
        return source
    with paused_gc():
        return read_gold(source, Path(documents) if documents else None, split, engine_named(engine).compiled_gold)


class Scorer:
    """Gold loaded once, then any number of prediction sets scored against it.

    ``gold``, ``documents``, ``split``: as `load_gold`.  ``iou``: the character
    IoU at which a predicted claim matches a gold claim.  ``ignore_extra``: skip
    predictions for documents not in the gold instead of refusing them.
    ``engine``: ``"fast"`` or ``"reference"`` (default: ``VOCI_SCORER_ENGINE``, else fast).
    """

    def __init__(
        self,
        gold: str | Path | Gold,
        documents: str | Path | None = None,
        split: str | None = None,
        *,
        iou: float = DEFAULT_IOU,
        ignore_extra: bool = False,
        engine: str | None = None,
    ):
        if not 0 < iou <= 1:
            raise InputError(f"--iou: {iou} is outside (0, 1] (expected a character IoU threshold such as 0.5)")
        self.engine = engine_named(engine)
        self.gold = load_gold(gold, documents, split, self.engine.name)
        self.iou = iou
        self.ignore_extra = ignore_extra
        self._gold_hash: str | None = None

    @property
    def gold_hash(self) -> str:
        """The gold's content hash (computed once: 0.15 s on 20,000 documents when not stored at build time)."""
        if self._gold_hash is None:
            self._gold_hash = self.engine.gold_hash(self.gold)
        return self._gold_hash

    def score(self, predictions: Source, name: str | None = None) -> Scored:
        """Score a predictions JSONL file, or prediction records given as a list of dicts.

        Records are checked as `toolkit validate` checks a file; problems raise `toolkit.errors.ValidationError`
        with one ``FILE:LINE: field: message`` (``record N: field: message`` for records) per problem.
        A gold document without a prediction counts as predicting nothing.  ``name`` names the system in
        `Scored.paired` (default: the file's path, or ``"records"``).
        """
        with paused_gc():
            predicted = read_predictions(predictions, self.gold, self.ignore_extra, self.engine.short_way)
            stats, label_stats = self.engine.count(self.gold, predicted, self.iou)
        notes = [*self.gold.notes, f"engine: {self.engine.name}; predictions {predicted.how}"]
        return Scored(
            self,
            name or (str(predictions) if is_file(predictions) else "records"),
            stats,
            label_stats,
            predicted.layers,
            [doc_id for index, doc_id in enumerate(self.gold.ids) if index not in predicted.present],
            predicted.extra,
            notes,
        )

    def settings(self, resamples: int, seed: int) -> dict[str, Any]:
        """Every setting that changes a number (the signature is made of these)."""
        return {
            "gold": self.gold.name,
            "gold_hash": self.gold_hash,
            "revision": self.gold.revision,
            "split": self.gold.split,
            "iou": self.iou,
            "matching": MATCHING_RULE,
            "bootstrap": resamples,
            "seed": seed,
            "engine": self.engine.name,
        }


def check_resamples(bootstrap: int | None = None, resamples: int | None = None) -> None:
    """``--bootstrap`` may be 0 (no intervals); a paired test needs at least one resample."""
    if bootstrap is not None and bootstrap < 0:
        raise InputError(
            f"--bootstrap: {bootstrap} is negative (expected 0 for no intervals, or a number of resamples such as 1000)"
        )
    if resamples is not None and resamples < 1:
        raise InputError(f"--resamples: {resamples} (expected at least 1 resample)")


@dataclass
class Scored:
    """One system's per-document statistics (rows in gold order), ready for figures, intervals and paired tests."""

    scorer: Scorer
    name: str
    stats: np.ndarray  # documents × `toolkit.scoring.statistics` columns
    label_totals: np.ndarray  # labels × entity counts
    layers: list[str]
    missing_documents: list[str]
    extra_documents: list[str]
    notes: list[str] = field(default_factory=list)  # how the gold and the predictions were read and counted

    def _headline_stats(self) -> np.ndarray:
        return self.stats[:, [layout().index(name) for name in HEADLINE_COUNTS]]

    def result(self, bootstrap: int = 0, seed: int = DEFAULT_SEED) -> EvalResult:
        """Every figure; with ``bootstrap`` resamples, 95% intervals of the headline figures (seeded)."""
        check_resamples(bootstrap=bootstrap)
        inventory = load_inventory()
        totals = layout().named(self.stats.sum(axis=0))
        entities = entity_figures(totals, self.label_totals.tolist(), inventory.entity_names)
        claim_layers = claim_figures(totals, self.scorer.iou, inventory.stance_names, inventory.polar_stances)
        figures = {
            "entities.strict.f1": entities["strict"]["f1"],
            "claims.overlap.f1": claim_layers["claims"]["overlap"]["f1"],
            "end_to_end.f1": claim_layers["end_to_end"]["f1"],
        }
        overall, reason = overall_figure(figures, self.layers)
        ci = None
        if bootstrap:
            from toolkit.scoring.bootstrap import intervals

            ci = intervals(self._headline_stats(), headline, bootstrap, seed)
            if overall is None:
                ci["overall"] = {"low": None, "high": None, "resamples": bootstrap, "seed": seed}
        settings = self.scorer.settings(bootstrap, seed)
        return EvalResult(
            signature=make_signature(settings, len(self.stats)),
            settings=settings,
            n_documents=len(self.stats),
            missing_documents=self.missing_documents,
            extra_documents=self.extra_documents,
            entities=entities,
            overall=overall,
            overall_reason=reason,
            ci=ci,
            layers=self.layers,
            **claim_layers,
        )

    def paired(self, other: Scored, resamples: int = 1000, seed: int = DEFAULT_SEED) -> dict[str, Any]:
        """Paired bootstrap of ``other`` (B) against this system (A) on the same resampled documents.

        Returns ``{"signature", "a", "b", "figures": {figure: {a, b, difference, p_value, resamples, seed}}}``
        (what ``toolkit compare --json`` prints); ``difference`` is B − A.
        """
        from toolkit.scoring.bootstrap import paired_test

        if other.scorer is not self.scorer:
            raise InputError("compare: both systems must be scored by the same Scorer (the same gold and settings)")
        check_resamples(resamples=resamples)
        figures = paired_test(self._headline_stats(), other._headline_stats(), headline, resamples, seed)
        for name, system in (("a", self), ("b", other)):
            if overall_figure({key: figures[key][name] for key in HEADLINE_FIGURES[:3]}, system.layers)[0] is None:
                figures["overall"].update({name: None, "difference": None, "p_value": None})
        signature = make_signature(self.scorer.settings(resamples, seed), len(self.stats))
        return {"signature": signature, "a": self.name, "b": other.name, "figures": figures}
