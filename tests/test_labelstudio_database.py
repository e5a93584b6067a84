"""The PostgreSQL URL of `toolkit studio --database`: its parts, the server's environment, and a password that
never shows; then the real cluster refusing a wrong password."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import InputError, ServerError
from toolkit.files import write_jsonl
from toolkit.labelstudio.database import parse_database_url
from toolkit.labelstudio.server import free_port, prepare_server, server_environment

SECRET = "p@ss:w/rd%"
URL = "postgresql://voci:p%40ss%3Aw%2Frd%25@db.example.org:6543/annotations"


def test_url_parts_and_the_settings_label_studio_reads():
    database = parse_database_url(URL)
    assert (database.user, database.password, database.host, database.port, database.name) == (
        "voci",
        SECRET,
        "db.example.org",
        6543,
        "annotations",
    )
    assert database.environment() == {
        "DJANGO_DB": "default",
        "POSTGRE_NAME": "annotations",
        "POSTGRE_USER": "voci",
        "POSTGRE_PASSWORD": SECRET,
        "POSTGRE_HOST": "db.example.org",
        "POSTGRE_PORT": "6543",
    }
    assert database.redacted == "postgresql://***@db.example.org:6543/annotations"
    assert SECRET not in repr(database) and "p%40ss" not in repr(database)


def test_defaults_scheme_alias_and_libpq_options():
    database = parse_database_url("postgres://lead@localhost/voci?sslmode=require")
    assert (database.host, database.port, database.password) == ("localhost", 5432, "")
    assert database.redacted == "postgresql://***@localhost:5432/voci?sslmode=require"
    assert database.environment()["PGSSLMODE"] == "require" and database.environment()["POSTGRE_PASSWORD"] == ""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://voci:hunter2@h/db", "scheme 'mysql'"),
        ("postgresql://h:5432/db", "no user"),
        ("postgresql://voci:hunter2@h:5432/", "no database name"),
        ("postgresql://voci:hunter2@h:notaport/db", "Port could not be cast"),
        ("postgresql://voci:hunter2@h/db?application_name=x", "unknown parameter 'application_name'"),
        ("voci:hunter2@h/db", "scheme"),
    ],
)
def test_bad_urls_are_input_errors_without_the_password(url, expected):
    with pytest.raises(InputError) as raised:
        parse_database_url(url)
    message = str(raised.value)
    assert expected in message and message.startswith("[E100] database:")
    assert "hunter2" not in message


def test_server_environment_uses_the_database_and_ignores_shadowing_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_POSTGRE_HOST", "elsewhere.example.org")  # read before POSTGRE_HOST
    monkeypatch.setenv("HEARTEX_DJANGO_DB", "sqlite")
    server = prepare_server(tmp_path / "data", database=parse_database_url(URL))
    environment = server_environment(server.data_dir, server.credentials, server.database)
    assert environment["DJANGO_DB"] == "default" and environment["POSTGRE_HOST"] == "db.example.org"
    assert "LABEL_STUDIO_POSTGRE_HOST" not in environment and "HEARTEX_DJANGO_DB" not in environment
    assert SECRET not in repr(server) and server.database_label == "postgresql://***@db.example.org:6543/annotations"
    sqlite = server_environment(server.data_dir, server.credentials)
    assert sqlite["DJANGO_DB"] == "sqlite" and "POSTGRE_PASSWORD" not in sqlite


def _studio(tmp_path, *arguments, env=None):
    documents = tmp_path / "documents.jsonl"
    write_jsonl(documents, [])
    return CliRunner().invoke(
        app,
        ["studio", "--data-dir", str(tmp_path / "data"), "--documents", str(documents), *arguments],
        env=env,
    )


def test_studio_refuses_a_bad_url_before_anything_starts(tmp_path):
    result = _studio(tmp_path, "--database", "postgresql://voci:hunter2@localhost:5432/")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: [E100] --database: postgresql://***@localhost:5432/: no database name "
        "(expected postgresql://HOST[:PORT]/NAME with USER[:PASSWORD]@ before HOST)"
    )
    assert not (tmp_path / "data").exists()


def test_studio_names_an_unreachable_database_from_the_environment_without_its_password(tmp_path):
    port = free_port()  # nothing listens there
    result = _studio(tmp_path, env={"DATABASE_URL": f"postgresql://voci:hunter2@127.0.0.1:{port}/voci"})
    assert result.exit_code == 3, result.output
    assert f"database: postgresql://***@127.0.0.1:{port}/voci" in result.output
    assert f"error: [E300] cannot connect to PostgreSQL at postgresql://***@127.0.0.1:{port}/voci:" in result.output
    assert "hunter2" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("address", ["8.8.8.8", "example.org", "0.0.0.0.1"])
def test_host_must_be_an_address_of_this_machine(tmp_path, address):
    result = _studio(tmp_path, "--host", address)
    assert result.exit_code == 2 and result.output.startswith(f"error: [E100] --host: {address}"), result.output
    assert not (tmp_path / "data").exists()


def test_the_real_cluster_refuses_a_wrong_password_and_the_message_masks_it(postgres_cluster):
    good = parse_database_url(postgres_cluster.superuser_url())
    good.check_connection()
    wrong = parse_database_url(postgres_cluster.url("postgres", "not-the-password", "postgres"))
    with pytest.raises(ServerError) as raised:
        wrong.check_connection()
    message = str(raised.value)
    assert f"cannot connect to PostgreSQL at postgresql://***@127.0.0.1:{postgres_cluster.port}/postgres" in (message)
    assert "password authentication failed" in message and "not-the-password" not in message


@pytest.mark.studio
def test_a_new_data_dir_on_a_database_another_one_started_is_refused(label_studio_postgresql, tmp_path):
    """The admin account in the database keeps the first data dir's key: say so instead of failing later on 401."""
    from toolkit.errors import ConfigurationError

    used = label_studio_postgresql.server.database
    stranger = prepare_server(tmp_path / "other-data", database=used)
    with pytest.raises(ConfigurationError) as raised:
        stranger.start()
    message = str(raised.value)
    assert message.startswith(f"[E400] {used.redacted} already has a user admin@voci.local with another API key")
    assert str(tmp_path / "other-data" / "credentials.json") in message and used.password not in message
    assert not stranger.running()
    assert label_studio_postgresql.client.users.whoami().email == "admin@voci.local", "the first server still works"
