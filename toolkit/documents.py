"""Documents: normalised text, stable ids and content hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

OPTIONAL_FIELDS = ("title", "source", "url", "published", "license", "split")


def normalize_text(text: str) -> str:
    """NFC and ``\\n`` line endings: the one form offsets are counted in."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def slugify(value: str) -> str:
    """A stable id fragment: ASCII letters, digits, ``.``, ``_`` and ``-`` only."""
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_only).strip("-.")
    return slug.lower()


def make_document(doc_id: str, text: str, lang: str, **metadata: Any) -> dict[str, Any]:
    """A document record in canonical field order; empty metadata is left out."""
    text = normalize_text(text)
    record: dict[str, Any] = {"id": doc_id, "lang": lang}
    for field in OPTIONAL_FIELDS:
        if metadata.get(field) not in (None, ""):
            record[field] = metadata[field]
    record["text"] = text
    record["text_sha256"] = text_sha256(text)
    return record
