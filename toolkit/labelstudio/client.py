"""Push documents to and pull annotations from a Label Studio server through the SDK (2.x).

Push is idempotent (documents are matched by ``data.doc_id`` and
``data.text_sha256`` of the tasks already on the server); pull keeps the raw
export exactly as received under a new timestamped name, then converts it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from toolkit.display import redact_url
from toolkit.documents import slugify
from toolkit.errors import (
    ConfigurationError,
    ConflictError,
    InputError,
    OutputError,
    ServerError,
    describe_os_error,
    mention,
)
from toolkit.labelstudio.annotations.store import ConversionSummary, iter_export
from toolkit.labelstudio.annotations.writing import WrittenFiles, convert_export
from toolkit.labelstudio.config import build_label_config, load_guidelines_html
from toolkit.labelstudio.tasks import Preannotations, iter_tasks
from toolkit.paths import DEFAULT_GUIDELINES
from toolkit.staging import default_permissions

URL_VARIABLE = "LABEL_STUDIO_URL"
KEY_VARIABLE = "LABEL_STUDIO_API_KEY"
DEFAULT_BATCH_SIZE = 1000
REQUEST_TIMEOUT = 600.0
EXPORT_TIMEOUT = 600.0
DOWNLOAD_CHUNK = 1 << 20
RAW_DIR = "raw"
Progress = Callable[[int], None]


LEGACY_DISABLED = "legacy token authentication has been disabled"  # Label Studio 1.23, jwt_auth/auth.py


@contextlib.contextmanager
def server_errors(url: str, action: str) -> Iterator[None]:
    """SDK and network failures → `ServerError`/`ConfigurationError` naming the server, never the key."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except ApiError as error:
        if error.status_code in (401, 403):
            raise ConfigurationError(refused_key_message(url, action, error.status_code, error.body)) from None
        if error.status_code >= 500:
            raise ServerError(
                f"Label Studio at {url} failed with HTTP {error.status_code} while trying to {action} "
                "(an error inside the server, such as its database being unreachable; see the server's log)"
            ) from None
        raise ServerError(
            f"{url} answered HTTP {error.status_code} while trying to {action}: {_one_line(error.body)}"
        ) from None
    except httpx.HTTPError as error:
        raise ServerError(
            f"cannot reach Label Studio at {url} while trying to {action} ({error.__class__.__name__}); "
            "is the server running?"
        ) from None


def refused_key_message(url: str, action: str, status: int, body: Any) -> str:
    """Why the server refused the key, in its words when it gives them; what to do about a legacy token it no
    longer takes."""
    reason = body.get("detail") if isinstance(body, dict) else None
    if isinstance(reason, str) and LEGACY_DISABLED in reason:
        return (
            f"{url} refused the API key while trying to {action} (HTTP {status}): legacy API tokens are disabled for "
            f"this organization; put a personal access token in {KEY_VARIABLE} (Label Studio: Account & Settings → "
            "Personal Access Token → Create)"
        )
    said = f": {_one_line(reason)}" if isinstance(reason, str) and reason else ""
    return f"{url} refused the API key while trying to {action} (HTTP {status}{said}); check {KEY_VARIABLE}"


def _one_line(body: Any, limit: int = 200) -> str:
    """An error body for a one-line message: JSON compacted, an HTML page left out."""
    text = json.dumps(body, ensure_ascii=False) if isinstance(body, (dict, list)) else " ".join(str(body).split())
    if text.lstrip().lower().startswith(("<!doctype", "<html")):
        return "(an HTML page)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Connection:
    """An SDK client (``label_studio_sdk.LabelStudio``) and the URL it talks to, for messages (redacted: a
    password or token in the URL is never shown; requests go through ``sdk``)."""

    sdk: Any
    url: str


def connect(url: str | None, api_key: str | None, say: Callable[[str], None] | None = None) -> Connection:
    """An SDK client for a server we have checked answers and accepts the key: a legacy token or a personal access
    token (a JWT refresh token, which the SDK exchanges for access tokens itself).

    With neither a URL nor a key (options, environment), the studio of ``.studio/`` in the current directory is used
    when ``toolkit studio`` made one there; ``say`` is told so (never the key).
    """
    from label_studio_sdk import LabelStudio

    from toolkit.labelstudio.server import DEFAULT_DATA_DIR, credentials_path, local_studio

    if not url and not api_key:
        found = local_studio(DEFAULT_DATA_DIR)
        if found:
            url, credentials = found
            api_key = credentials.api_key
            if say:
                say(
                    f"no URL/API key given nor {URL_VARIABLE}/{KEY_VARIABLE}: using {url} and the API key "
                    f"({credentials.masked_key()}) of {credentials_path(DEFAULT_DATA_DIR)}"
                )
    if not url:
        raise ConfigurationError(
            f"no Label Studio URL (expected {mention('url')}, the {URL_VARIABLE} environment variable, or a "
            f"{DEFAULT_DATA_DIR}/ "
            "folder made by `toolkit studio` in the current directory)"
        )
    if not api_key:
        raise ConfigurationError(
            f"no Label Studio API key (expected {mention('api_key')} or the {KEY_VARIABLE} environment variable)"
        )
    url = url.rstrip("/")
    shown = redact_url(url)  # messages name the server, never a password or token in its URL
    with server_errors(shown, "check the API key"):
        # the SDK checks a personal access token's expiry as it is made
        studio = Connection(LabelStudio(base_url=url, api_key=api_key, timeout=REQUEST_TIMEOUT), shown)
        studio.sdk.users.whoami()
    return studio


def find_project(studio: Connection, title: str):
    """The one project with exactly this title, or None; two with the same title is a conflict."""
    with server_errors(studio.url, f"look up project {title!r}"):
        matches = [project for project in studio.sdk.projects.list(title=title) if project.title == title]
    if len(matches) > 1:
        ids = ", ".join(str(project.id) for project in matches)
        raise ConflictError(
            f"{len(matches)} projects are titled {title!r} on {studio.url} (ids {ids}); expected one: rename the others"
        )
    return matches[0] if matches else None


@dataclass(frozen=True)
class Overlap:
    """How many annotators see each document: ``annotators`` on ``share`` percent of the tasks, one on the rest.

    Stored in the project (Label Studio's ``maximum_annotations`` and ``overlap_cohort_percentage``), so it holds
    for every later push and for the tasks already there.
    """

    annotators: int = 1
    share: int = 100

    def __post_init__(self) -> None:
        if self.annotators < 1:
            raise InputError(
                f"{self.annotators} (expected a number of annotators per document, 1 or more)", parameter="overlap"
            )
        if not 1 <= self.share <= 100:
            raise InputError(
                f"{self.share} (expected a percentage of the documents, 1..100)", parameter="overlap_share"
            )

    def settings(self) -> dict[str, int]:
        return {"maximum_annotations": self.annotators, "overlap_cohort_percentage": self.share}

    @classmethod
    def of(cls, project: Any) -> Overlap:
        return cls(project.maximum_annotations or 1, project.overlap_cohort_percentage or 100)

    def __str__(self) -> str:
        if self.annotators == 1:
            return "1 annotator per document"
        where = "every document" if self.share == 100 else f"{self.share}% of the documents (1 on the rest)"
        return f"{self.annotators} annotators per document on {where}"


def sync_label_config(studio: Connection, project: Any) -> bool:
    """Give an existing project this toolkit's labeling config (pull reads its conventions); True if it changed.

    Label Studio refuses the change when annotations use controls the new config lacks: that stops the run.
    """
    from label_studio_sdk.core.api_error import ApiError

    config = build_label_config()
    if (project.label_config or "").strip() == config.strip():
        return False
    with server_errors(studio.url, f"update the labeling config of project {project.title!r}"):
        try:
            studio.sdk.projects.update(id=project.id, label_config=config)
        except ApiError as error:
            if error.status_code != 400:
                raise
            found = error.body.get("validation_errors", {}) if isinstance(error.body, dict) else {}
            detail = " ".join(str(found.get("label_config", error.body)).split())[:300]
            raise ConflictError(
                f"project {project.title!r} on {studio.url} has another labeling config and annotations made with "
                f"it, so Label Studio keeps it ({detail}); pull needs this toolkit's config: push to a new project "
                f"({mention('project')} NEW), or convert those annotations with the toolkit version that made the "
                "project"
            ) from None
    return True


def ensure_project(
    studio: Connection, title: str, guidelines: Path, overlap: Overlap | None = None
) -> tuple[Any, bool]:
    """The project with this title, created with the generated config and guidelines if missing.

    ``overlap`` is set on a new project and changed on an existing one that has another; None leaves it as it is.
    """
    project = find_project(studio, title)
    if project is not None:
        if overlap is not None and Overlap.of(project) != overlap:
            with server_errors(studio.url, f"set the overlap of project {title!r}"):
                project = studio.sdk.projects.update(id=project.id, **overlap.settings())
        return project, False
    with server_errors(studio.url, f"create project {title!r}"):
        project = studio.sdk.projects.create(
            title=title,
            label_config=build_label_config(),
            expert_instruction=load_guidelines_html(guidelines),
            show_instruction=True,
            description="voci: who claims what in Italian news (entities, claims, claimers, stance)",
            **(overlap.settings() if overlap else {}),
        )
    return project, True


@dataclass(frozen=True)
class ServerTask:
    task_id: int
    text_sha256: str | None
    model_versions: frozenset[str]


def existing_documents(studio: Connection, project_id: int) -> dict[str, ServerTask]:
    """The tasks already in the project by ``doc_id``, with the model versions of their pre-annotations."""
    found: dict[str, ServerTask] = {}
    with server_errors(studio.url, "list the project's tasks"):
        for task in studio.sdk.tasks.list(
            project=project_id, include="id,data,predictions_model_versions", page_size=1000
        ):
            data = task.data or {}
            if isinstance(data.get("doc_id"), str):
                versions = frozenset(filter(None, (task.predictions_model_versions or "").split(",")))
                found[data["doc_id"]] = ServerTask(task.id, data.get("text_sha256"), versions)
    return found


def add_missing_predictions(
    studio: Connection,
    on_server: Mapping[str, ServerTask],
    documents: Mapping[str, Mapping[str, Any]],
    preannotations: Preannotations,
) -> int:
    """Pre-annotations for tasks pushed earlier without this model version; a re-run adds none."""
    added = 0
    for doc_id in preannotations.by_id:
        task = on_server.get(doc_id)
        if task is None or preannotations.model_version in task.model_versions:
            continue
        prediction = preannotations.prediction(documents[doc_id])
        with server_errors(studio.url, f"add a pre-annotation to task {task.task_id}"):
            studio.sdk.predictions.create(task=task.task_id, **prediction)
        added += 1
    return added


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class PushReport:
    project_id: int
    project_title: str
    project_created: bool
    overlap: Overlap = field(default_factory=Overlap)
    config_updated: bool = False
    created: int = 0
    unchanged: int = 0
    predictions: int = 0
    unlinked_claimers: list[str] = field(default_factory=list)


def plan_push(documents: Mapping[str, Mapping[str, Any]], on_server: Mapping[str, ServerTask]) -> list[str]:
    """Ids of the documents to import; any id on the server with another text stops the run before anything is sent."""
    changed = [
        doc_id
        for doc_id, document in documents.items()
        if doc_id in on_server and on_server[doc_id].text_sha256 != document["text_sha256"]
    ]
    if changed:
        shown = ", ".join(repr(doc_id) for doc_id in changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        raise ConflictError(
            f"{len(changed)} document(s) already in the project with a different text_sha256: {shown} "
            "(expected the same text; give a changed text a new document id, nothing was pushed)"
        )
    return [doc_id for doc_id in documents if doc_id not in on_server]


def push(
    studio: Connection,
    title: str,
    documents: Mapping[str, Mapping[str, Any]],
    preannotations: Preannotations | None = None,
    guidelines: Path = DEFAULT_GUIDELINES,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], Progress] | None = None,
    overlap: Overlap | None = None,
) -> PushReport:
    """Create the project if needed and import the documents it does not have yet, in batches."""
    if batch_size < 1:
        raise InputError(f"{batch_size} (expected a positive number)", parameter="batch_size")
    project, created = ensure_project(studio, title, guidelines, overlap)
    report = PushReport(
        project_id=project.id, project_title=title, project_created=created, overlap=Overlap.of(project)
    )
    if not created:
        report.config_updated = sync_label_config(studio, project)
    on_server = {} if created else existing_documents(studio, project.id)
    to_send = plan_push(documents, on_server)
    report.unchanged = len(documents) - len(to_send)
    if preannotations and on_server:
        report.predictions += add_missing_predictions(studio, on_server, documents, preannotations)
    advance = progress(len(to_send)) if progress else None
    tasks = iter_tasks((documents[doc_id] for doc_id in to_send), preannotations)
    for batch in batched(tasks, batch_size):
        with server_errors(studio.url, f"import {len(batch)} tasks into project {title!r}"):
            response = studio.sdk.projects.import_tasks(id=project.id, request=batch, return_task_ids=False)
        if response.task_count != len(batch):
            raise ServerError(
                f"{studio.url} imported {response.task_count} of {len(batch)} tasks; "
                "re-run the push (it only sends what is missing)"
            )
        report.created += len(batch)
        report.predictions += sum(len(task.get("predictions", [])) for task in batch)
        if advance:
            advance(len(batch))
    if preannotations:
        report.unlinked_claimers = list(preannotations.notes.unlinked_claimers)
    return report


# --- pull ---


def _export_snapshot(studio: Connection, project_id: int, step: Callable[[str], None]):
    """A full JSON snapshot export made by the server: every task, predictions whole, annotators with their email."""
    from label_studio_sdk.types import SerializationOptionRequest, SerializationOptionsRequest

    whole = SerializationOptionRequest(only_id=False)
    options = SerializationOptionsRequest(predictions=whole, annotations_completed_by=whole)
    url = studio.url
    step("export")
    with server_errors(url, "create an export snapshot"):
        snapshot = studio.sdk.projects.exports.create(
            project_id,
            title=f"toolkit pull {datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}",
            serialization_options=options,
        )
    deadline = time.monotonic() + EXPORT_TIMEOUT
    while snapshot.status != "completed":
        if snapshot.status == "failed" or time.monotonic() > deadline:
            raise ServerError(
                f"{url}: export snapshot {snapshot.id} of project {project_id} ended as {snapshot.status!r}"
            )
        time.sleep(1.0)
        with server_errors(url, "check the export snapshot"):
            snapshot = studio.sdk.projects.exports.get(project_id, snapshot.id)
    return snapshot


def download_export(studio: Connection, project_id: int, folder: Path, stem: str, step: Callable[[str], None]) -> Path:
    """Stream a snapshot export to a new file in ``folder``, exactly as received (never held in memory whole)."""
    snapshot = _export_snapshot(studio, project_id, step)
    step("download")
    with server_errors(studio.url, "download the export"):
        chunks = studio.sdk.projects.exports.download(
            project_id,
            export_pk=snapshot.id,
            export_type="JSON",
            request_options={"chunk_size": DOWNLOAD_CHUNK},
        )
        path = write_new_file(folder, stem, ".json", chunks)
    with contextlib.suppress(ServerError), server_errors(studio.url, "delete the export snapshot"):
        studio.sdk.projects.exports.delete(project_id, snapshot.id)
    return path


def write_new_file(folder: Path, stem: str, suffix: str, chunks: Iterable[bytes]) -> Path:
    """Write ``chunks`` under a name that did not exist (``stem``, ``stem-2``, …): nothing is ever overwritten.

    Written at once, not staged with the command's other outputs: the raw export is kept even if what follows fails.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".partial", dir=folder)
    except OSError as error:
        raise OutputError(
            f"{mention('out')} {folder}: cannot write the raw export ({describe_os_error(error)})"
        ) from None
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, default_permissions())
        for attempt in range(1, 1000):
            path = folder / (f"{stem}{suffix}" if attempt == 1 else f"{stem}-{attempt}{suffix}")
            try:
                os.link(temporary, path)  # fails if the name exists: never replaces a snapshot
                return path
            except FileExistsError:
                continue
        raise ConflictError(f"{folder}: too many snapshots named {stem}*{suffix}")
    except OSError as error:
        raise OutputError(
            f"{mention('out')} {folder}: cannot write the raw export ({describe_os_error(error)})"
        ) from None
    finally:
        temporary.unlink(missing_ok=True)


@dataclass
class PullReport:
    project_id: int
    raw_path: Path
    conversion: ConversionSummary
    files: WrittenFiles


def user_emails(studio: Connection) -> dict[int, str]:
    with server_errors(studio.url, "list users"):
        return {user.id: user.email for user in studio.sdk.users.list() if user.email}


def task_link(
    url: str, project_id: int | None = None
) -> Callable[[Mapping[str, Any], Mapping[str, Any] | None], str | None]:
    """The address of a task in the editor, for messages an annotator can click (the export names the project).

    With the annotation, the link opens that annotation (Label Studio 1.23 reads ``annotation=ID``, the form of its
    own "copy link"), not the first annotation of the task, which may be another annotator's.
    """

    def link(task: Mapping[str, Any], annotation: Mapping[str, Any] | None = None) -> str | None:
        project = task.get("project") or project_id
        if not project:
            return None
        mine = annotation.get("id") if annotation else None
        return f"{url}/projects/{project}/data?task={task.get('id')}" + (
            f"&annotation={mine}" if isinstance(mine, int) and not isinstance(mine, bool) else ""
        )

    return link


def pull(
    studio: Connection,
    title: str,
    out_dir: Path,
    documents: Mapping[str, Mapping[str, Any]] | None = None,
    step: Callable[[str], None] | None = None,
) -> PullReport:
    """Export the project to a new raw file (streamed to disk), then convert it task by task into per-annotator
    files; memory does not grow with the project."""
    step = step or (lambda name: None)
    project = find_project(studio, title)
    if project is None:
        raise InputError(
            f"no project titled {title!r} on {studio.url} (expected an existing project; `toolkit push` creates it)",
            parameter="project",
        )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(out_dir) / RAW_DIR
    raw_path = download_export(studio, project.id, folder, f"{slugify(title) or 'project'}-{stamp}", step)
    step("convert")
    summary, files = convert_export(
        iter_export(raw_path), Path(out_dir), user_emails(studio), documents, task_link(studio.url, project.id)
    )
    return PullReport(project_id=project.id, raw_path=raw_path, conversion=summary, files=files)
