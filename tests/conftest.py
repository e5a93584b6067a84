"""Shared fixtures. ``label_studio``: one real Label Studio server per pytest session.

Started on a free loopback port in a temporary data dir (telemetry off) by the
same library ``toolkit studio`` uses, waited on ``/health``, stopped by PID at
the end.  Mark tests that use it ``@pytest.mark.studio``.

Several annotators in one project: ``label_studio.create_user(email)`` creates a
user through the REST API (``POST /api/users/``); the admin token then submits
annotations on that user's behalf with ``annotations.create(..., completed_by=user.id)``,
and ``toolkit pull`` names the annotator by that user's email.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field

import pytest


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


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    from label_studio_sdk import LabelStudio

    from toolkit.labelstudio.server import prepare_server

    server = prepare_server(tmp_path_factory.mktemp("label-studio"))
    server.loopback_calls = True  # the ML backend tests run their backend on 127.0.0.1
    server.start()
    try:
        fixture = LabelStudioFixture(server=server, client=LabelStudio(base_url=server.url, api_key=server.api_key))
        yield fixture
    finally:
        server.stop()


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
