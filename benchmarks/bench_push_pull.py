"""Push and pull 5,000 synthetic pre-annotated documents through a real local Label Studio.

Anchor: one raw bulk import (``POST /api/projects/{id}/import``) of the same
tasks in a single request. The toolkit's push (which also lists the project's
tasks for idempotency, builds tasks lazily and imports in batches) should stay
within 1.5x of it. The pull exports a project holding one annotation per task
and converts all of them. Prints times, the ratio and the peak memory.

    .venv/bin/python benchmarks/bench_push_pull.py [--documents 5000] [--batch-size 500]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import httpx

from toolkit.cli._progress import progress_bar
from toolkit.documents import make_document
from toolkit.labelstudio.client import connect, ensure_project, pull, push
from toolkit.labelstudio.server import prepare_server
from toolkit.labelstudio.tasks import Preannotations, iter_tasks, prediction_to_result

SENTENCE = "Il ministro Mario Rossi ha incontrato a Roma i rappresentanti dell’ONU il 12 giugno, secondo l’ANSA. "
FILLER = (
    "La cooperazione economica tra i due Paesi è aumentata in modo notevole negli ultimi anni, "
    "riportano i media locali. "
)
CLAIM = "la crescita supererà il 2% quest’anno"
SPOKEN = f"Rossi ha detto che {CLAIM}. "


def synthetic_corpus(count: int) -> tuple[dict, dict]:
    """Documents of about 1,800 characters, each with 10 predicted spans (8 entities, 2 claims)."""
    documents, predictions = {}, {}
    for index in range(count):
        text = f"Notizia {index}. " + SENTENCE + SPOKEN + FILLER * 12 + SENTENCE
        document = make_document(f"bench-{index:05d}", text, "it")
        documents[document["id"]] = document
        second = text.rindex("Mario Rossi")

        def span(fragment: str, label: str, start_at: int = 0, text=text) -> dict:
            start = text.index(fragment, start_at)
            return {"start": start, "end": start + len(fragment), "label": label}

        entities = [
            span("Mario Rossi", "PER"),
            span("Roma", "GPE"),
            span("ONU", "ORG"),
            span("12 giugno", "DATE"),
            span("ANSA", "ORG"),
            span("Rossi", "PER", text.index(SPOKEN)),
            span("Mario Rossi", "PER", second),
            span("Roma", "GPE", second),
        ]
        claimer = entities[5]
        claim = text.index(CLAIM)
        filler = text.index(FILLER)
        claims = [
            {
                "start": claim,
                "end": claim + len(CLAIM),
                "stance": "SUPPORT",
                "claimer": {"start": claimer["start"], "end": claimer["end"]},
            },
            {"start": filler, "end": filler + len(FILLER) - 2, "stance": "NEUTRAL", "claimer": "UNNAMED"},
        ]
        predictions[document["id"]] = {"id": document["id"], "entities": entities, "claims": claims}
    return documents, predictions


def timed(action):
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    documents, predictions = synthetic_corpus(args.documents)
    preannotations = Preannotations(kind="prediction", by_id=predictions, model_version="bench")
    average = sum(len(d["text"]) for d in documents.values()) / len(documents)
    print(f"corpus: {len(documents)} documents, {average:.0f} characters each on average, 10 pre-annotated spans each")

    with tempfile.TemporaryDirectory(prefix="voci-bench-") as folder:
        server = prepare_server(Path(folder) / "studio")
        startup, _ = timed(server.start)
        print(f"server start (fresh data dir): {startup:.1f} s")
        try:
            studio = connect(server.url, server.api_key)
            guidelines = Path("docs/guidelines.md")

            anchor_project, _ = ensure_project(studio, "anchor", guidelines)
            raw_tasks = list(iter_tasks(documents.values(), preannotations))
            headers = {"Authorization": f"Token {server.api_key}"}

            def raw_import(project_id: int, tasks: list) -> None:
                response = httpx.post(
                    f"{server.url}/api/projects/{project_id}/import", json=tasks, headers=headers, timeout=1200
                )
                response.raise_for_status()

            anchor, _ = timed(lambda: raw_import(anchor_project.id, raw_tasks))
            print(f"anchor: one raw bulk import of {len(raw_tasks)} tasks: {anchor:.1f} s")

            def push_with_bar():
                with progress_bar("importing") as progress:
                    return push(
                        studio,
                        "pushed",
                        documents,
                        preannotations,
                        guidelines=guidelines,
                        batch_size=args.batch_size,
                        progress=progress,
                    )

            pushed, report = timed(push_with_bar)
            assert report.created == len(documents), report
            print(
                f"toolkit push into a new project ({args.batch_size} tasks per batch, progress bar on stderr): "
                f"{pushed:.1f} s  ratio {pushed / anchor:.2f}x (target <= 1.5x)"
            )

            again, report = timed(
                lambda: push(
                    studio, "pushed", documents, preannotations, guidelines=guidelines, batch_size=args.batch_size
                )
            )
            assert report.created == 0 and report.unchanged == len(documents), report
            print(f"toolkit push again (lists the {len(documents)} tasks on the server, sends nothing): {again:.1f} s")

            annotated_project, _ = ensure_project(studio, "annotated", guidelines)
            annotated = [
                {
                    "data": task["data"],
                    "annotations": [
                        {"result": prediction_to_result(predictions[task["data"]["doc_id"]], task["data"]["text"])}
                    ],
                }
                for task in raw_tasks
            ]
            setup, _ = timed(lambda: raw_import(annotated_project.id, annotated))
            print(f"(setup: raw import of {len(annotated)} tasks with one annotation each: {setup:.1f} s)")
            pulled, result = timed(lambda: pull(studio, "annotated", Path(folder) / "pulled"))
            conversion = result.conversion
            assert conversion.records == len(documents) and not conversion.problems, (
                conversion.records,
                conversion.problems[:3],
            )
            print(
                f"toolkit pull (export + raw snapshot + conversion of {conversion.records} annotations): {pulled:.1f} s"
            )
        finally:
            server.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
