"""The options commands share, each declared once as an ``Annotated`` alias (huggingface_hub's CLI is the model).

A command names the alias and gives the default after ``=``::

    @app.command("convert-predictions")
    def convert_predictions(
        source: Annotated[Path, input_path(help="Model output to convert.")],  # an argument: SOURCE
        out: Annotated[Path, output_path("--out", help="Prediction records to write (JSONL).")],
        documents: DocumentsOption = DEFAULT_DOCUMENTS,
        split: SplitOption = None,
        report: Annotated[Path | None, output_path("--report", stdout=True, help="Summary, '-' for stdout.")] = None,
    ) -> None:
        ...
        write_jsonl(out, records)  # any writer of toolkit.files: staged, moved into place when the command returns

An option one command alone has is declared there, the same way.  A command that shares an option but words its
help for itself keeps the declaration and changes the words: ``described(SplitOption, "Rank on this split only.")``.

Paths: `toolkit.cli._app.input_path` and `output_path` declare a path's role (read, written, a folder written whole,
``kind=FILES, files=("a.txt", "sub/")`` named files inside an existing folder, ``kind=WORKDIR`` a folder a server
writes in place, ``rewritten=`` files inside an input folder the command regenerates, ``implicit=`` the file an
input option stands for when it is not given), and the path guard plans the command from them.  Writing a path that
is not declared raises `toolkit.staging.UndeclaredOutput` (a bug, caught by the tests).

Values: ``--split``, ``--seed``, counts, ``--iou``, dates and URLs are checked by their parser and refused with the
option's own name and what was expected (exit 2).  Choices (``--engine``, ``--format``, ``--kind``…) are enums
derived from the library's registries (`choices`); those whose registry is costly to import are made when a
command module first imports them (`__getattr__`), so ``toolkit validate`` does not load the scoring engines.

Output: one convention for machine-readable output, ``--format json`` (an enum: typer lists the choices) and
``--out FILE|-``; the older ``--json`` spellings are accepted for one release with a warning (`json_alias`,
`json_flag_alias`).
"""

from __future__ import annotations

import importlib
import urllib.parse
from collections.abc import Callable, Iterable
from copy import copy
from enum import Enum
from pathlib import Path
from typing import Annotated, get_args

import typer

from toolkit.cli._app import input_path, output_path
from toolkit.display import redact_url
from toolkit.labelstudio.backend import System
from toolkit.pathguard import FILES, WORKDIR
from toolkit.paths import CONVERTED_FILES, DEFAULT_DOCUMENTS

MAX_BATCH = 1_000_000


def described(alias, help: str):
    """A shared option with this command's own help text: the same names, parser and role."""
    base, info = get_args(alias)
    info = copy(info)
    info.help = help
    return Annotated[base, info]


def choices(name: str, names: Iterable[str]) -> type[Enum]:
    """The enum of a registry's names, the choices typer lists and checks."""
    return Enum(name, {choice: choice for choice in names}, type=str)


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


# ---------------------------------------------------------------- builders (an option whose type or help varies)


def resamples_option(*names: str, minimum: int = 0, help: str):
    return typer.Option(*names, parser=_resamples(minimum), metavar="N", help=help)


def count_option(*names: str, what: str, help: str, maximum: int = MAX_BATCH):
    return typer.Option(*names, parser=_bounded(what, 1, maximum), metavar="N", help=help)


def format_option(help: str):
    """``--format``, over the command's enum of formats."""
    return typer.Option("--format", help=help, case_sensitive=False)


# ---------------------------------------------------------------- documents
# Four meanings, hence four aliases (each with the same default wherever it is used):
# the documents a command's records are checked against (default: the project's file);
DocumentsOption = Annotated[
    Path,
    input_path(
        "--documents", help="Documents file (JSONL) that annotation and prediction records are checked against."
    ),
]
# the texts of a scorer's gold: None, because a built folder or a Hub dataset carries its texts; a gold JSONL implies
# the project's file;
GoldDocumentsOption = Annotated[
    Path | None,
    input_path(
        "--documents",
        implicit=DEFAULT_DOCUMENTS,
        help="Documents JSONL with the texts of a gold JSONL (default: annotations/documents.jsonl).",
    ),
]
# `validate`'s: None, because the documents files among the paths checked come first;
ValidateDocumentsOption = Annotated[
    Path | None,
    input_path(
        "--documents",
        implicit=DEFAULT_DOCUMENTS,
        help="Documents file (JSONL) that annotation and prediction records are checked against "
        "(default: the documents files among PATHS, else annotations/documents.jsonl).",
    ),
]
# an optional check of what Label Studio holds: None, no check unless given.
CheckDocumentsOption = Annotated[
    Path | None, input_path("--documents", help="Also check every task's text against this documents file.")
]

# ---------------------------------------------------------------- scoring

GoldOption = Annotated[
    Path,
    input_path(
        "--gold",
        help="Gold annotation JSONL, a folder built by `toolkit build`, or a Hugging Face Hub dataset id "
        "ORG/NAME[@REVISION].",
    ),
]
SplitOption = Annotated[
    str | None,
    typer.Option(
        "--split",
        parser=split_name,
        metavar="NAME",
        help="Score only this split (e.g. test) (default: every gold document).",
    ),
]
SeedOption = Annotated[
    int | None,
    typer.Option(
        "--seed",
        parser=_seed,
        metavar="INTEGER",
        help="Seed of the bootstrap (default: the scorer's fixed seed, so intervals are reproducible).",
    ),
]
IouOption = Annotated[
    float,
    typer.Option(
        "--iou",
        parser=_iou,
        metavar="FLOAT",
        help="Character IoU at which a predicted claim matches a gold claim.",
    ),
]
CompatOption = Annotated[
    bool,
    typer.Option(
        "--compat",
        help="Figures comparable with published benchmarks (compat in JSON): token-level P/R/F1 as NERMuD "
        "(EVALITA 2023) computes them, over the dataset's tokens, and NewsClaims' claim, claimer, stance and "
        "claim-span figures over its sentences. On by default for a built folder or Hub gold "
        "(their tokens are at hand); for a gold JSONL only with --compat (spaCy tokenizes its documents).",
    ),
]
NoCompatOption = Annotated[bool, typer.Option("--no-compat", help="Leave the compat figures out (null).")]
NoBreakdownOption = Annotated[
    bool,
    typer.Option(
        "--no-breakdown",
        help="Leave out the breakdown (claimer accuracy and end-to-end figures by claimer kind, claimer position "
        "and claim form; null).",
    ),
]
ByOption = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        metavar="FIELD",
        help="Also give the headline figures (with intervals when --bootstrap) per value of this document field "
        "(source, published = its year, split, or any key the documents carry); repeatable.",
    ),
]
TokenLabelMapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--token-label-map",
        metavar="LABEL=NAME",
        help="LABEL=NAME (repeatable): rename a label for the compat.token figures, e.g. GPE=LOC; NAME=O drops it.",
    ),
]
VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", help="Say how the gold and the predictions were read and counted (on stderr)."),
]
IgnoreExtraOption = Annotated[
    bool, typer.Option("--ignore-extra", help="Skip predictions for documents not in gold instead of stopping.")
]
RequireCompleteOption = Annotated[
    bool,
    typer.Option(
        "--require-complete",
        help="Exit 2 when the predictions miss gold documents (or are empty), naming how many and the first ids; "
        "without it they are scored as predicting nothing, with a warning.",
    ),
]
PerDocumentOption = Annotated[
    Path | None,
    output_path(
        "--per-document",
        help="Also write one JSON line per gold document to FILE: its id, whether it had a prediction, and its own "
        "counts and figures (find the documents a system fails on).",
    ),
]
OutOption = Annotated[
    Path | None, output_path("--out", help="Write the result to FILE instead of stdout ('-' = stdout).", stdout=True)
]

# ---------------------------------------------------------------- Label Studio
# The connection (push, pull, progress, users): from the options, else the environment, else the `.studio/` folder
# of `toolkit studio` in the current directory; the key is never printed. (Square brackets in a help text are rich
# markup: "[env: …]" would vanish from --help.)
StudioUrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="LABEL_STUDIO_URL",
        parser=_http_url,
        metavar="URL",
        help="Label Studio URL (env: LABEL_STUDIO_URL; else the one of .studio/ made by `toolkit studio`).",
        show_envvar=False,
    ),
]
StudioKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="LABEL_STUDIO_API_KEY",
        help="Label Studio API key, legacy token or personal access token (env: LABEL_STUDIO_API_KEY; else .studio/).",
        show_envvar=False,
        show_default=False,
    ),
]
ProjectOption = Annotated[str, typer.Option("--project", help="Label Studio project title.")]
DEFAULT_PROJECT = "voci"


# The editor's pre-annotations (push, tasks, studio).
PrefillPredictionsOption = Annotated[
    Path | None,
    input_path("--predictions", help="Prediction or annotation records (JSONL) to pre-fill the editor."),
]
ModelVersionOption = Annotated[
    str | None, typer.Option("--model-version", help="Name shown for the pre-annotations (default: preannotation).")
]
GuidelinesOption = Annotated[
    Path, input_path("--guidelines", help="Guidelines shown to annotators when the project is created.")
]
# What the ML backend serves (backend, and studio --ml-backend), and the folder it shares with the server.
SystemOption = Annotated[
    System | None,
    typer.Option(
        "--system", help="The built-in rule-based baseline (the default); it learns from submitted annotations."
    ),
]
CommandOption = Annotated[
    str | None,
    typer.Option(
        "--command",
        help="A program run per request: document records (JSONL) on stdin, prediction records (JSONL) on stdout.",
    ),
]
ModelOption = Annotated[
    Path | None, input_path("--model", help="A MODEL_DIR written by `toolkit train` (the spacy extra).")
]
# A trained model that learns (backend --model, studio --ml-backend --model).
LearnOption = Annotated[
    bool,
    typer.Option(
        "--learn", help="With --model: retrain it in the background from submitted annotations (docs/model.md)."
    ),
]
LearnEveryOption = Annotated[
    int,
    count_option(
        "--learn-every", what="a number of submissions", help="With --learn: retrain after N new submissions."
    ),
]
LearnMinutesOption = Annotated[
    float,
    typer.Option(
        "--learn-minutes", min=0, metavar="M", help="With --learn: start a retraining at most every M minutes."
    ),
]
StudioDataOption = Annotated[
    Path,
    output_path(
        "--data-dir", kind=WORKDIR, help="Folder for the server's SQLite data, log and credentials (git-ignored)."
    ),
]

# ---------------------------------------------------------------- the dataset card's inputs (build, card)
AgreementOption = Annotated[
    Path,
    input_path(
        "--agreement",
        help="Agreement figures (`toolkit agree --format json`) quoted in the card when the file exists.",
    ),
]
ScoresOption = Annotated[
    Path,
    input_path(
        "--scores",
        help="Baseline scores (`toolkit eval --format json`) quoted in the card when the file exists.",
    ),
]
CardGuidelinesOption = described(GuidelinesOption, "Annotation guidelines the card points to.")
CardCopyOption = Annotated[Path, output_path("--card", help="Where to copy the generated card besides OUT/README.md.")]


def converted_out_option(help: str):
    """The folder `toolkit pull` and `toolkit convert-export` write annotators/ and conversion-problems.txt into."""
    return output_path("--out", kind=FILES, files=CONVERTED_FILES, help=help)


# ---------------------------------------------------------------- choices from registries


class TextFormat(str, Enum):
    """Commands whose result is a text or its JSON (no registry of formatters: the text is the command's own)."""

    text = "text"
    json = "json"


def _derived(name: str, module: str, registry: str) -> Callable[[], type[Enum]]:
    return lambda: choices(name, getattr(importlib.import_module(module), registry))


_REGISTRIES: dict[str, Callable[[], object]] = {  # made on first import: the engines' registry imports numpy
    "EngineName": _derived("EngineName", "toolkit.scoring.engines.registry", "ENGINES"),
    "PerLabelConvention": _derived("PerLabelConvention", "toolkit.scoring.conventions", "CONVENTIONS"),
    "TableFormat": _derived("TableFormat", "toolkit.scoring.formatting", "FORMATTERS"),
    "RecordKind": _derived("RecordKind", "toolkit.schemas", "KINDS"),
    "ProgressFormat": _derived("ProgressFormat", "toolkit.labelstudio.progress", "FORMATTERS"),
    "EngineOption": lambda: Annotated[
        __getattr__("EngineName") | None,
        typer.Option(
            "--engine",
            case_sensitive=False,
            help="fast, or reference: the plain per-document scorer, to check a figure (the same figures). "
            "Default: $VOCI_SCORER_ENGINE, else fast.",
        ),
    ],
    "PerLabelConventionOption": lambda: Annotated[
        __getattr__("PerLabelConvention"),
        typer.Option(
            "--per-label-convention",
            case_sensitive=False,
            help="voci: a pair counts under its gold label, so labels add up to the totals, and averages skip "
            "undefined figures; seqeval: seqeval's classification_report (strict): a confused pair counts against "
            "the predicted label's precision and the gold label's recall, 0/0 = 0, macro and weighted averages over "
            "the labels in gold or predictions.",
        ),
    ],
    "NewsclaimsNormalisation": _derived("NewsclaimsNormalisation", "toolkit.scoring.newsclaims", "NORMALISATIONS"),
    "NewsclaimsNormalisationOption": lambda: Annotated[
        __getattr__("NewsclaimsNormalisation"),
        typer.Option(
            "--newsclaims-normalisation",
            case_sensitive=False,
            help="How compat.newsclaims normalises claimer strings before their token F1: english is NewsClaims' "
            "own (SQuAD: lower case, no punctuation, no a/an/the); italian drops il, lo, la, i, gli, le, l', un, uno, "
            "una, un'.",
        ),
    ],
    "KindOption": lambda: Annotated[
        __getattr__("RecordKind") | None,
        typer.Option("--kind", help="Record kind (default: detected from the first record).", case_sensitive=False),
    ],
}


def __getattr__(name: str):
    """A registry's enum, or an option over it, made the first time a command module imports it."""
    if name not in _REGISTRIES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = _REGISTRIES[name]()
    return value


# ---------------------------------------------------------------- output formats


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
