"""A learning curve for `toolkit train`: entity strict F1 (and claim overlap F1) on a held-out set after training on
10, 50, 200 and all training documents, against the rule baseline on the same held-out set, with training time and
prediction speed, in one run.

Entities come from a CoNLL-style corpus given by path (two tab-separated columns, token and IOB2 tag PER/ORG/LOC,
sentences separated by blank lines; e.g. KIND's ``evalita-2023/WN_train.tsv`` and ``WN_dev.tsv``, which are never
copied into the repository): every 25 sentences make one document; the training file gives the training documents
(the model's own dev set is a 10% share of them), the held-out file the test documents.  The baseline's GPE is
scored as LOC and its other labels (DATE, NORP…) are left out, as the corpus has only PER/ORG/LOC.  Such corpora
have no claims, so the claim part of the curve comes from generated documents (`toolkit.dataset.synthetic`).

Each training gets ``--max-minutes`` scaled by its share of the training documents (at least ``--min-minutes``), so
every point of the curve sees about as many passes over its data; spaCy's patience may stop it sooner.  The machine's
load average (1 minute) is printed with every point: on a shared machine it bounds the speeds.

    python benchmarks/bench_train.py --corpus TRAIN.tsv --held-out DEV.tsv [--sizes 10,50,200,all] [--max-minutes 15]
        [--synthetic 300] [--synthetic-minutes 3]  (without --corpus: the generated curve only; --synthetic 0: the
        corpus only)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import spacy

from toolkit.baseline import predict_document
from toolkit.convert_predictions.spacy_docs import from_spacy
from toolkit.dataset.synthetic import invented_names, synthetic_corpus
from toolkit.documents import make_document
from toolkit.files import write_jsonl
from toolkit.model.config import Settings
from toolkit.model.examples import training_doc
from toolkit.model.pipeline import CLAIM_SOURCES, PROCESS_DOCUMENTS, TrainedModel, processes_for, stance_and_claimer
from toolkit.model.training import train_model
from toolkit.scoring.evaluate import evaluate

SENTENCES_PER_DOCUMENT = 25
KEPT = {"PER", "ORG", "LOC"}
NO_SPACE_BEFORE = set(",.;:!?)]»”%")
NO_SPACE_AFTER = set("([«“")


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    sentences, current = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        token, tag = line.split("\t")[:2]
        current.append((token, tag))
    if current:
        sentences.append(current)
    return sentences


def conll_documents(path: Path, prefix: str) -> list[tuple[dict, dict]]:
    """(document, gold) pairs, 25 sentences each, text detokenised with offsets kept."""
    sentences = read_conll(path)
    pairs = []
    for index in range(0, len(sentences), SENTENCES_PER_DOCUMENT):
        text, entities, open_entity = "", [], None
        for sentence in sentences[index : index + SENTENCES_PER_DOCUMENT]:
            previous = None
            for token, tag in sentence:
                glue = previous is None or token[0] in NO_SPACE_BEFORE or previous[-1] in NO_SPACE_AFTER
                glue = glue or previous.endswith("'") or previous.endswith("’")
                text += "" if glue and previous is not None else (" " if text and not text.endswith("\n") else "")
                start = len(text)
                text += token
                if tag.startswith("B-") or (tag.startswith("I-") and open_entity is None):
                    open_entity = {"start": start, "end": len(text), "label": tag[2:]}
                    entities.append(open_entity)
                elif tag.startswith("I-"):
                    open_entity["end"] = len(text)
                else:
                    open_entity = None
                previous = token
            open_entity = None
            text += "\n"
        text = text.rstrip()
        document = make_document(f"{prefix}-{index // SENTENCES_PER_DOCUMENT:04d}", text, "it")
        for number, item in enumerate(entities, start=1):
            item.update(id=f"e{number}", text=text[item["start"] : item["end"]])
        gold = {"id": document["id"], "text_sha256": document["text_sha256"], "annotator": "corpus"}
        pairs.append((document, {**gold, "entities": entities, "claims": []}))
    return pairs


def as_kept(record: dict) -> dict:
    """A prediction scored on PER/ORG/LOC only (GPE counted as LOC), no claims."""
    entities = [{**e, "label": "LOC" if e["label"] == "GPE" else e["label"]} for e in record["entities"]]
    return {"id": record["id"], "entities": [e for e in entities if e["label"] in KEPT]}


def write_pairs(folder: Path, pairs: list[tuple[dict, dict]]) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "documents.jsonl", [document for document, _ in pairs])
    write_jsonl(folder / "gold.jsonl", [gold for _, gold in pairs])
    return folder / "documents.jsonl", folder / "gold.jsonl"


def score(records: list[dict], documents: Path, gold: Path) -> dict:
    result = evaluate(records, gold, documents).to_dict()
    return {"entity": result["entities"]["strict"]["f1"], "claim": result["claims"]["overlap"]["f1"]}


def shown(value: float | None, width: int = 0) -> str:
    return f"{value:>{width}.3f}" if value is not None else f"{'n/a':>{width}}"


def on_tokens(held_out: list[tuple[dict, dict]]) -> list[dict]:
    """The held-out gold as a model predicting on spaCy's tokens at best can: each span widened to whole tokens,
    nested entities the longest (as `toolkit train` learns them).  Its entity F1 is what the curve can reach."""
    nlp, records = spacy.blank("it"), []
    for document, gold in held_out:
        doc = training_doc(nlp, document, gold)
        stance_and_claimer(document["text"], doc)
        records.append(from_spacy(doc, document))
    return records


def curve(name, train, held_out, sizes, limits: tuple[float, float], scratch: Path, keep) -> None:
    documents, gold = write_pairs(scratch / f"{name}-held-out", held_out)
    baseline = score([keep(predict_document(d)) for d, _ in held_out], documents, gold)
    ceiling = score([keep(record) for record in on_tokens(held_out)], documents, gold)
    print(f"\n{name}: {len(train)} training documents, {len(held_out)} held-out documents")
    print(f"  rule baseline: entity strict F1 {shown(baseline['entity'])}, claim overlap F1 {shown(baseline['claim'])}")
    print(f"  the gold on spaCy's tokens (the most a model can reach): entity strict F1 {shown(ceiling['entity'])}")
    print("  train docs | entity strict F1 | claim overlap F1 | training s | steps | predict docs/s (per CPU s) | load")
    for size in sizes:
        chosen = train if size == "all" else train[: int(size)]
        train_documents, train_gold = write_pairs(scratch / f"{name}-train-{size}", chosen)
        minutes = max(limits[0], limits[1] * len(chosen) / len(train))
        started = time.monotonic()
        run = train_model(train_documents, train_gold, scratch / f"{name}-model-{size}", max_minutes=minutes)
        trained = time.monotonic() - started
        model = TrainedModel(scratch / f"{name}-model-{size}")
        started, cpu = time.monotonic(), time.process_time()
        predictions = model.predict(d for d, _ in held_out)
        speed = len(held_out) / (time.monotonic() - started)
        cpu_speed = len(held_out) / (time.process_time() - cpu)
        figures = score([keep(p.record) if keep is as_kept else p.record for p in predictions], documents, gold)
        late = f" (stopped at {minutes:.1f} min)" if run.stopped_early else ""
        print(
            f"  {len(chosen):>10} | {shown(figures['entity'], 16)} | {shown(figures['claim'], 16)} | "
            f"{trained:>10.0f} | {run.manifest.training['steps']:>5} | {speed:>14.1f} ({cpu_speed:>9.1f}) | "
            f"{os.getloadavg()[0]:4.1f}" + late,
            flush=True,
        )
    if run.manifest.claims:
        print(
            f"  claims from: {run.manifest.claims_from} (dev claim overlap F1: "
            + ", ".join(f"{source} {shown(run.manifest.dev[f'claim_overlap_f1_{source}'])}" for source in CLAIM_SOURCES)
            + ")"
        )
    print_parallel_speed(model, [d for d, _ in held_out])


def print_parallel_speed(model: TrainedModel, documents: list[dict]) -> None:
    """`toolkit predict`'s speed on a large input: the held-out documents repeated to 4 × `PROCESS_DOCUMENTS`, in
    as many processes as it uses for them; CPU time of every process (the forked ones once they end)."""
    many = (documents * (4 * PROCESS_DOCUMENTS // len(documents) + 1))[: 4 * PROCESS_DOCUMENTS]
    processes = processes_for(len(many))
    started, before = time.monotonic(), os.times()
    model.predict(many, processes=processes)
    wall, after = time.monotonic() - started, os.times()
    cpu = sum(after[:4]) - sum(before[:4])  # user and system, this process and its children
    print(
        f"  predict {len(many)} documents in {processes} process(es), as `toolkit predict` does: "
        f"{len(many) / wall:.1f} documents/s wall-clock ({len(many) / cpu:.1f} per CPU second), "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="CoNLL-style training file (token TAB IOB2 tag)")
    parser.add_argument("--held-out", type=Path, help="CoNLL-style held-out file (never a test file)")
    parser.add_argument("--sizes", default="10,50,200,all")
    parser.add_argument("--max-minutes", type=float, default=15.0, help="training time of the full-size point")
    parser.add_argument("--min-minutes", type=float, default=2.0, help="training time of the smallest points")
    parser.add_argument("--synthetic", type=int, default=300, help="generated documents for the claim curve (0: none)")
    parser.add_argument("--synthetic-minutes", type=float, default=3.0, help="--max-minutes of the generated curve")
    args = parser.parse_args()
    sizes = args.sizes.split(",")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}; settings {Settings().as_json()}")
    with tempfile.TemporaryDirectory(prefix="bench-train-") as scratch:
        if args.corpus is not None:
            train, held_out = conll_documents(args.corpus, "train"), conll_documents(args.held_out, "held")
            curve(
                f"corpus {args.corpus.name}",
                train,
                held_out,
                sizes,
                (args.min_minutes, args.max_minutes),
                Path(scratch),
                as_kept,
            )
        if not args.synthetic:
            return
        names = invented_names(12, seed=3)
        generated = list(synthetic_corpus(args.synthetic + 100, seed=5, sentences=10, names=names))
        curve(
            "generated",
            generated[100:],
            generated[:100],
            sizes,
            (args.min_minutes, args.synthetic_minutes),
            Path(scratch),
            lambda r: r,
        )


if __name__ == "__main__":
    main()
