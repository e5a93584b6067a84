"""The backend's HTTP service: Starlette routes over `Backend`, served by Uvicorn on 127.0.0.1 unless told otherwise.

Optional HTTP Basic auth (Label Studio sends it on every call when the backend is registered with it); the
password comes from the environment and is compared in constant time, never logged.

``/webhook`` changes what the backend has learnt, so it is never open: it needs the webhook secret in the
``X-Voci-Webhook-Secret`` header (Label Studio's webhooks send custom headers; ``studio --ml-backend`` sets a
generated one) or the Basic credentials.  Every POST must be ``application/json``: a web page can send a form or
text to 127.0.0.1 from the annotator's browser without asking (a CORS "simple request"), not JSON.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import ConfigurationError, InputError, ServerError, mention
from toolkit.labelstudio.backend.service import Backend
from toolkit.labelstudio.backend.sources import Cancellation, Cancelled
from toolkit.labelstudio.server import LOOPBACK

log = logging.getLogger("toolkit.backend")
EXTRA = "backend"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
WEBHOOK_SECRET_HEADER = "X-Voci-Webhook-Secret"
MAX_BODY = 20_000_000  # bytes of one request: a batch of long articles fits; a runaway upload does not
JSON_MEDIA_TYPE = "application/json"


def require_http_libraries() -> None:
    """Starlette and Uvicorn come with the ``backend`` extra (``studio`` and ``dev`` include it)."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        raise ConfigurationError(
            f"the ML backend needs {error.name} (expected `pip install 'voci-toolkit[{EXTRA}]'`; "
            "the studio and dev extras include it)"
        ) from None


@dataclass(frozen=True)
class BasicAuth:
    username: str
    password: str = field(repr=False)

    def token(self) -> bytes:
        return base64.b64encode(f"{self.username}:{self.password}".encode("latin-1"))

    def header(self) -> bytes:
        return b"Basic " + self.token()

    def accepts(self, header: bytes) -> bool:
        """An ``Authorization`` header with these credentials (the scheme is case-insensitive, RFC 7617)."""
        scheme, _, token = header.strip().partition(b" ")
        return scheme.lower() == b"basic" and hmac.compare_digest(token.strip(), self.token())


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes, where: str) -> Any:
    """Strict JSON: no NaN/Infinity, no lone surrogate (they cannot be stored or answered), not nested too deep."""
    try:
        payload = json.loads(raw, parse_constant=_reject_constant)
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{where}: not JSON ({error.__class__.__name__}); expected a JSON object") from None
    except UnicodeEncodeError:
        raise InputError(f"{where}: a string holds a lone surrogate (expected UTF-8 text)") from None
    except ValueError as error:
        raise InputError(f"{where}: {error} (expected plain JSON numbers)") from None
    except RecursionError:
        raise InputError(f"{where}: nested too deep (expected a Label Studio request)") from None
    return payload


def create_app(backend: Backend, auth: BasicAuth | None = None, webhook_secret: str | None = None):
    """The ASGI application: ``/`` and ``/health`` (GET), ``/setup``, ``/predict``, ``/webhook``, ``/train`` (POST)."""
    require_http_libraries()
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def body(request: Request) -> dict[str, Any]:
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY:
                raise TooLarge(f"request body: more than {MAX_BODY} bytes (expected fewer or shorter tasks)")
        payload = parse_json(bytes(raw), "request body")
        if not isinstance(payload, dict):
            raise InputError("request body: expected a JSON object")
        return payload

    def answering(method, cancellable: bool = False):
        """Run ``method(payload)`` off the event loop (a prediction can take seconds); bad requests answer 400.
        A ``cancellable`` method is stopped when its client leaves (see `until_the_client_leaves`)."""

        async def endpoint(request: Request) -> Response:
            try:
                payload = await body(request)
                if cancellable:
                    return JSONResponse(await until_the_client_leaves(request, method, payload))
                return JSONResponse(await run_in_threadpool(method, payload))
            except InputError as error:
                log.warning("%s %s: %s", request.method, request.url.path, error.args[0])
                status = 413 if isinstance(error, TooLarge) else 400
                return JSONResponse({"status": "ERROR", "error": error.args[0]}, status_code=status)
            except (Cancelled, ClientDisconnect) as stopped:
                where = stopped.args[0] if stopped.args else "before sending the whole request"
                log.info("%s %s: the client left; %s", request.method, request.url.path, where)
                return Response(status_code=499)  # nobody reads it (nginx's "client closed request")
            except Exception as error:  # a bug answers 500 and is logged; the service goes on
                log.exception("%s %s failed", request.method, request.url.path)
                return JSONResponse({"status": "ERROR", "error": f"{error.__class__.__name__}: {error}"}, 500)

        return endpoint

    async def until_the_client_leaves(request: Request, method, payload: dict[str, Any]) -> Any:
        """``method(payload, cancellation)`` in a worker thread while the client waits; when it disconnects first,
        the worker is told to stop before its next document (it raises `Cancelled`)."""
        import asyncio

        cancellation = Cancellation()
        work = asyncio.ensure_future(run_in_threadpool(method, payload, cancellation))
        left = asyncio.ensure_future(disconnected(request))
        try:
            await asyncio.wait({work, left}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            left.cancel()
        if not work.done():
            cancellation.cancel()
        return await work

    async def disconnected(request: Request) -> None:
        """Returns when the client has closed the connection (the body is read: the next message says so)."""
        while (await request.receive())["type"] != "http.disconnect":
            pass

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(backend.health())

    routes = [
        Route("/", health, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/setup", answering(backend.setup), methods=["POST"]),
        Route("/predict", answering(backend.predict, cancellable=True), methods=["POST"]),
        Route("/webhook", answering(backend.webhook), methods=["POST"]),
        Route("/train", answering(backend.train), methods=["POST"]),
    ]
    return RequestGuard(Starlette(routes=routes), auth, webhook_secret)


class TooLarge(InputError):
    """A request body over `MAX_BODY`: answered 413."""


class RequestGuard:
    """Before any route: POST bodies must be JSON (415), ``/webhook`` needs the webhook secret or the Basic
    credentials (403), and with Basic auth configured every other request needs it (401)."""

    def __init__(self, app, auth: BasicAuth | None, webhook_secret: str | None):
        self.app = app
        self.auth = auth
        self.secret = webhook_secret.encode("utf-8") if webhook_secret else None

    def refusal(self, scope) -> tuple[int, str, dict[str, str]] | None:
        headers = dict(scope["headers"])
        authorized = self.auth is not None and self.auth.accepts(headers.get(b"authorization", b""))
        challenge = {"WWW-Authenticate": 'Basic realm="voci backend"'}
        if scope["path"] == "/webhook":
            given = headers.get(WEBHOOK_SECRET_HEADER.lower().encode("ascii"), b"")
            if not (authorized or (self.secret is not None and hmac.compare_digest(given, self.secret))):
                return 403, f"webhook refused: expected the {WEBHOOK_SECRET_HEADER} header or the Basic credentials", {}
        elif self.auth is not None and not authorized:
            return 401, "authentication required", challenge
        media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if scope["method"] == "POST" and media_type != JSON_MEDIA_TYPE.encode("ascii"):
            return 415, f"request body: expected Content-Type {JSON_MEDIA_TYPE}", {}
        return None

    async def __call__(self, scope, receive, send):
        refused = self.refusal(scope) if scope["type"] == "http" else None
        if refused is not None:
            from starlette.responses import JSONResponse

            status, message, headers = refused
            log.warning("%s %s: %s", scope["method"], scope["path"], message)
            response = JSONResponse({"status": "ERROR", "error": message}, status_code=status, headers=headers)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: any free port); a busy port is an error, never a silent move."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise ServerError(
            f"cannot listen on {host}:{port} ({error.strerror}); expected a free port ({mention('port')} 0 picks one)"
        ) from None
    listener.listen(128)
    listener.set_inheritable(True)
    return listener


class BackendServer:
    """Uvicorn serving the app on a socket we bound, in a background thread; `stop` ends it."""

    def __init__(self, app, host: str = LOOPBACK, port: int = 0):
        require_http_libraries()
        import uvicorn

        self.socket = bind(host, port)
        self.host = host
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> BackendServer:
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="voci-backend", daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"the ML backend did not start on {self.url}")
            time.sleep(0.05)
        return self

    def wait(self) -> None:
        """Block until the server ends (Ctrl-C arrives as KeyboardInterrupt, see `signals_interrupt`)."""
        while self.thread is not None and self.thread.is_alive():
            self.thread.join(0.5)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout)
            self.thread = None
        self.socket.close()

    def __enter__(self) -> BackendServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
