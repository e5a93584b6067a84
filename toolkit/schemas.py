"""The JSON Schemas of the three record kinds, generated from the label inventory.

The files in ``schemas/`` and their shipped copies in `toolkit.resources` are
written by `write_generated_files` (``toolkit schemas``, at the root of a
checkout) and a test checks they equal what `generated_files` returns, so they
cannot drift from ``schemas/labels.json``.  At run time the validators read the
shipped copies, so an installed toolkit needs no checkout.

Every ``pattern`` is anchored ``^…$`` and means a full match, as JSON Schema's
ECMA-262 regular expressions read it (``$`` is the end of the string).  Python's
``$`` also matches before a final line feed, so both validators used here read
patterns through `ecma_pattern` (fastjsonschema makes the same rewrite itself):
``"abc\n"`` is not an id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.files import write_text
from toolkit.inventory import ENTITY_CLAIMER, Inventory, load_inventory, parse_inventory
from toolkit.paths import DEFAULT_GUIDELINES, PACKAGE_RESOURCES, SCHEMAS_FOLDER, SOURCE_INVENTORY
from toolkit.resources import GUIDELINES, INVENTORY, read_resource, schema_resource

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_PATTERN = "^[A-Za-z0-9._-]+$"
SHA256_PATTERN = "^[0-9a-f]{64}$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # and a real date: `toolkit.validate.check_document`
SPLIT_PATTERN = "^[A-Za-z0-9_]+$"
KINDS = ("document", "annotation", "prediction")
UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
ANNOTATOR_KINDS = ("person", "model")  # who made an annotation record; the card's annotations_creators follows

_OFFSET = {"type": "integer", "minimum": 0, "description": "code-point offset into the document text"}
_END = {"type": "integer", "minimum": 1, "description": "end-exclusive code-point offset"}
_OPTIONAL_STRING = {"type": ["string", "null"]}
_ANNOTATORS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "description": "the annotators whose annotations support this item (adjudicated gold)",
}


def _document_schema() -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "title": "voci document",
        "description": "One article. Offsets in annotations index `text` in Unicode code points.",
        "type": "object",
        "required": ["id", "text", "lang", "text_sha256"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "text": {"type": "string", "minLength": 1, "description": "NFC, line endings \\n"},
            "lang": {"type": "string", "pattern": "^[a-z]{2}$", "description": "ISO 639-1"},
            "text_sha256": {"type": "string", "pattern": SHA256_PATTERN},
            "title": _OPTIONAL_STRING,
            "source": _OPTIONAL_STRING,
            "url": _OPTIONAL_STRING,
            "published": {
                "type": ["string", "null"],
                "pattern": DATE_PATTERN,
                "format": "date",
                "description": "ISO date (YYYY-MM-DD)",
            },
            "license": _OPTIONAL_STRING,
            "split": {"type": ["string", "null"], "pattern": SPLIT_PATTERN},
        },
    }


def _annotation_schema(inventory: Inventory) -> dict[str, Any]:
    entity = {
        "type": "object",
        "required": ["id", "start", "end", "label", "text"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "start": _OFFSET,
            "end": _END,
            "label": {"enum": inventory.entity_names},
            "text": {"type": "string", "minLength": 1},
            "annotators": _ANNOTATORS,
        },
    }
    claimer = {
        "type": "object",
        "required": ["kind", "entity_ids"],
        "additionalProperties": False,
        "properties": {
            "kind": {"enum": inventory.claimer_kind_names},
            "entity_ids": {"type": "array", "items": {"type": "string", "pattern": ID_PATTERN}, "uniqueItems": True},
        },
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": ENTITY_CLAIMER}}},
                "then": {"properties": {"entity_ids": {"minItems": 1}}},
            },
            {
                "if": {
                    "properties": {
                        "kind": {"enum": [kind for kind in inventory.claimer_kind_names if kind != ENTITY_CLAIMER]}
                    }
                },
                "then": {"properties": {"entity_ids": {"maxItems": 0}}},
            },
        ],
    }
    claim = {
        "type": "object",
        "required": ["id", "start", "end", "text", "stance", "claimer"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "start": _OFFSET,
            "end": _END,
            "text": {"type": "string", "minLength": 1},
            "stance": {"enum": inventory.stance_names},
            "claimer": claimer,
            "annotators": _ANNOTATORS,
        },
    }
    return {
        "$schema": DRAFT,
        "title": "voci annotation record",
        "description": "The annotation of one document, gold or by one annotator.",
        "type": "object",
        "required": ["id", "text_sha256", "entities", "claims"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "text_sha256": {"type": "string", "pattern": SHA256_PATTERN},
            "entities": {"type": "array", "items": entity},
            "claims": {"type": "array", "items": claim},
            "annotator": {"type": "string", "minLength": 1},
            "annotator_kind": {
                "enum": list(ANNOTATOR_KINDS),
                "description": (
                    "who made this record: a person, or a model (a language model, a tagger) with no person "
                    "deciding each item; the dataset card's annotations_creators is derived from it"
                ),
            },
            "annotation_id": {"type": ["string", "integer"]},
            "created_at": {"type": "string"},
            "ground_truth": {"type": "boolean", "description": "a reviewer marked this annotation as ground truth"},
            "lead_time": {"type": ["number", "null"], "description": "seconds the annotator spent"},
            "task_id": {"type": ["string", "integer"]},
        },
    }


def _prediction_schema(inventory: Inventory) -> dict[str, Any]:
    score = {"type": "number", "description": "optional model confidence"}
    entity = {
        "type": "object",
        "required": ["start", "end", "label"],
        "additionalProperties": False,
        "properties": {
            "start": _OFFSET,
            "end": _END,
            "label": {"enum": inventory.entity_names},
            "text": {"type": "string"},
            "score": score,
        },
    }
    claimer_span = {
        "type": "object",
        "required": ["start", "end"],
        "additionalProperties": False,
        "properties": {"start": _OFFSET, "end": _END, "text": {"type": "string"}},
    }
    claim = {
        "type": "object",
        "required": ["start", "end", "stance", "claimer"],
        "additionalProperties": False,
        "properties": {
            "start": _OFFSET,
            "end": _END,
            "text": {"type": "string"},
            "stance": {"enum": inventory.stance_names},
            "claimer": {"oneOf": [{"enum": sorted(inventory.prediction_claimer_keywords)}, claimer_span]},
            "score": score,
        },
    }
    return {
        "$schema": DRAFT,
        "title": "voci prediction record",
        "description": (
            "What a system predicts for one document; a layer's key is absent when the system does not predict it."
        ),
        "type": "object",
        "required": ["id"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "entities": {"type": "array", "items": entity},
            "claims": {"type": "array", "items": claim},
        },
    }


def build_schemas(inventory: Inventory | None = None) -> dict[str, dict[str, Any]]:
    """The schema of each record kind, keyed by kind."""
    inventory = inventory or load_inventory()
    return {
        "document": _document_schema(),
        "annotation": _annotation_schema(inventory),
        "prediction": _prediction_schema(inventory),
    }


def render_schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def generated_files(root: Path = Path(".")) -> dict[Path, str]:
    """Every file derived from a checkout's ``schemas/labels.json`` and ``docs/guidelines.md``, with its text:
    ``schemas/*.schema.json`` and the package's copies (`toolkit.resources`)."""
    root = Path(root)
    package, inventory_file, guidelines_file = (
        root / PACKAGE_RESOURCES,
        root / SOURCE_INVENTORY,
        root / DEFAULT_GUIDELINES,
    )
    for needed in (inventory_file, guidelines_file, package):
        if not needed.exists():
            raise InputError(
                f"{needed}: not found (expected the root of a voci checkout, with {SOURCE_INVENTORY}, "
                f"{DEFAULT_GUIDELINES} and {PACKAGE_RESOURCES}/)"
            )
    inventory_text = inventory_file.read_text(encoding="utf-8")
    files = {}
    for kind, schema in build_schemas(parse_inventory(inventory_text)).items():
        text = render_schema(schema)
        files[root / SCHEMAS_FOLDER / schema_resource(kind)] = text
        files[package / schema_resource(kind)] = text
    files[package / INVENTORY] = inventory_text
    files[package / GUIDELINES] = guidelines_file.read_text(encoding="utf-8")
    return files


def write_generated_files(root: Path = Path(".")) -> list[Path]:
    """Regenerate the schemas and the shipped copies (run after editing the inventory or the guidelines)."""
    from toolkit.pathguard import FILE, Output, PathPlan
    from toolkit.staging import staged

    files = generated_files(root)
    with staged(PathPlan([], [Output("", path, FILE) for path in files])):  # written together
        for path, text in files.items():
            write_text(path, text)
    return list(files)


def _load_schema(kind: str) -> dict[str, Any]:
    return json.loads(read_resource(schema_resource(kind)))


@cache
def ecma_pattern(pattern: str) -> re.Pattern:
    """A JSON Schema pattern compiled as ECMA-262 reads it: each unescaped ``$`` becomes ``\\Z`` (end of string)."""
    return re.compile(UNESCAPED_DOLLAR.sub(r"\\Z", pattern))


def _pattern_keyword(validator, pattern, instance, schema):
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def validator(kind: str):
    """The full validator of one record kind (from the shipped schema file): slow, but explains every error."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    return extend(Draft202012Validator, {"pattern": _pattern_keyword})(_load_schema(kind))


@cache
def fast_check(kind: str) -> Callable[[Any], Any]:
    """A compiled yes/no check of one record kind, about 20x faster than `validator`.

    Valid records (nearly all of them) pass here; only records it rejects go
    through `validator` to get every error explained.
    """
    import fastjsonschema

    return fastjsonschema.compile(_load_schema(kind))
