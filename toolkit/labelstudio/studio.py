"""``toolkit studio`` as a function: a local server with the project ready and the documents pushed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.labelstudio.client import Connection, PushReport, connect, push
from toolkit.labelstudio.server import DEFAULT_DATA_DIR, StudioServer, credentials_path
from toolkit.labelstudio.tasks import Preannotations, load_preannotations
from toolkit.paths import DEFAULT_GUIDELINES
from toolkit.validate import load_documents


@dataclass
class StudioOptions:
    project: str
    documents: Path
    predictions: Path | None = None
    model_version: str | None = None
    guidelines: Path = DEFAULT_GUIDELINES


@dataclass
class ReadyStudio:
    connection: Connection
    push: PushReport

    @property
    def project_url(self) -> str:
        return f"{self.connection.url}/projects/{self.push.project_id}/data"


@dataclass
class StudioInputs:
    """Documents and pre-annotations, validated before the server is started."""

    options: StudioOptions
    documents: dict
    preannotations: Preannotations | None


def load_inputs(options: StudioOptions) -> StudioInputs:
    documents = load_documents(options.documents)
    preannotations = (
        load_preannotations(options.predictions, documents, str(options.documents), options.model_version)
        if options.predictions
        else None
    )
    return StudioInputs(options, documents, preannotations)


def prepare_project(server: StudioServer, inputs: StudioInputs, progress=None) -> ReadyStudio:
    """Create or reuse the project on a running server and push the documents it lacks (a re-run adds nothing)."""
    connection = connect(server.url, server.api_key)
    options = inputs.options
    report = push(
        connection,
        options.project,
        inputs.documents,
        inputs.preannotations,
        guidelines=options.guidelines,
        progress=progress,
    )
    return ReadyStudio(connection=connection, push=report)


def login_lines(server: StudioServer, ready: ReadyStudio) -> list[str]:
    """What the annotator needs, without printing the password or the full key."""
    report = ready.push
    return [
        f"project {report.project_title!r}: {report.created} task(s) added, {report.unchanged} already there"
        + (", labeling config replaced by this toolkit's" if report.config_updated else ""),
        f"open {ready.project_url}",
        (
            f"login: {server.credentials.username}, password and API key ({server.credentials.masked_key()}) "
            f"in {credentials_path(server.data_dir)} (mode 0600)"
        ),
        (
            f"push/pull/progress/users run in {server.data_dir.resolve().parent} find this server by themselves; "
            "elsewhere: "
            if server.data_dir.name == DEFAULT_DATA_DIR.name
            else "for push/pull/progress/users: "
        )
        + f"export LABEL_STUDIO_URL={server.url} and LABEL_STUDIO_API_KEY from that file",
        "press Ctrl-C to stop the server",
    ]
