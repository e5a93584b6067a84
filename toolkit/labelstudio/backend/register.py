"""Connect a running backend to a Label Studio project through the SDK (``ml`` API) and turn on live pre-labelling.

Label Studio 1.23 asks the backend for a prediction when a task without one is opened (task API, label stream) as
long as the project shows predictions to annotators (``show_collab_predictions``); the label stream uses the
backend only when the project's ``model_version`` is the backend's title, and ``evaluate_predictions_automatically``
("retrieve predictions when loading a task") also fills the tasks listed in the data manager. Creating a backend
makes the server add a webhook to ``<url>/webhook`` for every project event: that is how annotations reach it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from toolkit.errors import ConflictError, ServerError
from toolkit.labelstudio.backend.http import WEBHOOK_SECRET_HEADER, BasicAuth
from toolkit.labelstudio.client import Connection, server_errors

BACKEND_TITLE = "voci"


@dataclass
class Registration:
    backend_id: int
    model_version: str | None
    replaced: list[str] = field(default_factory=list)  # URLs of earlier runs' backends, removed


def _auth_fields(auth: BasicAuth | None) -> dict[str, str]:
    if auth is None:
        return {"auth_method": "NONE"}
    return {"auth_method": "BASIC_AUTH", "basic_auth_user": auth.username, "basic_auth_pass": auth.password}


def _webhook_url(backend_url: str) -> str:
    return backend_url.rstrip("/") + "/webhook"


@contextlib.contextmanager
def refusals_explained(studio: Connection, url: str) -> Iterator[None]:
    """The server checks a backend (health, then setup) before it accepts it: its reasons, in one line."""
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except ApiError as error:
        body = error.body if isinstance(error.body, dict) else {}
        reasons = body.get("validation_errors")
        if error.status_code != 400 or not isinstance(reasons, dict):
            raise
        said = [str(item) for value in reasons.values() for item in (value if isinstance(value, list) else [value])]
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", " ".join(said))).strip()
        raise ServerError(f"{studio.url} refused the ML backend at {url}: {text}") from None


def register_backend(
    studio: Connection,
    project_id: int,
    url: str,
    auth: BasicAuth | None = None,
    title: str = BACKEND_TITLE,
    webhook_secret: str | None = None,
) -> Registration:
    """Make the backend at ``url`` the project's (replacing an earlier run's) and have tasks pre-labelled by it.

    Another backend connected to the project stops the run: the server would ask only the first one.  The
    project's webhook to the backend sends ``webhook_secret`` in its header (the backend refuses webhooks
    without it).
    """
    sdk = studio.sdk
    with server_errors(studio.url, f"list the ML backends of project {project_id}"):
        connected = sdk.ml.list(project=project_id)
    others = [backend for backend in connected if backend.title != title]
    if others:
        listed = ", ".join(f"{backend.title!r} at {backend.url}" for backend in others)
        raise ConflictError(
            f"project {project_id} already has ML backend(s) {listed}; expected none besides {title!r} "
            "(remove them in the project's Settings → Model)"
        )
    stale = [backend for backend in connected if backend.url.rstrip("/") != url.rstrip("/")]
    with server_errors(studio.url, f"list the webhooks of project {project_id}"):
        webhooks = sdk.webhooks.list(project=str(project_id))
    for backend in stale:
        with server_errors(studio.url, f"remove the ML backend of an earlier run ({backend.url})"):
            for webhook in webhooks:
                if webhook.url == _webhook_url(backend.url):
                    sdk.webhooks.delete(id=webhook.id)
            sdk.ml.delete(id=backend.id)
    current = [backend for backend in connected if backend not in stale]
    with (
        server_errors(studio.url, f"connect the ML backend at {url} to project {project_id}"),
        refusals_explained(studio, url),
    ):
        if current:
            backend = sdk.ml.update(id=current[0].id, url=url, **_auth_fields(auth))
        else:
            backend = sdk.ml.create(
                project=project_id, url=url, title=title, is_interactive=False, **_auth_fields(auth)
            )
    headers = {WEBHOOK_SECRET_HEADER: webhook_secret} if webhook_secret else {}
    with server_errors(studio.url, f"check the webhook of the ML backend at {url}"):
        hooks = [webhook for webhook in sdk.webhooks.list(project=str(project_id)) if webhook.url == _webhook_url(url)]
        for webhook in hooks:  # the server adds one, without headers, when it creates a backend
            sdk.webhooks.update(id=webhook.id, url=webhook.url, headers=headers)
        if not hooks:
            sdk.webhooks.create(
                url=_webhook_url(url), project=project_id, send_payload=True, send_for_all_actions=True, headers=headers
            )
    with server_errors(studio.url, f"turn on pre-labelling by {title!r} in project {project_id}"):
        sdk.projects.update(
            id=project_id, model_version=title, show_collab_predictions=True, evaluate_predictions_automatically=True
        )
    return Registration(backend.id, backend.model_version, [backend.url for backend in stale])
