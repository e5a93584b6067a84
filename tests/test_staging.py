"""The mechanisms under every command: the path guard, the staged writer, the redaction and the Markdown escaper."""

from __future__ import annotations

import os

import pytest

from toolkit import staging
from toolkit.display import for_terminal, redact_secrets, redact_url
from toolkit.errors import ConflictError, ConversionError, OutputError, Problem
from toolkit.files import append_text, write_text
from toolkit.markdown import md_code, md_text
from toolkit.pathguard import FILES, FOLDER, Input, Output, PathPlan
from toolkit.staging import UndeclaredOutput, staged


def test_outputs_appear_together_only_when_the_block_succeeds(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "sub" / "b.txt"
    plan = PathPlan([], [Output("--a", first), Output("--b", second)])
    with pytest.raises(RuntimeError), staged(plan):
        write_text(first, "one")
        assert not first.exists()  # staged, not yet in place
        raise RuntimeError("later failure")
    assert not first.exists() and not (tmp_path / "sub").exists()
    assert os.listdir(tmp_path) == []  # no staged copy left behind
    with staged(plan):
        write_text(first, "one")
        write_text(second, "two")
    assert first.read_text() == "one" and second.read_text() == "two"


def test_ctrl_c_writes_nothing(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("previous")
    with pytest.raises(KeyboardInterrupt), staged(PathPlan([], [Output("--out", target)])):
        write_text(target, "new")
        raise KeyboardInterrupt
    assert target.read_text() == "previous" and os.listdir(tmp_path) == ["out.txt"]


def test_a_failed_move_puts_back_what_was_replaced(tmp_path, monkeypatch):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("old a")
    second.write_text("old b")
    real_replace = os.replace
    moves = []

    def failing_second_move(source, target):
        moves.append(target)
        if len(moves) == 2:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(staging.os, "replace", failing_second_move)
    plan = PathPlan([], [Output("--a", first), Output("--b", second)])
    with pytest.raises(OutputError, match=r"--b .*b.txt: cannot write .*\(no space left on the device\)"), staged(plan):
        write_text(first, "new a")
        write_text(second, "new b")
    assert first.read_text() == "old a" and second.read_text() == "old b"  # the first move was undone
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


def test_a_folder_output_is_replaced_whole(tmp_path):
    out = tmp_path / "built"
    (out / "old").mkdir(parents=True)
    (out / "old" / "file").write_text("from before")
    with staged(PathPlan([], [Output("--out", out, FOLDER)])) as run:
        folder = run.folder(out)
        (folder / "new").write_text("fresh")
        write_text(out / "README.md", "card")  # a path inside the output goes to the staged folder
        assert not (out / "new").exists()
    assert sorted(os.listdir(out)) == ["README.md", "new"]


def test_a_nested_plan_joins_and_an_undeclared_write_is_a_bug(tmp_path):
    out, other = tmp_path / "out", tmp_path / "other.txt"
    with staged(PathPlan([], [Output("--out", out, FILES, ("a.txt", "sub/"))])):
        with staged(PathPlan([], [Output("--extra", tmp_path / "extra.txt")])):
            write_text(tmp_path / "extra.txt", "joined")
        write_text(out / "sub" / "deep" / "x.txt", "in a region")
        with pytest.raises(UndeclaredOutput):
            write_text(other, "nobody said")
        assert not (tmp_path / "extra.txt").exists()  # committed with the outer run
    assert (tmp_path / "extra.txt").read_text() == "joined"
    assert (out / "sub" / "deep" / "x.txt").read_text() == "in a region" and not other.exists()


def test_a_nested_plan_is_checked_against_the_outer_inputs(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("input")
    outer, inner = PathPlan([Input("SOURCE", source)], []), PathPlan([], [Output("--out", source)])
    with pytest.raises(ConflictError, match="--out .*in.txt: is the same file as SOURCE"), staged(outer), staged(inner):
        pass


def test_an_error_that_keeps_outputs_commits_them(tmp_path):
    target = tmp_path / "problems.txt"
    with pytest.raises(ConversionError), staged(PathPlan([], [Output("--out", target)])):
        write_text(target, "listed")
        raise ConversionError([Problem("x", 0, "f", "m")], "summary")
    assert target.read_text() == "listed"


def test_guard_messages_name_both_options(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "in.jsonl").write_text("{}\n")
    cases = [
        (PathPlan([Input("--gold", data / "in.jsonl")], [Output("--out", data / "in.jsonl")]), "is the same file as"),
        (PathPlan([Input("SUBMISSIONS", data)], [Output("--out", data / "x.md")]), "is inside SUBMISSIONS"),
        (PathPlan([Input("--documents", data / "in.jsonl")], [Output("--out", data, FOLDER)]), "holds --documents"),
        (PathPlan([], [Output("--a", tmp_path / "o"), Output("--b", tmp_path / "o")]), "--a .* and --b .*: both"),
    ]
    for plan, message in cases:
        with pytest.raises(ConflictError, match=message):
            plan.check()
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(Exception, match="PATH .*pipe: is a FIFO"):
        PathPlan([Input("PATH", tmp_path / "pipe")], []).check()


def test_append_adds_the_missing_line_feed_and_keeps_the_rest(tmp_path):
    path = tmp_path / "documents.jsonl"
    path.write_bytes(b'{"id": "a"}\n\n{"id": "b"}')
    append_text(path, '{"id": "c"}\n')
    assert path.read_bytes() == b'{"id": "a"}\n\n{"id": "b"}\n{"id": "c"}\n'


def test_secrets_in_urls_are_redacted():
    assert redact_url("http://user:PASSWORD@host:9/x") == "http://***@host:9/x"
    assert redact_url("https://h/p?token=T&page=2&api_key=K#access_token=A") == (
        "https://h/p?token=***&page=2&api_key=***#access_token=***"
    )
    assert redact_url("https://h/p?q=1") == "https://h/p?q=1"
    message = "cannot reach http://a:b@x (see https://y/?X-Amz-Signature=S)"
    assert redact_secrets(message) == "cannot reach http://***@x (see https://y/?X-Amz-Signature=***)"
    assert for_terminal("name\x1b[31m\x07\r") == "name\\u001b[31m\\u0007\\u000d"


def test_markdown_folds_every_line_break_and_drops_controls():
    assert md_text("a\rb\r\nc\u2028d") == "a b c d"
    assert md_text("x\x1b[31m\x07y\u202e") == "x\\[31my"
    assert md_text("# h <img> |") == "\\# h &lt;img&gt; \\|"
    assert md_code("plain") == "`plain`"
    assert md_code("a ` b") == "``a ` b``"
    assert md_code("`x`") == "`` `x` ``"
    assert md_code("a|b", in_table=True) == "`a\\|b`"
    assert md_code("line\n# heading") == "`line # heading`"


def test_option_enums_match_their_registries():
    from toolkit.cli._options import RecordKind, TableFormat
    from toolkit.schemas import KINDS
    from toolkit.scoring.formatting import FORMATTERS

    assert [kind.value for kind in RecordKind] == list(KINDS)
    assert [name.value for name in TableFormat] == list(FORMATTERS)
