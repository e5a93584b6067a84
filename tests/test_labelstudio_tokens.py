"""Both kinds of Label Studio 1.23 API key on a real server, and the `.studio/` fallback when no key is given.

A legacy token (``Authorization: Token …``) and a personal access token (a JWT refresh token the SDK exchanges for
access tokens) must each work for every command that talks to the server; when the organisation has legacy tokens
disabled, the server's reason reaches the user with what to do.
"""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.files import write_jsonl
from toolkit.labelstudio.server import CREDENTIALS_FILE, PORT_FILE

pytestmark = pytest.mark.studio

NO_ENVIRONMENT = {"LABEL_STUDIO_URL": None, "LABEL_STUDIO_API_KEY": None}


def _run(url: str, key: str, *args):
    return CliRunner().invoke(
        app, [str(arg) for arg in args], env={"LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": key}
    )


def _every_command(url: str, key: str, title: str, tmp_path, email: str) -> None:
    """push, pull, progress and users add, each succeeding with ``key``."""
    documents = tmp_path / "docs.jsonl"
    write_jsonl(documents, [make_document("tok-1", "Il ministro Mario Rossi ha parlato.", "it")])
    for args in (
        ["push", documents, "--project", title],
        ["pull", "--project", title, "--out", tmp_path / "annotations"],
        ["progress", "--project", title, "--format", "json"],
        ["users", "add", email, "--passwords", tmp_path / "passwords.json"],
    ):
        result = _run(url, key, *args)
        assert result.exit_code == 0, (args[0], result.output)
        assert key not in result.output
    assert json.loads((tmp_path / "passwords.json").read_text())["accounts"][0]["email"] == email


def test_legacy_and_personal_access_tokens_both_work_and_disabled_legacy_tokens_are_named(label_studio, tmp_path):
    client, legacy = label_studio.client, label_studio.api_key
    personal = client.tokens.create().token  # the admin's personal access token (Account & Settings)
    assert personal.count(".") == 2 and personal != legacy

    _every_command(label_studio.url, legacy, label_studio.project_title("legacy"), tmp_path / "legacy", "leg@voci.test")
    _every_command(label_studio.url, personal, label_studio.project_title("pat"), tmp_path / "pat", "pat@voci.test")

    from label_studio_sdk import LabelStudio

    by_pat = LabelStudio(base_url=label_studio.url, api_key=personal)
    ttl = by_pat.jwt_settings.get().api_token_ttl_days
    by_pat.jwt_settings.update(api_token_ttl_days=ttl, legacy_api_tokens_enabled=False)
    try:
        refused = _run(label_studio.url, legacy, "progress", "--project", "anything")
        assert refused.exit_code == 2, refused.output
        assert (
            f"error: [E400] {label_studio.url} refused the API key while trying to check the API key (HTTP 401): "
            "legacy API tokens are disabled for this organization; put a personal access token in LABEL_STUDIO_API_KEY"
        ) in refused.output
        assert legacy not in refused.output
        still = _run(label_studio.url, personal, "users", "add", "pat2@voci.test", "--passwords", tmp_path / "p.json")
        assert still.exit_code == 0, still.output
    finally:
        by_pat.jwt_settings.update(api_token_ttl_days=ttl, legacy_api_tokens_enabled=True)
    assert _run(label_studio.url, legacy, "progress", "--project", "anything").exit_code == 2  # back: no such project


def test_a_wrong_personal_access_token_is_refused_with_the_servers_reason(label_studio):
    fake = "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl"  # exp 2100
    refused = _run(label_studio.url, fake, "progress", "--project", "anything")
    assert refused.exit_code == 2, refused.output
    assert f"error: [E400] {label_studio.url} refused the API key while trying to check the API key (HTTP 401: " in (
        refused.output
    )
    assert fake not in refused.output


def _studio_here(label_studio, folder, monkeypatch):
    """A `.studio/` as `toolkit studio` leaves it (port and credentials files) in ``folder``, made the current one."""
    studio = folder / ".studio"
    studio.mkdir()
    for name in (CREDENTIALS_FILE, PORT_FILE):
        shutil.copy(label_studio.server.data_dir / name, studio / name)
    monkeypatch.chdir(folder)
    return studio


def test_without_url_and_key_the_studio_folder_here_is_used_and_said(label_studio, tmp_path, monkeypatch):
    """A `.studio/` made by `toolkit studio` (its port and credentials files) in the current directory."""
    studio = _studio_here(label_studio, tmp_path, monkeypatch)
    title = label_studio.project_title("fallback")
    documents = tmp_path / "docs.jsonl"
    write_jsonl(documents, [make_document("fb-1", "La Borsa scenderà ancora, dicono.", "it")])

    pushed = CliRunner().invoke(app, ["push", str(documents), "--project", title], env=NO_ENVIRONMENT)
    assert pushed.exit_code == 0, pushed.output
    masked = label_studio.api_key[:4] + "…"
    assert (
        f"no URL/API key given nor LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY: using {label_studio.url} and the API key "
        f"({masked}) of .studio/credentials.json"
    ) in pushed.output
    assert label_studio.api_key not in pushed.output
    (task,) = label_studio.client.tasks.list(
        project=next(p.id for p in label_studio.client.projects.list(title=title) if p.title == title)
    )
    assert task.data["doc_id"] == "fb-1"

    (studio / PORT_FILE).unlink()  # not a studio folder any more: the old message, naming the fallback
    missing = CliRunner().invoke(app, ["progress", "--project", title], env=NO_ENVIRONMENT)
    assert missing.exit_code == 2, missing.output
    assert "no Label Studio URL (expected --url, the LABEL_STUDIO_URL environment variable, or a .studio/" in (
        missing.output
    )


def test_a_url_without_a_key_never_sends_the_studio_key_elsewhere(label_studio, tmp_path, monkeypatch):
    _studio_here(label_studio, tmp_path, monkeypatch)
    result = CliRunner().invoke(
        app, ["progress", "--project", "x"], env={"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": None}
    )
    assert result.exit_code == 2, result.output
    assert "no Label Studio API key" in result.output
