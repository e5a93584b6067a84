"""Where the fast engine leaves the plain path: every switch and size, named and explained in one place.

Each fast path gives exactly the reference engine's counts (``tests/test_scoring_engines.py`` lowers every
threshold below to zero and compares the two engines on random corpora); the sizes only decide where the extra
machinery pays for itself.  ``toolkit eval --engine reference`` (or ``VOCI_SCORER_ENGINE=reference``) takes none
of these paths.

- Compiled gold: a built folder's ``scoring/<split>.npz`` (`toolkit.scoring.gold.compiled`) is read instead of its
  parquet files when its content hashes, sources, scorer version and label inventory all check out.
- Predictions the short way: msgspec decoding and checks over flat arrays (`toolkit.scoring.shortway`); any doubt
  sends the file to the full validator, which writes the messages.
- Counting over the whole corpus at once with numpy (`toolkit.scoring.engines.fast`); only groups where a span overlaps
  two or more spans of the other side, or an identical pair overlaps another span, reach the per-group matcher.
- Two cores: the sizes below from which half of a job runs in a forked child (`toolkit.scoring.forked`; only on
  Linux, in a single-threaded process).
"""

from __future__ import annotations

from toolkit.scoring.forked import can_fork

PARALLEL_BYTES = 8 << 20  # a predictions file this large is read in two halves, the second in a forked child
PARALLEL_SPANS = 200_000  # gold + predicted entities from which the documents are counted in two halves (and
# `compat.token` is found in a child while this process finds `compat.newsclaims`)
PARALLEL_HASH_BYTES = 8 << 20  # a built folder's parquet files this large are hashed in a forked child (whether its
# compiled gold is still theirs) while this process reads the compiled gold
PARALLEL_DRAWS = 5_000_000  # bootstrap resamples × documents from which half the resamples are drawn in a child
KEY_LIMIT = 2**62  # composite sort keys (document, start, end, label, side) must stay below this to fit int64;
# beyond it (offsets in the billions) the documents are counted one by one by the reference engine
CHUNK_LINES = 2000  # prediction lines decoded and checked at a time (memory, not speed: the records of a chunk are
# freed before the next)


def in_two_halves(size: int, threshold: int) -> bool:
    """Whether a job of ``size`` (at ``threshold``, one of the sizes above) runs half in a forked child."""
    return size >= threshold and can_fork()
