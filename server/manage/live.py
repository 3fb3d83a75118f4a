"""The live queue behind every open page: one watcher thread on the store's change feed, shared by all.

Pages never poll the store. :class:`QueueWatcher` waits on the revision (a tiny read), asks the
door which topics moved (``changes_since``) and reloads the queue only when the follow-ups did;
each page then hears of it by server-sent events, or, past ``live_streams`` open streams (each
holds one of waitress's threads), by asking :meth:`QueueWatcher.version` on a short poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from shared.door import ChangesDoor, QueueDoor, Topic
from shared.followups import FollowUp
from shared.storage import StoreError

log = logging.getLogger("server.manage")

QUEUE_TOPICS = frozenset({Topic.QUEUE, Topic.FOLLOWUPS})


class ManageDoor(QueueDoor, ChangesDoor):
    """What the watcher reads (the local store gives it)."""


class QueueWatcher:
    """The open follow-ups as of the last change, and a version number that moves with them."""

    def __init__(self, store: ManageDoor, *, poll_seconds: float = 0.1, reload_seconds: float = 0.5) -> None:
        self.store = store
        self.poll_seconds = poll_seconds
        self.reload_seconds = reload_seconds  # at most one reload in this time, however busy the store
        self._changed = threading.Condition()
        self._version = 0
        self._queue: tuple[FollowUp, ...] = ()
        self._reloaded = 0.0
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.stopping = threading.Event()

    def start(self) -> None:
        """Start the one thread (at the first page, so an app that serves none never runs it)."""
        with self._start_lock:
            if self._thread is None:
                self._reload()
                self._thread = threading.Thread(target=self._watch, name="manage-watcher", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        with self._changed:
            self._changed.notify_all()

    @property
    def version(self) -> int:
        return self._version

    def queue(self) -> tuple[int, tuple[FollowUp, ...]]:
        with self._changed:
            return self._version, self._queue

    def wait(self, since: int, timeout: float) -> int:
        """Block until the version moves past ``since`` (or ``timeout`` passes, or the server stops)."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != since or self.stopping.is_set(), timeout)
            return self._version

    def refresh(self) -> None:
        """Reload now (after this server changed a follow-up: the page that did it sees it at once)."""
        self._reload()

    def _reload(self) -> None:
        try:
            queue = tuple(self.store.open_followups())
        except StoreError as error:
            log.warning("the web queue could not read the store: %s", error)
            return
        with self._changed:
            self._version += 1
            self._queue = queue
            self._reloaded = time.monotonic()
            self._changed.notify_all()

    def _watch(self) -> None:
        revision = self.store.revision()
        while not self.stopping.wait(self.poll_seconds):
            try:
                current = self.store.revision()  # one tiny read; the queue is read only when it moved
                if current == revision:
                    continue
                moved = self.store.changes_since(revision)
            except StoreError as error:
                log.warning("the web queue could not read the change feed: %s", error)
                self.stopping.wait(1.0)
                continue
            if not moved & QUEUE_TOPICS:
                revision = current
                continue
            wait = self._reloaded + self.reload_seconds - time.monotonic()
            if wait > 0:  # a busy store: at most one reload per reload_seconds, the changes meanwhile included
                self.stopping.wait(wait)
                current = self.store.revision()
            revision = current
            self._reload()


class StreamSlots:
    """At most ``limit`` event streams at once: each holds a server thread for as long as it is open."""

    def __init__(self, limit: int) -> None:
        self._free = threading.BoundedSemaphore(limit) if limit > 0 else None

    def take(self) -> bool:
        return self._free is not None and self._free.acquire(blocking=False)

    def give_back(self) -> None:
        if self._free is not None:
            self._free.release()


def event_stream(
    watcher: QueueWatcher, slots: StreamSlots, *, since: int, heartbeat: float, lifetime: float
) -> Iterator[str]:
    """``queue`` events carrying the version; a comment line as heartbeat (a closed page shows at the
    next write); ends after ``lifetime`` seconds so a slot is never held for ever (the browser reconnects)."""
    ends = time.monotonic() + lifetime
    try:
        yield "retry: 1000\n\n"
        yield f"event: queue\ndata: {watcher.version}\n\n"
        version = watcher.version
        while time.monotonic() < ends and not watcher.stopping.is_set():
            current = watcher.wait(version, min(heartbeat, max(ends - time.monotonic(), 0)))
            if current != version:
                version = current
                yield f"event: queue\ndata: {version}\n\n"
            else:
                yield ": still here\n\n"
    finally:
        slots.give_back()
