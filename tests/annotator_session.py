"""An annotator as the browser editor is one: logged in with a password (session cookie and CSRF token), asking
the label stream for the next task ("Label All Tasks") and submitting or skipping it with the requests the editor
sends.  Accounts come from `toolkit users add` (the only way they get a password).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

TIMEOUT = 60.0


@dataclass
class AnnotatorSession:
    url: str
    email: str
    client: httpx.Client = field(repr=False)

    @classmethod
    def login(cls, url: str, email: str, password: str) -> AnnotatorSession:
        client = httpx.Client(base_url=url, timeout=TIMEOUT)
        client.get("/user/login/")
        response = client.post(
            "/user/login/",
            data={"email": email, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        )
        assert response.status_code == 302, f"{email} could not log in: HTTP {response.status_code}"
        client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
        return cls(url, email, client)

    def next_task(self, project_id: int) -> dict[str, Any] | None:
        """The task the label stream gives this annotator, or None when it has none left (HTTP 404)."""
        response = self.client.get(f"/api/projects/{project_id}/next")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def submit(self, task: dict[str, Any], result: list, lead_time: float) -> dict[str, Any]:
        return self._post(task, {"result": result, "lead_time": lead_time})

    def skip(self, task: dict[str, Any], lead_time: float = 1.0) -> dict[str, Any]:
        return self._post(task, {"result": [], "was_cancelled": True, "lead_time": lead_time})

    def _post(self, task: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        project = task["project"]
        response = self.client.post(
            f"/api/tasks/{task['id']}/annotations/",
            params={"project": project},
            json={**body, "project": str(project), "draft_id": 0, "parent_prediction": None, "parent_annotation": None},
        )
        assert response.status_code == 201, f"{self.email}: HTTP {response.status_code} {response.text[:200]}"
        return response.json()

    def close(self) -> None:
        self.client.close()
