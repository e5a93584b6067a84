"""`toolkit ingest`: every source format, normalisation, idempotence, conflicts."""

from __future__ import annotations

import http.server
import json
import threading
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import text_sha256
from toolkit.files import read_jsonl

runner = CliRunner()

ARTICLE_HTML = """<!doctype html><html lang="it"><head><title>Vertice a Roma</title>
<meta property="og:site_name" content="Giornale di Prova"><meta name="date" content="2024-06-12"></head>
<body><nav>Home | Esteri | Sport</nav><article><h1>Vertice a Roma</h1>
<p>Il ministro degli Esteri ha detto che l’accordo sarà firmato entro giugno, secondo fonti \
diplomatiche vicine al governo italiano.</p>
<p>La Commissione europea non ha confermato la notizia, ma ha ribadito che i negoziati \
proseguono con tutti i partner interessati.</p>
</article><footer>© Giornale di Prova</footer></body></html>"""


def ingest(*args: str):
    return runner.invoke(app, ["ingest", *args])


def test_txt_is_normalised_and_hashed(tmp_path):
    source = tmp_path / "Articolo Uno.txt"
    decomposed = unicodedata.normalize("NFD", "Città di Roma.\r\nSeconda riga è qui.\r\n")
    source.write_bytes(decomposed.encode("utf-8"))
    out = tmp_path / "documents.jsonl"
    result = ingest(str(source), "--out", str(out), "--lang", "it", "--license", "CC-BY-4.0")
    assert result.exit_code == 0, result.output
    [document] = read_jsonl(out)
    assert document["id"] == "articolo-uno"
    assert document["text"] == "Città di Roma.\nSeconda riga è qui."
    assert unicodedata.is_normalized("NFC", document["text"])
    assert document["text_sha256"] == text_sha256(document["text"])
    assert document["license"] == "CC-BY-4.0"
    assert "1 added, 0 already present" in result.stderr


def test_title_line_only_when_flagged(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("Il titolo\nIl corpo dell'articolo.\n", encoding="utf-8")
    out = tmp_path / "d.jsonl"
    assert ingest(str(source), "--out", str(out), "--title-line").exit_code == 0
    [document] = read_jsonl(out)
    assert document["title"] == "Il titolo"
    assert document["text"] == "Il corpo dell'articolo."


def test_second_run_adds_only_new_documents_and_keeps_old_lines(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("Primo testo.", encoding="utf-8")
    second.write_text("Secondo testo.", encoding="utf-8")
    out = tmp_path / "d.jsonl"
    assert ingest(str(first), "--out", str(out)).exit_code == 0
    before = out.read_bytes()
    result = ingest(str(first), str(second), "--out", str(out))
    assert result.exit_code == 0
    assert "1 added, 1 already present" in result.stderr
    assert out.read_bytes().startswith(before)
    assert [d["id"] for d in read_jsonl(out)] == ["a", "b"]
    unchanged = out.read_bytes()
    assert ingest(str(first), str(second), "--out", str(out)).exit_code == 0
    assert out.read_bytes() == unchanged


def test_same_id_with_different_text_stops_and_writes_nothing(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("Primo testo.", encoding="utf-8")
    out = tmp_path / "d.jsonl"
    assert ingest(str(source), "--out", str(out)).exit_code == 0
    before = out.read_bytes()
    source.write_text("Testo cambiato.", encoding="utf-8")
    other = tmp_path / "c.txt"
    other.write_text("Altro.", encoding="utf-8")
    result = ingest(str(other), str(source), "--out", str(out))
    assert result.exit_code == 2
    assert f"{out}: id: document 'a' already exists with different text" in result.stderr
    assert out.read_bytes() == before
    assert list(tmp_path.glob(".d.jsonl*")) == []


def test_jsonl_and_csv_sources(tmp_path):
    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_text(
        json.dumps({"id": "n1", "text": "Uno.", "title": "T1", "published": "2024-01-02"})
        + "\n"
        + json.dumps({"text": "Due."})
        + "\n",
        encoding="utf-8",
    )
    csv_file = tmp_path / "tabella.csv"
    csv_file.write_text('id,body,source\nx9,"Tre, con virgola.",ANSA\n', encoding="utf-8")
    out = tmp_path / "d.jsonl"
    assert ingest(str(jsonl), "--out", str(out)).exit_code == 0
    assert ingest(str(csv_file), "--out", str(out), "--text-field", "body").exit_code == 0
    documents = {d["id"]: d for d in read_jsonl(out)}
    assert set(documents) == {"n1", "batch-2", "x9"}
    assert documents["n1"]["title"] == "T1" and documents["n1"]["published"] == "2024-01-02"
    assert documents["x9"]["text"] == "Tre, con virgola." and documents["x9"]["source"] == "ANSA"


def test_csv_without_text_column_names_the_column(tmp_path):
    csv_file = tmp_path / "t.csv"
    csv_file.write_text("id,corpo\n1,testo\n", encoding="utf-8")
    result = ingest(str(csv_file), "--out", str(tmp_path / "d.jsonl"))
    assert result.exit_code == 2
    assert f"{csv_file}:1: text: no such column" in result.stderr


def test_jsonl_row_without_text_is_located(tmp_path):
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text('{"id": "a", "text": "ok"}\n{"id": "b", "body": "x"}\n', encoding="utf-8")
    result = ingest(str(jsonl), "--out", str(tmp_path / "d.jsonl"))
    assert result.exit_code == 2
    assert f"{jsonl}:2: text: missing or empty" in result.stderr
    assert not (tmp_path / "d.jsonl").exists()


def test_non_utf8_text_file(tmp_path):
    source = tmp_path / "latin1.txt"
    source.write_bytes("Prima riga\nCittà".encode("latin-1"))
    result = ingest(str(source), "--out", str(tmp_path / "d.jsonl"))
    assert result.exit_code == 2
    assert f"{source}:2: (line): byte 0xe0 is not UTF-8" in result.stderr
    assert "Traceback" not in result.output


def test_unsupported_suffix(tmp_path):
    source = tmp_path / "a.docx"
    source.write_bytes(b"x")
    result = ingest(str(source), "--out", str(tmp_path / "d.jsonl"))
    assert result.exit_code == 2
    assert "unsupported source type '.docx'" in result.stderr


def test_html_file_text_and_metadata(tmp_path):
    page = tmp_path / "vertice.html"
    page.write_text(ARTICLE_HTML, encoding="utf-8")
    out = tmp_path / "d.jsonl"
    result = ingest(str(page), "--out", str(out))
    assert result.exit_code == 0, result.output
    [document] = read_jsonl(out)
    assert document["id"] == "vertice"
    assert document["title"] == "Vertice a Roma"
    assert document["published"] == "2024-06-12"
    assert "l’accordo sarà firmato entro giugno" in document["text"]
    assert "non ha confermato la notizia" in document["text"]
    assert "Home | Esteri" not in document["text"]


@pytest.fixture
def local_site(tmp_path):
    root = tmp_path / "site"
    (root / "esteri").mkdir(parents=True)
    (root / "esteri" / "vertice-roma.html").write_text(ARTICLE_HTML, encoding="utf-8")

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_url_fetched_from_local_server(tmp_path, local_site):
    out = tmp_path / "d.jsonl"
    url = f"{local_site}/esteri/vertice-roma.html"
    result = ingest(url, "--out", str(out))
    assert result.exit_code == 0, result.output
    [document] = read_jsonl(out)
    assert document["url"] == url
    assert document["id"].endswith("esteri-vertice-roma")
    assert "Commissione europea" in document["text"]


def test_url_not_found_is_a_server_error(tmp_path, local_site):
    result = ingest(f"{local_site}/missing.html", "--out", str(tmp_path / "d.jsonl"))
    assert result.exit_code == 3
    assert "answered HTTP 404" in result.stderr
    assert "Traceback" not in result.output


def test_seed_article_is_ingested_in_the_repo():
    repo = Path(__file__).resolve().parent.parent
    [document] = read_jsonl(repo / "annotations" / "documents.jsonl")
    source = (repo / "annotations" / "sources" / "article-it-kim-putin.txt").read_text(encoding="utf-8")
    assert document["id"] == "article-it-kim-putin"
    assert document["lang"] == "it"
    assert document["text"] == unicodedata.normalize("NFC", source).strip()
    assert document["source"].startswith("unknown") and document["license"] == "unknown"
    assert "published" not in document


def test_written_files_get_ordinary_permissions(tmp_path):
    """Atomic writes go through mkstemp (mode 0600); the final file gets a plain write's mode, or the one asked for."""
    import os
    import stat

    from toolkit.files import atomic_writer, write_text

    umask = os.umask(0o022)
    try:
        write_text(tmp_path / "public.md", "x")
        with atomic_writer(tmp_path / "secret.json", permissions=0o600) as handle:
            handle.write("{}")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "public.md").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "secret.json").stat().st_mode) == 0o600
