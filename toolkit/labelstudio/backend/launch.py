"""From the command line's choices to a running backend: the prediction source, the auth, the server."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ConfigurationError, InputError, mention
from toolkit.labelstudio.backend.http import LOOPBACK, BackendServer, BasicAuth, create_app, require_http_libraries
from toolkit.labelstudio.backend.lexicon import LexiconStore
from toolkit.labelstudio.backend.service import Backend
from toolkit.labelstudio.backend.sources import (
    DEFAULT_COMMAND_TIMEOUT,
    PASSWORD_VARIABLE,
    WEBHOOK_SECRET_VARIABLE,
    BaselineSource,
    CommandSource,
    FileSource,
)
from toolkit.labelstudio.backend.trained import DEFAULT_EVERY, DEFAULT_MINUTES, LearnPolicy, ModelSource
from toolkit.labelstudio.client import Connection
from toolkit.labelstudio.server import DEFAULT_DATA_DIR
from toolkit.paths import DEFAULT_DOCUMENTS

DEFAULT_AUTH_USER = "voci"


@dataclass
class BackendOptions:
    """One prediction source (baseline unless ``predictions`` or ``command`` is given) and where learning is kept."""

    system: str | None = None
    predictions: Path | None = None
    command: str | None = None
    documents: Path = DEFAULT_DOCUMENTS
    model_version: str | None = None
    timeout: float = DEFAULT_COMMAND_TIMEOUT
    data_dir: Path = DEFAULT_DATA_DIR
    model: Path | None = None  # a MODEL_DIR written by `toolkit train`
    learn: bool = False  # with model: retrain it from submitted annotations
    learn_every: int = DEFAULT_EVERY
    learn_minutes: float = DEFAULT_MINUTES

    def learn_policy(self) -> LearnPolicy | None:
        return LearnPolicy(self.learn_every, self.learn_minutes) if self.learn else None

    @property
    def source_name(self) -> str:
        chosen = {"system": self.system, "predictions": self.predictions, "command": self.command, "model": self.model}
        given = [mention(name) for name, value in chosen.items() if value is not None]
        if len(given) > 1:
            raise InputError(f"{' and '.join(given)}: give one (expected a single prediction source)")
        if self.predictions is not None:
            return "predictions"
        if self.command is not None:
            return "command"
        if self.model is not None:
            return "model"
        return "baseline"


SOURCES: dict[str, Callable[[BackendOptions], object]] = {
    "baseline": lambda options: BaselineSource(LexiconStore(options.data_dir)),
    "predictions": lambda options: FileSource(options.predictions, options.documents, options.model_version),
    "command": lambda options: CommandSource(options.command, options.timeout, options.model_version),
    "model": lambda options: ModelSource(options.model, options.learn_policy(), options.data_dir),
}


def make_backend(options: BackendOptions) -> Backend:
    """The backend for these options; bad input (an invalid prediction file, a command that cannot be split) stops
    here, before anything is served."""
    require_http_libraries()
    if options.learn and options.source_name != "model":
        raise InputError(
            f"only with {mention('model')} (the baseline always learns; a file or a command cannot)", parameter="learn"
        )
    options.learn_policy()  # bad --learn-every / --learn-minutes stop here
    if options.source_name in ("baseline", "model") and options.model_version is not None:
        raise InputError(
            "the baseline (baseline-vN) and a trained model (voci-model.json) name their own "
            "versions; expected no value",
            parameter="model_version",
        )
    return Backend(SOURCES[options.source_name](options))


def auth_from_environment(username: str | None) -> BasicAuth | None:
    """Basic auth when a password is in the environment (user ``voci`` unless ``username`` is given)."""
    password = os.environ.get(PASSWORD_VARIABLE) or None
    if username is not None and password is None:
        raise ConfigurationError(
            f"{mention('auth_user')} {username!r}: no password (expected it in {PASSWORD_VARIABLE})"
        )
    if password is None:
        return None
    try:
        (password + (username or "")).encode("latin-1")  # how Label Studio (requests) encodes Basic credentials
    except UnicodeEncodeError:
        raise ConfigurationError(
            f"{PASSWORD_VARIABLE} or {mention('auth_user')}: expected Latin-1 characters (Basic auth as Label Studio "
            "sends it)"
        ) from None
    return BasicAuth(username or DEFAULT_AUTH_USER, password)


def webhook_secret_from_environment() -> str | None:
    """The secret Label Studio's webhook must send (``X-Voci-Webhook-Secret``); without it only Basic auth opens
    ``/webhook``."""
    return os.environ.get(WEBHOOK_SECRET_VARIABLE) or None


def serve(
    backend: Backend,
    host: str = LOOPBACK,
    port: int = 0,
    auth: BasicAuth | None = None,
    webhook_secret: str | None = None,
) -> BackendServer:
    """A started server (in a background thread) answering Label Studio for ``backend``."""
    return BackendServer(create_app(backend, auth, webhook_secret), host, port).start()


def log_to_stderr() -> None:
    """Show what the backend does (failed predictions, learning) on stderr, one line each."""
    import logging
    import sys

    log = logging.getLogger("toolkit.backend")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s backend: %(message)s", "%H:%M:%S"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


@contextlib.contextmanager
def beside_studio(
    backend: Backend | None, studio: Connection, project_id: int, auth: BasicAuth | None = None
) -> Iterator[list[str]]:
    """Serve ``backend`` on a free loopback port while the block runs, connected to the project; yields what to
    tell the user. Nothing happens when ``backend`` is None."""
    if backend is None:
        yield []
        return
    from toolkit.labelstudio.backend.register import BACKEND_TITLE, register_backend

    webhook_secret = webhook_secret_from_environment() or secrets.token_urlsafe(32)  # set on the webhook, not shown
    server = serve(backend, LOOPBACK, 0, auth, webhook_secret)
    try:
        registration = register_backend(studio, project_id, server.url, auth, webhook_secret=webhook_secret)
        lines = [f"ML backend on {server.url}: {backend.source.describe()}"]
        lines += [f"removed the ML backend of an earlier run ({url})" for url in registration.replaced]
        lines.append(
            f"connected to the project as {BACKEND_TITLE!r} (model version {registration.model_version}): "
            "a task opened without a prediction is pre-annotated live"
        )
        yield lines
    finally:
        server.stop()
