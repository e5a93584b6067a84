"""The short way of reading predictions (`toolkit.scoring.shortway`) on the cases a random corpus rarely makes.

`tests/test_scoring_engines.py` checks on random valid and mutated predictions that the short way accepts exactly
what the validator accepts and reads the same thing; here are the edge cases by hand.  Every test that reads runs
twice: in one process, and in two halves (the second in a forked child).
"""

from __future__ import annotations

import pytest

from toolkit.errors import ValidationError
from toolkit.files import dumps_line
from toolkit.scoring import shortway
from toolkit.scoring.engines import thresholds
from toolkit.scoring.gold.gold import Gold
from toolkit.scoring.predictions import read_predictions, validated
from toolkit.scoring.spans import ClaimColumns, EntityColumns

TEXTS = {
    "a": "Mario Rossi ha detto che Roma e Milano crescono. Lo conferma Rossi, e il governo nega.",
    "b": "Perché è così? Lo dice l'ISTAT: più 3% nel 2024.",
    "c.1": "Breve.",
}


@pytest.fixture(params=["one process", "two halves"], autouse=True)
def halves(request, forking) -> list:
    """In "two halves", every file is read in two halves and the children started are recorded."""
    return forking(thresholds, "PARALLEL_BYTES") if request.param == "two halves" else []


def make_gold() -> Gold:
    ids = list(TEXTS)
    documents = {doc_id: {"id": doc_id, "text": text, "text_sha256": "0" * 64} for doc_id, text in TEXTS.items()}
    return Gold(
        "gold.jsonl",
        None,
        documents,
        ids,
        EntityColumns.from_documents([[] for _ in ids]),
        ClaimColumns.from_documents([[] for _ in ids]),
    )


def check(path, gold, name, ignore_extra=False):
    """``(short way or None, the validator's problems)``; the short way is never more lenient than the validator."""
    fast = shortway.read_file(path, gold, ignore_extra)
    try:
        validated(path, gold, ignore_extra)
        problems = []
    except ValidationError as error:
        problems = error.lines()
    assert fast is None or not problems, (name, problems)
    return fast, problems


def test_ignore_extra_lists_the_same_documents(tmp_path):
    gold = make_gold()
    path = tmp_path / "p.jsonl"
    path.write_text(
        "".join(map(dumps_line, [{"id": "zzz", "whatever": [1]}, {"id": "a", "entities": []}, {"id": "yyy"}])),
        encoding="utf-8",
    )
    fast, problems = check(path, gold, "ignore extra", ignore_extra=True)
    assert fast is not None and fast.extra == ["yyy", "zzz"] and fast.present == {0}


def test_invalid_file_messages_come_from_the_validator(tmp_path):
    gold = make_gold()
    path = tmp_path / "p.jsonl"
    path.write_text(dumps_line({"id": "a", "entities": [{"start": True, "end": 3, "label": "PER"}]}), encoding="utf-8")
    with pytest.raises(ValidationError) as raised:
        read_predictions(path, gold, ignore_extra=False, short_way=True)
    assert raised.value.lines()[0] == f"{path}:1: entities[0].start: got boolean True (expected integer)"


@pytest.mark.parametrize("key", ['"text"', '"te\\u0078t"'])
def test_an_entity_text_that_does_not_match_is_refused_however_its_key_is_written(tmp_path, key):
    gold = make_gold()
    path = tmp_path / "p.jsonl"
    path.write_bytes(
        ('{"id": "a", "entities": [{"start": 0, "end": 5, "label": "PER", ' + key + ': "Mario Rossi"}]}\n').encode()
    )
    fast, problems = check(path, gold, "escaped text key")
    assert fast is None and problems == [
        f"{path}:1: entities[0].text: 'Mario Rossi' does not match the document text[0:5] = 'Mario'"
    ]


def test_a_document_in_both_halves_is_refused(tmp_path, halves):
    gold = make_gold()
    path = tmp_path / "p.jsonl"
    path.write_text(
        "".join(
            map(dumps_line, [{"id": "a", "entities": []}, {"id": "b", "entities": []}, {"id": "a", "entities": []}])
        ),
        encoding="utf-8",
    )
    fast, problems = check(path, gold, "a document twice")
    assert fast is None and any("'a'" in line for line in problems)


def test_the_command_line_process_may_read_in_two_halves():
    """`toolkit` keeps numpy's BLAS to one thread, so the process has one OS thread and `can_fork` holds (Linux)."""
    import os
    import subprocess
    import sys

    if not os.path.isdir("/proc/self/task"):
        pytest.skip("no /proc: files are read in one process here")
    code = (
        "import sys\nfrom toolkit.cli import main\nsys.argv = ['toolkit', 'eval', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import msgspec, numpy\nfrom toolkit.scoring.forked import can_fork\nprint('can fork:', can_fork())"
    )
    environment = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True)
    assert run.stdout.strip().endswith("can fork: True")
