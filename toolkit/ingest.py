"""Turning source files and web pages into document records.

One reader per source format, chosen from a registry by file suffix (or URL
scheme); every reader yields candidate documents, and `merge_documents`
adds the new ones to the documents file without touching the old ones.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.display import redact_url
from toolkit.documents import OPTIONAL_FIELDS, make_document, normalize_text, slugify
from toolkit.errors import ConflictError, InputError, Problem, ServerError, ValidationError, mention
from toolkit.files import append_text, dumps_line, iter_csv, iter_jsonl, read_text
from toolkit.pathguard import Input, Output, PathPlan
from toolkit.staging import staged

FETCH_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class IngestOptions:
    lang: str = "it"
    title_line: bool = False
    text_field: str = "text"
    id_field: str = "id"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    total: int = 0


def _document(doc_id: str, text: str, options: IngestOptions, **metadata: Any) -> dict[str, Any]:
    merged = {key: value for key, value in options.metadata.items() if value not in (None, "")}
    merged.update({key: value for key, value in metadata.items() if value not in (None, "")})
    return make_document(doc_id, text, merged.pop("lang", options.lang), **merged)


SOURCE = "a source file (UTF-8 text) or an http(s) URL"


def read_txt(path: Path, options: IngestOptions) -> Iterator[dict[str, Any]]:
    text = read_text(path, SOURCE)
    title = None
    if options.title_line:
        title, _, text = text.partition("\n")
        title = title.strip()
    text = normalize_text(text).strip()
    if not text:
        raise InputError(f"{path}: text: the file has no text (expected an article)")
    yield _document(slugify(path.stem), text, options, title=title)


def _records_with_text(
    path: Path, rows: Iterable[tuple[int, dict[str, Any]]], options: IngestOptions
) -> Iterator[dict[str, Any]]:
    problems: list[Problem] = []
    for line, row in rows:
        text = row.get(options.text_field)
        if not isinstance(text, str) or not text.strip():
            problems.append(
                Problem(str(path), line, options.text_field, "missing or empty (expected the article text)")
            )
            continue
        raw_id = row.get(options.id_field)
        doc_id = slugify(str(raw_id)) if raw_id not in (None, "") else f"{slugify(path.stem)}-{line}"
        metadata = {name: row.get(name) for name in (*OPTIONAL_FIELDS, "lang") if isinstance(row.get(name), str)}
        yield _document(doc_id, normalize_text(text).strip(), options, **metadata)
    if problems:
        raise ValidationError(problems)


def read_jsonl_source(path: Path, options: IngestOptions) -> Iterator[dict[str, Any]]:
    yield from _records_with_text(path, iter_jsonl(path), options)


def read_csv(path: Path, options: IngestOptions) -> Iterator[dict[str, Any]]:
    header, rows = iter_csv(path)
    if options.text_field not in header:
        raise InputError(
            f"{path}:1: {options.text_field}: no such column "
            f"(expected a header with a {options.text_field!r} column; see {mention('text_field')})"
        )
    yield from _records_with_text(path, rows, options)


def extract_article(html: str, url: str | None, where: str) -> dict[str, Any]:
    """Article text and metadata from an HTML page, by trafilatura."""
    import trafilatura

    extracted = trafilatura.extract(html, url=url, output_format="json", with_metadata=True, include_comments=False)
    if not extracted:
        raise InputError(f"{where}: text: no article text found in the page (expected an HTML article)")
    data = json.loads(extracted)
    paragraphs = [line.strip() for line in (data.get("text") or "").split("\n") if line.strip()]
    return {
        "text": "\n\n".join(paragraphs),
        "title": data.get("title"),
        "source": data.get("sitename") or data.get("hostname"),
        "url": url or data.get("url"),
        "published": data.get("date"),
        "license": data.get("license"),
    }


def read_html(path: Path, options: IngestOptions) -> Iterator[dict[str, Any]]:
    article = extract_article(read_text(path, SOURCE), None, str(path))
    yield _document(slugify(path.stem), article.pop("text"), options, **article)


def fetch_url(url: str) -> str:
    shown = redact_url(url)  # a token in the URL is never printed
    request = urllib.request.Request(url, headers={"User-Agent": "voci-toolkit"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            charset = response.headers.get_content_charset() or "utf-8"
            return response.read().decode(charset, errors="replace")
    except urllib.error.HTTPError as error:
        raise ServerError(f"{shown}: the server answered HTTP {error.code} (expected 200 and an HTML page)") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = redact_url(str(getattr(error, "reason", error)))
        raise ServerError(f"{shown}: could not fetch the page ({reason})") from None
    except (ValueError, LookupError) as error:  # a malformed URL, or a page in an unknown charset
        raise InputError(f"{shown}: {error} (expected an http(s) URL of an HTML page)") from None


def url_id(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    path = parts.path.rsplit(".", 1)[0] if "." in parts.path.rsplit("/", 1)[-1] else parts.path
    return slugify(f"{parts.hostname or ''}{path}")[:100] or "page"


def read_url(url: str, options: IngestOptions) -> Iterator[dict[str, Any]]:
    article = extract_article(fetch_url(url), redact_url(url), redact_url(url))  # a token in the URL is not kept
    yield _document(url_id(url), article.pop("text"), options, **article)


FileReader = Callable[[Path, IngestOptions], Iterator[dict[str, Any]]]
READERS: dict[str, FileReader] = {
    ".txt": read_txt,
    ".jsonl": read_jsonl_source,
    ".csv": read_csv,
    ".html": read_html,
    ".htm": read_html,
}


def is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme in ("http", "https")


def check_url_scheme(source: str) -> None:
    """A URL other than http(s) is refused as such (shown redacted), not read as an odd file name that echoes its
    password."""
    scheme = urllib.parse.urlsplit(source).scheme
    if "://" in source and scheme not in ("http", "https"):
        raise InputError(
            f"SOURCES: {redact_url(source)}: unsupported URL scheme {scheme!r} (expected a file or an http(s) URL)"
        )


def read_source(source: str, options: IngestOptions) -> Iterator[dict[str, Any]]:
    """Documents from one file or URL, by the reader its suffix or scheme selects."""
    if is_url(source):
        yield from read_url(source, options)
        return
    path = Path(source)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(
            f"{source}: unsupported source type {path.suffix or '(none)'!r} "
            f"(expected one of: {', '.join(READERS)} or an http(s) URL)"
        )
    yield from reader(path, options)


def existing_documents(out: Path) -> dict[str, dict[str, Any]]:
    """The documents already in ``out`` by id; a record without a string id and hash stops the run."""
    problems: list[Problem] = []
    existing: dict[str, dict[str, Any]] = {}
    for line, record in iter_jsonl(out):
        for name in ("id", "text_sha256"):
            if not isinstance(record.get(name), str):
                problems.append(Problem(str(out), line, name, "missing or not a string (expected a documents file)"))
                break
        else:
            existing[record["id"]] = record
    if problems:
        raise ValidationError(problems)
    return existing


def merge_documents(out: Path, candidates: Iterable[dict[str, Any]]) -> IngestReport:
    """Append the new documents to ``out``; an id seen with other text stops everything."""
    report = IngestReport()
    existing = existing_documents(out) if os.path.lexists(out) else {}
    new_lines: list[str] = []
    for document in candidates:
        report.total += 1
        known = existing.get(document["id"])
        if known is None:
            existing[document["id"]] = document
            new_lines.append(dumps_line(document))
            report.added.append(document["id"])
        elif known["text_sha256"] == document["text_sha256"]:
            report.unchanged.append(document["id"])
        else:
            raise ConflictError(
                f"{out}: id: document {document['id']!r} already exists with different text "
                f"(sha256 {known['text_sha256'][:12]}… vs {document['text_sha256'][:12]}…); nothing was written"
            )
    if new_lines:
        append_text(out, "".join(new_lines))
    return report


def ingest(
    sources: list[str], out: Path, options: IngestOptions, progress: Callable[[Iterable[str]], Iterable[str]] = iter
) -> IngestReport:
    """Read every source, then add the new documents to ``out`` (all or nothing)."""
    from toolkit.validate import CheckContext, check_document, schema_findings

    for source in sources:
        check_url_scheme(source)
    files = [Input("SOURCES", Path(source)) for source in sources if not is_url(source)]
    with staged(PathPlan(files, [Output(mention("out"), Path(out))])):
        read = [(source, document) for source in progress(sources) for document in read_source(source, options)]
        documents = [document for _, document in read]
        context = CheckContext({}, "")
        problems = [  # named after the source the record came from, not the documents file it would go to
            Problem(redact_url(source), 0, f"{doc['id']}.{where}", message)
            for source, doc in read
            for where, message in (schema_findings("document", doc) or list(check_document(doc, context)))
        ]
        if problems:
            raise ValidationError(problems)
        return merge_documents(Path(out), documents)
