"""The Label Studio server's database: SQLite in the data dir (the default) or PostgreSQL from a URL.

``postgresql://USER[:PASSWORD]@HOST[:PORT]/NAME[?sslmode=MODE]`` becomes the settings Label Studio 1.23 reads
(``DJANGO_DB=default`` and ``POSTGRE_NAME/USER/PASSWORD/HOST/PORT``, see its ``core/settings/base.py``).  The password
goes to the server's environment only, never to a command line, a message or a file: `PostgresDatabase.redacted`
(user information masked by `toolkit.display.redact_url`, like every URL the toolkit prints) is what messages show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from toolkit.display import REDACTED, redact_url
from toolkit.errors import InputError, ServerError

URL_VARIABLE = "DATABASE_URL"
SCHEMES = ("postgresql", "postgres")
DEFAULT_PORT = 5432
CONNECT_TIMEOUT = 10
SQLITE_ENVIRONMENT = {"DJANGO_DB": "sqlite"}
# libpq reads these from the environment; Label Studio has no setting for them
QUERY_VARIABLES = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "connect_timeout": "PGCONNECT_TIMEOUT"}


@dataclass(frozen=True)
class PostgresDatabase:
    user: str
    host: str
    port: int
    name: str
    password: str = field(default="", repr=False)
    options: tuple[tuple[str, str], ...] = ()

    @property
    def redacted(self) -> str:
        """The URL with its user information masked: the only form of it that is ever shown."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = "&".join(f"{key}={value}" for key, value in self.options)
        return redact_url(f"postgresql://{self.user}@{host}:{self.port}/{self.name}" + (f"?{query}" if query else ""))

    def environment(self) -> dict[str, str]:
        """What the Label Studio process needs to use this database."""
        environment = {
            "DJANGO_DB": "default",
            "POSTGRE_NAME": self.name,
            "POSTGRE_USER": self.user,
            "POSTGRE_PASSWORD": self.password,
            "POSTGRE_HOST": self.host,
            "POSTGRE_PORT": str(self.port),
        }
        environment.update({QUERY_VARIABLES[key]: value for key, value in self.options})
        return environment

    def check_connection(self) -> None:
        """Connect once, so a wrong address or password is one clear line before the server starts."""
        import psycopg

        options = dict(self.options)
        try:
            with psycopg.connect(
                host=self.host,
                port=self.port,
                dbname=self.name,
                user=self.user,
                password=self.password or None,
                connect_timeout=int(options.pop("connect_timeout", CONNECT_TIMEOUT)),
                **options,
            ):
                return
        except psycopg.Error as error:
            reason = " ".join(str(error).split())
            if self.password:
                reason = reason.replace(self.password, REDACTED)
            raise ServerError(f"cannot connect to PostgreSQL at {self.redacted}: {reason}") from None


def parse_database_url(url: str) -> PostgresDatabase:
    """A PostgreSQL URL → its parts; anything else is an `InputError` that shows the URL without its password."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise InputError(f"{_without_password(url)}: {error} (expected {_expected()})", parameter="database") from None
    shown = _without_password(url)
    if parts.scheme not in SCHEMES:
        raise InputError(f"{shown}: scheme {parts.scheme or '(none)'!r} (expected {_expected()})", parameter="database")
    name = unquote(parts.path.lstrip("/"))
    missing = [what for what, value in (("user", parts.username), ("database name", name)) if not value]
    if missing or "/" in name:
        problem = f"no {' and no '.join(missing)}" if missing else f"database name {name!r} has a '/'"
        raise InputError(f"{shown}: {problem} (expected {_expected()})", parameter="database")
    options = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in QUERY_VARIABLES:
            raise InputError(
                f"{shown}: unknown parameter {key!r} (expected only {', '.join(sorted(QUERY_VARIABLES))})",
                parameter="database",
            )
        options.append((key, value))
    return PostgresDatabase(
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        host=parts.hostname or "localhost",
        port=port or DEFAULT_PORT,
        name=name,
        options=tuple(options),
    )


def _expected() -> str:
    # not written as one URL: messages redact the user information of every URL they show
    return "postgresql://HOST[:PORT]/NAME with USER[:PASSWORD]@ before HOST"


def _without_password(url: str) -> str:
    """The URL as typed with its user information masked, up to the last ``@`` of the address (a password may hold
    an unencoded ``@``); without a scheme, masked whole if it has user information."""
    scheme, separator, rest = url.strip().partition("://")
    if not separator:
        return REDACTED if "@" in url else url.strip()
    address, slash, path = rest.partition("/")
    if "@" in address:
        address = f"{REDACTED}@{address.rpartition('@')[2]}"
    return f"{scheme}://{address}{slash}{path}"
