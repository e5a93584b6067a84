"""The backend's HTTP service: Starlette routes over `Backend`, served by Uvicorn on 127.0.0.1 unless told otherwise.

Optional HTTP Basic auth (Label Studio sends it on every call when the backend is registered with it); the
password comes from the environment and is compared in constant time, never logged.
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

from toolkit.errors import ConfigurationError, InputError, ServerError
from toolkit.labelstudio.backend.service import Backend
from toolkit.labelstudio.server import LOOPBACK

log = logging.getLogger("toolkit.backend")
EXTRA = "backend"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


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

    def header(self) -> bytes:
        token = base64.b64encode(f"{self.username}:{self.password}".encode("latin-1")).decode("ascii")
        return f"Basic {token}".encode("latin-1")


def create_app(backend: Backend, auth: BasicAuth | None = None):
    """The ASGI application: ``/`` and ``/health`` (GET), ``/setup``, ``/predict``, ``/webhook``, ``/train`` (POST)."""
    require_http_libraries()
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def body(request: Request) -> dict[str, Any]:
        try:
            payload = json.loads(await request.body())
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"request body: not JSON ({error.__class__.__name__}); expected a JSON object") from None
        if not isinstance(payload, dict):
            raise InputError("request body: expected a JSON object")
        return payload

    def answering(method):
        """Run ``method(payload)`` off the event loop (a prediction can take seconds); bad requests answer 400."""

        async def endpoint(request: Request) -> JSONResponse:
            try:
                return JSONResponse(await run_in_threadpool(method, await body(request)))
            except InputError as error:
                log.warning("%s %s: %s", request.method, request.url.path, error.args[0])
                return JSONResponse({"status": "ERROR", "error": error.args[0]}, status_code=400)
            except Exception as error:  # a bug answers 500 and is logged; the service goes on
                log.exception("%s %s failed", request.method, request.url.path)
                return JSONResponse({"status": "ERROR", "error": f"{error.__class__.__name__}: {error}"}, 500)

        return endpoint

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(backend.health())

    routes = [
        Route("/", health, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/setup", answering(backend.setup), methods=["POST"]),
        Route("/predict", answering(backend.predict), methods=["POST"]),
        Route("/webhook", answering(backend.webhook), methods=["POST"]),
        Route("/train", answering(backend.train), methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    return BasicAuthMiddleware(app, auth) if auth else app


class BasicAuthMiddleware:
    """Every request must carry the configured Basic credentials; others get 401."""

    def __init__(self, app, auth: BasicAuth):
        self.app = app
        self.expected = auth.header()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                from starlette.responses import JSONResponse

                response = JSONResponse(
                    {"status": "ERROR", "error": "authentication required"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="voci backend"'},
                )
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
            f"cannot listen on {host}:{port} ({error.strerror}); expected a free port (--port 0 picks one)"
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
