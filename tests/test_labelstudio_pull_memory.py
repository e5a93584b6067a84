"""A pull converts its export task by task: the memory it needs does not grow with the project.

Peak traced allocations (tracemalloc) of converting a synthetic export of N tasks vs 10 N tasks; the same
measurement of reading the export whole (what a non-streaming pull does) grows tenfold, so the comparison can fail.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path

from toolkit.documents import make_document
from toolkit.files import read_jsonl
from toolkit.labelstudio.annotations.store import iter_export
from toolkit.labelstudio.annotations.writing import convert_export
from toolkit.labelstudio.tasks import record_to_result, task_data

ANNOTATORS = ("anna@example.org", "bob@example.org", "carla@example.org")
SENTENCE = "Secondo il ministro Mario Rossi il PIL crescerà del 2% nel 2025, ma i media ne dubitano. "
SMALL, LARGE = 40, 400


def _write_export(path: Path, tasks: int) -> None:
    """A JSON export like Label Studio's: each task with three annotators' annotations, written task by task."""
    text = SENTENCE * 12
    person, claim = text.index("Mario Rossi"), text.index("il PIL crescerà del 2% nel 2025")
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for number in range(tasks):
            document = make_document(f"doc-{number:06d}", text, "it")
            record = {
                "entities": [{"id": "e1", "start": person, "end": person + 11, "label": "PER"}],
                "claims": [
                    {
                        "id": "c1",
                        "start": claim,
                        "end": claim + 31,
                        "stance": "SUPPORT",
                        "claimer": {"kind": "entity", "entity_ids": ["e1"]},
                    }
                ],
            }
            annotations = [
                {
                    "id": number * 10 + user,
                    "completed_by": {"id": user, "email": email},
                    "result": record_to_result(record, text),
                    "was_cancelled": False,
                    "lead_time": 30.5,
                    "created_at": "2026-01-01T10:00:00Z",
                }
                for user, email in enumerate(ANNOTATORS, start=1)
            ]
            task = {"id": number + 1, "project": 1, "data": task_data(document), "annotations": annotations}
            handle.write(("," if number else "") + json.dumps(task, ensure_ascii=False))
        handle.write("]")


def _peak(work) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_conversion_memory_stays_flat_while_reading_whole_grows(tmp_path):
    exports = {size: tmp_path / f"export-{size}.json" for size in (SMALL, LARGE)}
    for size, path in exports.items():
        _write_export(path, size)
    convert_export(iter_export(exports[SMALL]), tmp_path / "warm-up")  # inventory, schemas, parser: loaded once
    streamed = {
        size: _peak(lambda path=path, size=size: convert_export(iter_export(path), tmp_path / f"out-{size}"))
        for size, path in exports.items()
    }
    whole = {size: _peak(lambda path=path: json.loads(path.read_bytes())) for size, path in exports.items()}

    # the work was done: every annotator has every document
    for size in (SMALL, LARGE):
        for email in ANNOTATORS:
            records = read_jsonl(tmp_path / f"out-{size}" / "annotators" / f"{email.replace('@', '-')}.jsonl")
            assert len(records) == size and records[0]["claims"][0]["claimer"]["entity_ids"] == ["e1"]
    ratio = streamed[LARGE] / streamed[SMALL]
    print(f"\npeak traced bytes: streamed {streamed}, ratio {ratio:.2f}; whole {whole}")
    assert whole[LARGE] > 8 * whole[SMALL], "the measurement sees memory that grows with the export"
    assert ratio < 1.5, f"conversion memory grew {ratio:.2f}x for 10x the tasks: {streamed}"
