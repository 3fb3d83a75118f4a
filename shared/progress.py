"""A progress bar for long commands (export, purge, report over years), on a terminal only.

On standard error, so standard output stays the data; nothing at all when standard error is
not a terminal (piped, redirected, under cron), so logs and pipes stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

Steps = Callable[[int, int], None]
"""Told ``(done, total)`` as a long command works through its files."""


def quiet(done: int, total: int) -> None:
    """The steps of a command nobody watches."""


@contextmanager
def terminal_progress(description: str, *, stream: TextIO | None = None) -> Iterator[Steps]:
    """Yield a :data:`Steps` that draws a bar on ``stream`` (standard error) if it is a terminal."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield quiet
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def steps(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield steps
