"""A team on a real Label Studio (each selected backend): accounts from `toolkit users add`, sign-up closed without
the invite link, `push --overlap`, annotators working through the label stream like the browser editor, and
`toolkit progress` checked against figures computed here and against `toolkit pull` + `toolkit agree`."""

from __future__ import annotations

import json
import secrets
import stat
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from annotator_session import AnnotatorSession
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.synthetic import synthetic_corpus
from toolkit.files import write_jsonl
from toolkit.labelstudio.tasks import record_to_result
from toolkit.labelstudio.users import read_passwords

pytestmark = pytest.mark.studio

STREAM_LIMIT = 100  # requests to the label stream: a bound, not an expectation


def _run(studio, *args):
    return CliRunner().invoke(app, [str(arg) for arg in args], env=studio.env())


def _emails(studio) -> set[str]:
    return {user.email for user in studio.client.users.list()}


def _project(studio, title):
    (project,) = [p for p in studio.client.projects.list(title=title) if p.title == title]
    return studio.client.projects.get(id=project.id)


def _overlaps(studio, project_id) -> list[int]:
    return sorted(task.overlap for task in studio.client.tasks.list(project=project_id, fields="all"))


def _documents(tmp_path: Path, count: int, seed: int = 0) -> tuple[Path, dict, dict]:
    pairs = list(synthetic_corpus(count, seed=seed))
    path = tmp_path / f"documents-{count}-{seed}.jsonl"
    write_jsonl(path, [document for document, _ in pairs])
    return path, {d["id"]: d for d, _ in pairs}, {d["id"]: gold for d, gold in pairs}


# --- accounts ---


def test_users_add_creates_accounts_that_log_in_and_never_prints_a_password(any_label_studio, tmp_path):
    studio = any_label_studio
    prefix = studio.project_title("users")
    first, second, third = (f"{prefix}-{name}@voci.test" for name in ("ada", "bruno", "carla"))
    passwords = tmp_path / "lead" / "passwords.json"
    created = _run(studio, "users", "add", first, second, first.upper(), "--passwords", passwords)
    assert created.exit_code == 0, created.output
    assert created.output.splitlines() == [
        f"{first}: account created",
        f"{second}: account created",
        f"2 password(s) written to {passwords} (mode 0600; never printed)",
    ]
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
    accounts = {account["email"]: account for account in read_passwords(passwords)}
    assert sorted(accounts) == [first, second] and {a["server"] for a in accounts.values()} == {studio.url}
    for account in accounts.values():
        assert len(account["password"]) >= 16 and account["password"] not in created.output
        AnnotatorSession.login(studio.url, account["email"], account["password"]).close()  # a real login

    again = _run(studio, "users", "add", first, third, "--passwords", passwords)
    assert again.exit_code == 0, again.output
    assert f"{third}: account created" in again.output
    assert f"{first}: already has an account, left unchanged" in again.output
    after = {account["email"]: account for account in read_passwords(passwords)}
    assert sorted(after) == [first, second, third] and after[first] == accounts[first]
    assert {first, second, third} <= _emails(studio)


def test_users_add_stops_at_a_bad_email_before_creating_anyone(any_label_studio, tmp_path):
    studio = any_label_studio
    before = _emails(studio)
    good = f"{studio.project_title('bad-email')}@voci.test"
    refused = _run(studio, "users", "add", good, "not-an-email", "--passwords", tmp_path / "passwords.json")
    assert refused.exit_code == 2
    assert (
        refused.output == "error: [E100] EMAIL 2: 'not-an-email' is not an email address (expected name@domain.tld)\n"
    )
    assert _emails(studio) == before and not (tmp_path / "passwords.json").exists()


def test_users_add_keeps_the_passwords_of_the_accounts_made_before_a_refusal(any_label_studio, tmp_path):
    studio = any_label_studio
    made = f"{studio.project_title('partial')}@voci.test"
    too_long = "a" * 260 + "@voci.test"  # a plausible address the server's sign-up form refuses (256 at most)
    passwords = tmp_path / "passwords.json"
    result = _run(studio, "users", "add", made, too_long, "--passwords", passwords)
    assert result.exit_code == 3, result.output
    assert result.output.splitlines()[0] == f"{made}: account created"
    assert f"refused the sign-up of {too_long}" in result.output.splitlines()[-1]
    (account,) = read_passwords(passwords)
    assert account["email"] == made and stat.S_IMODE(passwords.stat().st_mode) == 0o600
    AnnotatorSession.login(studio.url, made, account["password"]).close()
    assert too_long not in _emails(studio)


def _sign_up(url: str, email: str, token: str | None) -> httpx.Response:
    """The sign-up form as a browser posts it (page first, for the CSRF cookie)."""
    params = {"token": token} if token else {}
    with httpx.Client(base_url=url, timeout=60) as browser:
        assert browser.get("/user/signup/", params=params).status_code == 200
        return browser.post(
            "/user/signup/",
            params=params,
            data={
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                "email": email,
                "password": secrets.token_urlsafe(18),  # made per run: no password is written in the repository
            },
        )


def test_sign_up_without_the_invite_link_is_refused(any_label_studio):
    studio = any_label_studio
    stranger, invited = (f"{studio.project_title('signup')}-{who}@voci.test" for who in ("stranger", "invited"))
    refused = _sign_up(studio.url, stranger, token=None)
    assert refused.status_code == 403 and stranger not in _emails(studio)
    wrong = _sign_up(studio.url, stranger, token="not-the-token")
    assert wrong.status_code == 403 and stranger not in _emails(studio)
    invite = httpx.get(f"{studio.url}/api/invite", headers={"Authorization": f"Token {studio.api_key}"}, timeout=60)
    accepted = _sign_up(studio.url, invited, token=invite.json()["token"])  # the same form, with the lead's link
    assert accepted.status_code == 302 and invited in _emails(studio)


# --- overlap ---


def test_push_overlap_is_stored_kept_and_changed(any_label_studio, tmp_path):
    studio = any_label_studio
    title = studio.project_title("overlap")
    four, _, _ = _documents(tmp_path, 4, seed=1)
    six, _, _ = _documents(tmp_path, 6, seed=1)  # the same four and two more
    pushed = _run(studio, "push", four, "--project", title, "--overlap", "2", "--guidelines", tmp_path / "none.md")
    assert pushed.exit_code == 0, pushed.output
    assert "overlap: 2 annotators per document on every document" in pushed.output
    project = _project(studio, title)
    assert (project.maximum_annotations, project.overlap_cohort_percentage) == (2, 100)
    assert _overlaps(studio, project.id) == [2] * 4

    kept = _run(studio, "push", six, "--project", title)
    assert kept.exit_code == 0 and "2 task(s) created, 4 already present" in kept.output, kept.output
    assert "overlap: 2 annotators per document on every document" in kept.output
    assert _overlaps(studio, project.id) == [2] * 6

    changed = _run(studio, "push", six, "--project", title, "--overlap", "3", "--overlap-share", "50")
    assert changed.exit_code == 0, changed.output
    assert "overlap: 3 annotators per document on 50% of the documents (1 on the rest)" in changed.output
    project = _project(studio, title)
    assert (project.maximum_annotations, project.overlap_cohort_percentage) == (3, 50)
    assert _overlaps(studio, project.id) == [1, 1, 1, 3, 3, 3]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--overlap-share", "50"], "--overlap-share: 50 given without --overlap"),
        (["--overlap", "0"], "--overlap: 0 is out of range (expected a number of annotators per document from 1"),
        (["--overlap", "2", "--overlap-share", "0"], "--overlap-share: 0 is out of range (expected a percentage"),
    ],
    ids=["share-without-overlap", "overlap-0", "share-0"],
)
def test_bad_overlap_options_stop_the_push(label_studio, tmp_path, options, expected):
    title = label_studio.project_title("bad-overlap")
    documents, _, _ = _documents(tmp_path, 1)
    refused = _run(label_studio, "push", documents, "--project", title, *options)
    assert refused.exit_code == 2 and expected in refused.output, refused.output
    assert label_studio.client.projects.list(title=title).items == []


# --- annotators in the label stream, and progress ---


@dataclass
class Worked:
    """A project with overlap 2 that three annotators worked through in the label stream (one skip)."""

    studio: object
    title: str
    project_id: int
    documents: Path
    annotators: list[AnnotatorSession]
    served: dict[str, list[int]] = field(default_factory=dict)
    submitted: list[dict] = field(default_factory=list)  # the server's answers to each submission
    skipped: list[dict] = field(default_factory=list)
    halfway: dict | None = None  # `toolkit progress --format json` after the first round
    halfway_submitted: list[dict] = field(default_factory=list)


def _variant(gold: dict, annotator: int) -> dict:
    """Three annotators who disagree a little: the second drops the last entity, the third flips one stance."""
    record = json.loads(json.dumps(gold))
    if annotator == 1 and record["entities"]:
        dropped = record["entities"].pop()["id"]
        for claim in record["claims"]:
            claim["claimer"]["entity_ids"] = [i for i in claim["claimer"]["entity_ids"] if i != dropped]
            if claim["claimer"]["kind"] == "entity" and not claim["claimer"]["entity_ids"]:
                claim["claimer"] = {"kind": "unnamed", "entity_ids": []}
    if annotator == 2 and record["claims"]:
        record["claims"][0]["stance"] = "NEUTRAL" if record["claims"][0]["stance"] != "NEUTRAL" else "SUPPORT"
    return record


def _progress_json(studio, title) -> dict:
    result = _run(studio, "progress", "--project", title, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def worked(any_label_studio, tmp_path_factory) -> Worked:
    studio = any_label_studio
    folder = tmp_path_factory.mktemp("team")
    title = studio.project_title("team")
    documents, _, golds = _documents(folder, 6, seed=7)
    pushed = _run(studio, "push", documents, "--project", title, "--overlap", "2", "--guidelines", folder / "none.md")
    assert pushed.exit_code == 0, pushed.output
    annotators = studio.annotators(title, 3, folder / "passwords.json")
    state = Worked(studio, title, _project(studio, title).id, documents, annotators)
    done: set[str] = set()
    for request in range(STREAM_LIMIT):
        index = request % len(annotators)
        annotator = annotators[index]
        if annotator.email in done:
            if len(done) == len(annotators):
                break
            continue
        task = annotator.next_task(state.project_id)
        if task is None:
            done.add(annotator.email)
            continue
        state.served.setdefault(annotator.email, []).append(task["id"])
        if index == 2 and not state.skipped:
            state.skipped.append(annotator.skip(task, lead_time=2.5))
        else:
            record = _variant(golds[task["data"]["doc_id"]], index)
            lead_time = 11.0 + 7 * index + 3 * len(state.served[annotator.email])
            state.submitted.append(annotator.submit(task, record_to_result(record, task["data"]["text"]), lead_time))
        if request == 2:  # every annotator has had one task
            state.halfway = _progress_json(studio, title)
            state.halfway_submitted = list(state.submitted)
    assert len(done) == len(annotators), f"the label stream did not run dry within {STREAM_LIMIT} requests"
    yield state
    for annotator in annotators:
        annotator.close()


def _submitters(submitted: list[dict]) -> dict[int, set[int]]:
    by_task: dict[int, set[int]] = {}
    for annotation in submitted:
        by_task.setdefault(annotation["task"], set()).add(annotation["completed_by"])
    return by_task


def test_the_label_stream_gives_each_document_to_exactly_overlap_annotators(worked):
    by_task = _submitters(worked.submitted)
    assert len(by_task) == 6 and all(len(people) == 2 for people in by_task.values()), by_task
    assert len(worked.submitted) == 12 and len(worked.skipped) == 1
    for email, tasks in worked.served.items():
        assert len(tasks) == len(set(tasks)), f"{email} was served a task twice"
    skipped_task = worked.skipped[0]["task"]
    skipper = worked.skipped[0]["completed_by"]
    assert skipper not in by_task[skipped_task], "a skipped task goes to the others, not back to who skipped it"


def test_the_label_stream_gives_an_open_document_to_at_most_overlap_annotators(any_label_studio, tmp_path):
    """Task locks: with overlap 2, two annotators who opened a document hold it; a third is given another one."""
    studio = any_label_studio
    title = studio.project_title("locks")
    documents, _, _ = _documents(tmp_path, 2, seed=4)
    assert _run(studio, "push", documents, "--project", title, "--overlap", "2").exit_code == 0
    project_id = _project(studio, title).id
    first, second, third = studio.annotators(title, 3, tmp_path / "passwords.json")
    opened = [annotator.next_task(project_id)["id"] for annotator in (first, second, third)]
    assert opened[0] == opened[1] != opened[2], opened
    assert first.next_task(project_id)["id"] == opened[0], "asking again gives the document one already holds"
    for annotator in (first, second, third):
        annotator.close()


def test_outside_the_label_stream_the_server_accepts_more_than_the_overlap(any_label_studio, tmp_path):
    """What Label Studio 1.23 (open source) enforces: only the stream stops at the overlap (docs say so)."""
    studio = any_label_studio
    title = studio.project_title("beyond")
    documents, _, golds = _documents(tmp_path, 1, seed=3)
    assert _run(studio, "push", documents, "--project", title, "--overlap", "1").exit_code == 0
    first, second = studio.annotators(title, 2, tmp_path / "passwords.json")
    project_id = _project(studio, title).id
    task = first.next_task(project_id)
    first.submit(task, record_to_result(golds[task["data"]["doc_id"]], task["data"]["text"]), 5.0)
    assert second.next_task(project_id) is None, "the stream has nothing left for the second annotator"
    extra = second.submit(task, [], 1.0)  # the data manager lets anyone open any task and submit
    assert extra["completed_by"] != task.get("completed_by")
    (stored,) = studio.client.tasks.list(project=project_id, fields="all")
    assert len(stored.annotations) == 2


def _expected_annotators(worked: Worked, submitted: list[dict], skipped: list[dict]) -> dict:
    expected = {}
    users = {user.id: user.email for user in worked.studio.client.users.list()}
    for annotator in worked.annotators:
        ours = [a for a in submitted if users[a["completed_by"]] == annotator.email]
        skips = [a for a in skipped if users[a["completed_by"]] == annotator.email]
        lead_times = [a["lead_time"] for a in ours]
        expected[annotator.email] = {
            "submitted": len(ours),
            "skipped": len(skips),
            "median_lead_time_seconds": statistics.median(lead_times) if lead_times else None,
            "total_lead_time_seconds": sum(lead_times),
            "last_activity": max(a["updated_at"] for a in ours + skips) if ours + skips else None,
        }
    return expected


def test_progress_reports_each_annotator_and_the_tasks(worked):
    progress = _progress_json(worked.studio, worked.title)
    assert progress["project"] == {
        "title": worked.title,
        "id": worked.project_id,
        "url": worked.studio.url,
        "overlap": 2,
        "overlap_share": 100,
    }
    assert progress["tasks"] == {
        "total": 6,
        "by_annotators": {"0": 0, "1": 0, "2": 6},
        "complete": 6,
        "left": 0,
        "annotations_needed": 0,
    }
    assert progress["annotations"] == {"submitted": 12, "skipped": 1, "not_converted": 0}
    expected = _expected_annotators(worked, worked.submitted, worked.skipped)
    assert {email: progress["annotators"][email] for email in expected} == expected
    assert progress["annotators"]["admin@voci.local"]["submitted"] == 0


def test_progress_halfway_counts_tasks_by_annotators(worked):
    halfway = worked.halfway
    by_task = _submitters(worked.halfway_submitted)
    counts = [len(by_task.get(task, ())) for task in range(min(by_task), min(by_task) + 6)]
    assert len(worked.halfway_submitted) == 2, "one round: two submissions and the skip"
    assert halfway["tasks"]["by_annotators"] == {str(k): counts.count(k) for k in range(3)}
    assert halfway["tasks"]["complete"] == counts.count(2) and halfway["tasks"]["left"] == 6 - counts.count(2)
    assert halfway["tasks"]["annotations_needed"] == sum(2 - count for count in counts)
    skipper = worked.annotators[2].email
    assert (halfway["annotators"][skipper]["submitted"], halfway["annotators"][skipper]["skipped"]) == (0, 1)


def test_progress_agreement_is_what_agree_says_on_the_pulled_files(worked, tmp_path):
    out = tmp_path / "pulled"
    pulled = _run(worked.studio, "pull", "--project", worked.title, "--out", out)
    assert pulled.exit_code == 0, pulled.output
    files = sorted((out / "annotators").glob("*.jsonl"))
    agreed = _run(worked.studio, "agree", *files, "--documents", worked.documents, "--format", "json")
    assert agreed.exit_code == 0, agreed.output
    from_agree = json.loads(agreed.stdout)
    progress = _progress_json(worked.studio, worked.title)["agreement"]
    assert progress["comparable"] is True and progress["counts"]["documents_with_2_or_more_annotators"] == 6
    for figures in (progress, from_agree):
        figures.pop("inputs")
    assert progress == from_agree
    assert progress["entities"]["strict"]["mean_pairwise_f1"] < 1.0, "the annotators disagree a little"


def test_progress_table_for_a_terminal(worked):
    shown = _run(worked.studio, "progress", "--project", worked.title)
    assert shown.exit_code == 0, shown.output
    assert f"project {worked.title!r} (id {worked.project_id})" in shown.stdout
    assert "2 annotators per document on every document" in shown.stdout
    for annotator in worked.annotators:
        assert annotator.email in shown.stdout
    assert "6 of 6 task(s) complete, 0 left (0 annotation(s) still needed); 12 submitted, 1 skipped" in shown.stdout
    assert "agreement: entities: mean pairwise F1 strict" in shown.stdout


def test_progress_of_a_missing_project_is_an_input_error(label_studio):
    missing = _run(label_studio, "progress", "--project", "no-such-project")
    assert missing.exit_code == 2
    assert "--project: no project titled 'no-such-project'" in missing.output
