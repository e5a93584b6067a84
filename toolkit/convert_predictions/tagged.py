"""Tagged-token JSONL → prediction records: one line per document or per sentence, shaped like a row of the
dataset's ``ner`` config (``doc_id``, ``tokens``, ``token_starts``, ``token_ends``, ``ner_tags``).

``id`` may stand for ``doc_id`` and ``tags`` for ``ner_tags``; ``tokens`` is optional (when given, each must be
the document text at its offsets).  Integer tags are indices into the ``ner`` config's tag names (IOB2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.convert_predictions.labels import LabelMap
from toolkit.convert_predictions.records import Bad, Collector, Documents, RecordBuilder, document_for, finish
from toolkit.convert_predictions.tags import Scheme, add_tagged
from toolkit.errors import mention
from toolkit.files import iter_jsonl
from toolkit.inventory import load_inventory


def _either(record: dict[str, Any], names: tuple[str, str]) -> tuple[str, Any]:
    for name in names:
        if name in record:
            return name, record[name]
    raise Bad(names[0], f"missing (expected {names[0]!r} or {names[1]!r})")


def _list(record: dict[str, Any], name: str) -> list:
    value = record.get(name)
    if not isinstance(value, list):
        raise Bad(name, f"got {value!r:.40} (expected a list with one item per token)")
    return value


def _tag_names(tags: list, tag_field: str, scheme: Scheme) -> list:
    """Integer tags name the ``ner`` config's IOB2 tags, by index."""
    if not any(isinstance(tag, int) and not isinstance(tag, bool) for tag in tags):
        return tags
    names = load_inventory().bio_tags()
    if scheme.name != "iob2":
        raise Bad(
            tag_field,
            f"integer tags are the ner config's IOB2 tags (expected {mention('scheme')} iob2, got {scheme.name})",
        )
    for index, tag in enumerate(tags):
        if isinstance(tag, int) and not 0 <= tag < len(names):
            raise Bad(f"{tag_field}[{index}]", f"{tag} is not a tag index (expected 0..{len(names) - 1})")
    return [names[tag] if isinstance(tag, int) and not isinstance(tag, bool) else tag for tag in tags]


def read_tagged(path: Path, documents: Documents, scheme: Scheme, labels: LabelMap) -> list[dict[str, Any]]:
    collector = Collector(str(path))
    builders: dict[str, RecordBuilder] = {}
    for line, record in iter_jsonl(path):
        with collector.at(line):
            id_field, doc_id = _either(record, ("doc_id", "id"))
            document = document_for(documents, doc_id, id_field)
            tag_field, _ = _either(record, ("ner_tags", "tags"))
            tags = _tag_names(_list(record, tag_field), tag_field, scheme)
            tokens = _list(record, "tokens") if "tokens" in record else None
            builder = builders.setdefault(doc_id, RecordBuilder(doc_id))
            add_tagged(
                builder,
                document["text"],
                tags,
                _list(record, "token_starts"),
                _list(record, "token_ends"),
                tokens=tokens,
                scheme=scheme,
                labels=labels,
                names=(tag_field, "token_starts", "token_ends", "tokens"),
            )
    return finish(builders, documents, collector)
