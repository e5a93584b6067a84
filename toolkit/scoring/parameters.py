"""The scorer's parameters, each checked once: `Scorer`, `Scored.result`, `Scored.paired`, `evaluate`, `compare`
and the leaderboard call these, and the command line's option parsers (`toolkit.cli._options`) reuse them, so a
value the CLI refuses is refused in Python for the same reason.

A refusal is a `toolkit.errors.ParameterError` naming the parameter (``iou``, ``seed``); the CLI shows its reason
under the option's own name (``--iou``).  Python types are checked too: a string where a number belongs, bytes
where records belong, are refused with what was expected instead of failing somewhere inside numpy.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping
from typing import Any

from toolkit.built import SPLIT_NAME
from toolkit.errors import ParameterError

MAX_SEED = 2**32 - 1  # numpy's seeds are 32-bit words; a bigger one would be split into several silently
MAX_RESAMPLES = 1_000_000  # a million resamples take minutes; more is a typo
SPLIT_EXPECTED = "letters, digits, '_', '.' or '-', e.g. test"
IOU_EXPECTED = "a character IoU in (0, 1], such as 0.5"
DEFAULT_IOU = 0.5  # the scorer's and the --iou option's


def _got(value: Any) -> str:
    return "got None" if value is None else f"got {type(value).__name__} {value!r:.40}"


def bounded_integer(parameter: str, value: Any, what: str, minimum: int, maximum: int) -> int:
    """An integer (a numpy integer too, never a bool) from ``minimum`` to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(parameter, f"{_got(value)} (expected {what}: an integer from {minimum} to {maximum})")
    if not minimum <= value <= maximum:
        raise ParameterError(parameter, f"{value} is out of range (expected {what} from {minimum} to {maximum})")
    return int(value)


def seed(value: Any, parameter: str = "seed") -> int:
    return bounded_integer(parameter, value, "a seed", 0, MAX_SEED)


def resamples(value: Any, parameter: str = "bootstrap", minimum: int = 0) -> int:
    """``bootstrap`` may be 0 (no intervals); a paired test's ``resamples`` needs at least 1."""
    return bounded_integer(parameter, value, "a number of resamples", minimum, MAX_RESAMPLES)


def iou(value: Any, parameter: str = "iou") -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(parameter, f"{_got(value)} (expected {IOU_EXPECTED})")
    if not (math.isfinite(value) and 0 < value <= 1):
        raise ParameterError(parameter, f"{value!r} is out of range (expected {IOU_EXPECTED})")
    return float(value)


def split(value: Any, parameter: str = "split") -> str | None:
    """None (every document) or a split's name, never a pattern or a path."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParameterError(parameter, f"{_got(value)} (expected a split name: {SPLIT_EXPECTED}; or None)")
    if not SPLIT_NAME.fullmatch(value):
        raise ParameterError(parameter, f"{value!r} is not a split name (expected {SPLIT_EXPECTED})")
    return value


def path_or_none(value: Any, parameter: str, expected: str) -> Any:
    """A path (str or ``os.PathLike``), or None."""
    if value is not None and not isinstance(value, (str, os.PathLike)):
        raise ParameterError(parameter, f"{_got(value)} (expected {expected})")
    return value


def gold_source(value: Any, gold_type: type) -> Any:
    if not isinstance(value, (str, os.PathLike, gold_type)):
        raise ParameterError(
            "gold",
            f"{_got(value)} (expected a gold JSONL path, a folder built by `toolkit build`, a Hub dataset id "
            "ORG/NAME[@REVISION] or a Gold)",
        )
    return value


def predictions_source(value: Any, parameter: str = "predictions") -> Any:
    """A JSONL path, or an iterable of prediction records (not one record, not the bytes of a file)."""
    if isinstance(value, (str, os.PathLike)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview, Mapping)) or not isinstance(value, Iterable):
        raise ParameterError(
            parameter, f"got {type(value).__name__} (expected a JSONL file path, or a list of prediction records)"
        )
    return value


def newsclaims_normalisation(value: Any, parameter: str = "newsclaims_normalisation") -> str:
    """The name of an answer normalisation of `toolkit.scoring.newsclaims`."""
    from toolkit.scoring.newsclaims import NORMALISATIONS

    if value not in NORMALISATIONS:
        raise ParameterError(parameter, f"{_got(value)} (expected one of: {', '.join(NORMALISATIONS)})")
    return value
