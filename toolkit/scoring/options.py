"""The scoring options, declared once: ``toolkit eval`` builds a `ScoringOptions` from its command line,
`toolkit.scoring.evaluate.evaluate` from its keywords, and both score through `ScoringOptions.score`, so a user
scoring from Python (a training loop) gets the JSON ``toolkit eval --format json`` writes for the same options.

A new figure's switch is one field here, marked with the step that takes it (the `Scorer`'s keywords, or
`Scored.result`'s); tests/test_scoring_options.py checks that the two steps take exactly these fields, and that
Python and the command line give the same result for each of them.  Every value is checked here, when the options
are made, with the reasons the command line gives (`toolkit.scoring.parameters`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from toolkit.errors import ParameterError
from toolkit.scoring import parameters
from toolkit.scoring.conventions import CONVENTIONS, DEFAULT_CONVENTION
from toolkit.scoring.gold.gold import Gold
from toolkit.scoring.predictions import Source
from toolkit.scoring.result import EvalResult
from toolkit.scoring.scorer import DEFAULT_IOU, DEFAULT_SEED, Scored, Scorer

SCORER, RESULT, ROWS = "scorer", "result", "rows"  # the step that takes an option: Scorer(...), .result(...), rows


def _option(default: Any, step: str, **kwargs: Any) -> Any:
    return dataclasses.field(default=default, metadata={"step": step}, **kwargs)


def _flag(value: Any, parameter: str, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if not isinstance(value, bool):
        expected = "True, False or None (automatic)" if allow_none else "True or False"
        raise ParameterError(parameter, f"got {type(value).__name__} {value!r:.40} (expected {expected})")
    return value


def _label_map(value: Any) -> dict[str, str]:
    """A mapping ``{"GPE": "LOC"}`` or ``LABEL=NAME`` strings (the command line's form), checked as the CLI checks
    them: the left side an inventory label, the right side a name (``O`` drops the label)."""
    from toolkit.scoring.compat import parse_label_map

    if value is None:
        return {}
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) and isinstance(name, str) for key, name in value.items()):
            raise ParameterError("token_label_map", f"{value!r:.60} (expected label names: {{'GPE': 'LOC'}})")
        value = [f"{key}={name}" for key, name in value.items()]
    elif isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ParameterError(
            "token_label_map", f"got {type(value).__name__} (expected a mapping such as {{'GPE': 'LOC'}})"
        )
    elif not all(isinstance(pair, str) for pair in value):
        raise ParameterError("token_label_map", f"{value!r:.60} (expected LABEL=NAME strings, such as 'GPE=LOC')")
    return parse_label_map(list(value))


def _fields(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Iterable) or not all(isinstance(name, str) for name in value):
        raise ParameterError("by", f"{value!r:.60} (expected document field names, such as ['source', 'split'])")
    return tuple(dict.fromkeys(value))  # a field given twice is grouped once


@dataclasses.dataclass(frozen=True)
class ScoringOptions:
    """Every option of ``toolkit eval`` that changes the result (not where it is written or how it is shown).

    The `Scorer`'s: ``iou``, ``ignore_extra``, ``engine``, ``require_complete``, ``per_label_convention``,
    ``compat`` (``None``: automatic), ``token_label_map``, ``newsclaims_normalisation``, ``breakdown``.
    The result's: ``bootstrap``, ``seed``, ``by``.  ``per_document``: also give the per-document rows
    (``toolkit eval --per-document FILE`` writes them), as ``EvalResult.per_document``.
    """

    iou: float = _option(DEFAULT_IOU, SCORER)
    ignore_extra: bool = _option(False, SCORER)
    engine: str | None = _option(None, SCORER)
    require_complete: bool = _option(False, SCORER)
    per_label_convention: str = _option(DEFAULT_CONVENTION, SCORER)
    compat: bool | None = _option(None, SCORER)
    token_label_map: Mapping[str, str] = _option(None, SCORER, hash=False)
    newsclaims_normalisation: str = _option("english", SCORER)
    breakdown: bool = _option(True, SCORER)
    bootstrap: int = _option(0, RESULT)
    seed: int = _option(DEFAULT_SEED, RESULT)
    by: tuple[str, ...] = _option((), RESULT)
    per_document: bool = _option(False, ROWS)

    def __post_init__(self) -> None:
        from toolkit.scoring.engines.registry import engine_named

        checked = {
            "iou": parameters.iou(self.iou),
            "bootstrap": parameters.resamples(self.bootstrap),
            "seed": parameters.seed(self.seed),
            "newsclaims_normalisation": parameters.newsclaims_normalisation(self.newsclaims_normalisation),
            "token_label_map": _label_map(self.token_label_map),
            "by": _fields(self.by),
            "compat": _flag(self.compat, "compat", allow_none=True),
        }
        for name in ("ignore_extra", "require_complete", "breakdown", "per_document"):
            checked[name] = _flag(getattr(self, name), name)
        if self.per_label_convention not in CONVENTIONS:
            raise ParameterError(
                "per_label_convention",
                f"{self.per_label_convention!r} is not a convention (expected one of: {', '.join(CONVENTIONS)})",
            )
        if self.engine is not None:
            engine_named(self.engine)  # refuses an unknown name; None stays: $VOCI_SCORER_ENGINE, read when scoring
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @classmethod
    def of(cls, options: ScoringOptions | None = None, **keywords: Any) -> ScoringOptions:
        """``options`` (default: the defaults) with ``keywords`` replacing some of them; an unknown keyword is a
        `TypeError` naming the options there are."""
        unknown = sorted(set(keywords) - {option.name for option in dataclasses.fields(cls)})
        if unknown:
            known = ", ".join(option.name for option in dataclasses.fields(cls))
            raise TypeError(f"unknown scoring option(s) {', '.join(unknown)} (expected some of: {known})")
        if options is not None and not isinstance(options, cls):
            raise ParameterError("options", f"got {type(options).__name__} (expected a ScoringOptions or None)")
        return dataclasses.replace(options or cls(), **keywords)

    def step(self, step: str) -> dict[str, Any]:
        """The options one step takes, as its keywords."""
        return {option.name: getattr(self, option.name) for option in dataclasses.fields(self) if _step(option) == step}

    def scorer(self, gold: str | Path | Gold, documents: str | Path | None = None, split: str | None = None) -> Scorer:
        """A `Scorer` of this gold with these options; the ``by`` fields are checked against its documents now,
        before any predictions are read."""
        scorer = Scorer(gold, documents, split, **self.step(SCORER))
        for field in self.by:
            scorer.field_values(field)  # a field no document has: refused here
        return scorer

    def score(self, scorer: Scorer, predictions: Source) -> tuple[Scored, EvalResult]:
        """``(scored, result)`` of one system: the `Scored` (its ``notes`` say how it was read) and its
        `EvalResult`, with ``per_document`` rows when asked for."""
        scored = scorer.score(predictions)
        result = scored.result(**self.step(RESULT))
        if self.per_document:
            result.per_document = scored.per_document()
        return scored, result


def _step(option: dataclasses.Field) -> str:
    return option.metadata["step"]
