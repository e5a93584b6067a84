"""Options declared once (`toolkit.cli._options`), their choices taken from the library's registries, and every
declared path visible to the path guard."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import typer.main

CLI = Path(__file__).resolve().parent.parent / "toolkit" / "cli"
DECLARERS = {"typer.Option", "input_path", "output_path", "count_option", "resamples_option", "format_option"}
# An option name several commands declare for themselves, because it means something else in each.
OWN_MEANING = {
    "--out": "each command's own result (a file, a folder, a bundle, stdout)",
    "--json": "the deprecated spelling of each command's own --format json [--out]",
    "--batch-size": "build: documents per written batch; push: tasks per import request",
    "--bootstrap": "eval: intervals only, default 0; leaderboard: intervals and the paired test, default 1000",
    "--gold": "build and card: the gold records file; benchmark-bundle: the private folder of withheld gold",
    "--host": "backend: default 127.0.0.1; studio: none (loopback, and a warning for any other address)",
    "--port": "backend: 0 means any free port; studio: the port kept in its data folder",
    "--seed": "scoring: the bootstrap's seed, default the scorer's; train: the dev split's and spaCy's, default 0",
    "--split": "scoring: the gold split scored; ingest: the split field written into new documents",
    "--url": "Label Studio's address; ingest: a document's original URL",
    "--label-map": "convert-predictions: a JSON file mapping the model's labels to voci's; export: LABEL=NAME pairs "
    "renaming voci's labels in the written CoNLL (eval's --token-label-map)",
    "--format": "the result's format (format_option); convert-predictions: the format of its input, required",
}


def declarations() -> dict[str, set[str]]:
    """Option name → the command modules that declare it with a literal name."""
    found = defaultdict(set)
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in DECLARERS:
                for argument in node.args:
                    if isinstance(argument, ast.Constant) and str(argument.value).startswith("--"):
                        found[argument.value].add(path.name)
    return found


def test_an_option_shared_by_commands_is_declared_once_in_options():
    shared = {name: sorted(modules) for name, modules in declarations().items() if len(modules) > 1}
    assert set(shared) <= set(OWN_MEANING), {name: shared[name] for name in set(shared) - set(OWN_MEANING)}
    assert declarations()["--documents"] == {"_options.py"}


def test_choices_are_the_registries_names():
    from toolkit.cli import _options, compare
    from toolkit.labelstudio import progress
    from toolkit.schemas import KINDS
    from toolkit.scoring import conventions, formatting
    from toolkit.scoring.engines import registry

    pairs = [
        (_options.EngineName, registry.ENGINES),
        (_options.PerLabelConvention, conventions.CONVENTIONS),
        (_options.TableFormat, formatting.FORMATTERS),
        (_options.RecordKind, KINDS),
        (_options.ProgressFormat, progress.FORMATTERS),
        (compare.CompareFormat, compare.FORMATTERS),
    ]
    for enum, names in pairs:
        assert [member.value for member in enum] == list(names), enum.__name__


def test_every_path_parameter_carries_its_role_for_the_guard():
    """The guard reads a path's role from ``param.type.func``; an ``Annotated`` declaration must still give it."""
    from toolkit.cli import app
    from toolkit.cli._app import InputRole, OutputRole

    group = typer.main.get_command(app)
    roles = {}
    for name, command in group.commands.items():
        for param in command.params:
            role = getattr(param.type, "func", None)
            if param.metavar in ("PATH", "FILE", "FILE|-", "FOLDER"):
                assert isinstance(role, (InputRole, OutputRole)), (name, param.name)
            roles[name, param.name] = role
    assert isinstance(roles["eval", "predictions"], InputRole)
    assert roles["eval", "documents"].implicit == "annotations/documents.jsonl"
    assert isinstance(roles["eval", "per_document"], OutputRole) and not roles["eval", "per_document"].stdout
    assert roles["leaderboard", "out"].names == ("LEADERBOARD.md", "leaderboard.json", "index.html")
    assert roles["build", "private_out"].planned_by_library and roles["build", "private_out"].kind == "folder"
    assert not roles["build", "out"].planned_by_library


def test_a_command_without_scoring_does_not_load_the_engines_for_its_choices():
    code = "import sys, toolkit.cli.validate; print('toolkit.scoring.engines.registry' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    code = "import sys, toolkit.cli.eval; print('toolkit.scoring.engines.registry' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"
