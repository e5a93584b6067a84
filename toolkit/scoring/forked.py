"""Half of a job in a forked child process, on machines where that is safe.

Decoding a large predictions file is Python work bound to one core; a second
core can decode the other half.  A forked child shares the parent's memory (the
gold it checks against) without copying or pickling it, and sends its result
back as bytes through a pipe.  Fork is used only on Linux and only when the
process has a single OS thread: a lock held by another thread at the fork
would never be released in the child.
"""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def can_fork() -> bool:
    """Whether this process may fork safely: Linux (``/proc``) and one OS thread."""
    try:
        return hasattr(os, "fork") and len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


class Child:
    """``work()`` running in a forked child; `result` waits for its bytes (``None`` when it failed)."""

    def __init__(self, work: Callable[[], bytes]):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's exit handlers or flushes its buffers
            status = 1
            try:
                os.close(read_end)
                payload = work()
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(payload)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        self.pid, self.pipe = pid, os.fdopen(read_end, "rb")

    def result(self) -> bytes | None:
        with self.pipe:
            payload = self.pipe.read()
        _, status = os.waitpid(self.pid, 0)
        return payload if os.waitstatus_to_exitcode(status) == 0 else None

    def cancel(self) -> None:
        """Stop the child when its half is no longer wanted (the parent's half failed)."""
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.pipe.close()


def beside_a_child(here: Callable[[], T], in_child: Callable[[], bytes]) -> tuple[T, bytes | None]:
    """``here()`` in this process while ``in_child()`` runs in a forked child: its value and the child's bytes
    (``None`` if it failed)."""
    child = Child(in_child)
    try:
        value = here()
    except BaseException:
        child.cancel()
        raise
    return value, child.result()


def arrays_to_bytes(arrays: Sequence[np.ndarray]) -> bytes:
    """Arrays end to end in ``.npy`` form: what a child sends back (numbers, nothing to unpickle)."""
    buffer = io.BytesIO()
    for array in arrays:
        np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def arrays_from_bytes(payload: bytes, count: int) -> list[np.ndarray]:
    buffer = io.BytesIO(payload)
    return [np.lib.format.read_array(buffer, allow_pickle=False) for _ in range(count)]
