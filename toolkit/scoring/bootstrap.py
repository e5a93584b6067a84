"""Confidence intervals and paired tests from per-document sufficient statistics (sacreBLEU's approach).

Documents are resampled with replacement; a resample is a vector of
multiplicities, so the summed statistics of ``R`` resamples are one matrix
product ``(R × documents) @ (documents × statistics)``: no metric is recomputed
per resample in Python.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

import numpy as np

from toolkit.scoring.engines import thresholds
from toolkit.scoring.forked import arrays_from_bytes, arrays_to_bytes, beside_a_child

CHUNK = 16  # resamples per matrix product: bounds memory at CHUNK × documents floats, and they stay in the CPU cache
Headline = Callable[[np.ndarray], dict[str, np.ndarray]]


def resampled_sums(stats: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """``resamples × statistics`` sums over documents drawn with replacement (seeded, reproducible).

    Resamples are drawn in chunks of `CHUNK`, each from its own stream of the
    seed (`numpy.random.SeedSequence.spawn`), so the same seed gives the same
    sums whether the chunks run here or, for a large corpus, half of them in a
    forked child on a second core.  Counts are whole numbers far below 2**53,
    so the float sums are exact.
    """
    streams = np.random.SeedSequence(seed).spawn(-(-resamples // CHUNK))
    chunks = [
        (first, min(CHUNK, resamples - first), stream)
        for first, stream in zip(range(0, resamples, CHUNK), streams, strict=True)
    ]
    matrix = stats.astype(np.float64)
    if len(chunks) < 2 or not thresholds.in_two_halves(resamples * len(stats), thresholds.PARALLEL_DRAWS):
        return _sums(matrix, chunks)
    middle = len(chunks) // 2
    first, payload = beside_a_child(
        lambda: _sums(matrix, chunks[:middle]), lambda: arrays_to_bytes([_sums(matrix, chunks[middle:])])
    )
    second = (
        arrays_from_bytes(payload, 1)[0] if payload is not None else _sums(matrix, chunks[middle:])
    )  # a child that died: draw here
    return np.vstack([first, second])


def _sums(matrix: np.ndarray, chunks: list[tuple]) -> np.ndarray:
    """The resampled sums of ``chunks`` (first row, size, stream), one resample's counts at a time (they stay in
    the CPU cache)."""
    n = len(matrix)
    out = np.empty((sum(size for _, size, _ in chunks), matrix.shape[1]))
    multiplicity = np.empty((CHUNK, n))
    index_type = np.int32 if n < 2**31 else np.int64  # 32-bit draws: half the random bits to make and to count
    with _one_blas_thread():
        row = 0
        for _, size, stream in chunks:
            drawn = np.random.default_rng(stream).integers(0, n, size=(size, n), dtype=index_type)
            for k, documents in enumerate(drawn):
                multiplicity[k] = np.bincount(documents, minlength=n)
            out[row : row + size] = multiplicity[:size] @ matrix
            row += size
    return out


def _one_blas_thread():
    """The products are thin (a few statistics wide): one BLAS thread does them fastest, and several threads
    fighting over a busy machine were 6x slower.  `toolkit` sets ``OPENBLAS_NUM_THREADS=1``; a library caller
    may not."""
    if os.environ.get("OPENBLAS_NUM_THREADS") == "1":
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def intervals(stats: np.ndarray, headline: Headline, resamples: int, seed: int) -> dict[str, dict]:
    """95% percentile interval of each headline figure."""
    figures = headline(resampled_sums(stats, resamples, seed))
    result = {}
    for name, values in figures.items():
        defined = values[np.isfinite(values)]
        low, high = np.percentile(defined, [2.5, 97.5]) if len(defined) else (np.nan, np.nan)
        result[name] = {
            "low": _finite_or_none(low),
            "high": _finite_or_none(high),
            "resamples": resamples,
            "seed": seed,
        }
    return result


def paired_test(
    stats_a: np.ndarray, stats_b: np.ndarray, headline: Headline, resamples: int, seed: int
) -> dict[str, dict]:
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
        entry = {
            "a": _finite_or_none(a),
            "b": _finite_or_none(b),
            "difference": _finite_or_none(b - a),
            "p_value": None,
            "resamples": resamples,
            "seed": seed,
        }
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
