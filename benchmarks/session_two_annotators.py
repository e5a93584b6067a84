"""A recorded annotation session: two annotators, the seed article, headless Chromium, then `toolkit pull`.

What a team lead and two annotators do, by mouse and keyboard in the real editor: the lead starts a fresh Label
Studio (PostgreSQL by default, a throwaway cluster as in the tests; or SQLite), makes two accounts with `toolkit
users add`, pushes the seed article (2,945 characters) with two pre-annotated claims. Each annotator logs in with
the password `users add` wrote and annotates; annotator A also runs the hotkey repro of issue 25 (a drag inside a
claim with no key armed, then an entity key: the claim keeps its CLAIM). Then `toolkit pull` runs as its own
process, and each annotator's pulled record is compared with what they did. Screenshots of the layout and of the
hotkey flow are written to ``--screenshots`` (default dist/; docs/images/ keeps a copy).

    .venv/bin/python benchmarks/session_two_annotators.py [--backend postgresql|sqlite] [--screenshots dist]

Prints each step, the pull's output and "records equal to what was done: yes" (exit 0) or the differences (exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_push_pull import start_backend  # noqa: E402
from editor_browser import (  # noqa: E402
    EDITOR_SETTLED,
    QUIET_MS,
    REGION,
    SELECTED_LABEL,
    TEXT_ROOT,
    browser_page,
    click_on,
    drag_over,
    log_in,
    open_task,
    press_label,
    regions,
    sync_api,
)

from toolkit.documents import make_document  # noqa: E402
from toolkit.files import read_jsonl, write_jsonl  # noqa: E402
from toolkit.labelstudio.client import connect  # noqa: E402
from toolkit.labelstudio.users import add_users, read_passwords  # noqa: E402

SEED = read_jsonl(ROOT / "annotations/documents.jsonl")[0]
TEXT = SEED["text"]


def span(first_words: str, last_words: str | None = None) -> dict:
    start = TEXT.index(first_words)
    end = TEXT.index(last_words, start) + len(last_words) if last_words else start + len(first_words)
    return {"start": start, "end": end, "text": TEXT[start:end]}


FIRST = span("Il 12 giugno", "con la Russia")
LAST = span("Recentemente, le tensioni", "nelle aree di confine")
VISIT = span("Putin dovrebbe visitare la Corea del Nord", "prossima settimana")


def toolkit(environment: dict, *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from toolkit.cli import main; main()", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    output = (done.stdout + done.stderr).strip()
    print(f"$ toolkit {' '.join(arguments)}  (exit {done.returncode})\n{output}\n")
    if done.returncode != 0:
        raise SystemExit(f"toolkit {arguments[0]} failed")
    return output


def submit(page) -> int:
    with page.expect_response(lambda r: "/annotations" in r.url and r.request.method == "POST") as saved:
        page.keyboard.press("Control+Enter")
    return saved.value.status


REGION_COUNT = "() => window.Htx.annotationStore.selected.regionStore.regions.length"


def draw(page, key: str, label: str, words: str) -> None:
    count = page.evaluate(REGION_COUNT)
    press_label(page, key, label)
    drag_over(page, words)
    page.wait_for_function(f"() => ({REGION_COUNT})() > {count}")


def annotator_a(page, screenshots: Path) -> dict:
    """The repro (g + drag; a drag inside the first claim; o adds ORG beside CLAIM; o takes it back), then the last
    claim's stance changed from the right-hand column."""
    draw(page, "g", "GPE", "Corea del Nord")
    assert page.locator(SELECTED_LABEL).count() == 0, "nothing armed after a drag"
    drag_over(page, "Russia")
    page.keyboard.press("o")
    after_o = regions(page)[FIRST["text"]]
    print(f"A: a drag inside the claim, then o -> the claim's labels: {after_o}")
    assert after_o["claim"] == ["CLAIM"] and after_o["entity"] == ["ORG"], after_o
    page.screenshot(path=str(screenshots / "editor-hotkey-on-claim.png"))
    page.keyboard.press("o")
    print(f"A: o again -> {regions(page)[FIRST['text']]}")
    page.keyboard.press("Escape")
    draw(page, "p", "PER", "Kim Jong Un")
    page.locator(REGION).last.scroll_into_view_if_needed()
    click_on(page, "propaganda nelle aree")
    page.screenshot(path=str(screenshots / "editor-layout.png"))
    page.keyboard.press("2")
    print(f"A: submit -> HTTP {submit(page)}")
    corea, kim = span("Corea del Nord"), span("Kim Jong Un")
    return {
        "entities": [{**kim, "label": "PER"}, {**corea, "label": "GPE"}],
        "claims": [
            {**FIRST, "stance": "SUPPORT", "claimer": {"kind": "author", "entities": []}},
            {**LAST, "stance": "REFUTE", "claimer": {"kind": "unnamed", "entities": []}},
        ],
    }


def annotator_b(page) -> dict:
    """In an annotation of one's own, started empty: a mention, and a claim whose claimer is that mention (Alt+R,
    click)."""
    draw(page, "p", "PER", "Vladimir Putin")
    draw(page, "c", "CLAIM", VISIT["text"])
    click_on(page, VISIT["text"])
    page.keyboard.press("3")
    page.keyboard.press("4")
    before = page.evaluate("() => window.Htx.annotationStore.selected.relationStore.size")
    page.keyboard.press("Alt+r")
    click_on(page, "Vladimir Putin")
    page.wait_for_function(f"() => window.Htx.annotationStore.selected.relationStore.size > {before}")
    page.keyboard.press("Escape")
    print(f"B: submit -> HTTP {submit(page)}")
    return {
        "entities": [{**span("Vladimir Putin"), "label": "PER"}],
        "claims": [{**VISIT, "stance": "NEUTRAL", "claimer": {"kind": "entity", "entities": [0]}}],
    }


def without_ids(record: dict) -> dict:
    order = {entity["id"]: index for index, entity in enumerate(record["entities"])}
    return {
        "entities": [{k: e[k] for k in ("start", "end", "text", "label")} for e in record["entities"]],
        "claims": [
            {
                **{k: c[k] for k in ("start", "end", "text", "stance")},
                "claimer": {"kind": c["claimer"]["kind"], "entities": [order[i] for i in c["claimer"]["entity_ids"]]},
            }
            for c in record["claims"]
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "dist")
    options = parser.parse_args()
    options.screenshots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="voci-session-") as scratch:
        work = Path(scratch)
        server, cluster = start_backend(options.backend, work)
        try:
            environment = dict(os.environ, LABEL_STUDIO_URL=server.url, LABEL_STUDIO_API_KEY=server.api_key)
            environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")])
            emails = ["anna@voci.test", "bruno@voci.test"]
            passwords = work / "passwords.jsonl"
            add_users(connect(server.url, server.api_key), emails, passwords)
            known = {account["email"]: account["password"] for account in read_passwords(passwords)}
            write_jsonl(work / "docs.jsonl", [make_document(SEED["id"], TEXT, "it")])
            claims = [
                {"start": FIRST["start"], "end": FIRST["end"], "stance": "SUPPORT", "claimer": "AUTHOR", "score": 0.9},
                {"start": LAST["start"], "end": LAST["end"], "stance": "NEUTRAL", "claimer": "UNNAMED", "score": 0.5},
            ]
            write_jsonl(work / "pred.jsonl", [{"id": SEED["id"], "entities": [], "claims": claims}])
            toolkit(
                environment, "push", str(work / "docs.jsonl"), "--project", "session", "--predictions",
                str(work / "pred.jsonl"), "--model-version", "baseline",
            )  # fmt: skip
            studio = connect(server.url, server.api_key)
            (project,) = [p for p in studio.sdk.projects.list(title="session") if p.title == "session"]
            (task,) = studio.sdk.tasks.list(project=project.id)
            done = {}
            for email, annotate in zip(
                emails, (lambda p: annotator_a(p, options.screenshots), annotator_b), strict=True
            ):
                with browser_page(sync_api()) as page:
                    log_in(page, server.url, type("Account", (), {"username": email, "password": known[email]}))
                    open_task(page, f"{server.url}/projects/{project.id}/data?task={task.id}")
                    if done:  # the task opens on the first annotator's annotation: start one's own, empty
                        page.get_by_role("button", name="Create an annotation").click()
                        page.wait_for_function(EDITOR_SETTLED, arg=[TEXT_ROOT, QUIET_MS], polling=50)
                        assert regions(page) == {}, "a new, empty annotation"
                    print(f"{email}: logged in, task {task.id} open ({len(TEXT)} characters)")
                    done[email] = annotate(page)
            out = work / "annotations"
            toolkit(
                environment, "pull", "--project", "session", "--out", str(out), "--documents", str(work / "docs.jsonl")
            )
            differences = []
            for email, expected in done.items():
                (record,) = read_jsonl(out / "annotators" / f"{email.replace('@', '-')}.jsonl")
                if without_ids(record) != expected:
                    differences.append((email, without_ids(record), expected))
            for email, got, expected in differences:
                print(
                    f"{email}: pulled {json.dumps(got, ensure_ascii=False)}\n"
                    f"  done {json.dumps(expected, ensure_ascii=False)}"
                )
            print(f"records equal to what was done: {'no' if differences else 'yes'} ({len(done)} annotators)")
            raise SystemExit(1 if differences else 0)
        finally:
            server.stop()
            if cluster is not None:
                cluster.destroy()


if __name__ == "__main__":
    main()
