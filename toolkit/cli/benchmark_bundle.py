"""``toolkit benchmark-bundle``: a Codabench competition bundle scoring submissions on the blind split."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import typer

from toolkit import __version__
from toolkit.cli._app import app, echo_err, input_path, output_path
from toolkit.cli._options import split_name
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
    gold: Annotated[
        Path, input_path("--gold", help="The private folder of withheld gold (`toolkit build --blind`).")
    ] = DEFAULT_PRIVATE,
    public: Annotated[
        Path, input_path("--public", help="The public dataset folder of the same build.")
    ] = DEFAULT_BUILD,
    out: Annotated[
        Path, output_path("--out", help="The bundle to write (a .zip to upload to Codabench).")
    ] = DEFAULT_BUNDLE,
    development_split: Annotated[
        str,
        typer.Option(
            "--development-split",
            parser=split_name,
            metavar="NAME",
            help="Split of the development phase (gold public or withheld).",
        ),
    ] = "validation",
    test_split: Annotated[
        str, typer.Option("--test-split", parser=split_name, metavar="NAME", help="Blind split of the test phase.")
    ] = "test",
    development_start: Annotated[
        str,
        typer.Option("--development-start", help="Day the development phase opens, YYYY-MM-DD UTC (default: today)."),
    ] = None,
    test_start: Annotated[
        str,
        typer.Option(
            "--test-start",
            help="Day the test phase opens, YYYY-MM-DD UTC; development closes the day before (default: 4 weeks on).",
        ),
    ] = None,
    test_end: Annotated[
        str, typer.Option("--test-end", help="Last day of the test phase, YYYY-MM-DD UTC (default: it never ends).")
    ] = None,
    docker_image: Annotated[
        str,
        typer.Option(
            "--docker-image",
            help="Image Codabench runs the scoring program in: the Dockerfile's image, pushed to a registry.",
        ),
    ] = f"voci-toolkit:{__version__}",
    dataset: Annotated[
        str, typer.Option("--dataset", help="The dataset's Hub id, as participants pass it to load_dataset.")
    ] = "ORG/voci",
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
