"""Text from users and servers made safe to show on a terminal: secrets in URLs redacted, control characters visible.

Every message the command line prints goes through `for_terminal` (`toolkit.cli._app`), and library code that
keeps a URL for its messages (the Label Studio connection, a fetched page) keeps `redact_secrets` of it, so a
password in ``--url http://user:PASSWORD@host`` or a token in a query string is never printed or logged.
"""

from __future__ import annotations

import re

REDACTED = "***"
URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]*[^\s'\"<>`).,;:!?]")  # without closing punctuation
USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@")
# A query or fragment parameter whose name says it holds a secret (access_token, api_key, X-Amz-Signature, pwd…).
SECRET_PARAMETER = re.compile(r"([?&#;]([^=&#;]*)=)([^&#;]*)")
SECRET_NAME = re.compile(r"token|key|pass|pwd|secret|signature|sig\b|auth|credential|session", re.IGNORECASE)
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def redact_url(url: str) -> str:
    """``url`` without its user information (``user:password@``) and without the values of secret-named parameters."""
    url = USERINFO.sub(rf"\g<1>{REDACTED}@", url)
    return SECRET_PARAMETER.sub(
        lambda match: match.group(1) + REDACTED if SECRET_NAME.search(match.group(2)) else match.group(0), url
    )


def redact_secrets(text: str) -> str:
    """Every URL in ``text`` redacted (`redact_url`)."""
    return URL.sub(lambda match: redact_url(match.group(0)), str(text))


def printable(text: str) -> str:
    """Control characters (terminal escape sequences, BEL, CR, bidi overrides) and lone surrogates (which no
    terminal can print) shown as ``\\uXXXX``; tab and line feed kept."""
    return UNPRINTABLE.sub(lambda match: f"\\u{ord(match.group(0)):04x}", str(text))


def for_terminal(text: str) -> str:
    """What a message may show: secrets redacted, control characters visible."""
    return printable(redact_secrets(text))
