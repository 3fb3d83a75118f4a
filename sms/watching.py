"""Run a piece of work whenever the store's change feed names one of its topics: the server's background workers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection

from shared.door import ChangesDoor, Topic
from shared.storage import StoreError

log = logging.getLogger("sms.watching")

# Seconds between two looks at least for the workers whose news is minutes away (a hot spot, a check-back):
# at 100 texts/s the store changes many times a second, and each look costs the texts waiting some CPU.
LEAST_GAP = 1.0


def watch(
    store: ChangesDoor,
    topics: Collection[Topic],
    work: Callable[[], object],
    stop: threading.Event,
    *,
    poll: float = 0.25,
    every: float | None = None,
    gap: float = 0.0,
    name: str = "worker",
) -> None:
    """Call ``work`` at start, after each change of ``topics``, and (with ``every``) at least that often,
    until ``stop`` is set; ``gap`` seconds apart at least, so a burst of changes costs one call per gap.
    A store error pauses the work until the next poll; it never ends the thread."""
    seen: int | None = None
    idle = 0.0
    while not stop.is_set():
        wait = poll
        try:
            revision = store.revision()
            due = every is not None and idle >= every
            if revision != seen or due:
                moved = seen is None or due or bool(set(topics) & store.changes_since(seen))
                seen = revision
                if moved:
                    idle = 0.0
                    wait = max(poll, gap)  # changes meanwhile are seen at the next look
                    work()
        except StoreError as error:
            log.error("%s paused: %s", name, error)
        stop.wait(wait)
        idle += wait


def start(target: Callable[[threading.Event], None], name: str) -> tuple[threading.Thread, threading.Event]:
    """Run ``target(stop)`` in a daemon thread; set the event to end it."""
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(stop,), name=name, daemon=True)
    thread.start()
    return thread, stop
