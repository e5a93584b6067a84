"""The labeling config and instructions: derived from the inventory, escaped, accepted by a real server."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.inventory import ENTITY_CLAIMER, Inventory, Label, load_inventory
from toolkit.labelstudio.config import NAMES, ROW_STYLE, build_label_config, load_guidelines_html, markdown_to_html


def _values(root: ET.Element, control: str) -> list[str]:
    (element,) = [e for e in root.iter() if e.get("name") == control]
    return [child.get("value") for child in element]


def test_config_holds_every_inventory_label_in_its_control():
    inventory = load_inventory()
    root = ET.fromstring(build_label_config())
    # entities and claims in two single-choice controls: an entity key never takes a claim's label away
    controls = [(labels.get("name"), labels.get("choice")) for labels in root.iter("Labels")]
    assert controls == [(NAMES.entity, "single"), (NAMES.claim, "single")]
    assert _values(root, NAMES.entity) == inventory.entity_names
    assert _values(root, NAMES.claim) == [inventory.claim_label.name]
    assert _values(root, NAMES.stance) == inventory.stance_names
    assert _values(root, NAMES.claimer) == inventory.claimer_kind_names
    assert [r.get("value") for r in root.iter("Relation")] == [NAMES.claimer_relation]
    hotkeys = {e.get("value"): e.get("hotkey") for e in root.iter() if e.get("hotkey")}
    assert hotkeys == {
        label.name: label.hotkey
        for label in (*inventory.entity_labels, inventory.claim_label, *inventory.stances, *inventory.claimer_kinds)
    }
    # stance and claimer: on claims only, required on every claim at Submit/Update, with a message naming the keys
    claim = inventory.claim_label.name
    for choices in root.iter("Choices"):
        assert (choices.get("perRegion"), choices.get("whenLabelValue"), choices.get("required")) == (
            "true",
            claim,
            "true",
        )
    messages = {choices.get("name"): choices.get("requiredMessage") for choices in root.iter("Choices")}
    assert "1 SUPPORT, 2 REFUTE, 3 NEUTRAL" in messages[NAMES.stance]
    assert "4 entity, 5 author, 6 unnamed" in messages[NAMES.claimer] and "Alt+R" in messages[NAMES.claimer]
    (claim_label,) = [e for e in root.iter("Label") if e.get("value") == claim]
    assert claim_label.get("granularity") == "word"
    # the questions sit in the column right of the text, under headers that name them
    (row,) = [view for view in root.iter("View") if view.get("style") == ROW_STYLE]
    text_column, questions = list(row)
    assert [e.get("name") for e in text_column.iter("Text")] == [NAMES.text]
    assert "sticky" in questions.get("style")
    headers = [header.get("value") for header in questions.iter("Header")]
    assert headers[0] == "Stance" and headers[2] == "Claimer"
    assert [c.get("name") for c in questions.iter("Choices")] == [NAMES.stance, NAMES.claimer]


def test_label_names_and_hints_are_xml_escaped():
    hostile = Label('A&B"<x>', 'hint with <script>alert("x")</script> & more', "z", "#000000")
    inventory = Inventory(
        1, (hostile,), Label("CLAIM", "c"), (Label(ENTITY_CLAIMER, ""), Label("author", "")), (Label("SUPPORT", ""),)
    )
    xml = build_label_config(inventory)
    assert "<script>" not in xml and "A&amp;B&quot;&lt;x&gt;" in xml
    root = ET.fromstring(xml)
    assert _values(root, NAMES.entity) == ['A&B"<x>']
    assert _values(root, NAMES.claim) == ["CLAIM"]
    assert _values(root, NAMES.claimer) == [ENTITY_CLAIMER, "author"]


def test_markdown_becomes_safe_html():
    markdown = (
        "# Title <b>\n\n## Section\n\nA **bold** and *em* `code` [link](http://x.y) <http://a.b> ![pic](http://i/p.png)\n\n"
        "---\n\n- one\n- two <img src=x onerror=alert(1)>\n\n<script>alert(1)</script>\n\n"
        "```\n<raw> & code\n```\n\n| a | b |\n|---|---|\n| 1 | <2> |\n\n[bad](javascript:alert(1))\n"
    )
    rendered = markdown_to_html(markdown)
    assert "<h1>Title &lt;b&gt;</h1>" in rendered and "<h2>Section</h2>" in rendered
    assert "<strong>bold</strong>" in rendered and "<em>em</em>" in rendered and "<code>code</code>" in rendered
    assert "<hr />" in rendered and "---" not in rendered  # a rule, not three dashes
    # links and images as text: the editor makes no outside request from the instructions
    assert "link (http://x.y)" in rendered and " http://a.b " in rendered and "pic (http://i/p.png)" in rendered
    assert "<a " not in rendered and "<img" not in rendered
    assert "<li>two &lt;img src=x onerror=alert(1)&gt;</li>" in rendered
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in rendered and "<script>" not in rendered
    assert "<pre><code>&lt;raw&gt; &amp; code\n</code></pre>" in rendered
    assert "<th>a</th>" in rendered and "<td>&lt;2&gt;</td>" in rendered
    assert "[bad](javascript:alert(1))" in rendered  # not a link at all


def test_the_guidelines_render_completely():
    """Every rule, table and heading of docs/guidelines.md becomes HTML, none stays as Markdown source."""
    from pathlib import Path

    source = (Path(__file__).resolve().parents[1] / "docs" / "guidelines.md").read_text(encoding="utf-8")
    rendered = markdown_to_html(source)
    assert rendered.count("<hr />") == sum(1 for line in source.splitlines() if line.strip() == "---")
    assert rendered.count("<table>") == sum(1 for line in source.splitlines() if line.startswith("|---"))
    assert rendered.count("<h2>") == sum(1 for line in source.splitlines() if line.startswith("## "))
    assert "\n---" not in rendered and "**" not in rendered


def test_missing_guidelines_say_so(tmp_path):
    assert "were not found" in load_guidelines_html(tmp_path / "nope.md")


def test_cli_writes_config_and_instructions(tmp_path):
    guidelines = tmp_path / "g.md"
    guidelines.write_text("# Linee guida\n\nUsa **PER** per le persone.\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "config",
            "--out",
            str(tmp_path / "c.xml"),
            "--guidelines",
            str(guidelines),
            "--instructions-out",
            str(tmp_path / "i.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.xml").read_text(encoding="utf-8") == build_label_config()
    assert (tmp_path / "i.html").read_text(
        encoding="utf-8"
    ) == "<h1>Linee guida</h1>\n<p>Usa <strong>PER</strong> per le persone.</p>\n"


def test_cli_refuses_unreadable_guidelines(tmp_path):
    bad = tmp_path / "g.md"
    bad.write_bytes(b"\xff\xfe not utf-8")
    result = CliRunner().invoke(
        app,
        [
            "config",
            "--out",
            str(tmp_path / "c.xml"),
            "--guidelines",
            str(bad),
            "--instructions-out",
            str(tmp_path / "i.html"),
        ],
    )
    assert result.exit_code == 2
    assert "g.md: cannot be read as UTF-8" in result.output and "Traceback" not in result.output


@pytest.mark.studio
def test_real_server_accepts_config_and_instructions(label_studio, tmp_path):
    from label_studio_sdk.core.api_error import ApiError

    from toolkit.labelstudio.client import connect, ensure_project

    guidelines = tmp_path / "g.md"
    guidelines.write_text("# Guida\n\n<script>alert(1)</script> **CLAIM**\n", encoding="utf-8")
    studio = connect(label_studio.url, label_studio.api_key)
    project, created = ensure_project(studio, label_studio.project_title("config"), guidelines)
    assert created
    stored = label_studio.client.projects.get(project.id)
    root = ET.fromstring(stored.label_config)
    inventory = load_inventory()
    for name in [
        *inventory.entity_names,
        inventory.claim_label.name,
        *inventory.stance_names,
        *inventory.claimer_kind_names,
    ]:
        assert [e for e in root.iter() if e.get("value") == name], name
    assert "<strong>CLAIM</strong>" in stored.expert_instruction
    assert "&lt;script&gt;" in stored.expert_instruction and "<script>" not in stored.expert_instruction
    # the same server refuses a broken config, so acceptance above means something
    with pytest.raises(ApiError):
        label_studio.client.projects.create(
            title=label_studio.project_title("broken"), label_config="<View><Labels name='x' toName='nothing'/></View>"
        )


@pytest.mark.studio
def test_push_brings_an_older_project_config_up_to_date_or_refuses_clearly(label_studio, tmp_path):
    """A project made with another labeling config gets this toolkit's on push; when annotations use the old
    controls, Label Studio keeps it and the push stops before sending anything."""
    from toolkit.documents import make_document
    from toolkit.files import write_jsonl

    old = (
        '<View><Labels name="label" toName="text"><Label value="PER"/></Labels><Text name="text" value="$text"/></View>'
    )
    documents = tmp_path / "docs.jsonl"
    write_jsonl(documents, [make_document("d1", "Mario Rossi parla.", "it")])
    client, runner = label_studio.client, CliRunner()
    fresh = client.projects.create(title=label_studio.project_title("old-config"), label_config=old)
    pushed = runner.invoke(app, ["push", str(documents), "--project", fresh.title], env=label_studio.env())
    assert pushed.exit_code == 0, pushed.output
    assert "its labeling config was replaced by this toolkit's" in pushed.output
    assert client.projects.get(fresh.id).label_config.strip() == build_label_config().strip()

    used = client.projects.create(title=label_studio.project_title("old-config"), label_config=old)
    client.projects.import_tasks(id=used.id, request=[{"data": {"text": "Mario Rossi parla."}}])
    (task,) = client.tasks.list(project=used.id)
    value = {"start": 0, "end": 11, "text": "Mario Rossi", "labels": ["PER"]}
    client.annotations.create(
        id=task.id, result=[{"id": "a1", "from_name": "label", "to_name": "text", "type": "labels", "value": value}]
    )
    refused = runner.invoke(app, ["push", str(documents), "--project", used.title], env=label_studio.env())
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert (
        f"project {used.title!r} on {label_studio.url} has another labeling config and annotations made with it"
        in refused.output
        and "1 with from_name=label" in refused.output
        and "push to a new project (--project NEW)" in refused.output
    )
    assert len(list(client.tasks.list(project=used.id))) == 1, "nothing was pushed"
