"""Confidence intervals and paired tests from per-document sufficient statistics (sacreBLEU's approach).

Documents are resampled with replacement; a resample is a vector of
multiplicities, so the summed statistics of ``R`` resamples are one matrix
product ``(R × documents) @ (documents × statistics)``: no metric is recomputed
per resample in Python.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CHUNK = 16  # resamples per matrix product: bounds memory at CHUNK × documents floats, and they stay in the CPU cache
Headline = Callable[[np.ndarray], dict[str, np.ndarray]]


def resampled_sums(stats: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """``resamples × statistics`` sums over documents drawn with replacement (seeded, reproducible).

    The products are thin (a few statistics wide): one BLAS thread does them
    fastest, and several threads fighting over a busy machine were 6x slower.
    Counts are whole numbers far below 2**53, so the float sums are exact.
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    n = len(stats)
    matrix = stats.astype(np.float64)
    out = np.empty((resamples, stats.shape[1]))
    multiplicity = np.empty((CHUNK, n))
    index_type = np.int32 if n < 2**31 else np.int64  # 32-bit draws: half the random bits to make and to count
    with threadpool_limits(1, user_api="blas"):
        for first in range(0, resamples, CHUNK):
            size = min(CHUNK, resamples - first)
            drawn = rng.integers(0, n, size=(size, n), dtype=index_type)
            for row, documents in enumerate(drawn):  # one resample at a time: its counts stay in the CPU cache
                multiplicity[row] = np.bincount(documents, minlength=n)
            out[first:first + size] = multiplicity[:size] @ matrix
    return out


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def intervals(stats: np.ndarray, headline: Headline, resamples: int, seed: int) -> dict[str, dict]:
    """95% percentile interval of each headline figure."""
    figures = headline(resampled_sums(stats, resamples, seed))
    result = {}
    for name, values in figures.items():
        defined = values[np.isfinite(values)]
        low, high = np.percentile(defined, [2.5, 97.5]) if len(defined) else (np.nan, np.nan)
        result[name] = {"low": _finite_or_none(low), "high": _finite_or_none(high), "resamples": resamples, "seed": seed}
    return result


def paired_test(stats_a: np.ndarray, stats_b: np.ndarray, headline: Headline, resamples: int, seed: int) -> dict[str, dict]:
    """Paired bootstrap: both systems scored on the SAME resampled documents.

    For each headline figure: the two values, ``difference`` (B − A), and a
    two-sided p-value: the share of resamples whose difference, centred on its
    mean (the null hypothesis of no difference), is at least as large in
    absolute value as the observed one, with the +1 correction.  ``None`` when
    there is a single document and the two systems differ (nothing to judge against).
    """
    observed_a = headline(stats_a.sum(axis=0, keepdims=True).astype(np.float64))
    observed_b = headline(stats_b.sum(axis=0, keepdims=True).astype(np.float64))
    both = resampled_sums(np.hstack([stats_a, stats_b]), resamples, seed)
    width = stats_a.shape[1]
    sampled_a, sampled_b = headline(both[:, :width]), headline(both[:, width:])
    result = {}
    for name in observed_a:
        a, b = float(observed_a[name][0]), float(observed_b[name][0])
        entry = {"a": _finite_or_none(a), "b": _finite_or_none(b), "difference": _finite_or_none(b - a), "p_value": None, "resamples": resamples, "seed": seed}
        deltas = sampled_b[name] - sampled_a[name]
        deltas = deltas[np.isfinite(deltas)]
        if not (np.isfinite(b - a) and len(deltas)):
            pass
        elif np.ptp(deltas) == 0:
            # Every resample gives the same difference: with one document there is nothing to judge it against
            # (undefined); with several, no resample comes near 0, the smallest p-value the resamples can show.
            entry["p_value"] = 1.0 if b == a else (None if len(stats_a) < 2 else 1 / (len(deltas) + 1))
        else:
            extreme = np.abs(deltas - deltas.mean()) >= abs(b - a) - 1e-12
            entry["p_value"] = float((extreme.sum() + 1) / (len(deltas) + 1))
        result[name] = entry
    return result
