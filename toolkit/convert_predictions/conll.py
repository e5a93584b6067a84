"""CoNLL-style files → prediction records, aligned to the document text token by token.

One token per line, the token in the first column and its tag in the last (tab-separated when the line has a tab,
else whitespace-separated), a blank line between sentences.  A document starts at a ``-DOCSTART-`` line
(CoNLL-2003) or a ``# newdoc id = ID`` line (CoNLL-U); other ``# key = value`` lines are comments.  Documents
named by ``newdoc`` are looked up by id; unnamed ones are taken in the order of the documents file.  Each token
is searched in the document text from where the previous one ended: one that is not found at or after that
point is an error naming the document, the token and its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.convert_predictions.labels import LabelMap
from toolkit.convert_predictions.records import Bad, Collector, Documents, RecordBuilder, document_for, entity, finish
from toolkit.convert_predictions.tags import Scheme, chunks
from toolkit.errors import InputError

DOCSTART = "-DOCSTART-"
NEWDOC = re.compile(r"#\s*newdoc\s+id\s*=\s*(\S+)\s*$")
COMMENT = re.compile(r"#\s*\S+\s*=")


@dataclass
class Block:
    """The tokens of one document as the file lists them: ``(token, tag, line)``."""

    line: int
    doc_id: str | None = None
    tokens: list[tuple[str, str, int]] = field(default_factory=list)


def read_blocks(path: Path) -> Iterator[Block]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found (expected a CoNLL file: one token and its tag per line)") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 ({error.reason} at byte {error.start}) (expected UTF-8 text)") from None
    block = Block(1)
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        newdoc = NEWDOC.match(line)
        if line.startswith(DOCSTART) or newdoc:
            if block.tokens or block.doc_id:
                yield block
            block = Block(number, newdoc.group(1) if newdoc else None)
        elif not line.strip() or COMMENT.match(line):
            continue
        else:
            columns = line.split("\t") if "\t" in line else line.split()
            if len(columns) < 2 or not columns[0]:
                raise InputError(f"{path}:{number}: (line): {line!r:.60} (expected TOKEN ... TAG)")
            block.tokens.append((columns[0], columns[-1].strip(), number))
    if block.tokens or block.doc_id:
        yield block


def align(text: str, tokens: list[tuple[str, str, int]], doc_id: str) -> list[tuple[int, int]]:
    """Each token's offsets, found in order in ``text``."""
    offsets = []
    cursor = 0
    for token, _, line in tokens:
        start = text.find(token, cursor)
        if start < 0:
            raise Bad(
                "token",
                f"{token!r} is not in the text of document {doc_id!r} at or after offset {cursor} "
                f"(…{text[max(0, cursor - 20) : cursor + 20]!r}…) (expected the document's tokens, in order)",
                line=line,
            )
        cursor = start + len(token)
        offsets.append((start, cursor))
    return offsets


def read_conll(path: Path, documents: Documents, scheme: Scheme, labels: LabelMap) -> list[dict[str, Any]]:
    collector = Collector(str(path))
    builders: dict[str, RecordBuilder] = {}
    unnamed = iter(documents)
    for block in read_blocks(path):
        with collector.at(block.line):
            doc_id = block.doc_id if block.doc_id is not None else next(unnamed, None)
            if doc_id is None:
                raise Bad("document", f"more documents than the documents file holds ({len(documents)})")
            document = document_for(documents, doc_id, "newdoc id")
            if doc_id in builders:
                raise Bad("document", f"{doc_id!r} appears twice (expected each document once)")
            builder = builders[doc_id] = RecordBuilder(doc_id)
            offsets = align(document["text"], block.tokens, doc_id)
            try:
                found = chunks([tag for _, tag, _ in block.tokens], scheme, "tag")
            except Bad as bad:
                raise Bad("tag", bad.message, line=block.tokens[bad.index][2]) from None
            for first, last, label in found:
                token, _, line = block.tokens[first]
                try:
                    ours = labels.entity(label, "tag")
                except Bad as bad:
                    raise Bad(bad.field, bad.message, line=line) from None
                if ours is not None:
                    builder.entities.append(entity(document["text"], offsets[first][0], offsets[last][1], ours))
    return finish(builders, documents, collector)
