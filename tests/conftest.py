"""Shared fixtures. ``label_studio``: one real Label Studio server per pytest session.

Started on a free loopback port in a temporary data dir (telemetry off) by the
same library ``toolkit studio`` uses, waited on ``/health``, stopped by PID at
the end.  Mark tests that use it ``@pytest.mark.studio``.

Two database backends: ``label_studio`` runs on SQLite; ``label_studio_postgresql``
on a throwaway PostgreSQL cluster (``postgres_cluster``, see ``postgres_cluster.py``).
A test that asks for ``any_label_studio`` runs once per backend selected with
``--backends`` (default ``sqlite``, the fast run; ``make test`` passes
``--backends sqlite,postgresql``).  One server per backend per session.

Several annotators in one project: ``label_studio.create_user(email)`` creates a
user through the REST API (``POST /api/users/``); the admin token then submits
annotations on that user's behalf with ``annotations.create(..., completed_by=user.id)``,
and ``toolkit pull`` names the annotator by that user's email.
``label_studio.annotators(prefix, n)`` makes accounts the way ``toolkit users add``
does (with passwords) and logs each in like the browser editor (``annotator_session.py``).
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser):
    parser.addoption(
        "--backends",
        default="sqlite",
        help="Label Studio database backends for the integration tests, comma-separated: sqlite, postgresql "
        "(default: sqlite; make test runs both)",
    )


def selected_backends(config) -> list[str]:
    chosen = [name.strip() for name in config.getoption("--backends").split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BACKENDS))
    if unknown or not chosen:
        raise pytest.UsageError(f"--backends: {','.join(unknown) or '(none)'} (expected {' and/or '.join(BACKENDS)})")
    return [name for name in BACKENDS if name in chosen]


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", selected_backends(metafunc.config), scope="session")


@dataclass
class LabelStudioFixture:
    server: object  # toolkit.labelstudio.server.StudioServer
    client: object = field(default=None)  # label_studio_sdk.LabelStudio
    _titles: itertools.count = field(default_factory=itertools.count)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_key(self) -> str:
        return self.server.api_key

    def env(self) -> dict[str, str]:
        """Environment for running ``toolkit push``/``pull`` against this server."""
        return {"LABEL_STUDIO_URL": self.url, "LABEL_STUDIO_API_KEY": self.api_key}

    def project_title(self, prefix: str) -> str:
        """A title no other test uses (projects live for the whole session)."""
        return f"{prefix}-{next(self._titles)}"

    def create_user(self, email: str):
        """A second (third, …) annotator: a real user of the server's organisation."""
        existing = [user for user in self.client.users.list() if user.email == email]
        if existing:
            return existing[0]
        return self.client.users.create(email=email, username=email.split("@")[0], password=secrets.token_urlsafe(16))

    def restart(self) -> None:
        """Start the same server again (same data dir, port and credentials) after a test stopped it."""
        self.server.start()

    def annotators(self, prefix: str, count: int, passwords: Path) -> list:
        """``count`` new accounts made by `toolkit users add` (passwords in ``passwords``), each logged in."""
        from annotator_session import AnnotatorSession

        from toolkit.labelstudio.client import connect
        from toolkit.labelstudio.users import add_users, read_passwords

        emails = [f"{prefix}-{number}@voci.test" for number in range(1, count + 1)]
        add_users(connect(self.url, self.api_key), self.api_key, emails, passwords)
        known = {account["email"]: account["password"] for account in read_passwords(passwords)}
        return [AnnotatorSession.login(self.url, email, known[email]) for email in emails]


def _start_label_studio(data_dir: Path, database=None):
    from label_studio_sdk import LabelStudio

    from toolkit.labelstudio.server import prepare_server

    server = prepare_server(data_dir, database=database)
    server.loopback_calls = True  # the ML backend tests run their backend on 127.0.0.1
    server.start()
    return LabelStudioFixture(server=server, client=LabelStudio(base_url=server.url, api_key=server.api_key))


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    fixture = _start_label_studio(tmp_path_factory.mktemp("label-studio"))
    try:
        yield fixture
    finally:
        fixture.server.stop()


@pytest.fixture(scope="session")
def postgres_cluster(request):
    """A PostgreSQL cluster for this session (127.0.0.1, free port, temporary folder removed at the end)."""
    from postgres_cluster import PostgresUnavailable, start_cluster

    if "postgresql" not in selected_backends(request.config):
        pytest.skip("the PostgreSQL backend is not selected (pytest --backends sqlite,postgresql; make test does)")
    try:
        cluster = start_cluster()
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL cannot be had here: {error}")
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def label_studio_postgresql(tmp_path_factory, postgres_cluster):
    """The PostgreSQL twin of ``label_studio`` (a role with a password, a database of its own)."""
    from toolkit.labelstudio.database import parse_database_url

    url = postgres_cluster.create_database("voci_test", "voci", secrets.token_urlsafe(12))
    fixture = _start_label_studio(tmp_path_factory.mktemp("label-studio-postgresql"), parse_database_url(url))
    try:
        yield fixture
    finally:
        fixture.server.stop()


@pytest.fixture(scope="session")
def any_label_studio(backend, request):
    """The session server of ``backend``: tests asking for it run once per selected backend."""
    return request.getfixturevalue("label_studio" if backend == "sqlite" else "label_studio_postgresql")


@pytest.fixture
def forking(monkeypatch):
    """``forking(module, threshold)``: make ``module`` fork at any size and return the list of children it starts.

    numpy's idle BLAS thread in the test process does not hold a lock a child needs, so fork is allowed here.
    """
    from toolkit.scoring import forked

    children: list = []

    class CountedChild(forked.Child):
        def __init__(self, work):
            children.append(self)
            super().__init__(work)

    def enable(module, threshold: str) -> list:
        monkeypatch.setattr(module, threshold, 0)
        monkeypatch.setattr(module, "can_fork", lambda: True)
        monkeypatch.setattr(forked, "Child", CountedChild)
        return children

    return enable


@pytest.fixture
def hub_offline(monkeypatch):
    """No Hugging Face Hub: ``datasets`` and ``huggingface_hub`` read only their local cache."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A blind build and its Codabench bundle (``tests/benchmark_data.py``), once per module."""
    from benchmark_data import make_bundle

    return make_bundle(tmp_path_factory.mktemp("benchmark"))


@pytest.fixture
def world(tmp_path):
    """The leaderboard's documents, gold and submissions (``tests/leaderboard_data.py``)."""
    from leaderboard_data import make_world

    return make_world(tmp_path)
