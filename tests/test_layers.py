"""Imports point one way, core ← pipeline stages ← command line, and never in a circle.

Every import in ``toolkit/`` counts, at the top of a module or inside a function alike: an import moved into a
function to dodge a cycle is still a cycle.  A new module must be given its layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import toolkit

PACKAGE = Path(toolkit.__file__).parent
LAYERS = {  # module or package → layer; a module takes the layer of its longest listed prefix
    "core": (
        "toolkit",  # the package itself: the version and the lazy public names (importlib strings: no edges)
        "toolkit.errors",
        "toolkit.extras",  # which optional parts are installed
        "toolkit.paths",
        "toolkit.files",
        "toolkit.inventory",
        "toolkit.schemas",
        "toolkit.documents",
        "toolkit.validate",
        "toolkit.matching",
        "toolkit.markdown",
        "toolkit.tokenize",
        "toolkit.resources",  # the package data (schemas, labels, guidelines) read with importlib.resources
        "toolkit.withheld",  # the mark of a blind split
        "toolkit.built",  # what a built dataset folder holds and where (`BuiltFolder`)
        "toolkit.pathguard",  # no output replaces an input
        "toolkit.staging",  # outputs written all together or not at all
        "toolkit.display",  # what a terminal may be shown (URLs redacted, control characters)
    ),
    "stages": (
        "toolkit.scoring",
        "toolkit.agreement",
        "toolkit.dataset",
        "toolkit.labelstudio",
        "toolkit.leaderboard",
        "toolkit.baseline",
        "toolkit.convert_predictions",
        "toolkit.benchmark",
        "toolkit.ingest",
        "toolkit.stats",
        "toolkit.model",  # the trained spaCy pipeline (`toolkit train`, `toolkit predict`)
        "toolkit.export",  # records in the formats of peers' scorers (`toolkit export`)
    ),
    "cli": (
        "toolkit.cli",
        "toolkit.__main__",
        "toolkit.benchmark.scoring_program",  # the program Codabench runs: an entry point, like a command
    ),
}
ORDER = ("core", "stages", "cli")


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def layer_of(module: str) -> str | None:
    matches = [
        (len(prefix), layer)
        for layer, prefixes in LAYERS.items()
        for prefix in prefixes
        if module == prefix or (prefix != "toolkit" and module.startswith(prefix + "."))
    ]
    return max(matches)[1] if matches else None


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The toolkit modules ``module`` imports anywhere in its code."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in found if name in known and name != module}


def graph() -> dict[str, set[str]]:
    names = module_names()
    return {module: imports(module, path, set(names)) for module, path in names.items()}


def test_every_module_has_a_layer():
    assert [module for module in module_names() if layer_of(module) is None] == []


def test_imports_point_from_the_command_line_to_the_core():
    against = [
        f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})"
        for module, targets in graph().items()
        for target in sorted(targets)
        if ORDER.index(layer_of(target)) > ORDER.index(layer_of(module))
    ]
    assert against == []


def test_no_module_imports_itself_through_others():
    edges = graph()
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append(" → ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
    assert cycles == []


def package_of(module: str) -> str:
    """``toolkit.scoring.gold.parquet`` → ``toolkit.scoring``: the unit a package-level cycle is made of."""
    return ".".join(module.split(".")[:2])


def package_cycles(edges: dict[str, set[str]]) -> list[str]:
    """Pairs of packages that import each other, through any of their modules, with one import each way."""
    between: dict[tuple[str, str], str] = {}
    for module, targets in sorted(edges.items()):
        for target in sorted(targets):
            pair = (package_of(module), package_of(target))
            if pair[0] != pair[1]:
                between.setdefault(pair, f"{module} → {target}")
    return [f"{between[(a, b)]} and {between[(b, a)]}" for a, b in sorted(between) if a < b and (b, a) in between]


def test_no_package_imports_a_package_that_imports_it():
    assert package_cycles(graph()) == []


def test_the_package_check_sees_a_cycle_through_different_modules():
    """The cycle issue 26 found: ``dataset.build`` → ``scoring…compiler`` while ``scoring…parquet`` → ``dataset``."""
    edges = {"toolkit.dataset.build": {"toolkit.scoring.gold.compiler"}, "toolkit.scoring.gold.parquet": set()}
    assert package_cycles(edges) == []
    edges["toolkit.scoring.gold.parquet"] = {"toolkit.dataset.layout"}
    assert package_cycles(edges) == [
        "toolkit.dataset.build → toolkit.scoring.gold.compiler and "
        "toolkit.scoring.gold.parquet → toolkit.dataset.layout"
    ]


def test_private_cli_modules_are_imported_only_inside_cli():
    """``toolkit.cli._app`` and its siblings are the command line's own: an entry point outside it uses the core."""
    found = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in sorted(targets)
        if target.startswith("toolkit.cli._") and not module.startswith("toolkit.cli")
    ]
    assert found == []


def test_the_check_sees_imports_inside_functions():
    """The old ``documents ⇄ validate`` cycle went through an import inside a function: such imports count."""
    edges = graph()
    assert "toolkit.scoring.gold.compiler" in edges["toolkit.dataset.build"]  # imported inside build_dataset
    assert "toolkit.documents" in edges["toolkit.validate"] and "toolkit.validate" not in edges["toolkit.documents"]
