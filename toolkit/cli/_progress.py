"""A progress bar on stderr for long server operations (hidden for small jobs)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

PROGRESS_THRESHOLD = 1


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int], Callable[[int], None]]]:
    """Yields ``start(total) -> advance(n)``; the bar appears once the total is known and large enough."""
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=False) as bar:

        def start(total: int) -> Callable[[int], None]:
            task = bar.add_task(description, total=total, visible=total >= PROGRESS_THRESHOLD)
            return lambda count: bar.advance(task, count)

        yield start
