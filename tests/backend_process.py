"""`toolkit backend` started as a user starts it: a subprocess on a free loopback port, output in files, stopped by
Ctrl-C (SIGINT) in the teardown of the fixture that starts it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from toolkit.labelstudio.server import free_port

TOOLKIT = Path(sys.executable).parent / "toolkit"  # .venv/bin/toolkit when run with .venv/bin/python
READY = "press Ctrl-C to stop the backend"
START_LIMIT = 120.0  # bounds for waiting on a loaded machine, not assertions about speed
STOP_LIMIT = 30.0


@dataclass
class BackendProcess:
    process: subprocess.Popen
    port: int
    data_dir: Path
    stderr_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait_until_ready(self) -> BackendProcess:
        deadline = time.monotonic() + START_LIMIT
        while READY not in self.stderr():
            if self.process.poll() is not None:
                pytest.fail(f"toolkit backend exited with {self.process.returncode}:\n{self.stderr()}")
            if time.monotonic() > deadline:
                pytest.fail(f"toolkit backend was not ready within {START_LIMIT:.0f} s:\n{self.stderr()}")
            time.sleep(0.1)
        return self

    def interrupt(self) -> int:
        """Ctrl-C; the exit code."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=STOP_LIMIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"toolkit backend did not stop within {STOP_LIMIT:.0f} s of Ctrl-C:\n{self.stderr()}")


def start_backend(folder: Path, *arguments: str, environment: dict[str, str] | None = None) -> BackendProcess:
    """Run ``toolkit backend --port <free> --data-dir <folder>/studio ARGUMENTS`` in ``folder`` and wait until it
    serves."""
    port = free_port()
    data_dir = folder / "studio"
    stderr_path = folder / f"backend-{port}.stderr"
    environment = {**os.environ, **(environment or {})}
    environment.pop("TOOLKIT_DEBUG", None)
    command = [str(TOOLKIT), "backend", "--port", str(port), "--data-dir", str(data_dir), *arguments]
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 (our own command)
            command, cwd=folder, env=environment, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr
        )
    return BackendProcess(process, port, data_dir, stderr_path).wait_until_ready()


@contextlib.contextmanager
def running_backends() -> Iterator:
    """``start(folder, *arguments, environment=…)`` starts a backend; every one is stopped when the block ends."""
    started: list[BackendProcess] = []

    def start(folder: Path, *arguments: str, environment: dict[str, str] | None = None) -> BackendProcess:
        started.append(start_backend(folder, *arguments, environment=environment))
        return started[-1]

    try:
        yield start
    finally:
        for backend in started:
            if backend.process.poll() is None:
                backend.interrupt()
