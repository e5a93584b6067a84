"""``voci-model.json``: what a trained model is (inventory, training data, seed, spaCy version, dev figures), and the
check that refuses a model made for another inventory before spaCy is even imported."""

from __future__ import annotations

import hashlib
import re
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.files import json_type, read_json
from toolkit.inventory import load_inventory
from toolkit.resources import INVENTORY, read_resource

MANIFEST = "voci-model.json"
FORMAT = "voci-model/1"
PIPELINE = "model-best"  # the spaCy pipeline folder inside MODEL_DIR
TRAIN_DOCS = "train.spacy"  # its training Docs (kept: `--learn` adds to them, the uncertainty reads their names)
MODEL_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+:-]{0,99}")  # it names predictions in Label Studio and files
CLAIMS_FROM = ("span_finder", "rules")  # where a model's claim spans can come from (`toolkit.model.pipeline`)
JSON_TYPES = {"str": (str, "a string"), "int": (int, "an integer"), "bool": (bool, "true or false")}
JSON_TYPES |= {"list[str]": (list, "a list of label names"), "dict[str, Any]": (dict, "an object")}


def inventory_hash() -> str:
    """SHA-256 of the label inventory the toolkit reads (`schemas/labels.json`'s shipped copy)."""
    return hashlib.sha256(read_resource(INVENTORY).encode("utf-8")).hexdigest()


@dataclass
class ModelManifest:
    """The contents of ``voci-model.json``."""

    model_version: str
    inventory_hash: str
    training_data_hash: str
    seed: int
    spacy_version: str
    lang: str
    entity_labels: list[str]
    claims: bool
    training: dict[str, Any] = field(default_factory=dict)  # documents, examples, steps, seconds, settings
    dev: dict[str, Any] = field(default_factory=dict)  # the voci scorer's figures on the dev documents
    claims_from: str = "span_finder"  # where predicted claim spans come from: span_finder or rules (measured on dev)
    format: str = FORMAT

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def read_manifest(model_dir: Path) -> ModelManifest:
    """The manifest of a model folder, checked against this toolkit's inventory (exit 2 when it does not fit)."""
    model_dir = Path(model_dir)
    path = model_dir / MANIFEST
    if not model_dir.is_dir():
        raise InputError(f"{model_dir}: not a folder (expected a MODEL_DIR written by `toolkit train`)")
    if not path.is_file():
        raise InputError(f"{model_dir}: no {MANIFEST} (expected a MODEL_DIR written by `toolkit train`)")
    raw = read_json(path, f"the {MANIFEST} written by `toolkit train`")
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        got = raw.get("format") if isinstance(raw, dict) else raw
        raise InputError(f"{path}: format: {got!r} (expected {FORMAT!r})")
    manifest = ModelManifest(**_checked_fields(raw, path))
    if manifest.inventory_hash != inventory_hash():
        raise InputError(
            f"{path}: inventory_hash: {manifest.inventory_hash[:12]}… is not this toolkit's label inventory "
            f"({inventory_hash()[:12]}…) (expected a model trained with the same schemas/labels.json; retrain it)"
        )
    check_labels(manifest.entity_labels, str(path))
    if not (model_dir / PIPELINE).is_dir():
        raise InputError(f"{model_dir}: no {PIPELINE}/ (expected the spaCy pipeline `toolkit train` saves)")
    return manifest


def _checked_fields(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """The manifest's fields, each of the JSON type `ModelManifest` declares (a hand-edited file says which is not)."""
    declared = {item.name: item for item in fields(ModelManifest)}
    unknown = sorted(set(raw) - set(declared))
    if unknown:
        raise InputError(f"{path}: unknown field {unknown[0]!r} (expected the fields `toolkit train` writes)")
    for name, item in declared.items():
        if name not in raw:
            if item.default is MISSING and item.default_factory is MISSING:
                raise InputError(f"{path}: {name}: missing (expected the fields `toolkit train` writes)")
            continue
        kind, expected = JSON_TYPES[str(item.type)]
        value = raw[name]
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if not wrong and name == "entity_labels":
            wrong = not all(isinstance(label, str) for label in value)
        if wrong:
            raise InputError(f"{path}: {name}: got a JSON {json_type(value)} (expected {expected})")
    if raw.get("claims_from", CLAIMS_FROM[0]) not in CLAIMS_FROM:
        raise InputError(
            f"{path}: claims_from: {raw['claims_from']!r:.60} (expected {' or '.join(map(repr, CLAIMS_FROM))})"
        )
    if not MODEL_VERSION.fullmatch(raw["model_version"]):
        raise InputError(
            f"{path}: model_version: {raw['model_version']!r:.60} (expected up to 100 letters, digits, '.', '_', '+', "
            "':' or '-', such as spacy-2085fc2cd7be)"
        )
    return raw


def check_labels(labels: list[str], where: str) -> None:
    """Every entity label a model predicts must be one of the inventory's."""
    unknown = sorted(set(labels) - set(load_inventory().entity_names))
    if unknown:
        raise InputError(
            f"{where}: entity labels {', '.join(unknown)} are not in the label inventory "
            f"(expected some of {', '.join(load_inventory().entity_names)})"
        )
