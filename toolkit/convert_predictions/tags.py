"""Token-level tags (IOB1, IOB2, BIOES, BILOU) → entity spans, read as conlleval and seqeval read them.

Sequences a strict reader would refuse are read leniently, like conlleval: an ``I-`` (or ``E-``) that does not
continue an entity of its type starts one.  Read this way IOB1 and IOB2 give the same entities; the scheme
decides which prefixes are allowed, so a BIOES file read as IOB2 is refused instead of misread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from toolkit.convert_predictions.labels import LabelMap
from toolkit.convert_predictions.records import Bad, Gathered, RecordBuilder, Several, convert_one, entity, span

OUTSIDE = "O"


@dataclass(frozen=True)
class Scheme:
    name: str
    prefixes: tuple[str, ...]  # as the scheme writes them
    roles: Mapping[str, str] = field(default_factory=dict)  # BILOU's L and U play BIOES's E and S

    def role(self, prefix: str) -> str | None:
        """The BIOES role of a prefix (B, I, E or S); None when the scheme does not write that prefix."""
        return self.roles.get(prefix, prefix) if prefix in self.prefixes else None

    def describe(self) -> str:
        return ", ".join(["O", *(f"{prefix}-LABEL" for prefix in self.prefixes)])


SCHEMES: dict[str, Scheme] = {
    "iob1": Scheme("iob1", ("B", "I")),
    "iob2": Scheme("iob2", ("B", "I")),
    "bioes": Scheme("bioes", ("B", "I", "E", "S")),
    "bilou": Scheme("bilou", ("B", "I", "L", "U"), {"L": "E", "U": "S"}),
}
SCHEME_ALIASES = {"iob": "iob1", "bio": "iob2", "iobes": "bioes"}
DEFAULT_SCHEME = "iob2"
SCHEME_HINTS = (("bioes", ("E", "S")), ("bilou", ("L", "U")))  # a prefix only these schemes write says which


def scheme_named(name: str) -> Scheme:
    from toolkit.errors import InputError

    scheme = SCHEMES.get(SCHEME_ALIASES.get(name.lower(), name.lower()))
    if scheme is None:
        names = [*SCHEMES, *SCHEME_ALIASES]
        raise InputError(f"{name!r} is not a tagging scheme (expected one of: {', '.join(names)})", parameter="scheme")
    return scheme


def _parse(tag: Any, scheme: Scheme, where: str, bare_is_inside: bool) -> tuple[str, str | None]:
    """``"B-PER"`` → ``("B", "PER")``; ``"O"`` → ``("O", None)``."""
    if not isinstance(tag, str):
        raise Bad(where, f"got {tag!r} (expected a tag string: {scheme.describe()})")
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, dash, label = tag.partition("-")
    role = scheme.role(prefix)
    if dash and label and role is not None:
        return role, label
    if bare_is_inside and not dash:
        return "I", tag  # a pipeline's label without a prefix (Hugging Face reads it as inside)
    hint = next(
        (
            f"; these look like {name.upper()} tags: give scheme {name}"
            for name, prefixes in SCHEME_HINTS
            if prefix in prefixes and scheme.role(prefix) is None and scheme.name != name
        ),
        "",
    )
    raise Bad(where, f"{tag!r} is not a {scheme.name.upper()} tag (expected {scheme.describe()}){hint}")


def chunks(tags: Sequence[Any], scheme: Scheme, field_name: str = "tags", bare_is_inside: bool = False) -> list:
    """``[(first token, last token, label)]`` of the entities a tag sequence encodes (conlleval's rules)."""
    found, bad_tags = [], []
    open_at, open_label = None, None
    for index, tag in enumerate(tags):
        try:
            prefix, label = _parse(tag, scheme, f"{field_name}[{index}]", bare_is_inside)
        except Bad as bad:  # every bad tag is reported; read as O meanwhile
            bad.index = index
            bad_tags.append(bad)
            prefix, label = OUTSIDE, None
        if open_at is not None and (prefix in (OUTSIDE, "B", "S") or label != open_label):
            found.append((open_at, index - 1, open_label))
            open_at = None
        if prefix != OUTSIDE and open_at is None:
            open_at, open_label = index, label
        if prefix in ("E", "S"):
            found.append((open_at, index, open_label))
            open_at = None
    if open_at is not None:
        found.append((open_at, len(tags) - 1, open_label))
    if bad_tags:
        raise Several(bad_tags)
    return found


def add_tagged(
    builder: RecordBuilder,
    text: str,
    tags: Sequence[Any],
    starts: Sequence[Any],
    ends: Sequence[Any],
    *,
    tokens: Sequence[Any] | None = None,
    scheme: Scheme,
    labels: LabelMap,
    names: tuple[str, str, str, str] = ("tags", "token_starts", "token_ends", "tokens"),
) -> None:
    """Add the entities of one tagged token sequence (offsets into ``text``) to ``builder``."""
    tag_name, start_name, end_name, token_name = names
    lengths = {tag_name: len(tags), start_name: len(starts), end_name: len(ends)}
    if tokens is not None:
        lengths[token_name] = len(tokens)
    if len(set(lengths.values())) != 1:
        shown = ", ".join(f"{name} {length}" for name, length in lengths.items())
        raise Bad(tag_name, f"lists of different lengths ({shown}) (expected one tag and one offset pair per token)")
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        span(text, start, end, f"{start_name}/{end_name}[{index}]")
        if tokens is not None and tokens[index] != text[start:end]:
            raise Bad(
                f"{token_name}[{index}]",
                f"{tokens[index]!r} is not the document text at {start}..{end} ({text[start:end]!r}) "
                "(expected each token's offsets into the document text)",
            )
    gathered = Gathered()
    for first, last, label in chunks(tags, scheme, tag_name):
        with gathered.each():
            ours = labels.entity(label, f"{tag_name}[{first}]")
            if ours is not None:
                builder.entities.append(entity(text, starts[first], ends[last], ours))
    gathered.raise_any()


def from_tags(
    document: Mapping[str, Any],
    tags: Sequence[str],
    token_starts: Sequence[int],
    token_ends: Sequence[int],
    *,
    tokens: Sequence[str] | None = None,
    scheme: str = DEFAULT_SCHEME,
    label_map: LabelMap | None = None,
) -> dict[str, Any]:
    """One document's prediction record from token tags and the tokens' character offsets into its text."""
    chosen, labels = scheme_named(scheme), label_map or LabelMap()
    return convert_one(
        document,
        lambda builder, text: add_tagged(
            builder, text, tags, token_starts, token_ends, tokens=tokens, scheme=chosen, labels=labels
        ),
    )
