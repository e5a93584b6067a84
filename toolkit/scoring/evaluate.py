"""Score a predictions file against gold: load, validate, count per document, sum, report.

Gold is an annotation JSONL (texts from a documents JSONL) or a folder built
by ``toolkit build`` (parquet files, read directly with pyarrow: no
``datasets`` cache can serve stale rows).  Predictions are validated first:
scoring garbage quietly is worse than refusing it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.documents import DEFAULT_DOCUMENTS
from toolkit.errors import InputError
from toolkit.inventory import load_inventory
from toolkit.scoring.claims import CLAIM_COLUMNS, END_TO_END_TP, GOLD, OVERLAP_TP, PREDICTED, claim_figures, gold_claimer, normalise_mention, score_claims
from toolkit.scoring.entities import WIDTH, entity_figures, score_entities
from toolkit.scoring.matching import MATCHING_RULE
from toolkit.scoring.result import HEADLINE_FIGURES, EvalResult
from toolkit.scoring.signature import content_hash, make_signature

DEFAULT_SEED = 12345
DEFAULT_IOU = 0.5
CLAIM_OFFSET = WIDTH  # statistics columns: entity counts, then claim counts
LAYERS = ("entities", "claims")


@dataclass
class Gold:
    """The gold being scored: annotation records and their documents, by id, in file order."""

    name: str
    split: str | None
    documents: dict[str, dict[str, Any]]
    records: dict[str, dict[str, Any]]


# ---------------------------------------------------------------- loading gold

def _gold_from_jsonl(gold: Path, documents_path: Path, split: str | None) -> Gold:
    from toolkit.documents import load_documents
    from toolkit.validate import require_valid

    documents = load_documents(documents_path)
    records = require_valid(gold, "annotation", documents, documents_source=str(documents_path))
    if split is not None:
        present = sorted({str(documents[record["id"]].get("split")) for record in records})
        records = [record for record in records if documents[record["id"]].get("split") == split]
        if not records:
            raise InputError(f"--split: no gold document of {gold} is in split {split!r} (splits present in {documents_path}: {', '.join(present)})")
    return Gold(gold.name, split, {record["id"]: documents[record["id"]] for record in records}, {record["id"]: record for record in records})


def _gold_from_build(folder: Path, split: str | None) -> Gold:
    """Read ``documents/<split>-*.parquet`` of a built dataset back into annotation records."""
    import pyarrow.parquet as pq

    pattern = f"{split}-*.parquet" if split else "*.parquet"
    files = sorted((folder / "documents").glob(pattern))
    if not files:
        available = sorted({path.name.split("-")[0] for path in (folder / "documents").glob("*.parquet")})
        wanted = f"split {split!r}" if split else "any split"
        found = f"splits found: {', '.join(available)}" if available else "no documents/*.parquet at all"
        raise InputError(f"{folder}: no parquet file for {wanted} (expected a folder built by `toolkit build` with documents/<split>-*.parquet; {found})")
    inventory = load_inventory()
    documents: dict[str, dict] = {}
    records: dict[str, dict] = {}
    for path in files:
        for row in pq.read_table(path).to_pylist():
            document = {key: row[key] for key in ("id", "lang", "text", "text_sha256") if key in row}
            entities = [{"id": e["id"], "start": e["start"], "end": e["end"], "label": inventory.entity_names[e["label"]], "text": e["text"]} for e in row["entities"]]
            claims = [
                {
                    "id": c["id"], "start": c["start"], "end": c["end"], "text": c["text"],
                    "stance": inventory.stance_names[c["stance"]],
                    "claimer": {"kind": inventory.claimer_kind_names[c["claimer_kind"]], "entity_ids": list(c["claimer_ids"] or [])},
                }
                for c in row["claims"]
            ]
            if row["id"] in documents:
                raise InputError(f"{path}: id: {row['id']!r} appears twice in the built dataset (expected one row per document)")
            documents[row["id"]] = document
            records[row["id"]] = {"id": row["id"], "text_sha256": row["text_sha256"], "entities": entities, "claims": claims}
    return Gold(folder.name, split, documents, records)


def load_gold(gold: Path, documents: Path | None = None, split: str | None = None) -> Gold:
    """Gold from an annotation JSONL (+ documents) or from a folder built by ``toolkit build``."""
    gold = Path(gold)
    if gold.is_dir():
        return _gold_from_build(gold, split)
    return _gold_from_jsonl(gold, Path(documents or DEFAULT_DOCUMENTS), split)


def load_predictions(path: Path, gold: Gold, ignore_extra: bool = False) -> tuple[dict[str, dict], list[str]]:
    """Validated prediction records by id, and the ids of ignored predictions for documents not in gold."""
    from toolkit.errors import ValidationError
    from toolkit.validate import validate_file

    extra = (lambda record: isinstance(record.get("id"), str) and record["id"] not in gold.documents) if ignore_extra else None
    source = f"the gold {gold.name}" + (f" (split {gold.split})" if gold.split else "") + "; pass --ignore-extra to skip predictions for other documents"
    result = validate_file(path, kind="prediction", documents=gold.documents, documents_source=source, ignore=extra)
    if result.problems:
        raise ValidationError(result.problems, result.truncated)
    return {record["id"]: record for record in result.records}, sorted(result.ignored)


# ---------------------------------------------------------------- spans as tuples

def gold_spans(record: Mapping, text: str, label_index: Mapping[str, int], stance_index: Mapping[str, int]) -> tuple[list[tuple], list[tuple]]:
    """``(entities, claims)`` of a gold record as the tuples the scorers compare."""
    entities = [(e["start"], e["end"], label_index[e["label"]]) for e in record["entities"]]
    claims = record["claims"]
    if not claims:
        return entities, []
    mentions = {}
    same_source: dict[tuple, list] = {}
    if any(claim["claimer"]["entity_ids"] for claim in claims):
        for e in record["entities"]:
            key = (e["label"], normalise_mention(text[e["start"]:e["end"]]))
            mentions[e["id"]] = (e["start"], e["end"], *key)
            same_source.setdefault(key, []).append((e["start"], e["end"]))
    return entities, [(c["start"], c["end"], stance_index[c["stance"]], gold_claimer(c, mentions, same_source)) for c in claims]


def predicted_spans(record: Mapping, label_index: Mapping[str, int], stance_index: Mapping[str, int], keywords: Mapping[str, str]) -> tuple[list[tuple], list[tuple]]:
    """``(entities, claims)`` of a prediction record; a claimer is a kind name or a ``(start, end)`` span."""
    entities = [(e["start"], e["end"], label_index[e["label"]]) for e in record.get("entities", ())]
    claims = []
    for c in record.get("claims", ()):
        claimer = c["claimer"]
        claimer = keywords[claimer] if isinstance(claimer, str) else (claimer["start"], claimer["end"])
        claims.append((c["start"], c["end"], stance_index[c["stance"]], claimer))
    return entities, claims


def gold_lines(gold: Gold, ids: list[str], spans: list[tuple[list, list]]) -> Iterator[str]:
    """The gold as scored, one line per document, for the signature's content hash."""
    inventory = load_inventory()
    yield repr((inventory.entity_names, inventory.stance_names)) + "\n"
    for doc_id, (entities, claims) in sorted(zip(ids, spans, strict=True)):
        yield f"{doc_id}\t{gold.documents[doc_id]['text_sha256']}\t{sorted(entities)!r}\t{sorted(claims, key=repr)!r}\n"


# ---------------------------------------------------------------- scoring

@dataclass
class Scored:
    """Per-document sufficient statistics (rows in gold order) and the per-label entity totals."""

    ids: list[str]
    stats: Any  # numpy int64 array, documents × statistics
    label_totals: list[int]
    gold_hash: str
    layers: list[str]
    missing: list[str]


def score(gold: Gold, predictions: Mapping[str, Mapping], iou: float = DEFAULT_IOU) -> Scored:
    """Count every document; a gold document without a prediction counts as predicting nothing."""
    import numpy as np

    inventory = load_inventory()
    label_index = {name: i for i, name in enumerate(inventory.entity_names)}
    stance_index = {name: i for i, name in enumerate(inventory.stance_names)}
    keywords = inventory.prediction_claimer_keywords
    n_stances = len(stance_index)
    label_totals = [0] * (WIDTH * len(label_index))
    ids = list(gold.records)
    rows = []
    spans = []
    empty: dict = {}
    for doc_id in ids:
        gold_entities, gold_claims = gold_spans(gold.records[doc_id], gold.documents[doc_id]["text"], label_index, stance_index)
        spans.append((gold_entities, gold_claims))
        pred_entities, pred_claims = predicted_spans(predictions.get(doc_id, empty), label_index, stance_index, keywords)
        rows.append(score_entities(gold_entities, pred_entities, label_totals) + score_claims(gold_claims, pred_claims, iou, n_stances))
    stats = np.array(rows, dtype=np.int64).reshape(len(ids), WIDTH + len(CLAIM_COLUMNS) + n_stances * n_stances)
    layers = [layer for layer in LAYERS if any(layer in record for record in predictions.values())]
    missing = [doc_id for doc_id in ids if doc_id not in predictions]
    return Scored(ids, stats, label_totals, content_hash(gold_lines(gold, ids, spans)), layers, missing)


def headline(sums):
    """The headline figures from summed statistics (one row per resample); NaN where undefined."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        correct, incorrect, partial, missed, spurious = (sums[:, i] for i in range(5))
        claims = sums[:, CLAIM_OFFSET:]
        denominator = claims[:, PREDICTED] + claims[:, GOLD]
        figures = {
            "entities.strict.f1": 2 * correct / (2 * (correct + incorrect + partial) + missed + spurious),
            "claims.overlap.f1": 2 * claims[:, OVERLAP_TP] / denominator,
            "end_to_end.f1": 2 * claims[:, END_TO_END_TP] / denominator,
        }
        figures["overall"] = sum(figures.values()) / 3
    return figures


def overall_figure(figures: Mapping[str, float | None], layers: list[str]) -> tuple[float | None, str | None]:
    """The mean of the three headline layer figures, or ``None`` and why."""
    absent = [layer for layer in LAYERS if layer not in layers]
    if absent:
        return None, f"the predictions have no {' and no '.join(absent)} layer (no record has the key {', '.join(map(repr, absent))})"
    parts = HEADLINE_FIGURES[:3]
    undefined = [name for name in parts if figures[name] is None]
    if undefined:
        return None, f"{', '.join(undefined)} undefined (neither gold nor predicted items)"
    return sum(figures[name] for name in parts) / len(parts), None


def result_from(scored: Scored, gold: Gold, extra: list[str], iou: float, bootstrap: int, seed: int) -> EvalResult:
    inventory = load_inventory()
    totals = scored.stats.sum(axis=0).tolist()
    entities = entity_figures(totals[:WIDTH], scored.label_totals, inventory.entity_names)
    claim_layers = claim_figures(totals[CLAIM_OFFSET:], iou, inventory.stance_names, inventory.polar_stances)
    figures = {
        "entities.strict.f1": entities["strict"]["f1"],
        "claims.overlap.f1": claim_layers["claims"]["overlap"]["f1"],
        "end_to_end.f1": claim_layers["end_to_end"]["f1"],
    }
    overall, reason = overall_figure(figures, scored.layers)
    ci = None
    if bootstrap:
        from toolkit.scoring.bootstrap import intervals

        ci = intervals(scored.stats, headline, bootstrap, seed)
        if overall is None:
            ci["overall"] = {"low": None, "high": None, "resamples": bootstrap, "seed": seed}
    settings = {
        "gold": gold.name,
        "gold_hash": scored.gold_hash,
        "split": gold.split,
        "iou": iou,
        "matching": MATCHING_RULE,
        "bootstrap": bootstrap,
        "seed": seed,
    }
    signature = make_signature(gold.name, scored.gold_hash, gold.split, len(scored.ids), iou, MATCHING_RULE, bootstrap, seed)
    return EvalResult(
        signature=signature,
        settings=settings,
        n_documents=len(scored.ids),
        missing_documents=scored.missing,
        extra_documents=extra,
        entities=entities,
        overall=overall,
        overall_reason=reason,
        ci=ci,
        layers=scored.layers,
        **claim_layers,
    )


def _check_settings(iou: float, resamples: int) -> None:
    if not 0 < iou <= 1:
        raise InputError(f"--iou: {iou} is outside (0, 1] (expected a character IoU threshold such as 0.5)")
    if resamples < 0:
        raise InputError(f"--bootstrap: {resamples} is negative (expected 0 for no intervals, or a number of resamples such as 1000)")


def evaluate_files(
    predictions: Path,
    gold: Path,
    documents: Path | None = None,
    split: str | None = None,
    iou: float = DEFAULT_IOU,
    bootstrap: int = 0,
    seed: int = DEFAULT_SEED,
    ignore_extra: bool = False,
) -> EvalResult:
    """Score one predictions file against gold; raises `InputError`/`ValidationError` on bad input."""
    _check_settings(iou, bootstrap)
    gold_set = load_gold(gold, documents, split)
    records, extra = load_predictions(Path(predictions), gold_set, ignore_extra)
    return result_from(score(gold_set, records, iou), gold_set, extra, iou, bootstrap, seed)


def compare_files(
    a: Path,
    b: Path,
    gold: Path,
    documents: Path | None = None,
    split: str | None = None,
    iou: float = DEFAULT_IOU,
    resamples: int = 1000,
    seed: int = DEFAULT_SEED,
    ignore_extra: bool = False,
) -> dict[str, Any]:
    """Paired bootstrap between two systems on the same gold documents.

    Returns ``{"signature", "a", "b", "figures": {figure: {a, b, difference, p_value, resamples, seed}}}``;
    ``difference`` is B − A.  ``overall`` of a system that lacks a layer is ``None``.
    """
    from toolkit.scoring.bootstrap import paired_test

    _check_settings(iou, resamples)
    if resamples < 1:
        raise InputError(f"--resamples: {resamples} (expected at least 1 resample)")
    gold_set = load_gold(gold, documents, split)
    scored = [score(gold_set, load_predictions(Path(path), gold_set, ignore_extra)[0], iou) for path in (a, b)]
    figures = paired_test(scored[0].stats, scored[1].stats, headline, resamples, seed)
    for name, system in (("a", scored[0]), ("b", scored[1])):
        if overall_figure({key: figures[key][name] for key in HEADLINE_FIGURES[:3]}, system.layers)[0] is None:
            figures["overall"].update({name: None, "difference": None, "p_value": None})
    signature = make_signature(gold_set.name, scored[0].gold_hash, split, len(scored[0].ids), iou, MATCHING_RULE, resamples, seed)
    return {"signature": signature, "a": str(a), "b": str(b), "figures": figures}
