"""Faults a team meets, on real servers, bounded in time and count: the database stopped during a pull, annotators
submitting while a pull runs, Label Studio killed in the middle of a push.

The moment of a fault is set by counting the HTTP requests the command sends (``httpx.Client.send``, which the SDK
uses), so it does not depend on how the command is written inside.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.synthetic import synthetic_corpus
from toolkit.files import read_jsonl, write_jsonl
from toolkit.labelstudio.tasks import record_to_result

pytestmark = pytest.mark.studio

WAIT_LIMIT = 120.0  # seconds: bounds for waiting on threads and servers, not claims about speed


def _run(studio, *args):
    return CliRunner().invoke(app, [str(arg) for arg in args], env=studio.env())


@contextlib.contextmanager
def before_request(monkeypatch, number: int, action: Callable[[], None], matches: Callable[[httpx.Request], bool]):
    """Run ``action`` just before the ``number``-th request that ``matches`` is sent from this process."""
    original = httpx.Client.send
    counter = itertools.count(1)

    def send(self, request, *args, **kwargs):
        if matches(request) and next(counter) == number:
            action()
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", send)
    try:
        yield
    finally:
        monkeypatch.setattr(httpx.Client, "send", original)


def _push(studio, tmp_path: Path, count: int, seed: int, options: tuple = ()) -> tuple[str, Path, dict]:
    title = studio.project_title("fault")
    pairs = list(synthetic_corpus(count, seed=seed))
    documents = tmp_path / "documents.jsonl"
    write_jsonl(documents, [document for document, _ in pairs])
    pushed = _run(studio, "push", documents, "--project", title, "--guidelines", tmp_path / "none.md", *options)
    assert pushed.exit_code == 0, pushed.output
    return title, documents, {document["id"]: gold for document, gold in pairs}


def _tasks(studio, title) -> dict[str, object]:
    (project,) = [p for p in studio.client.projects.list(title=title) if p.title == title]
    return {task.data["doc_id"]: task for task in studio.client.tasks.list(project=project.id, fields="all")}


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


# --- PostgreSQL stopped during a pull ---


@pytest.mark.parametrize("request_number", [2, 3, 4], ids=["at-project-lookup", "at-export", "at-download"])
def test_postgresql_stopped_during_a_pull(
    label_studio_postgresql, postgres_cluster, tmp_path, monkeypatch, request_number
):
    from postgres_cluster import wait_until_accepting

    studio = label_studio_postgresql
    title, documents, golds = _push(studio, tmp_path, 2, seed=request_number)
    tasks = _tasks(studio, title)
    first, second = sorted(tasks)
    studio.client.annotations.create(
        id=tasks[first].id, result=record_to_result(golds[first], tasks[first].data["text"])
    )
    out = tmp_path / "pulled"
    assert _run(studio, "pull", "--project", title, "--out", out).exit_code == 0
    converted_before = {name: content for name, content in _files(out).items() if not name.startswith("raw/")}
    studio.client.annotations.create(
        id=tasks[second].id, result=record_to_result(golds[second], tasks[second].data["text"])
    )

    on_our_server = lambda request: str(request.url).startswith(studio.url)  # noqa: E731
    try:
        with before_request(monkeypatch, request_number, postgres_cluster.stop, on_our_server):
            faulted = _run(studio, "pull", "--project", title, "--out", out)
        assert not postgres_cluster.running()
        assert faulted.exit_code == 3, faulted.output
        error = faulted.output.strip().splitlines()[-1]
        assert error.startswith("error: [E300]") and studio.url in error, faulted.output
        assert [line for line in faulted.output.splitlines() if "error" in line.lower()] == [error], faulted.output
        assert "Traceback" not in faulted.output and "<html" not in faulted.output
        after = _files(out)
        assert {name: content for name, content in after.items() if not name.startswith("raw/")} == converted_before
        assert not [name for name in after if name.endswith((".tmp", ".partial")) or "/." in name], after.keys()
        for name, content in after.items():
            if name.startswith("raw/"):
                json.loads(content)  # any snapshot kept is complete
    finally:
        if not postgres_cluster.running():
            postgres_cluster.start()
        wait_until_accepting(postgres_cluster)

    again = _run(studio, "pull", "--project", title, "--out", out, "--documents", documents)
    assert again.exit_code == 0, again.output
    records = read_jsonl(out / "annotators" / "admin-voci.local.jsonl")
    assert sorted(record["id"] for record in records) == [first, second]


# --- annotators submitting while a pull runs ---


def _annotation_ids(raw_path: Path) -> list[int]:
    return [annotation["id"] for task in json.loads(raw_path.read_bytes()) for annotation in task["annotations"]]


def _converted_ids(out: Path) -> list[int]:
    return [record["annotation_id"] for path in (out / "annotators").glob("*.jsonl") for record in read_jsonl(path)]


def test_annotators_submitting_while_pull_runs_lose_nothing_and_duplicate_nothing(label_studio_postgresql, tmp_path):
    """On PostgreSQL, the team backend: on SQLite, Label Studio answers such concurrent annotators with HTTP 500
    ("database is locked"), which is why docs/label-studio.md sends teams to PostgreSQL."""
    studio = label_studio_postgresql
    title, _, golds = _push(studio, tmp_path, 40, seed=11, options=("--overlap", "2"))
    project_id = next(iter(_tasks(studio, title).values())).project
    annotators = studio.annotators(title, 4, tmp_path / "passwords.json")
    submitted: list[tuple[float, int]] = []  # (when the server answered, annotation id)
    lock = threading.Lock()
    pull_done = threading.Event()
    failures: list[BaseException] = []
    most, after_pull = 12, 2  # per annotator: a bound, and how many to submit once the pull is over

    def work(annotator) -> None:
        mine = later = 0
        try:
            while mine < most and later < after_pull:
                task = annotator.next_task(project_id)
                if task is None:
                    return
                record = golds[task["data"]["doc_id"]]
                annotation = annotator.submit(task, record_to_result(record, task["data"]["text"]), 4.0)
                with lock:
                    submitted.append((time.monotonic(), annotation["id"]))
                mine += 1
                later += pull_done.is_set()
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(annotator,), daemon=True) for annotator in annotators]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WAIT_LIMIT
    while len(submitted) < len(annotators) and time.monotonic() < deadline and not failures:
        time.sleep(0.05)
    out = tmp_path / "pulled"
    started = time.monotonic()
    first = _run(studio, "pull", "--project", title, "--out", out)
    ended = time.monotonic()
    pull_done.set()
    for thread in threads:
        thread.join(WAIT_LIMIT)
    for annotator in annotators:
        annotator.close()
    assert not failures, failures
    assert not any(thread.is_alive() for thread in threads)
    assert first.exit_code == 0, first.output
    during = [identifier for moment, identifier in submitted if started < moment < ended]
    assert during, "no annotation was submitted while the pull ran: the test did not test concurrency"

    (raw_first,) = (out / "raw").iterdir()
    first_ids, first_converted = _annotation_ids(raw_first), _converted_ids(out)
    assert len(set(first_converted)) == len(first_converted) and sorted(first_converted) == sorted(first_ids)
    second = _run(studio, "pull", "--project", title, "--out", out)
    assert second.exit_code == 0, second.output
    (raw_second,) = [path for path in (out / "raw").iterdir() if path != raw_first]
    every = sorted(identifier for _, identifier in submitted)
    second_ids = _annotation_ids(raw_second)
    assert set(first_ids) <= set(every) and sorted(second_ids) == every, "each annotation is in this pull or the next"
    converted = _converted_ids(out)
    assert sorted(converted) == every, "converted once each, none lost"


# --- Label Studio killed in the middle of a push ---


def test_label_studio_killed_mid_push_then_rerun_completes_without_duplicates(any_label_studio, tmp_path, monkeypatch):
    studio = any_label_studio
    count, batch = 300, 25
    pairs = list(synthetic_corpus(count, seed=5))
    documents = tmp_path / "documents.jsonl"
    write_jsonl(documents, [document for document, _ in pairs])
    title = studio.project_title("killed")
    server = studio.server
    killer = threading.Timer(0.1, lambda: server.process.kill())  # SIGKILL while the server handles the import

    def an_import(request: httpx.Request) -> bool:
        return request.method == "POST" and request.url.path.endswith("/import")

    try:
        with before_request(monkeypatch, 4, killer.start, an_import):
            killed = _run(studio, "push", documents, "--project", title, "--batch-size", batch)
        assert killed.exit_code == 3, killed.output
        assert f"cannot reach Label Studio at {studio.url}" in killed.output and "Traceback" not in killed.output
    finally:
        killer.join(WAIT_LIMIT)
        server.process.wait(WAIT_LIMIT)
        studio.restart()

    rerun = _run(studio, "push", documents, "--project", title, "--batch-size", batch)
    assert rerun.exit_code == 0, rerun.output
    tasks = list(_tasks(studio, title).values())
    (project,) = [p for p in studio.client.projects.list(title=title) if p.title == title]
    assert len(list(studio.client.tasks.list(project=project.id))) == count
    assert sorted(task.data["doc_id"] for task in tasks) == sorted(document["id"] for document, _ in pairs)
    present = int(rerun.output.split(" task(s) created, ")[1].split(" already present")[0])
    assert 3 * batch <= present < count, rerun.output  # three batches were in before the kill, the rest came now
