"""Push and pull 5,000 synthetic pre-annotated documents through a real local Label Studio.

Anchor: one raw bulk import (``POST /api/projects/{id}/import``) of the same
tasks in a single request. The toolkit's push (which also lists the project's
tasks for idempotency, builds tasks lazily and imports in batches) should stay
within 1.5x of it. The pull exports a project holding one annotation per task
and converts all of them. Prints times, the ratio and the peak memory.

    .venv/bin/python benchmarks/bench_push_pull.py [--documents 5000] [--batch-size 500]

Scale run (``--scale``): projects of 5,000 and 50,000 synthetic documents
(``toolkit.dataset.synthetic``), each annotated by 3 users, created through the
API in bulk (tasks imported with their annotations and ``completed_by``), on
SQLite and on PostgreSQL (a throwaway cluster, as in the tests).  Each
``toolkit pull`` runs as its own process: its wall time and peak RSS are
measured, and the ratios 50k/5k printed.  Targets: peak RSS at 50,000 within
1.5x of the peak at 5,000; time per task flat (time ratio / size ratio near 1).

    .venv/bin/python benchmarks/bench_push_pull.py --scale [--sizes 5000,50000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from functools import partial
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


# --- scale run: pull time and peak memory at 5,000 and 50,000 documents, 3 annotators each ---

ROOT = Path(__file__).resolve().parent.parent
ANNOTATORS = ("ada@voci.bench", "bruno@voci.bench", "carla@voci.bench")
IMPORT_BATCH = 2000


def start_backend(backend: str, folder: Path):
    """A fresh Label Studio on ``backend`` (and its PostgreSQL cluster); returns (server, cluster or None)."""
    database = cluster = None
    if backend == "postgresql":
        sys.path.insert(0, str(ROOT / "tests"))
        from postgres_cluster import start_cluster

        from toolkit.labelstudio.database import parse_database_url

        cluster = start_cluster()
        database = parse_database_url(cluster.create_database("voci_bench", "voci", "bench-password"))
    server = prepare_server(folder / f"studio-{backend}", database=database)
    started, _ = timed(server.start)
    print(f"[{backend}] server start (fresh database): {started:.1f} s")
    return server, cluster


def annotated_tasks(count: int, user_ids: list[int]):
    """Synthetic documents as tasks, each with one submitted annotation (the gold) per annotator."""
    from toolkit.dataset.synthetic import synthetic_corpus
    from toolkit.labelstudio.tasks import record_to_result, task_data

    for index, (document, gold) in enumerate(synthetic_corpus(count, seed=count)):
        result = record_to_result(gold, document["text"])
        yield {
            "data": task_data(document),
            "annotations": [
                {"result": result, "completed_by": user_id, "lead_time": 20.0 + (index + offset) % 60}
                for offset, user_id in enumerate(user_ids)
            ],
        }


def import_project(server, studio, title: str, count: int, user_ids: list[int]) -> int:
    from toolkit.labelstudio.client import batched

    project, _ = ensure_project(studio, title, Path("docs/guidelines.md"))
    headers = {"Authorization": f"Token {server.api_key}"}
    for batch in batched(annotated_tasks(count, user_ids), IMPORT_BATCH):
        response = httpx.post(
            f"{server.url}/api/projects/{project.id}/import", json=batch, headers=headers, timeout=3600
        )
        response.raise_for_status()
    return project.id


# Linux charges a process's peak RSS with the memory of the process it was forked from (the exec'd image starts
# from it), and this benchmark holds hundreds of MB by then: the pull is started from a small launcher instead, and
# the launcher reports the pull's own peak.
LAUNCHER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(f'peak-rss-kib {usage.ru_maxrss}', file=sys.stderr)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def measured_pull(server, title: str, out: Path) -> tuple[float, float, str | None]:
    """`toolkit pull` as its own process: (wall seconds, peak RSS in MB, its error line if it failed)."""
    environment = dict(os.environ, LABEL_STUDIO_URL=server.url, LABEL_STUDIO_API_KEY=server.api_key)
    command = [str(Path(sys.executable).parent / "toolkit"), "pull", "--project", title, "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", LAUNCHER, *command], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    elapsed = time.perf_counter() - start
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    peak = float(lines.pop().split()[1]) / 1024 if lines and lines[-1].startswith("peak-rss-kib ") else float("nan")
    failure = f"exit {done.returncode}: {lines[-1] if lines else '(no output)'}" if done.returncode else None
    return elapsed, peak, failure


def server_peak_mb(server) -> float:
    """The Label Studio process's own peak RSS (VmHWM), for the record."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def scale_run(sizes: list[int], backends: list[str]) -> None:
    from toolkit.files import read_jsonl

    print(f"scale run: sizes {sizes}, {len(ANNOTATORS)} annotators per document, backends {backends}")
    figures: dict[tuple[str, int], tuple[float, float]] = {}  # only pulls that succeeded
    with tempfile.TemporaryDirectory(prefix="voci-bench-scale-") as folder:
        for backend in backends:
            server, cluster = start_backend(backend, Path(folder))
            try:
                studio = connect(server.url, server.api_key)
                user_ids = [
                    studio.sdk.users.create(email=email, username=email.split("@")[0]).id for email in ANNOTATORS
                ]
                for size in sizes:
                    title = f"scale-{size}"
                    setup, _ = timed(partial(import_project, server, studio, title, size, user_ids))
                    print(f"[{backend}] setup: {size} tasks x {len(ANNOTATORS)} annotations imported in {setup:.0f} s")
                    out = Path(folder) / f"pulled-{backend}-{size}"
                    seconds, peak, failure = measured_pull(server, title, out)
                    if failure:
                        print(
                            f"[{backend}] toolkit pull of {size} tasks FAILED after {seconds:.1f} s "
                            f"(peak RSS {peak:.0f} MB): {failure}"
                        )
                        continue
                    records = sum(len(read_jsonl(path)) for path in (out / "annotators").glob("*.jsonl"))
                    assert records == size * len(ANNOTATORS), (records, size)
                    figures[backend, size] = (seconds, peak)
                    print(
                        f"[{backend}] toolkit pull of {size} tasks ({records} annotations): {seconds:.1f} s, "
                        f"{seconds / size * 1000:.2f} s per 1,000 tasks, peak RSS {peak:.0f} MB "
                        f"(server peak so far {server_peak_mb(server):.0f} MB)"
                    )
            finally:
                server.stop()
                if cluster:
                    cluster.destroy()
    small, large = min(sizes), max(sizes)
    for backend in backends:
        if (backend, small) not in figures or (backend, large) not in figures:
            print(f"[{backend}] no ratio: a pull failed (above)")
            continue
        (time_small, rss_small), (time_large, rss_large) = figures[backend, small], figures[backend, large]
        growth = large / small
        print(
            f"[{backend}] {large}/{small}: time ratio {time_large / time_small:.2f} for {growth:.0f}x the tasks "
            f"(per-task time ratio {time_large / time_small / growth:.2f}, target about 1); "
            f"peak RSS ratio {rss_large / rss_small:.2f} (target <= 1.5)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--scale", action="store_true", help="run the scale run instead (see the module docstring)")
    parser.add_argument("--sizes", default="5000,50000", help="scale run: project sizes, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql", help="scale run: sqlite and/or postgresql")
    args = parser.parse_args()
    if args.scale:
        scale_run([int(size) for size in args.sizes.split(",")], [name for name in args.backends.split(",") if name])
        return

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
