"""Scoring every submission, ranking by ``overall``, and marking gaps to the leader that are not significant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.display import printable
from toolkit.errors import ToolkitError, ValidationError
from toolkit.leaderboard.submissions import Skipped, Submission, load_submissions

SIGNIFICANCE_LEVEL = 0.05
TIE_DIGITS = 9  # overall figures equal to this many digits are a tie (float noise is not a ranking)
ERROR_LINES = 3


def figure(result: dict[str, Any] | None, dotted: str) -> Any:
    """A value by dotted path (``entities.strict.f1``); ``None`` when any part is absent."""
    value: Any = result
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


@dataclass
class Entry:
    submission: Submission
    result: dict[str, Any]
    rank: int = 0
    tied: bool = False
    versus_leader: dict[str, Any] | None = None  # compare_files' "overall" figure: a, b, difference, p_value

    @property
    def overall(self) -> float | None:
        return self.result.get("overall")

    @property
    def not_significant(self) -> bool | None:
        """True when the gap to the leader is not significant (paired test); None for the leader or when untested."""
        p_value = figure(self.versus_leader, "p_value")
        return None if p_value is None else p_value >= SIGNIFICANCE_LEVEL


@dataclass
class Leaderboard:
    entries: list[Entry]
    skipped: list[Skipped]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def signature(self) -> str | None:
        return self.entries[0].result["signature"] if self.entries else None


def _error_text(error: ToolkitError) -> str:
    if isinstance(error, ValidationError):
        lines = error.lines()
        more = f" (+{len(lines) - ERROR_LINES} more)" if len(lines) > ERROR_LINES else ""
        return "; ".join(lines[:ERROR_LINES]) + more
    return str(error)


def rank(entries: list[Entry]) -> list[Entry]:
    """Order by ``overall`` (undefined last, then by name); equal figures share the rank (1, 1, 3)."""

    def key(entry: Entry):
        overall = entry.overall
        return (
            overall is None,
            -round(overall, TIE_DIGITS) if overall is not None else 0,
            entry.submission.name.casefold(),
        )

    ordered = sorted(entries, key=key)
    for position, entry in enumerate(ordered):
        previous = ordered[position - 1] if position else None
        same = (
            previous is not None
            and entry.overall is not None
            and previous.overall is not None
            and round(entry.overall, TIE_DIGITS) == round(previous.overall, TIE_DIGITS)
        )
        entry.rank = previous.rank if same else position + 1
        if same:
            entry.tied = previous.tied = True
    return ordered


def build_ranking(
    submissions_dir: str | Path,
    gold: Path,
    documents: Path | None = None,
    split: str | None = None,
    bootstrap: int = 1000,
    seed: int | None = None,
    progress: Callable[[str], None] | None = None,
    engine: str | None = None,
    verbose: bool = False,
) -> Leaderboard:
    """Score every submission once (an invalid one is skipped with its reason), rank them, and test each against
    the leader with the statistics already counted.
    """
    from toolkit.scoring import parameters
    from toolkit.scoring.scorer import DEFAULT_SEED, Scorer

    seed = parameters.seed(DEFAULT_SEED if seed is None else seed)
    report = progress or (lambda message: None)
    parameters.resamples(bootstrap)
    submissions, skipped = load_submissions(submissions_dir)
    # Ranking on one split: predictions for the other splits' documents are expected, not errors.  The gold is
    # read once; a bad gold stops the run here, past this point an error is the submission's.
    scorer = Scorer(gold, documents, split, ignore_extra=split is not None, engine=engine)
    for note in scorer.gold.notes if verbose else ():
        report(note)
    for item in skipped:
        report(f"skipped {printable(item.folder)}: {printable(item.reason)}")
    entries, scored = [], {}
    for submission in submissions:
        try:
            scored[submission.folder] = scorer.score(submission.predictions)
        except ToolkitError as error:
            skipped.append(Skipped(submission.folder, _error_text(error)))
            report(f"skipped {printable(submission.folder)}: {printable(_error_text(error))}")
            continue
        result = scored[submission.folder].result(bootstrap, seed)
        entries.append(Entry(submission, result.to_dict()))
        if verbose:
            report(f"{printable(submission.name)}: {scored[submission.folder].notes[-1]}")
        report(
            f"scored {printable(submission.name)}: overall {'—' if result.overall is None else f'{result.overall:.4f}'}"
        )
    ordered = rank(entries)
    leader = ordered[0] if ordered and ordered[0].overall is not None else None
    if leader is not None and bootstrap:
        for entry in ordered[1:]:
            if entry.overall is None:
                continue
            comparison = scored[leader.submission.folder].paired(scored[entry.submission.folder], bootstrap, seed)
            entry.versus_leader = comparison["figures"]["overall"]
    settings = {
        "bootstrap": bootstrap,
        "seed": seed,
        "significance_level": SIGNIFICANCE_LEVEL,
        "gold": str(gold),
        "documents": str(documents) if documents else None,
        "split": split,
    }
    return Leaderboard(ordered, sorted(skipped, key=lambda s: str(s.folder)), settings)
