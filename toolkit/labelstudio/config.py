"""The Label Studio labeling config and annotator instructions, generated from the label inventory.

Region conventions (the names every other module of this package uses):

- one ``Text`` object named ``text`` showing ``$text``;
- entity mentions: a ``Labels`` control named ``entity`` (one label per inventory entity label);
- claims: a ``Labels`` control named ``claim`` holding the inventory's claim label (word granularity);
- the stance of a claim: per-region ``Choices`` named ``stance`` on the claim region;
- a claimer without a mention: per-region ``Choices`` named ``attribution`` on the claim region, one choice per
  claimer kind other than ``entity`` (``author``, ``unnamed``);
- a claimer named in the text: one ``Relation`` labelled ``claimer`` between the claim region and each entity
  mention naming the claimer, drawn in either direction.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import InputError
from toolkit.inventory import ENTITY_CLAIMER, Inventory, Label, load_inventory
from toolkit.paths import DEFAULT_GUIDELINES
from toolkit.resources import guidelines_markdown


@dataclass(frozen=True)
class Names:
    """The ``name``/``from_name`` of each tag in the config; one place, used by tasks, pull and tests."""

    text: str = "text"
    entity: str = "entity"
    claim: str = "claim"
    stance: str = "stance"
    attribution: str = "attribution"
    claimer_relation: str = "claimer"


NAMES = Names()


def attribution_kinds(inventory: Inventory | None = None) -> list[str]:
    """Claimer kinds chosen on the claim region itself: every kind but the one drawn as relations."""
    inventory = inventory or load_inventory()
    return [name for name in inventory.claimer_kind_names if name != ENTITY_CLAIMER]


def _label_element(parent: ET.Element, tag: str, label: Label, **extra: str) -> ET.Element:
    attributes = {"value": label.name}
    if label.hotkey:
        attributes["hotkey"] = label.hotkey
    if label.color:
        attributes["background"] = label.color
    if label.description:
        attributes["hint"] = label.description
    attributes.update(extra)
    return ET.SubElement(parent, tag, attributes)


def build_label_config(inventory: Inventory | None = None) -> str:
    """The labeling config XML; every string is escaped by ElementTree."""
    inventory = inventory or load_inventory()
    view = ET.Element("View")
    ET.SubElement(view, "Header", {"value": "Entity mentions"})
    entities = ET.SubElement(view, "Labels", {"name": NAMES.entity, "toName": NAMES.text, "showInline": "true"})
    for label in inventory.entity_labels:
        _label_element(entities, "Label", label)
    ET.SubElement(view, "Header", {"value": "Claims (then select the claim to set its stance and claimer)"})
    claims = ET.SubElement(view, "Labels", {"name": NAMES.claim, "toName": NAMES.text, "showInline": "true"})
    _label_element(claims, "Label", inventory.claim_label, granularity="word")
    relations = ET.SubElement(view, "Relations")
    ET.SubElement(relations, "Relation", {"value": NAMES.claimer_relation})
    ET.SubElement(view, "Text", {"name": NAMES.text, "value": f"${NAMES.text}"})

    claim_panel = ET.SubElement(
        view, "View", {"visibleWhen": "region-selected", "whenLabelValue": inventory.claim_label.name}
    )
    ET.SubElement(claim_panel, "Header", {"value": "Stance of the claimer towards the claim"})
    stances = ET.SubElement(
        claim_panel,
        "Choices",
        {
            "name": NAMES.stance,
            "toName": NAMES.text,
            "perRegion": "true",
            "choice": "single-radio",
            "showInline": "true",
        },
    )
    for label in inventory.stances:
        _label_element(stances, "Choice", label)
    ET.SubElement(
        claim_panel,
        "Header",
        {"value": f"Claimer without a mention (otherwise draw a '{NAMES.claimer_relation}' relation to the mention)"},
    )
    attribution = ET.SubElement(
        claim_panel,
        "Choices",
        {
            "name": NAMES.attribution,
            "toName": NAMES.text,
            "perRegion": "true",
            "choice": "single",
            "showInline": "true",
        },
    )
    for label in inventory.claimer_kinds:
        if label.name != ENTITY_CLAIMER:
            _label_element(attribution, "Choice", label)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


# --- guidelines: Markdown → escaped HTML (Label Studio renders the project's instructions as HTML) ---

_INLINE_RULES = (
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<em>\1</em>"),
    (re.compile(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)"), r"<em>\1</em>"),
    (re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)"), r"\1 (\2)"),  # links shown as text: no outside requests from the editor
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _inline(text: str) -> str:
    """Escape first, then add the few inline tags; nothing from the input survives as markup."""
    escaped = html.escape(text, quote=True)
    for pattern, replacement in _INLINE_RULES:
        escaped = pattern.sub(replacement, escaped)
    return escaped


def _table(rows: list[str]) -> str:
    cells = [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows if not _TABLE_RULE.match(row)]
    head, body = cells[0], cells[1:]
    parts = ["<table>", "<tr>" + "".join(f"<th>{_inline(cell)}</th>" for cell in head) + "</tr>"]
    parts += ["<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in row) + "</tr>" for row in body]
    return "\n".join(parts + ["</table>"])


def markdown_to_html(markdown: str) -> str:
    """A small, safe Markdown subset: headings, paragraphs, lists, tables, code blocks, emphasis, code."""
    lines = markdown.replace("\r\n", "\n").split("\n")
    blocks: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
        elif line.lstrip().startswith("```"):
            end = index + 1
            while end < len(lines) and not lines[end].lstrip().startswith("```"):
                end += 1
            blocks.append("<pre>" + html.escape("\n".join(lines[index + 1 : end])) + "</pre>")
            index = end + 1
        elif heading := _HEADING.match(line):
            level = len(heading.group(1))
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            index += 1
        elif _BULLET.match(line) or _NUMBERED.match(line):
            pattern, tag = (_BULLET, "ul") if _BULLET.match(line) else (_NUMBERED, "ol")
            items: list[str] = []
            while index < len(lines) and lines[index].strip():
                item = pattern.match(lines[index])
                if item:
                    items.append(item.group(1))
                elif items:
                    items[-1] += " " + lines[index].strip()  # continuation line of the item
                index += 1
            blocks.append(f"<{tag}>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + f"</{tag}>")
        elif line.lstrip().startswith("|"):
            rows = []
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                rows.append(lines[index])
                index += 1
            blocks.append(_table(rows))
        elif line.lstrip().startswith(">"):
            quoted = []
            while index < len(lines) and lines[index].lstrip().startswith(">"):
                quoted.append(lines[index].lstrip()[1:].strip())
                index += 1
            blocks.append("<blockquote>" + _inline(" ".join(quoted)) + "</blockquote>")
        else:
            paragraph = []
            while (
                index < len(lines)
                and lines[index].strip()
                and not _HEADING.match(lines[index])
                and not lines[index].lstrip().startswith(("```", "|", ">"))
            ):
                if paragraph and (_BULLET.match(lines[index]) or _NUMBERED.match(lines[index])):
                    break
                paragraph.append(lines[index].strip())
                index += 1
            blocks.append("<p>" + _inline(" ".join(paragraph)) + "</p>")
    return "\n".join(blocks) + "\n"


def load_guidelines_html(path: Path = DEFAULT_GUIDELINES) -> str:
    """The guidelines as HTML for the project's instructions (the default path falls back to the copy shipped with
    the toolkit); a clear note when a file named by the user is missing."""
    path = Path(path)
    try:
        markdown = guidelines_markdown(path)
    except FileNotFoundError:
        return (
            f"<p>The annotation guidelines ({html.escape(str(path))}) "
            "were not found when this project was created.</p>\n"
        )
    except (UnicodeDecodeError, IsADirectoryError) as error:
        raise InputError(
            f"{path}: cannot be read as UTF-8 Markdown ({error.__class__.__name__}); expected the guidelines file"
        ) from None
    return markdown_to_html(markdown)
