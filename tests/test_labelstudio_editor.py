"""The annotator's session in the real Label Studio editor (headless Chromium, mouse and keyboard): what the editor
refuses at Submit, what its hotkeys can and cannot do, and what `toolkit pull` gives back.

Each test has its own project. The screenshots the docs show are written to dist/ (docs/images/ keeps a copy).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from editor_browser import (
    REGION,
    SELECTED_LABEL,
    STEP_TIMEOUT_MS,
    WARNING,
    browser_page,
    click_on,
    drag_over,
    log_in,
    open_task,
    press_label,
    regions,
    sync_api,
    word_rect,
)
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.files import read_jsonl, write_jsonl
from toolkit.inventory import load_inventory
from toolkit.labelstudio.config import claimer_message, stance_message

pytestmark = [pytest.mark.studio, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "dist"
TEXT = "Il ministro Mario Rossi ha detto che il PIL crescerà del 2% nel 2025. La Borsa scenderà ancora, dicono."
MENTION, CLAIM, SECOND_CLAIM = "Mario Rossi", "il PIL crescerà del 2% nel 2025", "La Borsa scenderà ancora"
ANNOTATOR_FILE = Path("annotators") / "admin-voci.local.jsonl"
QUESTION = "of the claimer towards the claim"  # under the Stance header: shown while a claim is selected
SEED = read_jsonl(REPO / "annotations/documents.jsonl")[0]  # the long article (2,945 characters)


def _span(words: str) -> dict[str, int]:
    start = TEXT.index(words)
    return {"start": start, "end": start + len(words)}


class Editor:
    """One logged-in page and one project with the task under test."""

    def __init__(self, label_studio, page, playwright_api, tmp_path: Path):
        self.label_studio, self.page, self.expect, self.tmp_path = label_studio, page, playwright_api.expect, tmp_path
        self.posted: list = []
        self.listener = lambda request: self.posted.append(request) if self._saves(request) else None
        page.on("request", self.listener)

    @staticmethod
    def _saves(request) -> bool:
        """Submit (POST) or Update (PATCH) of the annotation; drafts saved on the way are not saves."""
        url = request.url.split("?")[0]
        return request.method in ("POST", "PATCH") and "/annotations" in url and "/drafts" not in url

    def push(self, name: str, predictions: list[dict] | None = None, text: str = TEXT):
        self.title = self.label_studio.project_title(name)
        self.documents = self.tmp_path / "docs.jsonl"
        write_jsonl(self.documents, [make_document(name, text, "it")])
        command = [
            "push",
            str(self.documents),
            "--project",
            self.title,
            "--guidelines",
            str(REPO / "docs/guidelines.md"),
        ]
        if predictions:
            write_jsonl(self.tmp_path / "predictions.jsonl", predictions)
            command += ["--predictions", str(self.tmp_path / "predictions.jsonl"), "--model-version", "baseline"]
        pushed = CliRunner().invoke(app, command, env=self.label_studio.env())
        assert pushed.exit_code == 0, pushed.output
        client = self.label_studio.client
        (self.project,) = [p for p in client.projects.list(title=self.title) if p.title == self.title]
        (self.task,) = client.tasks.list(project=self.project.id)
        return self

    @property
    def task_url(self) -> str:
        return f"{self.label_studio.url}/projects/{self.project.id}/data?task={self.task.id}"

    def open(self) -> Editor:
        open_task(self.page, self.task_url)
        return self

    def draw(self, key: str, label: str, words: str) -> None:
        count = self.page.locator(REGION).count()
        press_label(self.page, key, label)
        drag_over(self.page, words)
        self.expect(self.page.locator(REGION)).to_have_count(count + 1, timeout=STEP_TIMEOUT_MS)

    def key(self, key: str) -> None:
        self.page.keyboard.press(key)

    def relate(self, words: str) -> None:
        """With the claim selected: Alt+R, then a click on the mention (Label Studio's own relation hotkey)."""
        before = self.relation_count()
        self.key("Alt+r")
        click_on(self.page, words)
        self.page.wait_for_function(f"() => window.Htx.annotationStore.selected.relationStore.size > {before}")

    def relation_count(self) -> int:
        return self.page.evaluate("() => window.Htx.annotationStore.selected.relationStore.size")

    def button(self, name: str):
        """The bottom bar's Submit or Update button, by the text the annotator reads (both are labelled "submit")."""
        return self.page.locator("button").filter(has_text=re.compile(f"^{name}$"))

    def save(self, button: str = "Submit"):
        """Click Submit (or Update) and return the server's answer to the save it sends."""
        with self.page.expect_response(lambda response: self._saves(response.request)) as saved:
            self.button(button).click()
        return saved.value

    def blocked_submit(self) -> str:
        """Click Submit expecting the editor to refuse: its warning's text; nothing was sent."""
        sent = len(self.posted)
        self.button("Submit").click()
        warning = self.page.locator(WARNING)
        warning.wait_for()
        self.page.wait_for_function(  # shown in full, not mid-animation (the docs show a screenshot of it)
            f"() => document.querySelector('{WARNING}').getAnimations({{subtree: true}}).length === 0"
        )
        text = warning.locator(".ant-modal-confirm-content").inner_text()
        assert len(self.posted) == sent, "a blocked submit sends nothing"
        return text

    def dismiss(self) -> None:
        self.page.locator(WARNING).get_by_role("button", name="OK").click()
        self.page.locator(WARNING).wait_for(state="detached")

    def pulled_record(self, out: Path) -> tuple[str, dict]:
        """`toolkit pull` succeeds: its output, and the annotator's one record, region ids replaced by positions."""
        pulled = self.pull(out)
        assert pulled.exit_code == 0, pulled.output
        (record,) = read_jsonl(out / ANNOTATOR_FILE)
        return pulled.output, _without_ids(record)

    def pull(self, out: Path):
        return CliRunner().invoke(
            app,
            ["pull", "--project", self.title, "--out", str(out), "--documents", str(self.documents)],
            env=self.label_studio.env(),
        )


@pytest.fixture(scope="module")
def logged_in(label_studio):
    playwright_api = sync_api()
    with browser_page(playwright_api) as page:
        log_in(page, label_studio.url, label_studio.server.credentials)
        yield playwright_api, page


@pytest.fixture
def editor(label_studio, logged_in, tmp_path):
    playwright_api, page = logged_in
    session = Editor(label_studio, page, playwright_api, tmp_path)
    yield session
    page.remove_listener("request", session.listener)


def _without_ids(record: dict) -> dict:
    """Region ids are the editor's own random ones: compare what they point to."""
    by_id = {entity["id"]: index for index, entity in enumerate(record["entities"])}
    return {
        "id": record["id"],
        "entities": [{k: v for k, v in entity.items() if k != "id"} for entity in record["entities"]],
        "claims": [
            {
                **{k: v for k, v in claim.items() if k not in ("id", "claimer")},
                "claimer": {
                    "kind": claim["claimer"]["kind"],
                    "entities": [by_id[e] for e in claim["claimer"]["entity_ids"]],
                },
            }
            for claim in record["claims"]
        ],
    }


def _claim(words: str, stance: str, kind: str, mentions: list[int]) -> dict:
    return {**_span(words), "text": words, "stance": stance, "claimer": {"kind": kind, "entities": mentions}}


def test_a_session_by_keyboard_and_mouse_comes_back_exactly(editor, tmp_path):
    """Span, stance, claimer relation on one claim; an `author` claim; hotkey first, then the drag."""
    editor.push("full").open()
    editor.draw("p", "PER", MENTION)
    editor.draw("c", "CLAIM", CLAIM)
    click_on(editor.page, CLAIM)  # select the claim: its panel shows stance and claimer
    editor.key("1")
    editor.key("4")
    editor.relate(MENTION)
    editor.key("Escape")
    editor.draw("c", "CLAIM", SECOND_CLAIM)
    click_on(editor.page, SECOND_CLAIM)
    editor.key("2")
    editor.key("5")
    assert editor.save().status == 201

    output, record = editor.pulled_record(tmp_path / "annotations")
    assert record == {
        "id": "full",
        "entities": [{**_span(MENTION), "label": "PER", "text": MENTION}],
        "claims": [_claim(CLAIM, "SUPPORT", "entity", [0]), _claim(SECOND_CLAIM, "REFUTE", "author", [])],
    }
    assert "note: 1 claim(s) take their claimer from a relation drawn without a label (Alt+R), read as 'claimer'" in (
        output
    )
    assert "note(s)" not in output, "no other note"


def test_submit_is_blocked_until_every_claim_has_a_stance_and_a_claimer(editor, tmp_path):
    inventory = load_inventory()
    editor.push("blocked").open()
    editor.draw("c", "CLAIM", CLAIM)
    assert editor.blocked_submit() == stance_message(inventory)
    # the editor selected the claim for the annotator: its panel is open
    editor.expect(editor.page.get_by_text(QUESTION)).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    editor.page.screenshot(path=str(SCREENSHOTS / "editor-blocked-submit.png"))
    editor.dismiss()
    editor.key("3")
    assert editor.blocked_submit() == claimer_message(inventory)
    editor.dismiss()
    editor.key("6")
    assert editor.save().status == 201

    _, record = editor.pulled_record(tmp_path / "annotations")
    assert record["claims"] == [_claim(CLAIM, "NEUTRAL", "unnamed", [])]


def test_label_hotkeys_cannot_mix_layers(editor, tmp_path):
    """Selecting words before the key makes no region; an entity key on a selected claim replaces its label (one
    label per region); keys armed one after the other leave one label armed; a stance key on a selected mention is
    never submitted."""
    editor.push("hotkeys").open()
    drag_over(editor.page, MENTION)  # the other order: words first, then the key ...
    press_label(editor.page, "p", "PER")
    assert regions(editor.page) == {}, "... only arms the label: no region"
    editor.key("p")  # disarmed again
    editor.expect(editor.page.locator(SELECTED_LABEL)).to_have_count(0)
    editor.draw("c", "CLAIM", CLAIM)
    click_on(editor.page, CLAIM)
    editor.key("1")
    editor.key("g")  # an entity key on the selected claim adds a label, it does not take CLAIM away ...
    assert regions(editor.page)[CLAIM] == {"claim": ["CLAIM"], "stance": ["SUPPORT"], "entity": ["GPE"]}
    editor.expect(editor.page.get_by_text(QUESTION)).to_be_visible()
    editor.key("g")  # ... and the same key takes it back
    assert regions(editor.page)[CLAIM] == {"claim": ["CLAIM"], "stance": ["SUPPORT"]}
    editor.key("4")
    editor.key("Escape")

    editor.key("p")
    editor.key("g")
    editor.expect(editor.page.locator(SELECTED_LABEL)).to_have_count(1)
    editor.expect(editor.page.locator(SELECTED_LABEL)).to_contain_text("GPE")
    editor.key("p")
    editor.expect(editor.page.locator(SELECTED_LABEL)).to_have_count(1)
    drag_over(editor.page, MENTION)
    editor.expect(editor.page.locator(REGION)).to_have_count(2, timeout=STEP_TIMEOUT_MS)
    assert regions(editor.page)[MENTION] == {"entity": ["PER"]}
    click_on(editor.page, CLAIM)
    editor.relate(MENTION)
    editor.key("Escape")
    click_on(editor.page, MENTION)
    editor.key("2")  # a stance key while the mention is selected
    saved = editor.save()
    assert saved.status == 201
    sent = json.loads(saved.request.post_data)["result"]
    mention_id = next(item["id"] for item in sent if item.get("value", {}).get("labels") == ["PER"])
    assert [item["from_name"] for item in sent if item.get("id") == mention_id] == ["entity"]

    _, record = editor.pulled_record(tmp_path / "annotations")
    assert record["claims"] == [_claim(CLAIM, "SUPPORT", "entity", [0])]


def test_what_the_editor_cannot_check_is_named_by_pull_and_the_fix_converts(editor, tmp_path):
    """Label Studio cannot check relations: a relation with claimer `author` is let through; pull names the claim,
    the annotator and the task, keeps no record, and converts the annotation once it is fixed with Update."""
    editor.push("pull-checked").open()
    editor.draw("p", "PER", MENTION)
    editor.draw("c", "CLAIM", CLAIM)
    click_on(editor.page, CLAIM)
    editor.key("1")
    editor.key("5")
    editor.relate(MENTION)
    assert editor.save().status == 201, "the editor lets it through"

    out = tmp_path / "annotations"
    failed = editor.pull(out)
    assert failed.exit_code == 2, failed.output
    (problem,) = (out / "conversion-problems.txt").read_text(encoding="utf-8").splitlines()
    start, end = _span(CLAIM).values()
    assert problem.startswith(f"task {editor.task.id} (document pull-checked), annotation ")
    assert (
        f"by admin@voci.local: CLAIM “{CLAIM}” {start}..{end}: claimer 'author' and a relation to PER “{MENTION}”"
        in (problem)
    )
    annotation_id = re.search(r", annotation (\d+) by ", problem).group(1)
    assert problem.endswith(f"— {editor.task_url}&annotation={annotation_id}"), "the link opens this annotation"
    assert problem in failed.output and not (out / ANNOTATOR_FILE).exists()

    assert f"delete the relation “{CLAIM}” – “{MENTION}” in the side panel's Relations list" in problem
    open_task(editor.page, problem.rsplit("— ", 1)[1])  # the annotator follows the link: their own annotation
    # the documented clicks: the side panel's Relations tab, the pointer on the row, its bin
    page = editor.page
    page.locator(".lsf-tabs__tab-container", has_text="Relations").click()
    row = page.locator(".lsf-relations__item")
    editor.expect(row).to_have_count(1)
    # the row names the regions by their numbers in the Regions tab and their labels, not by their texts
    editor.expect(row).to_have_text(re.compile(r"^\d+CLAIM\d+PER$"))
    row.hover()
    row.get_by_role("button", name="Delete Relation").click()
    assert editor.relation_count() == 0
    assert editor.save("Update").status == 200
    _, record = editor.pulled_record(out)
    assert record["claims"] == [_claim(CLAIM, "SUPPORT", "author", [])]
    assert (out / "conversion-problems.txt").read_text(encoding="utf-8") == ""


def test_preannotations_fill_the_editor_and_come_back_when_accepted(editor, tmp_path):
    prediction = {
        "id": "pre",
        "entities": [{**_span(MENTION), "label": "PER", "score": 0.9}],
        "claims": [
            {**_span(CLAIM), "stance": "SUPPORT", "claimer": _span(MENTION), "score": 0.8},
            {**_span(SECOND_CLAIM), "stance": "REFUTE", "claimer": "UNNAMED", "score": 0.6},
        ],
    }
    editor.push("pre", [prediction]).open()
    editor.expect(editor.page.locator(REGION)).to_have_count(3)
    click_on(editor.page, CLAIM)
    editor.expect(editor.page.get_by_text(QUESTION)).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    editor.page.screenshot(path=str(SCREENSHOTS / "editor-preannotations.png"))
    editor.key("Escape")
    assert editor.save().status == 201

    _, record = editor.pulled_record(tmp_path / "annotations")
    assert record == {
        "id": "pre",
        "entities": [{**_span(MENTION), "label": "PER", "text": MENTION}],
        "claims": [_claim(CLAIM, "SUPPORT", "entity", [0]), _claim(SECOND_CLAIM, "REFUTE", "unnamed", [])],
    }


def test_a_link_with_the_annotation_id_opens_that_annotation(editor, label_studio):
    """`?task=T&annotation=A` (the editor's own "copy link" form) opens annotation A, not the task's first one: the
    links `toolkit pull` prints point at the annotator's own annotation."""
    editor.push("link")
    client = label_studio.client
    other = label_studio.create_user("link-other@voci.test")
    result = [
        {
            "id": "m1",
            "from_name": "entity",
            "to_name": "text",
            "type": "labels",
            "value": {**_span(MENTION), "text": MENTION, "labels": ["PER"]},
        }
    ]
    first = client.annotations.create(id=editor.task.id, result=result, completed_by=other.id)
    second = client.annotations.create(id=editor.task.id, result=[], completed_by=other.id)
    for wanted in (first.id, second.id):
        open_task(editor.page, f"{editor.task_url}&annotation={wanted}")
        assert editor.page.evaluate("() => window.Htx.annotationStore.selected.pk") == str(wanted)


def _seed_claim(first_words: str, last_words: str) -> dict:
    start = SEED["text"].index(first_words)
    end = SEED["text"].index(last_words, start) + len(last_words)
    return {"start": start, "end": end, "text": SEED["text"][start:end]}


def _inside_viewport(page, locator) -> dict:
    box = locator.bounding_box()
    viewport = page.viewport_size
    assert box is not None, "not rendered"
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
    return box


def test_on_the_long_article_an_entity_key_never_relabels_a_claim_and_its_questions_stay_in_view(editor, tmp_path):
    """The issue's repro on the seed article (2,945 characters, 1400×900): `g` and a drag make a mention and disarm
    the key; a drag inside a pre-annotated claim selects it; `o` then adds ORG beside CLAIM (the claim keeps its label
    and stance) and `o` again takes it back. A claim at the end of the article, selected, shows its two questions
    inside the window; what was done comes back through `toolkit pull`."""
    first = _seed_claim("Il 12 giugno", "con la Russia")
    last = _seed_claim("Recentemente, le tensioni", "nelle aree di confine")
    prediction = {
        "id": SEED["id"],
        "entities": [],
        "claims": [
            {"start": first["start"], "end": first["end"], "stance": "SUPPORT", "claimer": "AUTHOR", "score": 0.9},
            {"start": last["start"], "end": last["end"], "stance": "NEUTRAL", "claimer": "UNNAMED", "score": 0.5},
        ],
    }
    editor.push(SEED["id"], [prediction], text=SEED["text"]).open()
    page = editor.page
    editor.expect(page.locator(REGION)).to_have_count(2)
    editor.draw("g", "GPE", "Corea del Nord")
    editor.expect(page.locator(SELECTED_LABEL)).to_have_count(0)  # 1.23: nothing stays armed after a drag
    drag_over(page, "Russia")  # inside the first claim, no key armed: no region, the claim is selected
    editor.expect(page.locator(REGION)).to_have_count(3)
    assert page.evaluate("() => window.Htx.annotationStore.selected.selectedRegions.map(r => r.text)") == [
        first["text"]
    ]
    editor.key("o")
    claim_values = {"claim": ["CLAIM"], "stance": ["SUPPORT"], "claimer": ["author"]}
    assert regions(page)[first["text"]] == {**claim_values, "entity": ["ORG"]}, "CLAIM kept, ORG beside it"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "editor-hotkey-on-claim.png"))
    editor.key("o")
    assert regions(page)[first["text"]] == claim_values, "the same key takes ORG back"
    editor.key("Escape")

    page.locator(REGION).last.scroll_into_view_if_needed()
    click_on(page, "propaganda nelle aree")
    for name in ("Stance", "Claimer"):
        _inside_viewport(page, page.get_by_role("heading", name=name, exact=True))
    for choice in ("SUPPORT", "REFUTE", "NEUTRAL", "entity", "author", "unnamed"):
        _inside_viewport(page, page.locator(f'.lsf-choice__item:has(input[name="{choice}"])'))
    words = word_rect(page, "propaganda nelle aree")
    assert 0 <= words["middle"] <= page.viewport_size["height"], "the selected claim is in view"
    assert words["right"] < page.get_by_text(QUESTION).bounding_box()["x"], "text left, questions right"
    page.screenshot(path=str(tmp_path / "editor-layout.png"))
    page.screenshot(path=str(SCREENSHOTS / "editor-layout.png"))
    editor.key("2")
    assert editor.save().status == 201

    _, record = editor.pulled_record(tmp_path / "annotations")
    corea = SEED["text"].index("Corea del Nord")
    assert record == {
        "id": SEED["id"],
        "entities": [{"start": corea, "end": corea + 14, "label": "GPE", "text": "Corea del Nord"}],
        "claims": [
            {**first, "stance": "SUPPORT", "claimer": {"kind": "author", "entities": []}},
            {**last, "stance": "REFUTE", "claimer": {"kind": "unnamed", "entities": []}},
        ],
    }


def test_a_submit_the_server_refuses_is_said_in_a_toast(editor):
    """Label Studio 1.23's data manager shows "Annotation is not saved" when the save answers an error status
    (`libs/datamanager/src/sdk/lsf-sdk.js`, `showOperationToast`); the work stays in the open tab."""
    editor.push("refused").open()
    editor.page.route(
        "**/api/tasks/*/annotations*",
        lambda route: (
            route.fulfill(status=500, body="<h1>Server Error (500)</h1>", content_type="text/html")
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    try:
        editor.draw("p", "PER", MENTION)
        with editor.page.expect_response(lambda response: editor._saves(response.request)) as saved:
            editor.key("Control+Enter")
        assert saved.value.status == 500
        editor.expect(editor.page.get_by_text("Annotation is not saved, please try again")).to_be_visible()
        assert regions(editor.page) == {MENTION: {"entity": ["PER"]}}, "the work is still in the tab"
    finally:
        editor.page.unroute("**/api/tasks/*/annotations*")
