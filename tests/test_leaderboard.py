"""The leaderboard: submissions scored by the real scorer, ranked, and written as Markdown, JSON and HTML."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from leaderboard_data import TEXTS, XSS_NAME, _board, _gold_record, _perfect, _submission
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.files import write_json, write_jsonl
from toolkit.leaderboard import load_submissions, rank
from toolkit.leaderboard.columns import STANCE_MACRO_F1
from toolkit.leaderboard.ranking import Entry
from toolkit.leaderboard.submissions import Submission
from toolkit.markdown import md_text
from toolkit.scoring.evaluate import evaluate

runner = CliRunner()


def test_ranking_ties_missing_layer_and_skipped(world):
    board, paths = _board(world)
    names = [(entry.rank, entry.tied, entry.submission.name) for entry in board.entries]
    assert names == [
        (1, True, "Perfect"),
        (1, True, "Twin of perfect"),
        (3, False, "Weaker"),
        (4, False, XSS_NAME),
        (5, False, "Entities only"),
    ]
    assert [entry.overall for entry in board.entries][:2] == [1.0, 1.0]
    assert board.entries[-1].overall is None and "no claims layer" in board.entries[-1].result["overall_reason"]
    skipped = {item.folder.name: item.reason for item in board.skipped}
    assert set(skipped) == {"f-bad-offsets", "g-bad-meta", "h-duplicate-name"}
    assert "predictions.jsonl:1: entities[0].end: 10000 is past the end of the text" in skipped["f-bad-offsets"]
    assert "meta.json: name: got number 42 (expected a non-empty string)" in skipped["g-bad-meta"]
    assert "'Weaker' is already used by" in skipped["h-duplicate-name"]
    assert [path.name for path in paths] == ["LEADERBOARD.md", "leaderboard.json", "index.html"]


def test_scores_are_the_scorers_own(world):
    """Every figure on the board is exactly what `toolkit eval` gives for the same files and settings."""
    board, _ = _board(world)
    for entry in board.entries:
        expected = evaluate(
            entry.submission.predictions, world / "gold.jsonl", world / "documents.jsonl", bootstrap=200, seed=7
        ).to_dict()
        assert entry.result == expected
    weaker = board.entries[2].result
    assert weaker["entities"]["strict"]["recall"] == pytest.approx(3 / 11)
    assert weaker["stance"]["confusion"]["matrix"][0][2] == 2  # two SUPPORT claims predicted NEUTRAL


def test_paired_significance_against_the_leader(world):
    board, _ = _board(world)
    twin, weaker, xss = board.entries[1], board.entries[2], board.entries[3]
    assert board.entries[0].versus_leader is None
    assert (
        twin.versus_leader["difference"] == 0 and twin.versus_leader["p_value"] == 1.0 and twin.not_significant is True
    )
    assert weaker.versus_leader["difference"] == pytest.approx(weaker.overall - 1.0)
    assert 0 < weaker.versus_leader["p_value"] <= 1
    assert xss.not_significant is (xss.versus_leader["p_value"] >= 0.05)
    assert board.entries[-1].versus_leader is None  # no overall, nothing to test


def test_without_bootstrap_there_are_no_intervals_and_no_tests(world):
    board, _ = _board(world, bootstrap=0)
    assert all(entry.versus_leader is None and entry.result["ci"] is None for entry in board.entries)
    markdown = (world / "out" / "LEADERBOARD.md").read_text(encoding="utf-8")
    assert "No bootstrap intervals" in markdown and "†" not in markdown.split("† the gap")[0]


def test_markdown_table(world):
    _board(world)
    markdown = (world / "out" / "LEADERBOARD.md").read_text(encoding="utf-8")
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| Rank | System | Overall | Entities F1 (strict) |")
    assert rows[1].startswith("| 1= | [Perfect](<https://example.org/perfect>) | 100.0 [100.0–100.0] |")
    assert rows[2].startswith("| 1= | Twin of perfect | 100.0 [100.0–100.0] † |")
    assert rows[5].startswith("| 5 | Entities only (no overall: the predictions have no claims layer")
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "javascript:" not in markdown  # a non-web URL is never made a link
    assert "- f-bad-offsets: " in markdown


def test_markdown_text_is_inert():
    assert (
        md_text("a | b\n<i>x</i> *y* [z](javascript:1)") == "a \\| b &lt;i&gt;x&lt;/i&gt; \\*y\\* \\[z\\](javascript:1)"
    )


def test_json_has_every_result_and_signature(world):
    _board(world)
    data = json.loads((world / "out" / "leaderboard.json").read_text(encoding="utf-8"))
    assert (
        data["signature"].startswith("voci-eval:") and "boot:200" in data["signature"] and "seed:7" in data["signature"]
    )
    assert [row["folder"] for row in data["ranking"]] == ["a-perfect", "b-twin", "c-weaker", "d-xss", "e-entities-only"]
    for row in data["ranking"]:
        assert row["result"]["signature"] == data["signature"]
        assert set(row["result"]) >= {"entities", "claims", "claimer", "stance", "end_to_end", "overall", "ci"}
    assert data["ranking"][0]["meta"]["authors"] == ["Ada Lovelace"]
    assert [row["folder"] for row in data["skipped"]] == ["f-bad-offsets", "g-bad-meta", "h-duplicate-name"]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_and_escaped(world):
    _board(world)
    page = (world / "out" / "index.html").read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(page)
    tags = [tag for tag, _ in parser.tags]
    assert "script" not in tags and "img" not in tags and "link" not in tags and "iframe" not in tags
    assert not any(key.startswith("on") for _, attrs in parser.tags for key in attrs)
    references = [value for _, attrs in parser.tags for key, value in attrs.items() if key in {"src", "href"}]
    assert references == [
        "https://example.org/perfect"
    ]  # the only link is the submission's web URL; javascript: is dropped
    assert "default-src 'none'" in page
    assert XSS_NAME in "".join(parser.text)  # shown as text
    assert (
        tags.count("svg") >= 1 + 5 + 4 + 4
    )  # interval plot, five table bars, per-label bars and heatmaps of the four with layers
    definitions = [attrs["title"] for tag, attrs in parser.tags if tag == "th" and "title" in attrs]
    assert definitions.count(STANCE_MACRO_F1) == 2  # the headline and the layer table say which labels count


def test_rank_orders_ties_and_undefined():
    def entry(name, overall):
        return Entry(Submission(Path(name), name, {"name": name}), {"overall": overall})

    ordered = rank([entry("c", None), entry("b", 0.5), entry("a", 0.5), entry("d", 0.7), entry("e", 0.5 + 1e-13)])
    assert [(e.submission.name, e.rank, e.tied) for e in ordered] == [
        ("d", 1, False),
        ("a", 2, True),
        ("b", 2, True),
        ("e", 2, True),
        ("c", 5, False),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "meta.json:1: invalid JSON"),
        ("[1]", "got a JSON array (expected a JSON object)"),
        ('{"authors": "x"}', "name: missing"),
        ('{"name": "  "}', "name: got string"),
        (
            '{"name": "x", "code": "import os"}',
            "code: unexpected field (expected only: name, authors, url, description, date)",
        ),
        ('{"name": "x", "authors": ["a", 3]}', "authors: got array"),
    ],
)
def test_bad_meta_is_skipped_with_its_reason(tmp_path, content, message):
    _submission(tmp_path, "one", content, [])
    _submission(tmp_path, "two", {"name": "fine"}, [])
    submissions, skipped = load_submissions(tmp_path)
    assert [s.name for s in submissions] == ["fine"]
    assert len(skipped) == 1 and skipped[0].folder.name == "one" and message in skipped[0].reason


def test_missing_predictions_is_skipped(tmp_path):
    (tmp_path / "empty").mkdir()
    write_json(tmp_path / "empty" / "meta.json", {"name": "Empty"})
    submissions, skipped = load_submissions(tmp_path)
    assert submissions == [] and "predictions.jsonl: file not found" in skipped[0].reason


def test_cli(world):
    out = world / "cli-out"
    result = runner.invoke(
        app,
        [
            "leaderboard",
            str(world / "submissions"),
            "--gold",
            str(world / "gold.jsonl"),
            "--documents",
            str(world / "documents.jsonl"),
            "--out",
            str(out),
            "--bootstrap",
            "50",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "leaderboard: 5 ranked, 3 skipped" in result.output
    assert "skipped " in result.output and "f-bad-offsets" in result.output
    assert sorted(path.name for path in out.iterdir()) == ["LEADERBOARD.md", "index.html", "leaderboard.json"]


def test_cli_bad_gold_stops_with_one_line(world, tmp_path):
    bad_gold = tmp_path / "bad-gold.jsonl"
    bad_gold.write_text('{"id": "doc-a"}\n', encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "leaderboard",
            str(world / "submissions"),
            "--gold",
            str(bad_gold),
            "--documents",
            str(world / "documents.jsonl"),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2
    assert "bad-gold.jsonl:1: text_sha256: missing" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_cli_not_a_folder(tmp_path):
    result = runner.invoke(
        app,
        ["leaderboard", str(tmp_path / "nope"), "--gold", str(tmp_path / "g.jsonl"), "--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 2 and "nope: not a folder (expected a folder of submissions" in result.output


def test_ranking_on_one_split_scores_only_that_split(tmp_path):
    """--split ranks on the split's documents; predictions for the other splits' documents are not errors."""
    documents = {
        doc_id: make_document(doc_id, text, "it", split="test" if doc_id == "doc-b" else "train")
        for doc_id, text in TEXTS.items()
    }
    write_jsonl(tmp_path / "documents.jsonl", documents.values())
    gold = [_gold_record(doc_id, document) for doc_id, document in documents.items()]
    write_jsonl(tmp_path / "gold.jsonl", gold)
    perfect = [_perfect(record, documents[record["id"]]) for record in gold]
    good_on_test = [
        record if record["id"] == "doc-b" else {"id": record["id"], "entities": [], "claims": []} for record in perfect
    ]
    _submission(tmp_path / "subs", "good-on-test", {"name": "Good on test"}, good_on_test)
    _submission(
        tmp_path / "subs",
        "good-on-train",
        {"name": "Good on train"},
        [r for r in perfect if r["id"] != "doc-b"] + [{"id": "doc-b", "entities": [], "claims": []}],
    )
    result = runner.invoke(
        app,
        [
            "leaderboard",
            str(tmp_path / "subs"),
            "--gold",
            str(tmp_path / "gold.jsonl"),
            "--documents",
            str(tmp_path / "documents.jsonl"),
            "--split",
            "test",
            "--out",
            str(tmp_path / "board"),
            "--bootstrap",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    board = json.loads((tmp_path / "board" / "leaderboard.json").read_text(encoding="utf-8"))
    ranked = [(entry["name"], entry["result"]["n_documents"], entry["result"]["overall"]) for entry in board["ranking"]]
    assert ranked[0] == ("Good on test", 1, 1.0)
    assert ranked[1][0] == "Good on train" and ranked[1][1] == 1 and ranked[1][2] == 0.0
    assert board["settings"]["split"] == "test"


def test_gold_is_read_once_for_all_submissions(world, monkeypatch):
    from toolkit.scoring.gold import loading as module

    reads = []
    original = module._load_jsonl_gold
    monkeypatch.setattr(module, "_load_jsonl_gold", lambda *args: reads.append(args) or original(*args))
    board, _ = _board(world)
    assert len(board.entries) == 5 and len(reads) == 1
