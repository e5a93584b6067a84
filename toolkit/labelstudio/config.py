"""The Label Studio labeling config and annotator instructions, generated from the label inventory.

Region conventions (the names every other module of this package uses):

- one ``Text`` object named ``text`` showing ``$text``;
- entity mentions are labelled by the single-choice ``Labels`` control named ``entity``, claims by their own
  ``Labels`` control named ``claim`` (whole words). Label Studio 1.23 applies a label key to the selected region
  within that key's control only (``tags/control/Label.jsx``, ``toggleSelected``): an entity key pressed on a
  selected claim can add a second label to it, never take its ``CLAIM`` away, and pressing the key again removes
  it. One label per region is then checked by ``pull``. Exports made with the earlier config, where one control
  named ``label`` held every label, are still read (``LEGACY_LABEL``);
- the stance of a claim: per-region ``Choices`` named ``stance`` on the claim region, required on every claim;
- the kind of claimer of a claim: per-region ``Choices`` named ``claimer`` on the claim region, one choice per
  claimer kind, required on every claim;
- when the claimer is named in the text (kind ``entity``): one ``Relation`` between the claim region and each
  entity mention naming the claimer, drawn in either direction, labelled ``claimer`` or left unlabelled.

Layout: the text on the left, a selected claim's two questions in a column on the right that stays in view while
the text scrolls (``position: sticky``), so a claim far down a long article shows them without scrolling.

Label Studio 1.23 checks the two required choices at Submit and Update (it selects the claim and shows the
message); it cannot check relations, so "kind entity has a relation, the other kinds none" is checked by ``pull``.
"""

from __future__ import annotations

import html
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
    claimer: str = "claimer"
    claimer_relation: str = "claimer"


NAMES = Names()
LEGACY_LABEL = "label"  # the one Labels control of the config before claims had their own (old exports)
RELATION_HOTKEY = "Alt+R"  # Label Studio's own key: start a relation from the selected region


def label_control(label: str, inventory: Inventory | None = None) -> str:
    """The ``Labels`` control that holds a label: ``claim`` for the claim label, ``entity`` for the others."""
    return NAMES.claim if label == (inventory or load_inventory()).claim_label.name else NAMES.entity


def stance_message(inventory: Inventory) -> str:
    keys = ", ".join(f"{label.hotkey} {label.name}" for label in inventory.stances if label.hotkey)
    kinds = ", ".join(f"{label.hotkey} {label.name}" for label in inventory.claimer_kinds if label.hotkey)
    # Label Studio 1.23 stops its checks at the first control that fails (Annotation.validate): a claim missing
    # both would name its claimer only at the next Submit, so this message asks for both.
    return (
        f"This {inventory.claim_label.name} has no stance. It is selected now: "
        f"pick its stance on the right ({keys}), and its claimer if it has none yet ({kinds})."
    )


def claimer_message(inventory: Inventory) -> str:
    keys = ", ".join(f"{label.hotkey} {label.name}" for label in inventory.claimer_kinds if label.hotkey)
    return (
        f"This {inventory.claim_label.name} has no claimer. It is selected now: "
        f"pick who makes the claim on the right ({keys}); for {ENTITY_CLAIMER!r} also draw a "
        f"relation from the claim to each mention naming the claimer ({RELATION_HOTKEY}, then click the mention)."
    )


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


def _claim_choices(panel: ET.Element, name: str, labels, claim: str, message: str, choice: str) -> None:
    """Per-region choices shown on a selected claim, required on every claim region at Submit/Update."""
    choices = ET.SubElement(
        panel,
        "Choices",
        {
            "name": name,
            "toName": NAMES.text,
            "perRegion": "true",
            "whenLabelValue": claim,
            "required": "true",
            "requiredMessage": message,
            "choice": choice,
        },
    )
    for label in labels:
        _label_element(choices, "Choice", label)


def _labels(parent: ET.Element, name: str, labels, **extra: str) -> None:
    control = ET.SubElement(
        parent, "Labels", {"name": name, "toName": NAMES.text, "choice": "single", "showInline": "true"}
    )
    for label in labels:
        _label_element(control, "Label", label, **extra)


# Text left, questions right; the right column sticks to the top of the editor's scrolling area.
ROW_STYLE = "display: flex; align-items: flex-start; gap: 16px"
TEXT_STYLE = "flex: 1 1 0; min-width: 0"
QUESTIONS_STYLE = "flex: 0 0 260px; position: sticky; top: 0"


def build_label_config(inventory: Inventory | None = None) -> str:
    """The labeling config XML; every string is escaped by ElementTree."""
    inventory = inventory or load_inventory()
    claim = inventory.claim_label.name
    view = ET.Element("View")
    row = ET.SubElement(view, "View", {"style": ROW_STYLE})
    left = ET.SubElement(row, "View", {"style": TEXT_STYLE})
    ET.SubElement(left, "Header", {"value": "Press a label's key, then drag over the words", "size": "5"})
    _labels(left, NAMES.entity, inventory.entity_labels)
    _labels(left, NAMES.claim, [inventory.claim_label], granularity="word")
    relations = ET.SubElement(left, "Relations")
    ET.SubElement(relations, "Relation", {"value": NAMES.claimer_relation})
    ET.SubElement(left, "Text", {"name": NAMES.text, "value": f"${NAMES.text}"})

    right = ET.SubElement(row, "View", {"style": QUESTIONS_STYLE})
    panel = ET.SubElement(right, "View", {"visibleWhen": "region-selected", "whenLabelValue": claim})
    ET.SubElement(panel, "Header", {"value": "Stance", "size": "3"})
    ET.SubElement(panel, "Header", {"value": "of the claimer towards the claim", "size": "5"})
    _claim_choices(panel, NAMES.stance, inventory.stances, claim, stance_message(inventory), "single-radio")
    ET.SubElement(panel, "Header", {"value": "Claimer", "size": "3"})
    ET.SubElement(
        panel,
        "Header",
        {
            "value": f"for {ENTITY_CLAIMER!r} also draw a relation to each mention: {RELATION_HOTKEY}, click",
            "size": "5",
        },
    )
    _claim_choices(panel, NAMES.claimer, inventory.claimer_kinds, claim, claimer_message(inventory), "single-radio")
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


# --- guidelines: Markdown → HTML (Label Studio shows the project's instructions as HTML) ---


def _markdown_renderer():
    """CommonMark with tables, raw HTML off (shown as text), links and images shown as text: the editor makes no
    outside requests and nothing in the guidelines runs."""
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import escapeHtml
    from markdown_it.renderer import RendererHTML

    class TextLinks(RendererHTML):
        def link_open(self, tokens, idx, options, env):
            return ""

        def link_close(self, tokens, idx, options, env):
            opening = next(t for t in reversed(tokens[:idx]) if t.type == "link_open")
            target = opening.attrGet("href") or ""
            return "" if opening.markup == "autolink" else f" ({escapeHtml(str(target))})"

        def image(self, tokens, idx, options, env):
            token = tokens[idx]
            alt = self.renderInlineAsText(token.children, options, env)
            return f"{escapeHtml(alt)} ({escapeHtml(str(token.attrGet('src') or ''))})"

    return MarkdownIt("commonmark", {"html": False}, renderer_cls=TextLinks).enable("table")


def markdown_to_html(markdown: str) -> str:
    """The guidelines as safe HTML: headings, paragraphs, lists, tables, rules, code, emphasis."""
    return _markdown_renderer().render(markdown.replace("\r\n", "\n"))


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
