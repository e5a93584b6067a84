"""`toolkit train`: records → DocBins and config.cfg in MODEL_DIR → spaCy's training loop → the best model, scored
on the dev documents by the voci scorer, with its ``voci-model.json``.

The loop is spaCy's own (`spacy.training.initialize.init_nlp`, `spacy.training.loop.train_while_improving`, the
config's optimizer, batcher and corpora); the toolkit only drives it to add a time limit and a progress display,
and saves the best checkpoint as spaCy's ``train`` does.  MODEL_DIR is staged: an error or Ctrl-C leaves none.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import InputError, OutputError, as_named, mention
from toolkit.files import dumps_line, write_json, write_text
from toolkit.model.config import Settings, training_config
from toolkit.model.examples import (
    Split,
    data_hash,
    entity_labels,
    has_claims,
    pair_records,
    split_by_document,
    write_docbin,
)
from toolkit.model.manifest import MANIFEST, PIPELINE, TRAIN_DOCS, ModelManifest, check_labels, inventory_hash
from toolkit.pathguard import FOLDER, STDOUT, Input, Output, PathPlan
from toolkit.scoring.parameters import seed as check_seed
from toolkit.staging import staged

DEFAULT_DEV_SHARE = 0.1
MAX_TEXT_LENGTH = 1_000_000  # spaCy's nlp.max_length: a longer text is refused by its tokenizer
CONFIG = "config.cfg"
DEV_DOCS = "dev.spacy"


@dataclass(frozen=True)
class Step:
    """Where training is (shown by the progress display)."""

    step: int
    max_steps: int
    loss: float
    score: float | None
    best: float | None


@dataclass
class TrainRun:
    out: Path
    manifest: ModelManifest
    stopped_early: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self, names: Callable[[str], str] | None = None) -> str:
        """One line for people; ``names`` shows the parameters it names (the CLI: its flags)."""
        dev = self.manifest.dev
        figures = ", ".join(f"{name} {value:.3f}" for name, value in dev.items() if isinstance(value, float))
        training = self.manifest.training
        return (
            f"trained {self.manifest.model_version} on {training['train_documents']} document(s) "
            f"({training['steps']} steps, {training['seconds']:.0f} s"
            + (f", stopped at {as_named(mention('max_minutes'), names)}" if self.stopped_early else "")
            + f"); dev ({training['dev_documents']} document(s)): {figures} → {self.out}"
        )


def load_pairs(documents_path: Path, gold_path: Path, what: str) -> list[tuple]:
    """(document, annotation) pairs from a documents file and gold or per-annotator annotation records."""
    from toolkit.validate import load_documents, require_valid

    documents = load_documents(documents_path)
    records = require_valid(gold_path, "annotation", documents, str(documents_path))
    if not records:
        raise InputError(f"{gold_path}: no annotation records (expected the {what} to learn from)")
    return pair_records(documents, records)


def choose_split(
    pairs: list[tuple], dev_pairs: list[tuple] | None, dev_share: float, seed: int, gold_path: Path
) -> Split:
    if dev_pairs is not None:
        trained = {document["text_sha256"]: document["id"] for document, _ in pairs}
        shared = [document["id"] for document, _ in dev_pairs if document["text_sha256"] in trained]
        if shared:
            raise InputError(
                f"{len(shared)} dev document(s) are also training documents (the first: {shared[0]!r}); expected a "
                "held-out dev set, or none (then a dev share of the training documents is held out)",
                parameter="dev_gold",
            )
        return Split(pairs, dev_pairs)
    if not 0 < dev_share < 1:
        raise InputError(f"{dev_share} (expected a share between 0 and 1, such as 0.1)", parameter="dev_share")
    split = split_by_document(pairs, dev_share, seed)
    if not split.dev:
        raise InputError(
            f"{gold_path}: annotations of one document only (expected two or more documents, or {mention('dev_gold')})"
        )
    return split


def _language(pairs: list[tuple]) -> str:
    return Counter(document.get("lang", "it") for document, _ in pairs).most_common(1)[0][0]


def check_texts(pairs: list[tuple], documents: Path, lang: str | None = None) -> None:
    """One model, one language, which spaCy must have (``spacy.blank`` of any other is an ImportError); every text
    within what its tokenizer takes (refused here rather than after the training, at the dev scoring)."""
    from spacy.util import get_lang_class

    lang = lang or _language(pairs)
    other = next((document for document, _ in pairs if document.get("lang", "it") != lang), None)
    if other is not None:
        raise InputError(
            f"{documents}: document {other['id']!r}: lang {other.get('lang', 'it')!r} (expected one language for "
            f"one model: the model's is {lang!r}; train one model per language)"
        )
    too_long = next((document for document, _ in pairs if len(document["text"]) > MAX_TEXT_LENGTH), None)
    if too_long is not None:
        raise InputError(
            f"{documents}: document {too_long['id']!r}: a text of {len(too_long['text']):,} characters (expected at "
            f"most {MAX_TEXT_LENGTH:,}, spaCy's limit for one text)"
        )
    try:
        get_lang_class(lang)
    except ImportError:
        raise InputError(
            f"{documents}: lang {lang!r}: not a language spaCy has (expected an ISO 639-1 code it knows, such as 'it')"
        ) from None


def check_out(out: Path) -> None:
    """``--out`` is replaced whole: only a new or empty folder, or a MODEL_DIR, never a folder of other files."""
    if str(out) == STDOUT:
        raise OutputError(f"{mention('out')} -: a MODEL_DIR is a folder, not stdout (expected a folder path)")
    if out.is_dir() and not (out / MANIFEST).is_file() and any(out.iterdir()):
        raise OutputError(
            f"{mention('out')} {out}: a folder holding other files and no {MANIFEST} (expected a new or empty folder, "
            "or a MODEL_DIR to replace: it is replaced whole)"
        )


def score_dev(nlp_dir: Path, dev: list[tuple]) -> tuple[dict[str, Any], str]:
    """The voci scorer's headline figures for the saved model on the dev documents (first annotation of each), and
    where its claim spans should come from: the source of `CLAIM_SOURCES` with the better claim overlap F1 there
    (the ``span_finder`` on a tie), whose figures are the headline ones."""
    from toolkit.model.pipeline import CLAIM_SOURCES, TrainedModel
    from toolkit.scoring.evaluate import evaluate

    first: dict[str, tuple] = {}
    for document, record in dev:
        first.setdefault(document["id"], (document, record))
    model = TrainedModel(nlp_dir)
    sources = list(CLAIM_SOURCES) if model.manifest.claims else [model.manifest.claims_from]
    results = {}
    with tempfile.TemporaryDirectory(prefix="voci-dev-") as scratch:
        documents_path, gold_path = Path(scratch) / "documents.jsonl", Path(scratch) / "gold.jsonl"
        documents_path.write_text("".join(dumps_line(d) for d, _ in first.values()), encoding="utf-8")
        gold_path.write_text("".join(dumps_line(r) for _, r in first.values()), encoding="utf-8")
        predicted = model.predict_each_source((d for d, _ in first.values()), sources)  # one pass, both sources
        for source in sources:
            results[source] = evaluate(predicted[source], gold_path, documents_path, ignore_extra=True).to_dict()
    claims_f1 = {source: result["claims"]["overlap"]["f1"] for source, result in results.items()}
    chosen = max(sources, key=lambda source: (claims_f1[source] or 0.0, source == sources[0]))
    figures = {"documents": len(first), "entity_strict_f1": results[chosen]["entities"]["strict"]["f1"]}
    if model.manifest.claims:
        figures["claim_overlap_f1"] = claims_f1[chosen]
        figures |= {f"claim_overlap_f1_{source}": value for source, value in claims_f1.items()}
    return figures, chosen


def run_training(
    folder: Path,
    split: Split,
    seed: int,
    settings: Settings,
    deadline: float | None,
    on_step: Callable[[Step], None] | None,
) -> tuple[int, bool]:
    """spaCy's training loop over the DocBins in ``folder``; the best checkpoint saved as ``folder/model-best``.
    Returns the steps run and whether the deadline stopped it."""
    import spacy
    from spacy.schemas import ConfigSchemaTraining
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import create_evaluation_callback, create_train_batches, train_while_improving
    from spacy.util import registry, resolve_dot_names
    from thinc.api import Config

    claims = has_claims(split.train)
    lang = _language(split.train)
    nlp = spacy.blank(lang)
    write_docbin(nlp, split.train, folder / TRAIN_DOCS, settings.piece_tokens)
    write_docbin(nlp, split.dev, folder / DEV_DOCS)
    base = Config().from_str(training_config(lang, seed, settings, claims), interpolate=False)
    filled = spacy.util.load_model_from_config(base, auto_fill=True, validate=True).config  # spaCy's defaults
    write_text(folder / CONFIG, filled.to_str())
    overrides = {"paths.train": str(folder / TRAIN_DOCS), "paths.dev": str(folder / DEV_DOCS)}
    config = spacy.util.load_config(folder / CONFIG, overrides=overrides, interpolate=False)
    spacy.util.fix_random_seed(seed)
    nlp = init_nlp(config)
    T = registry.resolve(nlp.config.interpolate()["training"], schema=ConfigSchemaTraining)
    train_corpus, dev_corpus = resolve_dot_names(nlp.config.interpolate(), [T["train_corpus"], T["dev_corpus"]])
    steps = train_while_improving(
        nlp,
        T["optimizer"],
        create_train_batches(nlp, train_corpus, T["batcher"], T["max_epochs"]),
        create_evaluation_callback(nlp, dev_corpus, T["score_weights"]),
        dropout=T["dropout"],
        accumulate_gradient=T["accumulate_gradient"],
        patience=T["patience"],
        max_steps=T["max_steps"],
        eval_frequency=T["eval_frequency"],
        exclude=T["frozen_components"],
        annotating_components=T["annotating_components"],
        before_update=T["before_update"],
    )
    best_score, step, stopped = None, 0, False
    for _batch, info, is_best in steps:
        step = info["step"]
        if is_best and info["score"] is not None:
            best_score = info["score"]
            with nlp.use_params(T["optimizer"].averages):
                nlp.to_disk(folder / PIPELINE)
        if on_step is not None:
            on_step(Step(step, settings.max_steps, sum(info["losses"].values()), info["score"], best_score))
        if deadline is not None and time.monotonic() > deadline:
            stopped = True
            break
    if not (folder / PIPELINE).exists():  # stopped before the first evaluation: keep what was learned
        with nlp.use_params(T["optimizer"].averages):
            nlp.to_disk(folder / PIPELINE)
    return step, stopped


def train_model(
    documents: Path,
    gold: Path,
    out: Path,
    *,
    dev_documents: Path | None = None,
    dev_gold: Path | None = None,
    dev_share: float = DEFAULT_DEV_SHARE,
    seed: int = 0,
    max_minutes: float | None = None,
    settings: Settings = Settings(),
    on_step: Callable[[Step], None] | None = None,
) -> TrainRun:
    """Train a pipeline on the annotation records of ``gold`` (gold or per annotator) and save it in ``out``."""
    import spacy

    if (dev_documents is None) != (dev_gold is None):
        raise InputError(
            f"{mention('dev_documents')} and {mention('dev_gold')}: give both or neither (expected a dev set and its "
            "texts)"
        )
    if max_minutes is not None and not max_minutes > 0:
        raise InputError(f"{max_minutes} (expected a positive number of minutes)", parameter="max_minutes")
    seed = check_seed(seed)
    check_out(Path(out))
    inputs = [Input(mention("documents"), Path(documents)), Input(mention("gold"), Path(gold))]
    if dev_gold is not None:
        inputs += [Input(mention("dev_documents"), Path(dev_documents)), Input(mention("dev_gold"), Path(dev_gold))]
    with staged(PathPlan(inputs, [Output(mention("out"), Path(out), FOLDER)])) as staging:
        pairs = load_pairs(Path(documents), Path(gold), "training annotations")
        dev_pairs = load_pairs(Path(dev_documents), Path(dev_gold), "dev annotations") if dev_gold else None
        split = choose_split(pairs, dev_pairs, dev_share, seed, Path(gold))
        labels = entity_labels(split.train)
        check_labels(labels, str(gold))
        check_texts(split.train, Path(documents))
        check_texts(split.dev, Path(dev_documents or documents), _language(split.train))
        folder = staging.folder(Path(out))
        started = time.monotonic()
        deadline = started + max_minutes * 60 if max_minutes is not None else None
        steps, stopped = run_training(folder, split, seed, settings, deadline, on_step)
        seconds = time.monotonic() - started
        trained_on = data_hash(split.train)
        identity = json.dumps([trained_on, data_hash(split.dev), seed, settings.as_json(), spacy.__version__])
        manifest = ModelManifest(
            model_version=f"spacy-{hashlib.sha256(identity.encode('utf-8')).hexdigest()[:12]}",
            inventory_hash=inventory_hash(),
            training_data_hash=trained_on,
            seed=seed,
            spacy_version=spacy.__version__,
            lang=_language(split.train),
            entity_labels=labels,
            claims=has_claims(split.train),
            training={
                "train_documents": len({d["id"] for d, _ in split.train}),
                "train_examples": len(split.train),
                "dev_documents": len({d["id"] for d, _ in split.dev}),
                "dev_data_hash": data_hash(split.dev),
                "steps": steps,
                "stopped_at_max_minutes": stopped,
                "seconds": round(seconds, 1),
                "settings": settings.as_json(),
            },
        )
        write_json(folder / MANIFEST, manifest.as_json())
        manifest.dev, manifest.claims_from = score_dev(folder, split.dev)
        write_json(folder / MANIFEST, manifest.as_json())
    return TrainRun(Path(out), manifest, stopped)
