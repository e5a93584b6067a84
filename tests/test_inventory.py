"""One source of truth: the schemas on disk and the package's copies are exactly what the inventory generates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import InputError
from toolkit.inventory import load_inventory
from toolkit.paths import DEFAULT_GUIDELINES, PACKAGE_RESOURCES, SCHEMAS_FOLDER, SOURCE_INVENTORY
from toolkit.resources import guidelines_markdown, read_resource, resource, schema_resource
from toolkit.schemas import KINDS, generated_files, write_generated_files

REPO = Path(__file__).resolve().parent.parent


def _schema(kind: str) -> dict:
    return json.loads((REPO / SCHEMAS_FOLDER / schema_resource(kind)).read_text(encoding="utf-8"))


def test_committed_schemas_and_package_copies_match_their_sources():
    """schemas/*.schema.json, toolkit/resources/* (inventory, schemas, guidelines): no drift from what people edit."""
    files = generated_files(REPO)
    assert len(files) == 2 * len(KINDS) + 2
    for path, text in files.items():
        assert path.read_text(encoding="utf-8") == text, f"run `toolkit schemas`: {path} drifted"


def test_the_toolkit_reads_the_package_copies():
    assert Path(str(resource("labels.json"))).parent == REPO / PACKAGE_RESOURCES
    assert read_resource("labels.json") == (REPO / SOURCE_INVENTORY).read_text(encoding="utf-8")


def test_drift_is_caught_and_repaired(tmp_path):
    """An edited inventory or guidelines file makes the copies stale; `toolkit schemas` rewrites them."""
    for relative in (SOURCE_INVENTORY, DEFAULT_GUIDELINES, *(PACKAGE_RESOURCES / name for name in _package_files())):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / relative, tmp_path / relative)
    (tmp_path / SCHEMAS_FOLDER).mkdir(exist_ok=True)
    raw = json.loads((tmp_path / SOURCE_INVENTORY).read_text(encoding="utf-8"))
    raw["entity_labels"].append({"name": "WORK", "description": "a title"})
    (tmp_path / SOURCE_INVENTORY).write_text(json.dumps(raw), encoding="utf-8")
    (tmp_path / DEFAULT_GUIDELINES).write_text("# Nuove linee guida\n", encoding="utf-8")
    stale = [path for path, text in generated_files(tmp_path).items() if not path.is_file() or path.read_text() != text]
    assert len(stale) == 2 * len(KINDS) + 2 - 1, "every copy and schema but the document schema changes"
    written = write_generated_files(tmp_path)
    assert sorted(written) == sorted(generated_files(tmp_path))
    annotation = json.loads((tmp_path / PACKAGE_RESOURCES / "annotation.schema.json").read_text(encoding="utf-8"))
    assert "WORK" in annotation["properties"]["entities"]["items"]["properties"]["label"]["enum"]
    assert (tmp_path / PACKAGE_RESOURCES / "guidelines.md").read_text(encoding="utf-8") == "# Nuove linee guida\n"
    assert all(path.read_text(encoding="utf-8") == text for path, text in generated_files(tmp_path).items())


def _package_files() -> list[str]:
    return ["labels.json", "guidelines.md", *(schema_resource(kind) for kind in KINDS)]


def test_schemas_outside_a_checkout_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="expected the root of a voci checkout"):
        write_generated_files()
    result = CliRunner().invoke(app, ["schemas"])
    assert result.exit_code == 2 and "schemas/labels.json: not found" in result.output
    assert not (tmp_path / "schemas").exists()


def test_default_guidelines_fall_back_to_the_shipped_copy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert guidelines_markdown() == (REPO / DEFAULT_GUIDELINES).read_text(encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / DEFAULT_GUIDELINES).write_text("# Le nostre\n", encoding="utf-8")
    assert guidelines_markdown() == "# Le nostre\n", "a project's own docs/guidelines.md comes first"
    with pytest.raises(FileNotFoundError):
        guidelines_markdown(tmp_path / "missing.md")


def test_schemas_carry_every_inventory_label():
    inventory = load_inventory()
    annotation = _schema("annotation")
    entity_enum = annotation["properties"]["entities"]["items"]["properties"]["label"]["enum"]
    claim = annotation["properties"]["claims"]["items"]["properties"]
    assert entity_enum == inventory.entity_names
    assert claim["stance"]["enum"] == inventory.stance_names
    assert claim["claimer"]["properties"]["kind"]["enum"] == inventory.claimer_kind_names
    prediction = _schema("prediction")
    keywords = prediction["properties"]["claims"]["items"]["properties"]["claimer"]["oneOf"][0]["enum"]
    assert keywords == ["AUTHOR", "UNNAMED"]


def test_inventory_has_the_labels_the_dataset_promises():
    raw = json.loads((REPO / SOURCE_INVENTORY).read_text(encoding="utf-8"))
    inventory = load_inventory()
    assert inventory.entity_names == ["PER", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "DATE", "QUANTITY"]
    assert inventory.claim_label.name == "CLAIM"
    assert inventory.claimer_kind_names == ["entity", "author", "unnamed"]
    assert inventory.stance_names == ["SUPPORT", "REFUTE", "NEUTRAL"]
    assert inventory.polar_stances == ["SUPPORT", "REFUTE"]
    hotkeys = (
        [label["hotkey"] for label in raw["entity_labels"]]
        + [raw["claim_label"]["hotkey"]]
        + [s["hotkey"] for s in raw["stances"]]
        + [kind["hotkey"] for kind in raw["claimer_kinds"]]
    )
    assert len(hotkeys) == len(set(hotkeys)), "hotkeys must be unique in the editor"
    assert "u" not in hotkeys, "Label Studio's own key: unselect the region"


def test_bio_tags_follow_inventory_order():
    tags = load_inventory().bio_tags()
    assert tags[:3] == ["O", "B-PER", "I-PER"]
    assert len(tags) == 1 + 2 * len(load_inventory().entity_names)


def test_help_lists_the_commands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "validate", "stats", "schemas"):
        assert command in result.stdout
