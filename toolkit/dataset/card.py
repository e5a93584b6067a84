"""The dataset card: a YAML header and a body from ``templates/card.md.j2``, filled with figures computed
from the built parquet files and, when present, the agreement and baseline-score JSON files.

The card is a pure function of its inputs (no dates, no absolute paths), so a
rebuild writes the same bytes and a test can check the repo's ``DATASET_CARD.md``
against a fresh build.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from toolkit.built import BUILD_MARKER, DEFAULT_CONFIG, BuiltFolder
from toolkit.dataset.features import CONFIG_DESCRIPTIONS, CONFIG_FEATURES
from toolkit.dataset.splits import ordered_splits
from toolkit.errors import InputError, mention
from toolkit.files import json_type, open_input, open_parquet, parquet_batches, read_json, write_text
from toolkit.inventory import load_inventory
from toolkit.markdown import md_code, md_text
from toolkit.pathguard import FILES, Output, PathPlan
from toolkit.paths import DEFAULT_AGREEMENT, DEFAULT_DOCUMENTS, DEFAULT_GOLD, DEFAULT_GUIDELINES, DEFAULT_SCORES
from toolkit.resources import guidelines_available
from toolkit.staging import staged
from toolkit.withheld import BLIND_METADATA, METADATA_KEY, blind_splits

TEMPLATE = "templates/card.md.j2"  # package data of `toolkit.dataset`, read with importlib.resources
PRETTY_NAME = "voci: who claims what in Italian news"
LISTED_DOCUMENTS = 20
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))
AGREEMENT_FIGURES = (
    ("entity mentions, strict match: mean pairwise F1", "entities.strict.mean_pairwise_f1"),
    ("entity mentions, overlap match: mean pairwise F1", "entities.overlap.mean_pairwise_f1"),
    ("claims, overlap match: mean pairwise F1", "claims.overlap.mean_pairwise_f1"),
    ("stance: Krippendorff's alpha", "stance.krippendorff_alpha"),
    ("stance: percent agreement", "stance.percent_agreement"),
    ("claimer: percent agreement", "claimer.percent_agreement"),
)
SCORE_FIGURES = (
    ("entities, strict F1", "entities.strict.f1"),
    ("claims, overlap F1", "claims.overlap.f1"),
    ("claimer accuracy", "claimer.accuracy"),
    ("stance macro F1", "stance.macro_f1"),
    ("end-to-end F1", "end_to_end.f1"),
    ("overall", "overall"),
)


@dataclass(frozen=True)
class CardInputs:
    """Files the card quotes besides the built folder; paths are shown as given, so give them relative to the repo."""

    agreement: Path = DEFAULT_AGREEMENT
    scores: Path = DEFAULT_SCORES
    guidelines: Path = DEFAULT_GUIDELINES
    documents: Path = DEFAULT_DOCUMENTS
    gold: Path = DEFAULT_GOLD


CREATORS = {"model": "machine-generated", "person": "expert-generated"}  # annotator_kind → Hub annotations_creators


def gold_provenance(gold: Path, document_ids: set[str]) -> Counter:
    """Who made the gold records of the built documents, from each record's ``annotator_kind`` (None: not stated).

    Only ``id`` and ``annotator_kind`` are decoded, so a large gold costs little; every built document must have
    a record, so a gold the folder was not built from is refused.
    """
    import msgspec

    class Made(msgspec.Struct):
        id: str
        annotator_kind: str | None = None

    decoder = msgspec.json.Decoder(Made)
    made_by: Counter = Counter()
    seen: set[str] = set()
    with open_input(gold, "the gold JSONL the folder was built from") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = decoder.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                raise InputError(f"{gold}:{line_number}: {error} (expected a gold annotation record)") from None
            if record.id in document_ids:
                made_by[record.annotator_kind] += 1
                seen.add(record.id)
    missing = sorted(document_ids - seen)
    if missing:
        raise InputError(
            f"{gold}: no record for {len(missing)} built document(s), e.g. {missing[0]!r} "
            "(expected the gold the folder was built from)"
        )
    return made_by


def annotations_creators(made_by: Counter) -> list[str]:
    """``machine-generated`` while any gold record was made by a model; ``expert-generated`` only when people made
    every record; ``other`` when some records do not say."""
    if made_by["model"]:
        return [CREATORS["model"]]
    if made_by and set(made_by) == {"person"}:
        return [CREATORS["person"]]
    return ["other"]


@dataclass
class SplitStats:
    documents: int = 0
    characters: int = 0
    entities: Counter = field(default_factory=Counter)
    stances: Counter = field(default_factory=Counter)
    claimer_kinds: Counter = field(default_factory=Counter)
    tokens: int = 0
    tagged_mentions: int = 0
    blind: bool = False  # labels withheld (`toolkit build --blind`): its label counts are not known here


def split_files(folder: Path) -> dict[str, dict[str, tuple[Path, ...]]]:
    """``{config: {split: parquet files}}`` of a built folder (`BuiltFolder`), configs in contract order, splits in
    standard order."""
    built = BuiltFolder.open(folder)
    found = {
        config: {split: built.by_split(config)[split] for split in ordered_splits(built.by_split(config))}
        for config in CONFIG_FEATURES
        if built.by_split(config)
    }
    if DEFAULT_CONFIG not in found:
        raise InputError(f"{folder}: no {DEFAULT_CONFIG}/*.parquet (expected a folder written by `toolkit build`)")
    return found


def _batches(paths: Sequence[Path], columns: list[str] | None):
    """Record batches of a fixed size, so that sizes summed over them do not depend on how the files were written."""
    for path in paths:
        yield from parquet_batches(path, columns, batch_size=2_000)


def _data_files(folder: Path, paths: Sequence[Path]) -> str | list[str]:
    """A split's files as the card's ``data_files`` names them: one path, or the list when there are several."""
    names = [path.relative_to(folder).as_posix() for path in paths]
    return names[0] if len(names) == 1 else names


def _value_counts(array) -> Counter:
    import pyarrow.compute as pc

    return Counter({item["values"]: item["counts"] for item in pc.value_counts(array).to_pylist()})


def collect_stats(folder: Path) -> dict[str, Any]:
    """Counts per config, split, label, stance and claimer kind, read column by column from the parquet files."""
    import pyarrow.compute as pc

    inventory = load_inventory()
    bio = inventory.bio_tags()
    built = BuiltFolder.open(folder)
    files = split_files(built)
    blind = blind_splits(built)
    splits: dict[str, SplitStats] = {split: SplitStats(blind=split in blind) for split in files[DEFAULT_CONFIG]}
    annotators: set[str] = set()
    most_annotators = 0
    languages: Counter = Counter()
    licenses: Counter = Counter()
    listed: list[dict[str, Any]] = []
    document_ids: set[str] = set()
    for split, paths in files[DEFAULT_CONFIG].items():
        stats = splits[split]
        for batch in _batches(
            paths,
            [
                "id",
                "lang",
                "title",
                "source",
                "url",
                "published",
                "license",
                "text",
                "annotators",
                "entities",
                "claims",
            ],
        ):
            stats.documents += batch.num_rows
            document_ids.update(batch.column("id").to_pylist())
            stats.characters += pc.sum(pc.utf8_length(batch.column("text"))).as_py() or 0
            annotators.update(pc.unique(pc.list_flatten(batch.column("annotators"))).to_pylist())
            most_annotators = max(
                most_annotators, pc.max(pc.list_value_length(batch.column("annotators"))).as_py() or 0
            )
            languages.update(_value_counts(batch.column("lang")))
            licenses.update(_value_counts(pc.fill_null(batch.column("license"), "unknown")))
            entities, claims = pc.list_flatten(batch.column("entities")), pc.list_flatten(batch.column("claims"))
            stats.entities.update(
                {
                    inventory.entity_names[index]: count
                    for index, count in _value_counts(pc.struct_field(entities, "label")).items()
                }
            )
            stats.stances.update(
                {
                    inventory.stance_names[index]: count
                    for index, count in _value_counts(pc.struct_field(claims, "stance")).items()
                }
            )
            stats.claimer_kinds.update(
                {
                    inventory.claimer_kind_names[index]: count
                    for index, count in _value_counts(pc.struct_field(claims, "claimer_kind")).items()
                }
            )
            wanted = LISTED_DOCUMENTS - len(listed)
            if wanted > 0:
                head = (
                    batch.slice(0, wanted).select(["id", "title", "source", "url", "published", "license"]).to_pylist()
                )
                listed.extend(row | {"split": split} for row in head)
    for split, paths in files.get("ner", {}).items():
        for batch in _batches(paths, ["ner_tags"]):
            tags = pc.list_flatten(batch.column("ner_tags")).to_pylist()
            splits[split].tokens += len(tags)
            splits[split].tagged_mentions += sum(1 for tag in tags if tag >= 0 and bio[tag].startswith("B-"))
    rows_per_config = {
        config: {
            split: sum(open_parquet(path).metadata.num_rows for path in paths) for split, paths in by_split.items()
        }
        for config, by_split in files.items()
    }
    bytes_per_config = {
        config: {split: sum(batch.nbytes for batch in _batches(paths, None)) for split, paths in by_split.items()}
        for config, by_split in files.items()
    }
    return {
        "files": {
            config: {split: _data_files(folder, paths) for split, paths in by_split.items()}
            for config, by_split in files.items()
        },
        "rows": rows_per_config,
        "bytes": bytes_per_config,
        "splits": splits,
        "blind": [split for split in splits if split in blind],
        "annotators": sorted(annotators),
        "most_annotators_per_document": most_annotators,
        "languages": languages,
        "licenses": licenses,
        "listed_documents": listed,
        "document_ids": document_ids,
    }


def _read_json(path: Path, what: str) -> dict[str, Any] | None:
    """A JSON object from ``path``; None when the file does not exist
    (the card then says the figures are not available).
    """
    if not os.path.lexists(path):
        return None
    data = read_json(path, f"the {what} JSON")
    if not isinstance(data, dict):
        raise InputError(f"{path}: got a JSON {json_type(data)} (expected the {what} JSON object)")
    return data


def _dig(data: dict[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _figure(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "not available"


def size_category(count: int) -> str:
    for limit, name in SIZE_CATEGORIES:
        if count < limit:
            return name
    return "n>1M"


def _hub_license(licenses: Counter) -> dict[str, Any]:
    """``license: unknown`` when no text states its terms; one stated Hub licence id as is; ``other`` otherwise."""
    names = set(licenses)
    if len(names) == 1 and re.fullmatch(r"[a-z0-9][a-z0-9.-]*", next(iter(names))):
        return {"license": next(iter(names))}
    return {"license": "other", "license_name": "; ".join(sorted(names))}


def yaml_header(stats: dict[str, Any], made_by: Counter) -> dict[str, Any]:
    """The card's metadata: what the Hub shows and what `load_dataset` reads (configs, features, split sizes)."""
    from datasets import DatasetInfo, SplitDict, SplitInfo

    configs = []
    infos = []
    for config, by_split in stats["files"].items():
        entry = {
            "config_name": config,
            "data_files": [{"split": split, "path": path} for split, path in by_split.items()],
        }
        if config == DEFAULT_CONFIG:
            entry["default"] = True
        configs.append(entry)
        splits = SplitDict(
            {
                split: SplitInfo(
                    split, num_bytes=stats["bytes"][config][split], num_examples=stats["rows"][config][split]
                )
                for split in by_split
            }
        )
        infos.append(DatasetInfo(features=CONFIG_FEATURES[config](), config_name=config, splits=splits)._to_yaml_dict())
    documents = sum(stats["rows"][DEFAULT_CONFIG].values())
    return {
        "language": sorted(stats["languages"]),
        **_hub_license(stats["licenses"]),
        "pretty_name": PRETTY_NAME,
        "size_categories": [size_category(documents)],
        "task_categories": ["token-classification", "text-classification"],
        "task_ids": ["named-entity-recognition", "fact-checking", "multi-class-classification"],
        "annotations_creators": annotations_creators(made_by),
        "language_creators": ["found"],
        "multilinguality": ["monolingual"],
        "source_datasets": ["original"],
        "tags": ["claim-detection", "stance-detection", "attribution", "news"],
        "configs": configs,
        "dataset_info": infos,
    }


def render_card(folder: Path, inputs: CardInputs = CardInputs()) -> str:
    """The whole card (YAML header and Markdown body) for a built folder."""
    import jinja2
    import yaml

    inventory = load_inventory()
    stats = collect_stats(Path(folder))
    made_by = gold_provenance(inputs.gold, stats["document_ids"])
    agreement = _read_json(inputs.agreement, "agreement (`toolkit agree --format json`)")
    scores = _read_json(inputs.scores, "baseline scores (`toolkit eval --format json`)")
    splits = stats["splits"]
    totals = SplitStats()
    for split_stats in splits.values():
        totals.documents += split_stats.documents
        totals.characters += split_stats.characters
        totals.tokens += split_stats.tokens
        totals.tagged_mentions += split_stats.tagged_mentions
        totals.entities.update(split_stats.entities)
        totals.stances.update(split_stats.stances)
        totals.claimer_kinds.update(split_stats.claimer_kinds)
    environment = jinja2.Environment(
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    environment.filters["md"] = md_text  # every string from a document, a record or an input file is user-supplied
    environment.filters["code"] = md_code
    environment.filters["cell_code"] = lambda value: md_code(value, in_table=True)
    body = environment.from_string(files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")).render(
        marker=BUILD_MARKER,
        pretty_name=PRETTY_NAME,
        inventory=inventory,
        stats=stats,
        splits=splits,
        totals=totals,
        configs=list(stats["files"]),
        descriptions=CONFIG_DESCRIPTIONS,
        features={config: list(CONFIG_FEATURES[config]()) for config in stats["files"]},
        default_config=DEFAULT_CONFIG,
        inputs=inputs,
        guidelines_exist=guidelines_available(inputs.guidelines),
        agreement=agreement,
        agreement_figures=[(name, _figure(_dig(agreement, key))) for name, key in AGREEMENT_FIGURES]
        if agreement
        else [],
        scores=scores,
        score_figures=[(name, _figure(_dig(scores, key))) for name, key in SCORE_FIGURES] if scores else [],
        untagged=totals.entities.total() - totals.tagged_mentions,
        made_by=made_by,
        creators=annotations_creators(made_by),
        blind_documents=sum(split_stats.documents for split_stats in splits.values() if split_stats.blind),
        blind_metadata=f"{METADATA_KEY.decode()}: {json.dumps(BLIND_METADATA)}",
    )
    header = yaml.safe_dump(yaml_header(stats, made_by), sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n\n{body}"


def write_card(folder: Path, inputs: CardInputs = CardInputs(), copy_to: Path | None = None) -> str:
    """Write ``README.md`` into the built folder (and a copy, e.g. the repo's ``DATASET_CARD.md``) together;
    returns the card."""
    folder = Path(folder)
    outputs = [Output("FOLDER", folder, FILES, ("README.md",))]
    if copy_to is not None:
        outputs.append(Output(mention("card"), Path(copy_to)))
    with staged(PathPlan([], outputs)):
        card = render_card(folder, inputs)
        for path in [folder / "README.md", *([copy_to] if copy_to is not None else [])]:
            write_text(path, card, permissions=0o644)
    return card
