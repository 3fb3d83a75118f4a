"""Every answer reaches the store now, or the outbox until the store can take it.

The kiosk never waits on a broken store and never loses an answer: a
:class:`StoreError` (full disk, lock held too long, ...) sends the entry to the
outbox, and :meth:`Recorder.flush` replays the outbox in order.
"""

from __future__ import annotations

import logging
import threading

from kiosk.outbox import Operation, Outbox, OutboxSender
from shared.ratings import Rating
from shared.storage import StoreError

log = logging.getLogger(__name__)


class Recorder:
    """Sends answers, falling back to the outbox; ``flush`` drains the outbox through ``retry_sender``."""

    def __init__(self, sender: OutboxSender, outbox: Outbox, *, retry_sender: OutboxSender | None = None) -> None:
        self.sender = sender
        self.retry_sender = retry_sender or sender
        self.outbox = outbox
        self.last_error: StoreError | None = None
        self._flushing = threading.Lock()

    @property
    def pending(self) -> int:
        return len(self.outbox)

    def submit(self, op: Operation, rating: Rating) -> bool:
        """Deliver now if nothing is queued ahead (order!), else queue. True when delivered now."""
        if len(self.outbox) == 0:
            try:
                self.sender.send(op, rating)
                return True
            except StoreError as error:
                self.last_error = error
                log.warning("kept rating %s in the outbox: %s", rating.id, error)
        self.outbox.add(op, rating)
        return False

    def flush(self) -> int:
        """Send queued entries oldest first, stopping at the first failure; return how many remain."""
        with self._flushing:
            for entry in self.outbox.entries():
                try:
                    self.retry_sender.send(entry.op, entry.rating)
                except StoreError as error:
                    self.last_error = error
                    break
                self.outbox.remove(entry.seq)
            else:
                self.last_error = None
            return len(self.outbox)
