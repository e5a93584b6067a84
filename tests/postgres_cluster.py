"""A throwaway PostgreSQL cluster for tests and benchmarks: ``initdb`` and ``pg_ctl`` in a temporary folder.

It listens on a free port of 127.0.0.1 only (no Unix socket outside its folder), needs a password for every
connection (scram-sha-256), and is removed with its folder when stopped for good.  PostgreSQL refuses to run as
root: when this process is root, the cluster's programs run as the unprivileged user ``nobody``.

Debian's ``postgresql`` package provides the programs (``make test`` installs it when missing); `find_programs`
says why none can be used, so a test can skip with that reason.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

LOOPBACK = "127.0.0.1"
SUPERUSER = "postgres"
UNPRIVILEGED_USER = "nobody"
COMMAND_TIMEOUT = 120


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be had here; the message says why (a test skips with it)."""


def find_programs() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres`` (newest Debian version first, then PATH)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: _version(path), reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    raise PostgresUnavailable(
        "PostgreSQL is not installed (expected initdb and pg_ctl in /usr/lib/postgresql/*/bin or on PATH; "
        "Debian: apt-get install -y postgresql, which `make test` runs)"
    )


def _version(folder: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in folder.parent.name.split("."))
    except ValueError:
        return (0,)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@dataclass
class PostgresCluster:
    """One cluster in its own folder; `start`, `stop` (keeps the data), `destroy` (stops and removes it)."""

    programs: Path
    root: Path
    port: int
    superuser_password: str = field(repr=False)
    run_as: tuple[int, int] | None = None  # (uid, gid) when we are root

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "postgresql.log"

    def _run(self, *arguments: str) -> subprocess.CompletedProcess:
        ids = {"user": self.run_as[0], "group": self.run_as[1], "extra_groups": []} if self.run_as else {}
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        completed = subprocess.run(  # noqa: S603 (fixed programs)
            arguments,
            env=environment,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
            **ids,
        )
        if completed.returncode != 0:
            raise PostgresUnavailable(
                f"{Path(arguments[0]).name} failed with code {completed.returncode}: "
                f"{(completed.stderr or completed.stdout).strip()[-500:]}"
            )
        return completed

    def initialise(self) -> PostgresCluster:
        password_file = self.root / "superuser-password"
        password_file.write_text(self.superuser_password + "\n", encoding="utf-8")
        self._chown(password_file)
        try:
            self._run(
                str(self.programs / "initdb"),
                "--pgdata",
                str(self.data_dir),
                "--username",
                SUPERUSER,
                "--pwfile",
                str(password_file),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
            )
        finally:
            password_file.unlink()
        settings = (
            f"listen_addresses = '{LOOPBACK}'\n"
            f"port = {self.port}\n"
            f"unix_socket_directories = '{self.root}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"  # a throwaway cluster: speed over safety
            "max_connections = 100\n"
        )
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as handle:
            handle.write(settings)
        return self

    def _chown(self, path: Path) -> None:
        if self.run_as:
            os.chown(path, *self.run_as)

    def start(self) -> PostgresCluster:
        self._run(
            str(self.programs / "pg_ctl"),
            "start",
            "--pgdata",
            str(self.data_dir),
            "--wait",
            "--log",
            str(self.log_path),
        )
        return self

    def stop(self) -> None:
        """Fast shutdown (open connections are closed), the way an administrator stops a server."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run(str(self.programs / "pg_ctl"), "stop", "--pgdata", str(self.data_dir), "--mode", "fast", "--wait")

    def running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def destroy(self) -> None:
        with contextlib.suppress(PostgresUnavailable):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, user: str, password: str, database: str) -> str:
        return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{LOOPBACK}:{self.port}/{database}"

    def superuser_url(self, database: str = "postgres") -> str:
        return self.url(SUPERUSER, self.superuser_password, database)

    def create_database(self, name: str, owner: str, password: str) -> str:
        """A role that can log in with ``password`` and a database it owns; returns its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.superuser_url(), autocommit=True) as connection:
            if not connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone():
                connection.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(owner), sql.Literal(password))
                )
            connection.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner))
            )
        return self.url(owner, password, name)


def unprivileged_ids() -> tuple[int, int] | None:
    """(uid, gid) of ``nobody`` when we are root (PostgreSQL refuses root), else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root and there is no {UNPRIVILEGED_USER!r} user to run PostgreSQL as (it refuses root)"
        ) from None
    return entry.pw_uid, entry.pw_gid


def start_cluster(parent: Path | None = None) -> PostgresCluster:
    """A new cluster, initialised and started on a free loopback port; call `destroy` when done."""
    programs = find_programs()
    run_as = unprivileged_ids()
    root = Path(tempfile.mkdtemp(prefix="voci-postgresql-", dir=parent))
    if run_as:
        os.chown(root, *run_as)  # mkdtemp made it 0700: only the cluster's user (and root) can enter it
    cluster = PostgresCluster(programs, root, _free_port(), secrets.token_urlsafe(18), run_as)
    try:
        cluster.initialise().start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster


def wait_until_accepting(cluster: PostgresCluster, timeout: float = 30.0) -> None:
    """Block until the superuser can connect (after a restart)."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(cluster.superuser_url(), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
