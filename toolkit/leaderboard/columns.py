"""What the tables show: one registry of columns shared by the Markdown and HTML writers."""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.leaderboard.ranking import Entry, figure

NOT_SIGNIFICANT_MARK = "†"
NOT_SIGNIFICANT_NOTE = "† the gap to the leader is not significant (paired bootstrap over documents, p ≥ {level})"


@dataclass(frozen=True)
class Column:
    key: str  # dotted path into the `toolkit eval` result
    title: str
    ci_key: str | None = None  # the key of its interval in ``ci``, when the scorer computes one
    definition: str = ""  # shown when the header is hovered


STANCE_MACRO_F1 = "on matched claims: mean F1 over the stance labels present in gold or predictions"

HEADLINE_COLUMNS = (
    Column("overall", "Overall", "overall"),
    Column("entities.strict.f1", "Entities F1 (strict)", "entities.strict.f1"),
    Column("claims.overlap.f1", "Claims F1 (overlap)", "claims.overlap.f1"),
    Column("claimer.accuracy", "Claimer accuracy"),
    Column("stance.macro_f1", "Stance macro-F1", definition=STANCE_MACRO_F1),
    Column("end_to_end.f1", "End-to-end F1", "end_to_end.f1"),
)

LAYER_TABLES = {
    "Entities": (
        Column("entities.strict.f1", "strict F1"),
        Column("entities.exact.f1", "exact F1"),
        Column("entities.partial.f1", "partial F1"),
        Column("entities.ent_type.f1", "type F1"),
        Column("entities.strict.precision", "strict P"),
        Column("entities.strict.recall", "strict R"),
        Column("entities.macro.strict.f1", "macro strict F1"),
    ),
    "Claims": (
        Column("claims.strict.precision", "strict P"),
        Column("claims.strict.recall", "strict R"),
        Column("claims.strict.f1", "strict F1"),
        Column("claims.overlap.precision", "overlap P"),
        Column("claims.overlap.recall", "overlap R"),
        Column("claims.overlap.f1", "overlap F1"),
    ),
    "Claimer and stance (on matched claims)": (
        Column("claimer.accuracy", "claimer accuracy"),
        Column("stance.accuracy", "stance accuracy"),
        Column("stance.macro_f1", "stance macro-F1", definition=STANCE_MACRO_F1),
        Column("stance.f_avg", "stance F_avg"),
    ),
    "End to end (claim matched, claimer and stance right)": (
        Column("end_to_end.precision", "P"),
        Column("end_to_end.recall", "R"),
        Column("end_to_end.f1", "F1"),
    ),
}


def percent(value) -> str:
    """A figure in [0, 1] as a percentage with one decimal; ``—`` when undefined."""
    return "—" if value is None else f"{100 * value:.1f}"


def interval(entry: Entry, column: Column) -> tuple[float, float] | None:
    if column.ci_key is None:
        return None
    ci = figure(entry.result, "ci") or {}
    bounds = ci.get(column.ci_key) or {}
    low, high = bounds.get("low"), bounds.get("high")
    return None if low is None or high is None else (low, high)


def cell(entry: Entry, column: Column) -> str:
    """The value, its 95% interval when there is one, and the mark on ``overall``
    when the gap to the leader is not significant.
    """
    text = percent(figure(entry.result, column.key))
    bounds = interval(entry, column)
    if bounds:
        text += f" [{percent(bounds[0])}–{percent(bounds[1])}]"
    if column.key == "overall" and entry.not_significant:
        text += f" {NOT_SIGNIFICANT_MARK}"
    return text
