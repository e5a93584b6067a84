"""The summary a user reads after a conversion, and the error raised when annotations were left out."""

from __future__ import annotations

from collections.abc import Callable

from toolkit.errors import ConversionError
from toolkit.labelstudio.convert import ConversionResult, WrittenFiles


def conversion_summary(
    conversion: ConversionResult, files: WrittenFiles, source: str, say: Callable[[str], None]
) -> None:
    """Print counts and files; raise `ConversionError` (exit 2) listing every annotation that was not converted."""
    rejected = {(problem.task_id, problem.annotation_id) for problem in conversion.problems}
    say(
        f"{conversion.tasks} task(s), {conversion.submitted} submitted annotation(s), "
        f"{conversion.cancelled} cancelled (skipped); "
        f"{len(conversion.records)} record(s) written for {len(conversion.by_annotator())} annotator(s)"
    )
    for path in files.changed:
        say(f"{path}: written")
    if files.unchanged:
        say(f"{len(files.unchanged)} file(s) unchanged")
    if conversion.problems:
        raise ConversionError(
            [problem.as_problem(source) for problem in conversion.problems],
            (
                f"{len(rejected)} annotation(s) not converted (listed above and in the problems file); "
                f"they are kept in {source}"
            ),
        )
