"""The voci scoring program for Codabench: scores a submission's predictions.jsonl with the voci toolkit.

Codabench runs it in the competition's Docker image, which has the voci toolkit installed (see the Dockerfile
in the voci repository), as ``python3 /app/program/score.py /app/input /app/output`` (``metadata.yaml``):

    input/ref/   the phase's gold (written by ``toolkit benchmark-bundle``)
    input/res/   the submission zip, unzipped: predictions.jsonl (and optionally meta.json)
    output/      scores.json (the leaderboard's keys) and detailed_results.html

An invalid submission ends with the toolkit's message (``file:line: field: ...``) on stderr and a non-zero
exit, and no scores.json.  The toolkit version is pinned in ``requirements.txt``: a different version in the
image stops the program instead of scoring with another scorer.
"""

import sys
from importlib import metadata
from pathlib import Path

PROGRAM = Path(__file__).resolve().parent
DISTRIBUTION = "voci-toolkit"
DEFAULT_FOLDERS = ("/app/input", "/app/output")


def pinned_version() -> str:
    """The toolkit version this program was built with (``voci-toolkit==X`` in requirements.txt)."""
    for line in (PROGRAM / "requirements.txt").read_text(encoding="utf-8").splitlines():
        name, _, version = line.partition("==")
        if name.strip() == DISTRIBUTION:
            return version.strip()
    raise SystemExit(f"{PROGRAM / 'requirements.txt'}: no {DISTRIBUTION}==VERSION line (the bundle is damaged)")


def main(arguments: list[str]) -> int:
    if len(arguments) not in (0, 2):
        print("usage: score.py [INPUT_FOLDER OUTPUT_FOLDER]", file=sys.stderr)
        return 2
    input_folder, output_folder = (Path(folder) for folder in (arguments or DEFAULT_FOLDERS))
    wanted = pinned_version()
    try:
        installed = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        installed = None
    if installed != wanted:
        print(
            f"error: this scoring program needs {DISTRIBUTION}=={wanted} in the Docker image, found "
            f"{installed or 'none'}: build the image from the wheel of that version (docs/benchmark.md)",
            file=sys.stderr,
        )
        return 2

    from toolkit.benchmark.program import score_submission, summary
    from toolkit.errors import ToolkitError, report_error

    try:
        scores = score_submission(input_folder, output_folder)
    except ToolkitError as error:
        return report_error(error)
    print(summary(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
