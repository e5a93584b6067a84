"""What the ML backend's baseline learns from annotators: pre-annotation entity F1 on held-out documents, before and
after N annotated tasks, and what a prediction request costs.

A synthetic stream shares a pool of invented names (people, places, organisations no lexicon holds) between its
first documents, which are "annotated" (their gold is submitted as Label Studio results through the webhook, as
the editor's Submit does), and held-out documents that are only pre-annotated; the held-out documents also draw
from a few more invented names that no annotated document has (what learning cannot know). Entity F1 is
micro-averaged over exact (start, end, label) matches of the pre-annotations the backend returns to Label Studio.
The anchor of the speed figure is the baseline alone (`predict_document`) on the same documents: the ratio is what
the protocol, the checks and the conversion add. Everything runs in process through `Backend` (the HTTP layer only
moves JSON).

    python benchmarks/bench_backend.py [--annotated 1,5,20,50] [--held-out 200] [--names 8] [--unseen 4] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from toolkit.baseline import predict_document
from toolkit.dataset.synthetic import NamePool, invented_names, synthetic_corpus
from toolkit.inventory import load_inventory
from toolkit.labelstudio.backend.lexicon import LexiconStore
from toolkit.labelstudio.backend.service import Backend
from toolkit.labelstudio.backend.sources import BaselineSource
from toolkit.labelstudio.config import NAMES
from toolkit.labelstudio.tasks import record_to_result, task_data

ENTITY_LABELS = set(load_inventory().entity_names)

PROJECT = {"id": 1, "title": "bench"}


def entity_f1(predicted: list[set], gold: list[set]) -> tuple[float, float, float]:
    true = sum(len(p & g) for p, g in zip(predicted, gold, strict=True))
    found, wanted = sum(map(len, predicted)), sum(map(len, gold))
    precision = true / found if found else 0.0
    recall = true / wanted if wanted else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def spans_of(result: list[dict]) -> set:
    return {
        (item["value"]["start"], item["value"]["end"], item["value"]["labels"][0])
        for item in result
        if item.get("type") == "labels"
        and item.get("from_name") == NAMES.entity
        and item["value"]["labels"][0] in ENTITY_LABELS
    }


def task(number: int, document: dict) -> dict:
    return {"id": number, "data": task_data(document), "project": PROJECT["id"]}


def pre_annotate(backend: Backend, tasks: list[dict]) -> tuple[list[set], str]:
    answer = backend.predict({"tasks": tasks, "project": f"{PROJECT['id']}.0"})
    return [spans_of(item["result"]) for item in answer["results"]], answer["model_version"]


def submit(backend: Backend, number: int, document: dict, gold: dict) -> None:
    """What the webhook receives when an annotator submits this gold in the editor."""
    annotation = {
        "id": number,
        "task": number,
        "project": PROJECT["id"],
        "completed_by": 1,
        "was_cancelled": False,
        "result": record_to_result(gold, document["text"]),
    }
    backend.webhook(
        {"action": "ANNOTATION_CREATED", "annotation": annotation, "task": task(number, document), "project": PROJECT}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotated", default="1,5,20,50", help="checkpoints: tasks annotated so far")
    parser.add_argument("--held-out", type=int, default=200)
    parser.add_argument("--names", type=int, default=8, help="invented names of each kind shared by the stream")
    parser.add_argument(
        "--unseen", type=int, default=4, help="invented names of each kind only held-out documents have"
    )
    parser.add_argument("--sentences", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    checkpoints = sorted({int(value) for value in arguments.annotated.split(",")})
    shared = invented_names(arguments.names + arguments.unseen, arguments.seed)
    annotated_names = NamePool(*(names[: arguments.names] for names in (shared.people, shared.places, shared.orgs)))
    annotated = list(synthetic_corpus(checkpoints[-1], arguments.seed, arguments.sentences, names=annotated_names))
    held_out = list(synthetic_corpus(arguments.held_out, arguments.seed + 1, arguments.sentences, names=shared))
    held_tasks = [task(10_000 + index, document) for index, (document, _) in enumerate(held_out)]
    gold = [{(e["start"], e["end"], e["label"]) for e in record["entities"]} for _, record in held_out]

    with tempfile.TemporaryDirectory() as folder:
        backend = Backend(BaselineSource(LexiconStore(Path(folder))))
        print(
            f"held-out: {len(held_out)} synthetic documents sharing {arguments.names} invented names of each kind "
            f"with the annotated ones, plus {arguments.unseen} of each kind never annotated (seed {arguments.seed}); "
            "entity F1 = exact span and label, micro-averaged"
        )
        print(f"{'annotated':>9}  {'model':>12}  {'learned':>7}  {'P':>6}  {'R':>6}  {'F1':>6}")
        predicted, version = pre_annotate(backend, held_tasks)
        before = entity_f1(predicted, gold)
        print(f"{0:>9}  {version:>12}  {0:>7}  {before[0]:6.3f}  {before[1]:6.3f}  {before[2]:6.3f}")
        after = before
        done = 0
        for checkpoint in checkpoints:
            for number in range(done, checkpoint):
                submit(backend, number + 1, *annotated[number])
            done = checkpoint
            predicted, version = pre_annotate(backend, held_tasks)
            after = entity_f1(predicted, gold)
            learned = len(backend.source.lexicons.snapshot(PROJECT["id"])[1])
            print(f"{checkpoint:>9}  {version:>12}  {learned:>7}  {after[0]:6.3f}  {after[1]:6.3f}  {after[2]:6.3f}")
        print(f"entity F1 before: {before[2]:.3f}, after {checkpoints[-1]} annotated tasks: {after[2]:.3f}")

        documents = [document for document, _ in held_out]
        started = time.perf_counter()
        for document in documents:
            predict_document(document)
        alone = (time.perf_counter() - started) / len(documents)
        started = time.perf_counter()
        for one in held_tasks:
            backend.predict({"tasks": [one], "project": f"{PROJECT['id']}.0"})
        served = (time.perf_counter() - started) / len(held_tasks)
        print(
            f"one prediction request: {served * 1000:.2f} ms per task; the baseline alone (anchor): "
            f"{alone * 1000:.2f} ms; ratio {served / alone:.2f}"
        )


if __name__ == "__main__":
    main()
