"""The option types every command uses, declared once.

Paths: an option or argument declared with `input_path` or `output_path` (or one of the named options below)
carries its role, and `toolkit.cli._app.ToolkitCommand` builds the command's `toolkit.pathguard.PathPlan` from
those roles before the command runs: a new command that declares its paths here is guarded and staged by
construction (no output over an input, outputs written all together).  For example::

    @app.command("convert-predictions")
    def convert_predictions(
        source: Path = input_path(..., help="Model output to convert."),  # an argument: SOURCE
        documents: Path = documents_option(),
        out: Path = output_path(..., "--out", help="Prediction records to write (JSONL)."),
        report: Path = output_path(None, "--report", stdout=True, help="Summary, '-' for stdout."),
        folder: Path = output_path(Path("dist/x"), "--folder", kind=FOLDER, help="A folder written whole."),
    ) -> None:
        ...
        write_jsonl(out, records)  # any writer of toolkit.files: staged, moved into place when the command returns

``kind=FILES, files=("a.txt", "sub/")`` declares named files and sub-folders inside an existing folder (the rest of
it is left alone); ``kind=WORKDIR`` a folder a server writes in place; ``rewritten=`` files inside an input folder the
command regenerates; ``implicit=`` the file an input option stands for when it is not given.  Writing a path that is
not declared raises `toolkit.staging.UndeclaredOutput` (a bug, caught by the tests).

Values: ``--split``, ``--seed``, counts, ``--iou``, dates and URLs are checked by their parser and refused with the
option's own name and what was expected (exit 2).

Output: one convention for machine-readable output, ``--format json`` (an enum: typer lists the choices) and
``--out FILE|-``; the older ``--json`` spellings are accepted for one release with a warning (`json_alias`,
`json_flag_alias`).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import typer

from toolkit.display import redact_url
from toolkit.pathguard import FILE, FILES, Input, Output, PathPlan
from toolkit.paths import CONVERTED_FILES, DEFAULT_DOCUMENTS

MAX_BATCH = 1_000_000

# ---------------------------------------------------------------- paths


@dataclass(frozen=True)
class InputRole:
    """Parser of a path the command reads (a file, or a folder whose files it reads).

    ``rewritten``: files inside an input folder that the command regenerates (``toolkit card``'s README.md).
    """

    rewritten: tuple[str, ...] = ()
    implicit: str | None = None  # what the command reads when the option is not given (guarded all the same)
    __name__ = "path"  # what help shows as the type of an argument

    def __call__(self, value) -> str:
        return os.fspath(value)


@dataclass(frozen=True)
class OutputRole:
    """Parser of a path the command writes; ``kind`` and ``names`` as in `toolkit.pathguard.Output`."""

    kind: str = FILE
    names: tuple[str, ...] = ()
    stdout: bool = False  # "-" means standard output
    __name__ = "path"

    def __call__(self, value) -> str:
        return os.fspath(value)


def input_path(default, *names: str, help: str, rewritten: tuple[str, ...] = (), implicit=None, **extra):
    """An option (``names`` given) or an argument (none) naming a path the command reads; ``implicit``: the file
    read when the option is not given (its default is None so that the command can tell)."""
    role = InputRole(rewritten, None if implicit is None else os.fspath(implicit))
    if names:
        return typer.Option(default, *names, parser=role, help=help, metavar=extra.pop("metavar", "PATH"), **extra)
    return typer.Argument(default, parser=role, help=help, **extra)


def output_path(default, *names: str, help: str, kind: str = FILE, files: tuple[str, ...] = (), stdout=False, **extra):
    """An option naming a path the command writes: a file (``-`` = stdout when ``stdout``), a folder written whole,
    or ``files`` inside a folder."""
    role = OutputRole(kind, files, stdout)
    metavar = extra.pop("metavar", "FILE|-" if stdout else ("FOLDER" if kind != FILE else "FILE"))
    return typer.Option(default, *names, parser=role, help=help, metavar=metavar, **extra)


def parameter_label(param) -> str:
    """How messages name a parameter: its long option (``--gold``) or its argument name (``PREDICTIONS``)."""
    options = [name for name in getattr(param, "opts", []) if name.startswith("--")]
    if param.param_type_name == "option" and options:
        return options[0]
    return getattr(param, "metavar", None) or (param.name or "").upper()


def path_plan(params, values) -> PathPlan:
    """The `PathPlan` of a command from its parameters' roles and the values given."""
    plan = PathPlan()
    for param in params:
        role = getattr(param.type, "func", None)
        value = values.get(param.name)
        if value is None and isinstance(role, InputRole):
            value = role.implicit
        if not isinstance(role, (InputRole, OutputRole)) or value is None:
            continue
        label = parameter_label(param)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            path = Path(item)
            if isinstance(role, InputRole):
                plan.inputs.append(Input(label, path, role.rewritten))
            elif not (role.stdout and str(item) == "-"):
                plan.outputs.append(Output(label, path, role.kind, role.names))
    return plan


# ---------------------------------------------------------------- values


def _checked(check: Callable, value):
    """A value passed to the library's check of its parameter (`toolkit.scoring.parameters`): refused, its reason
    under the option's name."""
    from toolkit.errors import ParameterError

    try:
        return check(value)
    except ParameterError as error:
        raise typer.BadParameter(error.reason) from None


def split_name(value) -> str | None:
    from toolkit.scoring import parameters

    return _checked(parameters.split, None if value is None else str(value))


def document_split_name(value) -> str | None:
    from toolkit.dataset.splits import SPLIT_NAME as DOCUMENT_SPLIT

    if value is None or DOCUMENT_SPLIT.fullmatch(str(value)):
        return value
    raise typer.BadParameter(
        f"{str(value)!r} is not a split name (expected letters, digits or '_', as a document's split field, e.g. test)"
    )


def _integer(value, what: str, minimum: int, maximum: int) -> int:
    try:
        return int(str(value), 10)
    except ValueError:
        raise typer.BadParameter(
            f"{str(value)!r} is not an integer (expected {what} from {minimum} to {maximum})"
        ) from None


def _bounded(what: str, minimum: int, maximum: int):
    def parse(value) -> int:
        from toolkit.scoring.parameters import bounded_integer

        return _checked(
            lambda n: bounded_integer("", n, what, minimum, maximum), _integer(value, what, minimum, maximum)
        )

    return parse


port_number = _bounded("a port number", 1, 65535)
any_port = _bounded("a port number (0: any free one)", 0, 65535)


def _seed(value) -> int:
    from toolkit.scoring.parameters import MAX_SEED, seed

    return _checked(seed, _integer(value, "a seed", 0, MAX_SEED))


def _resamples(minimum: int):
    def parse(value) -> int:
        from toolkit.scoring.parameters import MAX_RESAMPLES, resamples

        return _checked(
            lambda n: resamples(n, minimum=minimum), _integer(value, "a number of resamples", minimum, MAX_RESAMPLES)
        )

    return parse


def _iou(value) -> float:
    from toolkit.scoring.parameters import IOU_EXPECTED, iou

    try:
        number = float(value)
    except ValueError:
        raise typer.BadParameter(f"{str(value)!r} is not a number (expected {IOU_EXPECTED})") from None
    return _checked(iou, number)


def iso_date(value) -> str | None:
    from toolkit.validate import is_date

    if value is None or is_date(str(value)):
        return value
    raise typer.BadParameter(f"{str(value)!r} is not a real date (expected YYYY-MM-DD, e.g. 2024-06-12)")


def _http_url(value) -> str | None:
    if value is None:
        return None
    expected = "expected an http:// or https:// URL, with a port from 1 to 65535 if any"
    try:
        parts = urllib.parse.urlsplit(str(value))
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number from 0 to 65535)
    except ValueError:
        raise typer.BadParameter(f"{redact_url(str(value))!r} is not a server address ({expected})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.port == 0:
        raise typer.BadParameter(f"{redact_url(str(value))!r} is not a server address ({expected})")
    return str(value)


def split_option(help: str = "Score only this split (e.g. test) (default: every gold document)."):
    return typer.Option(None, "--split", parser=split_name, metavar="NAME", help=help)


def seed_option(help: str = "Seed of the bootstrap (default: the scorer's fixed seed, so intervals are reproducible)."):
    return typer.Option(None, "--seed", parser=_seed, metavar="INTEGER", help=help)


def resamples_option(default: int, *names: str, minimum: int = 0, help: str):
    return typer.Option(default, *names, parser=_resamples(minimum), metavar="N", help=help)


def count_option(default: int, *names: str, what: str, help: str, maximum: int = MAX_BATCH):
    return typer.Option(default, *names, parser=_bounded(what, 1, maximum), metavar="N", help=help)


def iou_option():
    return typer.Option(
        0.5,
        "--iou",
        parser=_iou,
        metavar="FLOAT",
        help="Character IoU at which a predicted claim matches a gold claim.",
    )


class EngineName(str, Enum):
    """The scoring engines of `toolkit.scoring.engines.registry`."""

    fast = "fast"
    reference = "reference"


class PerLabelConvention(str, Enum):
    """The per-label conventions of `toolkit.scoring.conventions`."""

    voci = "voci"
    seqeval = "seqeval"


def per_label_convention_option():
    return typer.Option(
        PerLabelConvention.voci,
        "--per-label-convention",
        case_sensitive=False,
        help="voci: a pair counts under its gold label, so labels add up to the totals, and averages skip undefined "
        "figures; seqeval: seqeval's classification_report (strict): a confused pair counts against the predicted "
        "label's precision and the gold label's recall, 0/0 = 0, macro and weighted averages over the labels in gold "
        "or predictions.",
    )


def compat_option():
    return typer.Option(
        None,
        "--compat/--no-compat",
        help="Figures comparable with published benchmarks (compat in JSON): token-level P/R/F1 as NERMuD "
        "(EVALITA 2023) computes them, over the tokens of the gold folder's ner config. On by default for a built "
        "folder or Hub gold (their tokens are at hand), off for a gold JSONL; --no-compat leaves them out.",
        show_default=False,
    )


def breakdown_option():
    return typer.Option(
        True,
        "--breakdown/--no-breakdown",
        help="Claimer accuracy and end-to-end figures by claimer kind, claimer position and claim form "
        "(breakdown in JSON; --no-breakdown leaves them out, null).",
    )


def by_option():
    return typer.Option(
        None,
        "--by",
        metavar="FIELD",
        help="Also give the headline figures (with intervals when --bootstrap) per value of this document field "
        "(source, published = its year, split, or any key the documents carry); repeatable.",
    )


def token_label_map_option():
    return typer.Option(
        None,
        "--token-label-map",
        help="LABEL=NAME (repeatable): rename a label for the --compat token figures, e.g. GPE=LOC; NAME=O drops it.",
    )


def engine_option():
    return typer.Option(
        None,
        "--engine",
        case_sensitive=False,
        help="fast, or reference: the plain per-document scorer, to check a figure (the same figures). "
        "Default: $VOCI_SCORER_ENGINE, else fast.",
    )


def verbose_option(help: str = "Say how the gold and the predictions were read and counted (on stderr)."):
    return typer.Option(False, "--verbose", help=help)


def ignore_extra_option():
    return typer.Option(False, "--ignore-extra", help="Skip predictions for documents not in gold instead of stopping.")


def require_complete_option():
    return typer.Option(
        False,
        "--require-complete",
        help="Exit 2 when the predictions miss gold documents (or are empty), naming how many and the first ids; "
        "without it they are scored as predicting nothing, with a warning.",
    )


def documents_option(
    help: str = "Documents file (JSONL) that annotation and prediction records are checked against.",
    default=DEFAULT_DOCUMENTS,
):
    return input_path(default, "--documents", help=help)


def gold_option(
    help: str = "Gold annotation JSONL, a folder built by `toolkit build`, or a Hugging Face Hub dataset id "
    "ORG/NAME[@REVISION].",
    default=...,
):
    return input_path(default, "--gold", help=help)


def scoring_documents_option():
    return input_path(
        None,
        "--documents",
        implicit=DEFAULT_DOCUMENTS,
        help="Documents JSONL with the texts of a gold JSONL (default: annotations/documents.jsonl).",
    )


DocumentsOption = documents_option()


def converted_out_option(help: str):
    """The folder `toolkit pull` and `toolkit convert-export` write annotators/ and conversion-problems.txt into."""
    return output_path(Path("annotations"), "--out", kind=FILES, files=CONVERTED_FILES, help=help)


def check_documents_option():
    return input_path(None, "--documents", help="Also check every task's text against this documents file.")


# Label Studio connection (push, pull, progress, users): from the options, else the environment, else the
# `.studio/` folder of `toolkit studio` in the current directory; the key is never printed. (Square brackets in a
# help text are rich markup: "[env: …]" would vanish from --help.)
StudioUrlOption = typer.Option(
    None,
    "--url",
    envvar="LABEL_STUDIO_URL",
    parser=_http_url,
    metavar="URL",
    help="Label Studio URL (env: LABEL_STUDIO_URL; else the one of .studio/ made by `toolkit studio`).",
    show_envvar=False,
)
StudioKeyOption = typer.Option(
    None,
    "--api-key",
    envvar="LABEL_STUDIO_API_KEY",
    help="Label Studio API key, legacy token or personal access token (env: LABEL_STUDIO_API_KEY; else .studio/).",
    show_envvar=False,
    show_default=False,
)
ProjectOption = typer.Option("voci", "--project", help="Label Studio project title.")


# ---------------------------------------------------------------- output formats


class RecordKind(str, Enum):
    """The record kinds of `toolkit.schemas.KINDS`."""

    document = "document"
    annotation = "annotation"
    prediction = "prediction"


def kind_option(help: str = "Record kind (default: detected from the first record)."):
    return typer.Option(None, "--kind", help=help, case_sensitive=False)


class TextFormat(str, Enum):
    text = "text"
    json = "json"


class TableFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


def format_option(default: Enum, help: str):
    return typer.Option(default, "--format", help=help, case_sensitive=False)


def per_document_option():
    return output_path(
        None,
        "--per-document",
        help="Also write one JSON line per gold document to FILE: its id, whether it had a prediction, and its own "
        "counts and figures (find the documents a system fails on).",
    )


def out_option(help: str = "Write the result to FILE instead of stdout ('-' = stdout)."):
    return output_path(None, "--out", help=help, stdout=True)


def json_alias(json_out: Path | None, out: Path | None, output_format, json_format, out_name: str = "--out"):
    """The deprecated ``--json OUT|-``: ``--format json --out OUT``, with a warning on stderr."""
    from toolkit.errors import InputError

    if json_out is None:
        return output_format, out
    if out is not None:
        raise InputError(
            f"--json and {out_name}: both given (expected one: --json OUT is the old spelling of {out_name})"
        )
    typer.echo(  # not `_app.echo_err`: `_app` imports this module (a fixed text: nothing to make safe)
        f"warning: --json OUT is deprecated and will be removed in the next release; use --format json {out_name} OUT",
        err=True,
    )
    return json_format, json_out


def json_flag_alias(as_json: bool, output_format, json_format):
    """The deprecated ``--json`` flag: ``--format json``, with a warning on stderr."""
    if not as_json:
        return output_format
    typer.echo(
        "warning: the --json flag is deprecated and will be removed in the next release; use --format json", err=True
    )
    return json_format
