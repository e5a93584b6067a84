"""The local server library: credentials file, ports, and `toolkit studio`'s project preparation on the real server."""

from __future__ import annotations

import socket
import stat

import pytest

from toolkit.documents import make_document
from toolkit.errors import InputError, ServerError
from toolkit.files import write_jsonl
from toolkit.labelstudio.server import (
    credentials_path,
    free_port,
    keep_port,
    load_or_create_credentials,
    port_is_free,
    prepare_server,
    server_environment,
)


def test_credentials_are_private_and_reused(tmp_path):
    first = load_or_create_credentials(tmp_path)
    path = credentials_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_credentials(tmp_path) == first
    assert 6 <= len(first.api_key) <= 40 and first.masked_key() == first.api_key[:4] + "…"
    assert first.api_key not in repr(first.masked_key())


def test_unreadable_credentials_are_an_input_error(tmp_path):
    credentials_path(tmp_path).write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="credentials.json: unreadable credentials"):
        load_or_create_credentials(tmp_path)


def test_environment_is_quiet_and_owned(tmp_path):
    server = prepare_server(tmp_path / "data")
    environment = server_environment(server.data_dir, server.credentials)
    assert environment["LABEL_STUDIO_BASE_DATA_DIR"] == str((tmp_path / "data").resolve())
    assert (
        environment["COLLECT_ANALYTICS"] == "false"
        and environment["LATEST_VERSION_CHECK"] == "false"
        and environment["SENTRY_DSN"] == ""
    )
    assert server.url.startswith("http://127.0.0.1:") and port_is_free(server.port)


def test_the_kept_port_is_reused_an_explicit_one_wins(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    port = free_port()
    keep_port(data, port)
    assert (data / "port").read_text(encoding="utf-8") == f"{port}\n"
    assert prepare_server(data).port == port
    other = free_port()
    assert prepare_server(data, port=other).port == other


def test_a_taken_kept_port_is_refused_before_anything_starts(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        keep_port(data, squatter.getsockname()[1])
        with pytest.raises(ServerError, match=r"is in use: is `toolkit studio` already running on .* port N"):
            prepare_server(data)


def test_a_damaged_port_file_is_named(tmp_path):
    (tmp_path / "port").write_text("eighty\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"port: 'eighty' is not a port number"):
        prepare_server(tmp_path)


def test_data_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        prepare_server(tmp_path / "file")


@pytest.mark.studio
def test_busy_port_is_refused_before_starting(label_studio, tmp_path):
    server = prepare_server(tmp_path / "other", port=label_studio.server.port)
    with pytest.raises(ServerError, match=f"port {label_studio.server.port} on 127.0.0.1 is in use"):
        server.start()


@pytest.mark.studio
def test_studio_project_preparation_is_reusable(label_studio, tmp_path):
    """What `toolkit studio` does after the server is up; a second run adds no project and no task."""
    from toolkit.labelstudio.studio import StudioOptions, load_inputs, login_lines, prepare_project

    write_jsonl(
        tmp_path / "docs.jsonl",
        [make_document("s1", "Il sindaco ha detto che piove.", "it"), make_document("s2", "Nessuna notizia.", "it")],
    )
    options = StudioOptions(
        project=label_studio.project_title("studio"), documents=tmp_path / "docs.jsonl", guidelines=tmp_path / "none.md"
    )
    first = prepare_project(label_studio.server, load_inputs(options))
    second = prepare_project(label_studio.server, load_inputs(options))
    assert (first.push.project_created, first.push.created) == (True, 2)
    assert (second.push.project_created, second.push.created, second.push.unchanged) == (False, 0, 2)
    assert first.push.project_id == second.push.project_id
    assert len(list(label_studio.client.tasks.list(project=first.push.project_id))) == 2
    lines = "\n".join(login_lines(label_studio.server, second))
    assert label_studio.api_key not in lines and label_studio.server.credentials.password not in lines
    assert (
        str(credentials_path(label_studio.server.data_dir)) in lines
        and f"/projects/{first.push.project_id}/data" in lines
    )


def test_secrets_stay_out_of_reprs(tmp_path):
    server = prepare_server(tmp_path / "data")
    shown = repr(server)
    assert server.credentials.api_key not in shown and server.credentials.password not in shown
