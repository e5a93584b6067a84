"""Annotator accounts for a team: each gets a generated password, kept in a file only its owner can read.

Label Studio 1.23's users API creates accounts without a password (its serializer has no such field), so an
account made that way cannot log in.  Accounts are made the way a person joins: the organisation's invite link
(``GET /api/invite``, through the SDK) and the sign-up form, with a generated password.  The passwords file is
rewritten (atomically, mode 0600) after each account, so it always lists exactly the accounts this command made,
even if a later one fails.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from toolkit.errors import InputError, ServerError, mention
from toolkit.labelstudio.client import Connection, server_errors

DEFAULT_PASSWORDS_FILE = Path(".studio") / "passwords.json"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SIGNUP_PATH = "/user/signup/"
PASSWORD_BYTES = 15  # 20 URL-safe characters


@dataclass
class UsersReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    passwords_path: Path | None = None


def check_emails(emails: Iterable[str]) -> list[str]:
    """Lower-cased (Label Studio stores them so), duplicates dropped, each a plausible address; else `InputError`."""
    checked: list[str] = []
    for position, email in enumerate(emails, start=1):
        address = email.strip().lower()
        if not EMAIL.match(address):
            raise InputError(f"EMAIL {position}: {email!r} is not an email address (expected name@domain.tld)")
        if address not in checked:
            checked.append(address)
    if not checked:
        raise InputError("EMAIL: none given (expected one or more email addresses)")
    return checked


def read_passwords(path: Path) -> list[dict[str, Any]]:
    """The accounts already in the passwords file (none when it does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        accounts = json.loads(path.read_text(encoding="utf-8"))["accounts"]
        if not isinstance(accounts, list) or not all(isinstance(a, dict) and "email" in a for a in accounts):
            raise TypeError("accounts is not a list of objects with an email")
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(
            f"{path}: unreadable passwords file ({error}); expected the JSON file written by `toolkit users add`"
        ) from None
    return accounts


def write_passwords(path: Path, accounts: list[dict[str, Any]]) -> None:
    """Write the file now, not with the command's other outputs: an account that exists must have its password
    on disk even if the next sign-up fails."""
    from toolkit.files import atomic_writer
    from toolkit.pathguard import Output, PathPlan
    from toolkit.staging import staged

    with (
        staged(PathPlan(outputs=[Output(mention("passwords"), Path(path))]), own=True),
        atomic_writer(path, permissions=0o600) as handle,  # readable by its owner only: it holds passwords
    ):
        json.dump({"accounts": accounts}, handle, ensure_ascii=False, indent=2)
        handle.write("\n")


def existing_emails(studio: Connection) -> set[str]:
    with server_errors(studio.url, "list users"):
        return {user.email.lower() for user in studio.sdk.users.list() if user.email}


def _http(studio: Connection):
    """A plain HTTP client for the sign-up form, which a person fills in without any key."""
    import httpx

    return httpx.Client(base_url=studio.url, timeout=60.0, follow_redirects=False)


def invite_token(studio: Connection) -> str:
    """The organisation's invite token, asked through the SDK (so with either kind of API key)."""
    with server_errors(studio.url, "get the organisation's invite link"):
        invite = studio.sdk.organizations.invites.get_invite_link()
    if not isinstance(invite.token, str) or not invite.token:
        raise ServerError(f"{studio.url} answered the invite-link request without a token")
    return invite.token


def sign_up(studio: Connection, token: str, email: str, password: str) -> None:
    """What a person does with the invite link: open the sign-up page, then post the form."""
    with _http(studio) as http, server_errors(studio.url, f"sign up {email}"):
        page = http.get(SIGNUP_PATH, params={"token": token})
        csrf = http.cookies.get("csrftoken")
        response = http.post(
            SIGNUP_PATH,
            params={"token": token},
            data={"csrfmiddlewaretoken": csrf or "", "email": email, "password": password},
            headers={"Referer": f"{studio.url}{SIGNUP_PATH}", "X-CSRFToken": csrf or ""},
        )
    if page.status_code != 200 or response.status_code != 302:
        raise ServerError(
            f"{studio.url} refused the sign-up of {email} (HTTP {page.status_code}, then {response.status_code}; "
            "expected the sign-up page, then a redirect)"
        )


def add_users(
    studio: Connection,
    emails: Iterable[str],
    passwords_path: Path = DEFAULT_PASSWORDS_FILE,
    created: Callable[[str], None] | None = None,
) -> UsersReport:
    """Create an account for each email that has none; an existing account is left as it is (password included).

    ``created`` is called with each email as soon as its account and password are saved.
    """
    wanted = check_emails(emails)
    accounts = read_passwords(passwords_path)
    report = UsersReport(passwords_path=Path(passwords_path))
    on_server = existing_emails(studio)
    report.existing = [email for email in wanted if email in on_server]
    missing = [email for email in wanted if email not in on_server]
    if not missing:
        return report
    token = invite_token(studio)
    for email in missing:
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        sign_up(studio, token, email, password)
        accounts = [account for account in accounts if account["email"] != email or account.get("server") != studio.url]
        accounts.append(
            {
                "email": email,
                "password": password,
                "server": studio.url,
                "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        write_passwords(passwords_path, accounts)
        report.created.append(email)
        if created:
            created(email)
    if not set(missing) <= existing_emails(studio):
        raise ServerError(f"{studio.url} accepted the sign-ups but does not list {', '.join(missing)} as users")
    return report
