"""Start and stop a local Label Studio server: loopback unless told otherwise, telemetry off, sign-up by invitation
only, SQLite in a data dir we own or a PostgreSQL database.

Used by ``toolkit studio`` and by the test suite's session fixture, so both run
the server the same measured way (see the project notes on Label Studio).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import ConfigurationError, InputError, ServerError, mention
from toolkit.files import atomic_writer
from toolkit.labelstudio.database import SQLITE_ENVIRONMENT, PostgresDatabase

LOOPBACK = "127.0.0.1"
LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::"})
DEFAULT_DATA_DIR = Path(".studio")
CREDENTIALS_FILE = "credentials.json"
PORT_FILE = "port"  # the port of the data dir's first start, reused so URLs and browser logins survive restarts
LOG_FILE = "server.log"
START_TIMEOUT = 180.0
STOP_TIMEOUT = 15.0

# Without these the server tries to reach error reporting, version checks and analytics.
QUIET_ENVIRONMENT = {
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
    "FEATURE_FLAGS_OFFLINE": "true",
    # no account without the organisation's invite link (or `toolkit users add`), even on a server others can reach
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    # the admin token below is a legacy token; the choice is stored when the organisation is created
    "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
}

# Label Studio refuses to call loopback and private addresses (SSRF protection of ML backends and webhooks). An ML
# backend on this machine (`toolkit studio --ml-backend`, the tests) needs 127.0.0.0/8: these settings replace the
# server's default list of banned networks by the same list without it.
LOOPBACK_CALLS_ENVIRONMENT = {
    "USE_DEFAULT_BANNED_SUBNETS": "false",
    "USER_ADDITIONAL_BANNED_SUBNETS": ",".join(
        [
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.0.0/24",
            "192.0.2.0/24",
            "192.88.99.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "224.0.0.0/4",
            "233.252.0.0/24",
            "240.0.0.0/4",
            "255.255.255.255/32",
            "::/128",
            "::1/128",
            "::ffff:0:0/96",
            "::ffff:0:0:0/96",
            "64:ff9b::/96",
            "64:ff9b:1::/48",
            "100::/64",
            "2001:0000::/32",
            "2001:20::/28",
            "2001:db8::/32",
            "2002::/16",
            "fc00::/7",
            "fe80::/10",
            "ff00::/8",
        ]
    ),
}


@dataclass(frozen=True)
class Credentials:
    """The generated admin login and API token of one data dir."""

    username: str
    password: str = field(repr=False)
    api_key: str = field(repr=False)

    @classmethod
    def generate(cls) -> Credentials:
        return cls(username="admin@voci.local", password=secrets.token_urlsafe(18), api_key=secrets.token_hex(20))

    def masked_key(self) -> str:
        """Enough of the key to tell two keys apart, never enough to use it."""
        return self.api_key[:4] + "…"


def credentials_path(data_dir: Path) -> Path:
    return Path(data_dir) / CREDENTIALS_FILE


def load_or_create_credentials(data_dir: Path) -> Credentials:
    """Reuse the data dir's credentials, or generate them into a file only the user can read (mode 0600)."""
    path = credentials_path(data_dir)
    if path.exists():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return Credentials(username=raw["username"], password=raw["password"], api_key=raw["api_key"])
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(
                f"{path}: unreadable credentials ({error}); expected the JSON file written by `toolkit studio`"
            ) from None
    credentials = Credentials.generate()
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, permissions=0o600) as handle:  # readable by the user only: it holds the password and key
        json.dump(
            {"username": credentials.username, "password": credentials.password, "api_key": credentials.api_key},
            handle,
            indent=2,
        )
        handle.write("\n")
    return credentials


def free_port() -> int:
    """A port nothing listens on right now (the server would silently move to another one if busy)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def port_is_free(port: int, address: str = LOOPBACK) -> bool:
    """Nothing listens there; like the server, ignore connections still closing (TIME_WAIT) after a restart."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
        return True


def kept_port(data_dir: Path) -> int | None:
    """The port this data dir's server last started on, if any."""
    path = Path(data_dir) / PORT_FILE
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8").strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise InputError(f"{path}: {text[:20]!r} is not a port number (expected the file `toolkit studio` writes)")
    return int(text)


def keep_port(data_dir: Path, port: int) -> None:
    if kept_port(data_dir) != port:
        with atomic_writer(Path(data_dir) / PORT_FILE) as handle:
            handle.write(f"{port}\n")


def local_studio(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[str, Credentials] | None:
    """The URL and credentials of the studio ``toolkit studio`` made in ``data_dir``, if it made one (its port file
    and its credentials); the URL is the loopback one, where ``toolkit studio`` prints it."""
    data_dir = Path(data_dir)
    if not credentials_path(data_dir).is_file():
        return None
    port = kept_port(data_dir)
    if port is None:
        return None
    return f"http://{LOOPBACK}:{port}", load_or_create_credentials(data_dir)


def label_studio_program() -> str:
    """The ``label-studio`` executable of this environment."""
    beside_python = Path(sys.executable).parent / "label-studio"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("label-studio")
    if not found:
        raise ConfigurationError(
            "the Label Studio server is not installed (expected `pip install -e '.[studio]'`, which `make studio` runs)"
        )
    return found


def server_environment(
    data_dir: Path, credentials: Credentials, database: PostgresDatabase | None = None
) -> dict[str, str]:
    settings = dict(QUIET_ENVIRONMENT)
    settings.update(database.environment() if database else SQLITE_ENVIRONMENT)
    settings.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(Path(data_dir).resolve()),
            "LABEL_STUDIO_USERNAME": credentials.username,
            "LABEL_STUDIO_PASSWORD": credentials.password,
            "LABEL_STUDIO_USER_TOKEN": credentials.api_key,
        }
    )
    environment = {name: value for name, value in os.environ.items() if name not in shadowing_names(settings)}
    environment.update(settings)
    return environment


def shadowing_names(settings: dict[str, str]) -> set[str]:
    """Label Studio reads ``LABEL_STUDIO_X`` and ``HEARTEX_X`` before ``X``: such variables left in the caller's
    environment would override our ``X`` (a stray ``LABEL_STUDIO_POSTGRE_HOST`` would pick another database)."""
    return {
        prefix + name
        for name in settings
        if not name.startswith("LABEL_STUDIO_")  # read first: nothing can shadow it
        for prefix in ("LABEL_STUDIO_", "HEARTEX_")
    }


def health(url: str, timeout: float = 2.0) -> bool:
    """True when ``GET /health`` answers ``{"status": "UP"}``."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:  # noqa: S310 (loopback URL we built)
            return json.loads(response.read().decode("utf-8")).get("status") == "UP"
    except (OSError, ValueError):
        return False


@dataclass
class StudioServer:
    """One running (or stopped) server; `stop` and `start` keep the data dir, port and credentials."""

    data_dir: Path
    port: int
    credentials: Credentials
    process: subprocess.Popen | None = field(default=None, repr=False)
    database: PostgresDatabase | None = None
    bind: str = LOOPBACK  # the address it listens on; anything but loopback comes only from `toolkit studio --host`
    loopback_calls: bool = False  # let the server call an ML backend (and its webhook) on 127.0.0.1

    @property
    def url(self) -> str:
        """Where this machine reaches the server (loopback when it listens on every address)."""
        address = LOOPBACK if self.bind in WILDCARD_ADDRESSES else self.bind
        return f"http://{_url_host(address)}:{self.port}"

    @property
    def public_url(self) -> str:
        """The server's own idea of its address (links it builds); LABEL_STUDIO_HOST in the environment overrides it."""
        if self.bind in WILDCARD_ADDRESSES:
            return f"http://{_url_host(socket.getfqdn())}:{self.port}"
        return self.url

    @property
    def database_label(self) -> str:
        """The database for messages, password masked."""
        return self.database.redacted if self.database else f"SQLite in {self.data_dir}"

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> StudioServer:
        """Launch the server and wait until /health answers on our port."""
        if self.running():
            return self
        if not port_is_free(self.port, self.bind):
            raise ServerError(
                f"port {self.port} on {self.bind} is in use (expected a free port: choose another with "
                f"{mention('port')})"
            )
        if self.database:
            self.database.check_connection()
        command = [
            label_studio_program(),
            "start",
            "--no-browser",
            "--internal-host",
            self.bind,
            "--port",
            str(self.port),
            "--host",
            self.public_url,
        ]
        environment = server_environment(self.data_dir, self.credentials, self.database)
        if self.loopback_calls:
            environment.update(LOOPBACK_CALLS_ENVIRONMENT)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (fixed program and arguments)
                command,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop it cleanly
            )
        try:
            self._wait_until_healthy(timeout)
            if self.database:
                self._check_admin_key()
        except BaseException:  # Ctrl-C included: in its own session the server would outlive us
            self.stop()
            raise
        keep_port(self.data_dir, self.port)
        return self

    def _wait_until_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if health(self.url):
                return
            if self.process.poll() is not None:
                raise ServerError(
                    f"Label Studio exited with code {self.process.returncode} while starting; see {self.log_path}"
                )
            time.sleep(0.5)
        raise ServerError(f"Label Studio did not answer {self.url}/health within {timeout:.0f} s; see {self.log_path}")

    def _check_admin_key(self) -> None:
        """A database first started from another data dir keeps that dir's admin and key: say so, not just "401"."""
        request = urllib.request.Request(
            f"{self.url}/api/current-user/whoami", headers={"Authorization": f"Token {self.api_key}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30):  # noqa: S310 (our server's URL)
                return
        except urllib.error.HTTPError as error:
            if error.code not in (401, 403):
                raise ServerError(f"{self.url} answered HTTP {error.code} to the admin's first request") from None
        raise ConfigurationError(
            f"{self.database_label} already has a user {self.credentials.username} with another API key than "
            f"{credentials_path(self.data_dir)}: start with the data dir that first used this database "
            "(its credentials.json), or with an empty database"
        )

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM by PID, then SIGKILL if it does not exit in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        self.process = None

    def serve_until_interrupted(self) -> None:
        """Block until Ctrl-C or SIGTERM (then return, the caller stops the server); an unexpected exit is an error.

        Run it inside `signals_interrupt` so that SIGTERM, and SIGINT in a backgrounded shell job, arrive here.
        """
        try:
            code = self.process.wait()
        except KeyboardInterrupt:
            return
        raise ServerError(f"Label Studio exited unexpectedly with code {code}; see {self.log_path}")

    def __enter__(self) -> StudioServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGINT and SIGTERM both raise KeyboardInterrupt while the block runs,
    so a server started in it is stopped, not orphaned.

    A shell's background job ignores SIGINT and a service manager sends SIGTERM:
    without this, either would leave the server (in its own session) running.
    """

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def prepare_server(
    data_dir: Path = DEFAULT_DATA_DIR,
    port: int | None = None,
    database: PostgresDatabase | None = None,
    bind: str = LOOPBACK,
) -> StudioServer:
    """A server for ``data_dir`` (created if needed, with its credentials), not started yet.

    Without ``port``, the port kept from the data dir's earlier starts (refused if something listens there now),
    else a free one; the port a server starts on is kept for the next start.
    """
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise InputError(f"{data_dir}: is a file (expected a folder for the Label Studio data)")
    kept = kept_port(data_dir) if data_dir.is_dir() else None
    if port is None and kept is not None and not port_is_free(kept, bind):
        raise ServerError(
            f"port {kept} on {bind} (kept in {data_dir / PORT_FILE} so that URLs and logins survive restarts) "
            f"is in use: is `toolkit studio` already running on {data_dir}? Stop what listens there, or pass "
            f"{mention('port')} N to move this studio to another port (then kept)"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    credentials = load_or_create_credentials(data_dir)
    return StudioServer(
        data_dir=data_dir,
        port=port or kept or free_port(),
        credentials=credentials,
        database=database,
        bind=bind,
    )


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def check_bind_address(address: str) -> str:
    """An address this machine has (the server cannot listen elsewhere), as given; `InputError` otherwise."""
    import ipaddress

    if address == "localhost":
        return LOOPBACK
    try:
        parsed = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        raise InputError(
            f"{address} is not an IP address (expected one of this machine's addresses, or 0.0.0.0 for all)",
            parameter="host",
        ) from None
    shown = str(parsed)
    if shown not in WILDCARD_ADDRESSES and not port_is_free(0, shown):  # port 0: any port, if the address is ours
        raise InputError(
            f"{shown} is not an address of this machine (expected one of its addresses or 0.0.0.0)", parameter="host"
        )
    return shown


def exposure_warning(server: StudioServer) -> str | None:
    """One line when the server listens beyond loopback: who can reach it, and that sign-up stays closed."""
    if server.bind in LOOPBACK_ADDRESSES:
        return None
    who = "every network this machine is on" if server.bind in WILDCARD_ADDRESSES else f"the network of {server.bind}"
    return (
        f"warning: Label Studio listens on {_url_host(server.bind)}:{server.port}: anyone on {who} can reach it; "
        "sign-up without the invite link is closed (accounts: `toolkit users add`); put HTTPS in front of it"
    )
