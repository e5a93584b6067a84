"""One source of truth: the schemas on disk are exactly what the inventory generates."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.inventory import INVENTORY_PATH, load_inventory
from toolkit.schemas import KINDS, build_schemas, render_schema, schema_path


def test_committed_schemas_match_the_inventory():
    generated = build_schemas()
    for kind in KINDS:
        assert schema_path(kind).read_text(encoding="utf-8") == render_schema(generated[kind]), (
            f"run `toolkit schemas`: {kind} drifted"
        )


def test_schemas_carry_every_inventory_label():
    inventory = load_inventory()
    annotation = json.loads(schema_path("annotation").read_text(encoding="utf-8"))
    entity_enum = annotation["properties"]["entities"]["items"]["properties"]["label"]["enum"]
    claim = annotation["properties"]["claims"]["items"]["properties"]
    assert entity_enum == inventory.entity_names
    assert claim["stance"]["enum"] == inventory.stance_names
    assert claim["claimer"]["properties"]["kind"]["enum"] == inventory.claimer_kind_names
    prediction = json.loads(schema_path("prediction").read_text(encoding="utf-8"))
    keywords = prediction["properties"]["claims"]["items"]["properties"]["claimer"]["oneOf"][0]["enum"]
    assert keywords == ["AUTHOR", "UNNAMED"]


def test_inventory_has_the_labels_the_dataset_promises():
    raw = json.loads(INVENTORY_PATH.read_text(encoding="utf-8"))
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
