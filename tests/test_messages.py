"""The library speaks in parameters, not command-line flags: only `toolkit/cli/` names a ``--flag``.

A library error names its parameter (``ToolkitError(..., parameter="split")``, `toolkit.errors.mention` inside a
sentence); the CLI shows each as its flag (`toolkit.cli._app.flag_of`), Python as the parameter's name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from toolkit.errors import InputError, as_named, mention

TOOLKIT = Path(__file__).resolve().parent.parent / "toolkit"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# What may look like a flag outside toolkit/cli/, and why.
# A command line quoted as code (`toolkit build --blind`), or a whole string that is one (a line of a code block of
# the benchmark's pages, the generator named in a manifest): a text for people who type it.
QUOTED_COMMAND = re.compile(r"`[^`\n]*`|^(toolkit|hf) .*")
CSS_PROPERTY = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*:(?=\S)|var\(--[a-z][a-z0-9-]*")  # the leaderboard page's CSS
ARGV_FILES = {"labelstudio/server.py"}  # label-studio's own command line, built as a list of its flags
ALLOWED = {  # file → the flags it may still name, with the reason
    "convert_predictions/__init__.py": {"--spans-key"},  # the formats' summaries are `convert-predictions --help`
}


def docstrings(tree) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def strings(tree, skipped: set[int]):
    """Each string of the module with its text; an f-string as one text (its fields as ``{}``), so that a quoted
    command line with a field (`toolkit build --blind {split}`) stays one quote."""
    parts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts |= {id(value) for value in node.values}
            yield node, "".join(value.value if isinstance(value, ast.Constant) else "{}" for value in node.values)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped | parts:
            yield node, node.value


def flags_outside_cli() -> list[str]:
    found = []
    for path in sorted(TOOLKIT.rglob("*.py")):
        name = path.relative_to(TOOLKIT).as_posix()
        if name.startswith("cli/"):
            continue
        tree = ast.parse(path.read_text())
        skipped = docstrings(tree)
        argv = set()
        if name in ARGV_FILES:
            for node in ast.walk(tree):
                if isinstance(node, (ast.List, ast.Tuple)):
                    argv |= {id(item) for item in node.elts if isinstance(item, ast.Constant)}
        for node, text in strings(tree, skipped | argv):
            for flag in FLAG.findall(CSS_PROPERTY.sub("", QUOTED_COMMAND.sub("", text))):
                if flag not in ALLOWED.get(name, ()):
                    found.append(f"{name}:{node.lineno}: {flag} in {text[:70]!r}")
    return found


def test_no_message_outside_the_cli_names_a_flag():
    assert flags_outside_cli() == []


def test_the_check_sees_a_flag_in_a_message(tmp_path):
    """The grep itself: a flag in an f-string, in a plain string, and not in a docstring or a quoted command."""
    sample = tmp_path / "sample.py"
    sample.write_text('"""Run `--x`."""\nA = f"{1} given without --blind"\nB = "see `toolkit eval --gold`"\n')
    tree = ast.parse(sample.read_text())
    texts = [text for _, text in strings(tree, docstrings(tree))]
    assert [flag for text in texts for flag in FLAG.findall(QUOTED_COMMAND.sub("", text))] == ["--blind"]


def test_python_callers_read_parameter_names_and_the_cli_reads_flags():
    error = InputError(f"dist/p given without {mention('blind')}", parameter="private_out")
    assert str(error) == "[E100] private_out: dist/p given without blind"
    error.names = lambda parameter: "--" + parameter.replace("_", "-")
    assert str(error) == "[E100] --private-out: dist/p given without --blind"
    assert as_named(f"a {mention('dev_gold')} b") == "a dev_gold b"


def test_library_errors_name_their_parameters():
    from toolkit.dataset.build import _private_folder
    from toolkit.dataset.splits import parse_ratios
    from toolkit.scoring.engines.registry import engine_named

    for call, expected in [
        (lambda: parse_ratios("train=2"), "[E100] ratios: 'train=2' sums to 2 (expected ratios summing to 1)"),
        (
            lambda: engine_named("nope"),
            "[E100] engine: 'nope' is not a scoring engine (expected one of: fast, reference)",
        ),
        (lambda: _private_folder(Path("out"), [], Path("p")), "[E100] private_out: p given without blind (no split's"),
    ]:
        with pytest.raises(InputError) as raised:
            call()
        assert str(raised.value).startswith(expected)
