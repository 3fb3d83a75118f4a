"""The store's files: one lock, parse caches, and the change feed.

Every read-modify-write of a data file happens inside :meth:`StoreFiles.transaction`,
which holds a cross-process lock (``flock`` on ``.lock``) and a thread lock. Each process
keeps the last parsed version of the files it touched (up to ``CACHE_BUDGET`` bytes,
least recently used dropped first); before trusting them it reads the change feed
(``revision.json``: an epoch, a counter and the files each change touched), which a
writer bumps *before* changing a file, so a cache is never trusted after another
process changed its file, even if that process died half-way. The feed may be lost:
a feed that is missing, damaged or of another epoch drops every cache, and each cached
file is also checked against its (inode, size, mtime) before it is trusted, so a feed
restored from a backup cannot hide a change either.

This module knows files and locking, not ratings: :mod:`shared.store` builds on it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.table import Document, Table

from shared import offsets
from shared.private_files import FILE_MODE, private_folder
from shared.storage import (
    Audits,
    Changes,
    DurableJSONStorage,
    FolderSyncs,
    PreparedFold,
    Snapshot,
    StoreError,
    StoreWriteError,
    read_whole,
    storage_signature,
)
from shared.wal import WriteAheadLog, current_boot

REVISION_FILE = "revision.json"
SWEPT = ".swept"  # present once every folder was searched for temporaries of killed writers
RECENT_CHANGES_KEPT = 256
_FEED_HEAD = re.compile(rb'\{"epoch":"([0-9a-f]+)","revision":(\d+),')  # how the change feed begins
CACHE_BUDGET = 64 * 1024 * 1024  # estimated bytes of parsed files a process keeps between transactions
LOCK_FIRST_WAIT = 0.0002  # a waiter retries the lock after 0.2 ms, then less often...
LOCK_LONGEST_WAIT = 0.001  # ...but never more than 1 ms apart (a retry is one cheap system call)


class StoreBusy(StoreError):
    """Another process held the store's lock for too long."""


class KeyedTable(Table):
    """A TinyDB table whose document ids are the records' own string ids.

    Looking a rating up by the id its source gave it is then a dict lookup,
    and two processes can never hand out the same numeric id.
    """

    document_id_class = str  # type: ignore[assignment]


class KeyedTinyDB(TinyDB):
    table_class = KeyedTable


class Transaction:
    """Exclusive access to the store's files while the lock is held.

    ``db(name)`` opens a TinyDB on ``<data>/<name>.json`` with keyed tables; every
    write in it is durable before it returns.
    """

    def __init__(self, files: StoreFiles) -> None:
        self._files = files
        self.announced: set[str] = set()
        self.syncs = FolderSyncs()  # folder fsyncs owed by rewrites, settled before the lock is released

    @property
    def root(self) -> Path:
        """The data directory, to find a channel's files by name."""
        return self._files.root

    def will_write(self, *names: str) -> None:
        """Announce several files at once (one change-feed write instead of one per file)."""
        self._files._announce([f"{name}.json" for name in names])

    def discard(self, name: str) -> None:
        """Delete a derived file that cannot be read, so it is rebuilt (never for primary data)."""
        self._files._announce([f"{name}.json"])
        (self._files.root / f"{name}.json").unlink(missing_ok=True)
        (self._files.root / f"{name}.json.log").unlink(missing_ok=True)
        self._files._storage(f"{name}.json").forget()

    def append(self, name: str, table: str, documents: dict[str, dict[str, Any]], *, durable: bool = True) -> None:
        """Add or replace whole documents of ``<name>.json`` through its journal: one small (fsynced) write."""
        self._files._storage(f"{name}.json", durable=durable).append(table, documents)

    def delete(self, name: str, table: str, keys: list[str], *, durable: bool = True) -> None:
        """Remove documents of ``<name>.json`` by key through its journal: one small (fsynced) write."""
        self._files._storage(f"{name}.json", durable=durable).delete(table, keys)

    def change(self, name: str, changes: dict[str, Changes], *, durable: bool = True) -> None:
        """Upsert and delete documents in several tables of ``<name>.json``: one journal line."""
        self._files._storage(f"{name}.json", durable=durable).change(changes)

    def compact(self, name: str) -> None:
        """Fold ``<name>.json``'s journal into the file, so documents deleted are gone from the disk too."""
        self._files._storage(f"{name}.json").compact()

    def compact_all(self) -> None:
        """Fold every journal in the data folder (after a purge: erased must mean gone from the disk)."""
        for journal in sorted(self.root.rglob("*.json.log")):
            if journal.stat().st_size:
                self.compact(journal.relative_to(self.root).as_posix().removesuffix(".json.log"))

    def rewrite(self, name: str, changes: dict[str, Changes]) -> None:
        """Upsert and delete documents of ``<name>.json`` and fold its journal: one new file (a purge).

        Durable when the transaction ends: the folders of all its rewrites are fsynced once then.
        """
        self._files._storage(f"{name}.json").rewrite(changes, syncs=self.syncs)

    def parsed(self, name: str) -> bool:
        """Whether this process keeps ``<name>.json`` parsed (reading it costs a lookup, not a parse)."""
        storage = self._files._storages.get(f"{name}.json")
        return storage is not None and storage.parsed

    def capture(self, name: str) -> Snapshot:
        """``<name>.json`` and its journal read as they are now, not parsed: parse it, and prepare the new
        file a purge needs, once the lock is free (see :class:`~shared.storage.Snapshot`)."""
        return self._files._storage(f"{name}.json").capture()

    def install(self, name: str, prepared: PreparedFold) -> bool:
        """Rename a new ``<name>.json`` prepared with the lock free into place, if the file and its journal
        are still the ones captured (False otherwise: nothing changed). Durable when the transaction ends,
        as :meth:`rewrite`."""
        return self._files._storage(f"{name}.json").install(prepared, syncs=self.syncs)

    def deletions_in_journal(self, name: str) -> int:
        """How many keys the journal of ``<name>.json`` deleted (old copies a purge must fold away)."""
        return self._files._storage(f"{name}.json").deletions_in_journal

    def after_sync(self, action: Callable[[], None]) -> None:
        """Run ``action`` once this transaction's rewrites are durable and their journals cut, before the
        lock is released: a signature taken then is the one the files keep (a summary's stamp)."""
        self.syncs.owe(None, action)

    def records(self, name: str, table: str) -> Mapping[str, dict[str, Any]]:
        """The documents of one table of ``<name>.json`` by key, as stored: read only, never changed in place.

        No TinyDB document is built for each, so reading a day's thousand ratings costs a lookup.
        """
        return self._files._storage(f"{name}.json").table(table)

    def changes_after(
        self, name: str, mark: tuple[int, int] | None
    ) -> tuple[tuple[int, int], list[tuple[str, Changes]] | None]:
        """What changed in ``<name>.json`` since ``mark``, and the mark of now (see
        :meth:`DurableJSONStorage.changes_after`: None when it cannot tell, then read it all)."""
        return self._files._storage(f"{name}.json").changes_after(mark)

    def find_by_id(
        self,
        name: str,
        table: str,
        key: str,
        *,
        check: Callable[[dict[str, Any]], bool] | None = None,
        index: bool = False,
    ) -> dict[str, Any] | None:
        """One document of ``<name>.json`` whose ``id`` is its key (or that passes ``check``), parsing only
        it if the file is not cached (see :meth:`DurableJSONStorage.find_by_id`). ``index``: the file is
        asked on every write (an id index's shard; the queue, on every changed answer): a large one is read
        by its offsets, never searched."""
        storage = self._files._storage(f"{name}.json")
        if index:
            return storage.find_by_id(table, key, check=check, offsets_from=offsets.INDEX_FROM)
        return storage.find_by_id(table, key, check=check)

    # -- shared.door.ChannelData: a channel's collections are files of the data folder ---------

    def get(
        self, name: str, table: str, key: str, *, check: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any] | None:
        """A copy of one document of ``<name>.json``, or None. With ``check`` (how to tell the document
        is the one), a file not parsed yet is looked up, not parsed: a small one searched, a large one
        (an SMS shard of months of texts, asked on every text) by its offsets (see :meth:`find_by_id`)."""
        storage = self._files._storage(f"{name}.json")
        if check is None:
            found = storage.table(table).get(key)
        else:
            found = storage.find_by_id(table, key, check=check, offsets_from=offsets.INDEX_FROM)
        return None if found is None else dict(found)

    def erase(self, name: str, changes: dict[str, Changes]) -> None:
        """Change documents leaving no old copy on disk (see :meth:`rewrite`)."""
        self.rewrite(name, changes)

    def exists(self, name: str) -> bool:
        return self.signature(name) is not None

    def uncache(self, name: str) -> None:
        """Drop the parsed copy of ``<name>.json`` now: a long command's days would crowd out the live files,
        an SMS shard's daily sweep the others (see :meth:`DurableJSONStorage.set_aside`)."""
        storage = self._files._storages.get(f"{name}.json")
        if storage is not None:
            storage.set_aside()

    def signature(self, name: str) -> list[int] | None:
        """The identity of ``<name>.json`` as it is now (file and journal)."""
        storage = self._files._storages.get(f"{name}.json")
        return storage_signature(self._files.root / f"{name}.json") if storage is None else storage.signature()

    def db(self, name: str, *, durable: bool = True) -> TinyDB:
        return KeyedTinyDB(storage=lambda: self._files._storage(f"{name}.json", durable=durable))


class StoreFiles:
    """The data directory's files under one lock, with caches checked against the change feed."""

    def __init__(self, root: Path, *, lock_timeout: float = 10.0) -> None:
        self.root = Path(root)
        try:
            private_folder(self.root)
        except OSError as error:
            raise StoreError(f"cannot create the data directory {self.root}: {error.strerror}") from error
        self._file_lock = FileLock(self.root / ".lock", timeout=lock_timeout)
        self._thread_lock = threading.RLock()
        self._storages: OrderedDict[str, DurableJSONStorage] = OrderedDict()
        self._costs: dict[str, int] = {}  # each cached file's estimated cost when last used
        self._cost_total = 0
        self._audits = Audits()
        self._used: set[str] = set()  # files the current transaction used (kept by the next trim)
        self._seen_revision: int | None = None
        self._seen_epoch: str | None = None
        self._revision_state: dict[str, Any] = {"revision": 0, "recent": []}
        self._revision_read: tuple[bytes, dict[str, Any]] = (b"", self._revision_state)  # last read, parsed
        self._transaction: Transaction | None = None
        boot = current_boot()
        self.wal = WriteAheadLog(self.root, boot) if boot is not None else None
        self._remove_stale_temporaries()

    @property
    def thread_lock(self) -> threading.RLock:
        """The in-process lock every transaction takes first (take no other lock while holding it)."""
        return self._thread_lock

    def _remove_stale_temporaries(self) -> None:
        """Delete temporary files left by processes killed mid-write (``.<name>.<pid>.tmp``).

        They never hold acknowledged data: a write is acknowledged only after its rename.
        Temporaries are made in the root (see _storage), so only the root is looked at on every
        start: walking years of partitions cost each fresh process milliseconds. Every folder is
        walked once per data folder (``SWEPT``), for temporaries written beside their file by a
        version from before that; one beside its file now (the root on another file system than
        its folder) is only wasted space until a later one of the same name replaces it.
        """
        swept = self.root / SWEPT
        folders = [(str(self.root), os.listdir(self.root))] if swept.exists() else os.walk(self.root)
        for folder, *_, names in folders:
            for name in names:
                pid = _temporary_owner(name)
                if pid is not None and not _process_alive(pid):
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(folder, name))
        if not swept.exists():
            with contextlib.suppress(OSError):
                os.close(os.open(swept, os.O_WRONLY | os.O_CREAT, FILE_MODE))

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the cross-process lock; caches are checked against the change feed first.

        Re-entrant: a transaction opened inside another (same thread) joins it.
        """
        with self._thread_lock:
            if self._transaction is not None:
                yield self._transaction
                return
            locked = True
            try:
                self._file_lock.acquire()
            except TimeoutError:
                raise StoreBusy(
                    f"the store in {self.root} stayed locked by another process for "
                    f"{self._file_lock.timeout:g} s; try again, or look for a hung process"
                ) from None
            except OSError as error:
                if error.errno != errno.EROFS:
                    raise StoreWriteError(self.root / ".lock", error) from error
                # A read-only file system (a backup, a full-disk remount): nobody can write,
                # so reading needs no lock; any write fails with a clear StoreWriteError.
                locked = False
            logging = locked and self.wal is not None
            try:
                self._refresh_caches()
                self._transaction = Transaction(self)
                if logging:
                    assert self.wal is not None
                    self.wal.begin(self._replay)
                yield self._transaction
            finally:
                transaction, self._transaction = self._transaction, None
                try:
                    if logging:
                        assert self.wal is not None
                        if transaction is None:
                            self.wal.abandon()
                        else:
                            self.wal.commit()  # the one fsync that makes every line of the transaction durable
                    if transaction is not None:
                        transaction.syncs.settle()
                except OSError as error:
                    raise StoreWriteError(self.root / "wal", error) from error
                finally:
                    self._release_and_trim(locked)
                    if logging:
                        assert self.wal is not None
                        self.wal.after_release()

    def checkpoint(self) -> None:
        """Make every change durable in its own file and empty the write-ahead log (after a purge: erased
        data must not stay in the log either)."""
        with self.transaction():
            if self.wal is not None:
                try:
                    self.wal.checkpoint()
                except OSError as error:
                    raise StoreWriteError(self.root / "wal", error) from error

    def _replay(self, lines: dict[str, list[bytes]]) -> None:
        """Put back into their journals the logged lines a power cut took from them (see :mod:`shared.wal`)."""
        root = self.root.resolve()
        for name, wanted in lines.items():
            path = self.root / name
            if not path.resolve().is_relative_to(root) or not name.endswith(".json"):
                continue  # not a name this store writes
            self._drop_storage(name)
            DurableJSONStorage(path, scratch=self.root).replay(wanted)

    def _release_and_trim(self, locked: bool) -> None:
        # Trim the cache only between transactions: within one, a file's storage must
        # stay the one its TinyDB tables use, however many files the transaction opens.
        self._trim_caches()
        if locked:
            self._file_lock.release()

    def _trim_caches(self) -> None:
        """Drop the parsed files that alone take half of ``CACHE_BUDGET``, then the least recently used
        until the rest fit in it (never the largest file the transaction just ended used).

        A day of 50,000 answers costs about the budget: kept, it pushed the queue and the month's counts
        out after every text, to be parsed again for the next (a server's texts/s fell by a third over
        a busy day). Dropped, it costs nothing to write to (an answer is appended blind) and a lookup
        in it goes by its offsets.
        """
        for name in self._used:  # only what a transaction used can have changed its cost
            storage = self._storages.get(name)
            if storage is not None:
                cost = storage.cost
                self._cost_total += cost - self._costs.get(name, 0)
                self._costs[name] = cost
        if self._cost_total > CACHE_BUDGET:
            for name in [name for name, cost in self._costs.items() if cost > CACHE_BUDGET // 2]:
                self._drop_storage(name)
            used = [(self._costs[name], name) for name in self._used if name in self._storages]
            keep = max(used)[1] if used else None
            for name in list(self._storages):  # least recently used first
                if self._cost_total <= CACHE_BUDGET:
                    break
                if name != keep:
                    self._drop_storage(name)
        self._used.clear()

    def _drop_storage(self, name: str) -> None:
        """Forget a file's storage and its cache, and what its cache was counted to cost."""
        self._storages.pop(name, None)
        self._cost_total -= self._costs.pop(name, 0)

    def others_waiting(self) -> bool:
        """Whether another process waits for the store's lock now (see :meth:`FileLock.others_waiting`)."""
        return self._file_lock.others_waiting()

    def revision(self) -> int:
        """A number that changes whenever anything in the store changes (no lock, no history read).

        Compare it for inequality: it only grows, but may restart after a power cut.
        """
        return int(self._read_revision_file()["revision"])

    def changed_files(self, since: int) -> set[str] | None:
        """Files written after revision ``since``, or None when too many changes passed to tell."""
        state = self._read_revision_file()
        recent = state["recent"]
        if state["revision"] == since:
            return set()
        if not recent or state["revision"] < since or recent[0][0] > since + 1:
            return None
        if recent[0][0] == since + 1 and len(recent) >= RECENT_CHANGES_KEPT:
            return None  # the oldest change kept may have lost some of its files to trimming
        return {name for number, name in recent if number > since}

    def wait_for_change(self, since: int, timeout: float, poll: float = 0.05) -> int:
        """Block until the revision differs from ``since`` or ``timeout`` passes; return the revision."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.revision()
            if current != since or time.monotonic() >= deadline:
                return current
            time.sleep(min(poll, max(deadline - time.monotonic(), 0)))

    def _read_revision_file(self) -> dict[str, Any]:
        """The change feed as it is now (never changed by the caller: it may be the one parsed last time)."""
        try:
            content = read_whole(self.root / REVISION_FILE)
        except OSError:
            content = b""
        last_content, last_state = self._revision_read
        if content and content == last_content:
            return last_state  # unchanged since this process last read it: no need to parse 256 names again
        try:
            state = orjson.loads(content)
            if isinstance(state, dict) and isinstance(state.get("revision"), int):
                self._revision_read = (content, state)
                return state
        except orjson.JSONDecodeError:
            pass
        # Missing (new store) or damaged by a power cut: it is only a hint, so start over.
        return {"revision": 0, "recent": []}

    def _refresh_caches(self) -> None:
        self._audits.round += 1  # the second guard: each cached file is checked on its next read
        if self._seen_epoch is None and not self._storages and self._first_look():
            return
        state = self._read_revision_file()
        epoch = state.get("epoch")
        if not isinstance(epoch, str):
            # A new store, or a feed lost or damaged: start a new one that no cache can mistake for the old.
            epoch = secrets.token_hex(8)
            state = {"epoch": epoch, "revision": 0, "recent": []}
        self._revision_state = state
        if self._seen_epoch == epoch and state["revision"] == self._seen_revision:
            return
        changed = None if self._seen_epoch != epoch else self.changed_files(self._seen_revision or 0)
        if changed is None:
            for storage in self._storages.values():
                storage.forget()
        else:
            for name in changed:
                if name in self._storages:
                    self._storages[name].stale()
        self._seen_revision = state["revision"]
        self._seen_epoch = epoch

    def _first_look(self) -> bool:
        """A process's first transaction, with nothing cached, needs only the feed's epoch and revision,
        which it begins with: read from its head, not its 256 recent changes parsed (a fresh process
        checking one id). The whole feed is read when this process first announces a change. False
        when the head is not as this version writes it (then it is read the usual way)."""
        try:
            head = _FEED_HEAD.match(read_whole(self.root / REVISION_FILE))
        except OSError:
            return False
        if head is None:
            return False
        self._revision_state = {}  # unknown until read (see _announce)
        self._seen_epoch, self._seen_revision = head[1].decode(), int(head[2])
        return True

    def _announce_write(self, name: str) -> None:
        self._announce([name])

    def _announce(self, names: list[str]) -> None:
        """Bump the revision before data files change, so no other process trusts a stale cache.

        Once per file per transaction. Not fsynced: it is a notification and cache
        hint, rebuilt as 0 if lost.
        """
        transaction = self._transaction
        if transaction is not None:
            names = [name for name in names if name not in transaction.announced]
            transaction.announced.update(names)
        if not names:
            return
        state = self._revision_state or self._read_revision_file()  # (only the head was read: see _first_look)
        number = state["revision"] + 1
        recent = [*state["recent"][-(RECENT_CHANGES_KEPT - len(names)) :], *([number, name] for name in names)]
        self._revision_state = {
            "epoch": state.get("epoch") or secrets.token_hex(8),
            "revision": number,
            "recent": recent,
        }
        try:
            self._write_revision_file(orjson.dumps(self._revision_state))
        except OSError as error:
            raise StoreWriteError(self.root / REVISION_FILE, error) from error
        self._seen_revision = number
        self._seen_epoch = self._revision_state["epoch"]

    def _write_revision_file(self, content: bytes) -> None:
        """Overwrite the change feed in place, padded with spaces so it never shrinks.

        Cheaper than a rename on every write. A reader that catches it half-written sees
        invalid JSON and takes it for a change, which is always safe.
        """
        descriptor = os.open(self.root / REVISION_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            padded = content.ljust(os.fstat(descriptor).st_size)
            os.pwrite(descriptor, padded, 0)
        finally:
            os.close(descriptor)
        self._revision_read = (padded, self._revision_state)  # what the next read finds, unless another writes

    def _storage(self, name: str, *, durable: bool = True) -> DurableJSONStorage:
        self._used.add(name)
        storage = self._storages.get(name)
        if storage is None:
            storage = DurableJSONStorage(
                self.root / name,
                before_write=self._announce_write,
                durable=durable,
                scratch=self.root,
                log=self.wal,
                name=name,
                audits=self._audits,
            )
            self._storages[name] = storage
        else:
            self._storages.move_to_end(name)
            if not durable:  # derived data first opened only to read (a summary looked up, then written)
                storage.durable = False
        return storage


class FileLock:
    """An exclusive ``flock`` on one file, across processes, that a waiter takes soon after its release.

    ``flock`` cannot wait with a deadline, so a waiter retries; it retries after 0.2 ms, then
    backs off to at most ``LOCK_LONGEST_WAIT``, so a lock held for 1 ms costs a waiter about
    that, not a fixed poll interval. Compatible with ``filelock.FileLock`` on the same file.
    Not re-entrant and not for threads of one process (the store's thread lock comes first).

    A waiter says so by holding a shared ``flock`` on a second file (``<lock>.wait``) while it
    retries, so a long command between two slices lets the lock rest only when someone waits
    (:meth:`others_waiting`), not after every slice of an export nobody waits for.
    """

    def __init__(self, path: Path, *, timeout: float) -> None:
        self.path = path
        self.waiting_path = path.with_name(path.name + ".wait")
        self.timeout = timeout
        self._descriptor: int | None = None
        self._waiting: int | None = None  # kept open by a process that asks whether others wait
        self.polls = 0  # retries made by the last acquire (to see that a waiter is woken soon)

    def acquire(self) -> None:
        """Take the lock, or raise TimeoutError after ``timeout`` seconds (OSError if the file cannot be opened)."""
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)  # readable by the owner only
        deadline = time.monotonic() + self.timeout
        wait = LOCK_FIRST_WAIT
        self.polls = 0
        waiting: int | None = None
        try:
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError(f"{self.path} stayed locked for {self.timeout:g} s") from None
                    if waiting is None:
                        waiting = self._say_waiting()
                    time.sleep(min(wait, remaining))
                    wait = min(wait * 2, LOCK_LONGEST_WAIT)
                    self.polls += 1
                    continue
                self._descriptor = descriptor
                return
        except BaseException:
            os.close(descriptor)
            raise
        finally:
            if waiting is not None:
                os.close(waiting)  # (its shared lock goes with it)

    def _say_waiting(self) -> int | None:
        """Hold a shared lock on the waiting file while retrying (None if it cannot be opened: then a long
        command does not know to let this one in, and it waits for a slice or two more)."""
        try:
            waiting = os.open(self.waiting_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError:
            return None
        try:
            fcntl.flock(waiting, fcntl.LOCK_SH)
        except OSError:
            os.close(waiting)
            return None
        return waiting

    def others_waiting(self) -> bool:
        """Whether another process is waiting for the lock now (True when it cannot be told)."""
        try:
            if self._waiting is None:
                self._waiting = os.open(self.waiting_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            fcntl.flock(self._waiting, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by a waiter (BlockingIOError), or cannot be told
            return True
        fcntl.flock(self._waiting, fcntl.LOCK_UN)
        return False

    def release(self) -> None:
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)


def put(table: Table, key: str, record: dict[str, Any]) -> None:
    """Insert or replace one keyed document with a single durable write (one journal line)."""
    put_many(table, {key: record})


def put_many(table: Table, records: dict[str, dict[str, Any]]) -> None:
    """Insert or replace several keyed documents with a single durable write (one journal line)."""
    storage = table.storage
    if isinstance(storage, DurableJSONStorage):
        storage.append(table.name, {key: dict(record) for key, record in records.items()})
        table.clear_cache()
        return
    for key, record in records.items():  # any other TinyDB storage
        if table.contains(doc_id=key):
            table.update(_replaced_by(record), doc_ids=[key])
        else:
            table.insert(Document(record, doc_id=key))


def remove(table: Table, keys: list[str]) -> None:
    """Delete keyed documents (absent ones are ignored) with a single durable write (one journal line)."""
    storage = table.storage
    if isinstance(storage, DurableJSONStorage):
        storage.delete(table.name, list(keys))
        table.clear_cache()
        return
    table.remove(doc_ids=[key for key in keys if table.contains(doc_id=key)])


def _replaced_by(record: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def replace(document: dict[str, Any]) -> None:
        document.clear()
        document.update(record)

    return replace


def _temporary_owner(name: str) -> int | None:
    """The pid in a temporary file name written by :func:`write_atomically`, else None."""
    if not (name.startswith(".") and name.endswith(".tmp")):
        return None
    pid = name[:-4].rsplit(".", 1)[-1]
    return int(pid) if pid.isdigit() else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
