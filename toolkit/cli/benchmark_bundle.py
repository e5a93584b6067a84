"""``toolkit benchmark-bundle``: a Codabench competition bundle scoring submissions on the blind split."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import typer

from toolkit import __version__
from toolkit.cli._app import app, echo_err
from toolkit.cli._options import input_path, output_path, split_name
from toolkit.paths import DEFAULT_BUILD, DEFAULT_BUNDLE, DEFAULT_PRIVATE

TEST_OPENS_AFTER = timedelta(days=28)


def _date(option: str, value: str | None) -> date | None:
    from toolkit.errors import InputError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: {value!r} is not a date (expected YYYY-MM-DD)") from None


@app.command("benchmark-bundle")
def benchmark_bundle(
    gold: Path = input_path(
        DEFAULT_PRIVATE, "--gold", help="The private folder of withheld gold (`toolkit build --blind`)."
    ),
    public: Path = input_path(DEFAULT_BUILD, "--public", help="The public dataset folder of the same build."),
    out: Path = output_path(DEFAULT_BUNDLE, "--out", help="The bundle to write (a .zip to upload to Codabench)."),
    development_split: str = typer.Option(
        "validation",
        "--development-split",
        parser=split_name,
        metavar="NAME",
        help="Split of the development phase (gold public or withheld).",
    ),
    test_split: str = typer.Option(
        "test", "--test-split", parser=split_name, metavar="NAME", help="Blind split of the test phase."
    ),
    development_start: str = typer.Option(
        None, "--development-start", help="Day the development phase opens, YYYY-MM-DD UTC (default: today)."
    ),
    test_start: str = typer.Option(
        None,
        "--test-start",
        help="Day the test phase opens, YYYY-MM-DD UTC; development closes the day before (default: 4 weeks on).",
    ),
    test_end: str = typer.Option(
        None, "--test-end", help="Last day of the test phase, YYYY-MM-DD UTC (default: it never ends)."
    ),
    docker_image: str = typer.Option(
        f"voci-toolkit:{__version__}",
        "--docker-image",
        help="Image Codabench runs the scoring program in: the Dockerfile's image, pushed to a registry.",
    ),
    dataset: str = typer.Option(
        "ORG/voci", "--dataset", help="The dataset's Hub id, as participants pass it to load_dataset."
    ),
) -> None:
    """Write a Codabench v2 bundle: development and blind test phases scored by `toolkit eval`, a starting kit."""
    from toolkit.benchmark.bundle import BundleSettings, write_bundle
    from toolkit.cli.eval import EVAL_HELP

    opens = _date("--development-start", development_start) or datetime.now(timezone.utc).date()
    settings = BundleSettings(
        development_start=opens,
        test_start=_date("--test-start", test_start) or opens + TEST_OPENS_AFTER,
        test_end=_date("--test-end", test_end),
        development_split=development_split,
        test_split=test_split,
        docker_image=docker_image,
        dataset=dataset,
    )
    report = write_bundle(public, gold, out, settings, EVAL_HELP)
    for line in report.lines():
        echo_err(line)
