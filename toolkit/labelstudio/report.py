"""The summary a user reads after a conversion, and the error raised when annotations were left out."""

from __future__ import annotations

from collections.abc import Callable

from toolkit.errors import ConversionError, mention
from toolkit.labelstudio.annotations.store import ConversionSummary
from toolkit.labelstudio.annotations.writing import WrittenFiles
from toolkit.labelstudio.config import NAMES, RELATION_HOTKEY


def conversion_summary(
    conversion: ConversionSummary, files: WrittenFiles, source: str, say: Callable[[str], None]
) -> None:
    """Print counts, files and notes; raise `ConversionError` (exit 2) listing the annotations not converted."""
    replaced = (
        f" ({conversion.superseded} replaced by a later one of the same annotator)" if conversion.superseded else ""
    )
    say(
        f"{conversion.tasks} task(s), {conversion.submitted} submitted annotation(s){replaced}, "
        f"{conversion.cancelled} cancelled (skipped); "
        f"{conversion.records} record(s) written for {conversion.annotators} annotator(s)"
    )
    for path in files.changed:
        say(f"{path}: written")
    if files.unchanged:
        say(f"{len(files.unchanged)} file(s) unchanged")
    for path in files.removed:
        say(f"{path}: removed (no converted annotation of this annotator in the export)")
    if conversion.unlabelled_claimers:
        say(
            f"note: {conversion.unlabelled_claimers} claim(s) take their claimer from a relation drawn without a label "
            f"({RELATION_HOTKEY}), read as {NAMES.claimer_relation!r}"
        )
    if conversion.note_count:
        say(f"{conversion.note_count} note(s) (converted as said; check the ones that are not what was meant):")
        for note in conversion.notes:
            say(f"  note: {note}")
        if conversion.note_count > len(conversion.notes):
            say(f"  … and {conversion.note_count - len(conversion.notes)} more note(s)")
    if conversion.problem_count:
        more = conversion.problem_count - len(conversion.problems)
        raise ConversionError(
            [problem.as_problem(source) for problem in conversion.problems],
            (
                f"{conversion.rejected} annotation(s) not converted, {conversion.problem_count} problem(s) "
                f"(listed above{f', {more} more' if more else ''} and in {files.problems_file}); fix them in "
                f"Label Studio and pull again. {source} keeps them. Until {files.problems_file} is empty, "
                f"agree, adjudicate and build refuse to run (unless {mention('allow_problems')})"
            ),
        )
