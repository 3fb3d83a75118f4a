"""The kiosk's outbox: answers the store could not take yet, kept on local disk and sent later.

Entries are sent in the order they were added (a rating's record before its
updates) and removed only after the sender accepted them. Replaying is safe:
recording is idempotent by rating id and an update carries the whole rating,
so a crash between sending and removing sends the same thing twice, harmlessly.

Where entries go is an :class:`OutboxSender`; today the local store
(:class:`StoreSender`), later possibly a remote server.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from shared.door import RatingsDoor
from shared.ratings import InvalidRating, Rating
from shared.storage import DurableJSONStorage, StoreCorrupt, StoreError

OUTBOX_FILE = "outbox.json"


class Operation(enum.StrEnum):
    RECORD = "record"
    UPDATE = "update"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    seq: int
    op: Operation
    rating: Rating

    def to_record(self) -> dict[str, Any]:
        return {"seq": self.seq, "op": str(self.op), "rating": self.rating.to_record()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> OutboxEntry:
        return cls(int(record["seq"]), Operation(record["op"]), Rating.from_record(record["rating"]))


class OutboxSender(Protocol):
    """Delivers one entry; raises :class:`shared.storage.StoreError` when it cannot right now."""

    def send(self, op: Operation, rating: Rating) -> None: ...


class StoreSender:
    """Delivers through the store's door (the local :class:`shared.store.FeedbackStore`)."""

    def __init__(self, store: RatingsDoor) -> None:
        self.store = store

    def send(self, op: Operation, rating: Rating) -> None:
        if op is Operation.RECORD:
            self.store.record_rating(rating)
        else:
            self.store.update_rating(rating)


class Outbox:
    """A durable FIFO of entries in ``<folder>/outbox.json``; safe to share between threads.

    Adding an entry appends one fsynced line to the file's journal (see
    :class:`shared.storage.DurableJSONStorage`), so a tap costs the same with ten
    thousand answers waiting; removing sent entries rewrites the file once per batch.
    If even the outbox cannot be written (its disk is full too), the entry is kept
    in memory so it is still retried while the kiosk runs, and :attr:`write_error` says why.
    """

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / OUTBOX_FILE
        self._storage = DurableJSONStorage(self.path)
        self._lock = threading.Lock()
        self._entries: list[OutboxEntry] = self._load()
        self.write_error: StoreError | None = None

    def _load(self) -> list[OutboxEntry]:
        records = (self._storage.read() or {}).get("entries", {})
        try:
            return sorted((OutboxEntry.from_record(record) for record in records.values()), key=lambda e: e.seq)
        except (KeyError, TypeError, ValueError, InvalidRating) as error:
            raise StoreCorrupt(self.path, f"not a kiosk outbox: {error}") from None

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def entries(self) -> list[OutboxEntry]:
        with self._lock:
            return list(self._entries)

    def holds(self, rating_id: str) -> bool:
        with self._lock:
            return any(entry.rating.id == rating_id for entry in self._entries)

    def add(self, op: Operation, rating: Rating) -> OutboxEntry:
        with self._lock:
            seq = self._entries[-1].seq + 1 if self._entries else 1
            entry = OutboxEntry(seq, op, rating)
            self._entries.append(entry)
            if self.write_error is not None:
                self._save_all()  # entries kept only in memory so far go to disk with this one
            else:
                self._write(lambda: self._storage.append("entries", {str(seq): entry.to_record()}))
            return entry

    def remove(self, seq: int) -> None:
        self.remove_all([seq])

    def remove_all(self, seqs: Iterable[int]) -> None:
        """Remove several sent entries with one write (a remote batch)."""
        done = set(seqs)
        with self._lock:
            self._entries = [entry for entry in self._entries if entry.seq not in done]
            self._save_all()

    def _save_all(self) -> None:
        tables = {"entries": {str(entry.seq): entry.to_record() for entry in self._entries}}
        self._write(lambda: self._storage.write(tables))

    def _write(self, write: Callable[[], None]) -> None:
        try:
            write()
        except StoreError as error:  # a full disk, or a folder that is gone or not writable
            self.write_error = error
        else:
            self.write_error = None
