"""What the bundle's scoring program does on Codabench: score one submission against one phase's gold.

Codabench runs the program in the competition's Docker image with
``input/ref`` (the phase's reference data: a split's gold as `toolkit build`
writes it), ``input/res`` (the participant's submission zip, unzipped) and
``output/``.  The program writes ``output/scores.json`` with exactly the
leaderboard's keys, and ``output/detailed_results.html`` with the leaderboard
page's tables for this one system.  An invalid submission raises the
toolkit's error (``file:line: field: …``); the script prints it and exits
non-zero, and writes no ``scores.json``, so Codabench shows the message to
the participant and puts nothing on the leaderboard.

The submission is the participant's: the program reads only regular files at
the top of ``input/res`` (an unzip that keeps symbolic links could otherwise
point ``predictions.jsonl`` at the withheld gold in ``input/ref``), and says
what is wrong in one line, so that no message can describe the gold.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from toolkit.dataset.blind import read_manifest
from toolkit.errors import InputError, ToolkitError, ValidationError
from toolkit.leaderboard.columns import HEADLINE_COLUMNS
from toolkit.leaderboard.ranking import figure

SCORES_FILE = "scores.json"
DETAILS_FILE = "detailed_results.html"
PREDICTIONS_FILE = "predictions.jsonl"
META_FILE = "meta.json"
DEFAULT_BOOTSTRAP = 1000
SCORE_DECIMALS = 10  # Codabench stores a score as a decimal with 10 places
DEFAULT_NAME = "this submission"


def leaderboard_key(dotted: str) -> str:
    """A figure's column key on Codabench: ``entities.strict.f1`` → ``entities_strict_f1``."""
    return dotted.replace(".", "_")


LEADERBOARD_KEYS = tuple(leaderboard_key(column.key) for column in HEADLINE_COLUMNS)


def leaderboard_scores(result: dict[str, Any]) -> dict[str, float]:
    """The headline figures under their column keys; an undefined figure counts as 0 on the leaderboard."""
    return {
        leaderboard_key(column.key): round(figure(result, column.key) or 0.0, SCORE_DECIMALS)
        for column in HEADLINE_COLUMNS
    }


def reference_split(ref: Path) -> str:
    """The split whose gold the reference data holds (one per phase)."""
    splits = list(read_manifest(ref)["splits"])
    if len(splits) != 1:
        raise InputError(
            f"{ref}: holds the gold of {len(splits)} splits ({', '.join(splits) or 'none'}) "
            "(expected the reference data of one phase, written by `toolkit benchmark-bundle`)"
        )
    return splits[0]


def submission_file(res: Path, name: str) -> Path | None:
    """``res/name`` if it is a regular file of the submission folder itself, None if there is nothing by that name;
    a link, a folder or anything else is refused without being followed."""
    path = res / name
    try:
        status = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror}) (expected a file of the submission zip)") from None
    if stat.S_ISLNK(status.st_mode) or not stat.S_ISREG(status.st_mode) or path.resolve().parent != res.resolve():
        kind = "a symbolic link" if stat.S_ISLNK(status.st_mode) else "not a regular file"
        raise InputError(f"{path}: {kind} (expected a regular file {name} at the top of the submission zip)")
    return path


def one_line(error: ToolkitError) -> str:
    """The error as the participant reads it in the scoring log: one line (the first problem of a validation)."""
    if isinstance(error, ValidationError) and error.problems:
        more = len(error.problems) - 1
        others = f" (and {more}{'+' if error.truncated else ''} more problem(s))" if more or error.truncated else ""
        return f"error: [{error.code}] {error.problems[0]}{others}"
    return f"error: {error}"


def predictions_file(res: Path) -> Path:
    """``predictions.jsonl`` at the top of the submission; the error says where it was found instead."""
    path = submission_file(res, PREDICTIONS_FILE)
    if path is not None:
        return path
    path = res / PREDICTIONS_FILE
    raise InputError(
        f"{path}: file not found (expected {PREDICTIONS_FILE} at the top of the submission zip; {_found(res)})"
    )


def _found(res: Path) -> str:
    """What the submission holds instead, said so that the participant can fix the zip."""
    if not res.is_dir():
        return "no submission folder"
    elsewhere = sorted(found.relative_to(res).as_posix() for found in res.rglob(PREDICTIONS_FILE))
    if elsewhere:
        return (
            f"found {', '.join(elsewhere)}: zip the file itself, not its folder (zip submission.zip {PREDICTIONS_FILE})"
        )
    return f"the zip holds {', '.join(sorted(path.name for path in res.iterdir())) or 'nothing'}"


def _details(result: dict[str, Any], meta: dict[str, Any], res: Path, split: str) -> str:
    from toolkit.leaderboard.html import render_submission_html
    from toolkit.leaderboard.ranking import Entry
    from toolkit.leaderboard.submissions import Submission

    notes = [
        f"Scored on the {split} split: {result['n_documents']} document(s) with gold.",
        f"{len(result['missing_documents'])} of them had no prediction record (scored as predicting nothing); "
        f"{len(result['extra_documents'])} prediction record(s) for documents outside this split were ignored.",
    ]
    undefined = [column.title for column in HEADLINE_COLUMNS if figure(result, column.key) is None]
    if undefined:
        reason = f" ({result['overall_reason']})" if result.get("overall_reason") else ""
        notes.append(
            f"Undefined here{reason}: {', '.join(undefined)}; the leaderboard counts an undefined figure as 0."
        )
    entry = Entry(Submission(res, meta["name"], meta), result, rank=1)
    return render_submission_html(entry, notes)


def score_submission(input_dir: Path, output_dir: Path, bootstrap: int = DEFAULT_BOOTSTRAP) -> dict[str, float]:
    """Score ``input_dir/res`` against ``input_dir/ref``; write the scores and the detailed results into
    ``output_dir`` (the scores last: they exist only when everything succeeded)."""
    from toolkit.files import write_json, write_text
    from toolkit.leaderboard.submissions import read_meta
    from toolkit.pathguard import FILES, Output, PathPlan
    from toolkit.scoring.evaluate import evaluate
    from toolkit.scoring.scorer import DEFAULT_SEED
    from toolkit.staging import staged

    input_dir, output_dir = Path(input_dir), Path(output_dir)
    ref, res = input_dir / "ref", input_dir / "res"
    split = reference_split(ref)
    predictions = predictions_file(res)
    meta_path = submission_file(res, META_FILE)
    meta = read_meta(meta_path) if meta_path is not None else {"name": DEFAULT_NAME}
    result = evaluate(
        predictions, ref, None, split, bootstrap=bootstrap, seed=DEFAULT_SEED, ignore_extra=True
    ).to_dict()
    scores = leaderboard_scores(result)
    outputs = PathPlan([], [Output("OUTPUT", output_dir, FILES, (DETAILS_FILE, SCORES_FILE))])
    with staged(outputs, own=True):  # its own run: also inside `toolkit benchmark-bundle`, which checks its kit
        write_text(output_dir / DETAILS_FILE, _details(result, meta, res, split))
        write_json(output_dir / SCORES_FILE, scores)
    return scores


def summary(scores: dict[str, float]) -> str:
    """What the participant reads in the scoring log."""
    return "\n".join(f"{column.title}: {scores[leaderboard_key(column.key)]:.4f}" for column in HEADLINE_COLUMNS)
