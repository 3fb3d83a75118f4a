"""Durable bytes for TinyDB: atomic, fsynced writes and loud failures.

TinyDB's own JSONStorage truncates its file and rewrites it in place, so a crash
mid-write loses everything. :class:`DurableJSONStorage` writes the whole database
to a temporary file beside the target, fsyncs it, renames it over the target and
fsyncs the directory: after ``write`` returns the data is on disk, and at any
moment before, the previous version is. It only knows bytes; locking across
processes is the store's job (see :mod:`shared.store`).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from tinydb import Storage

from shared import offsets
from shared.private_files import private_folder

if TYPE_CHECKING:
    from shared.wal import WriteAheadLog

Tables = dict[str, dict[str, Any]]
Changes = tuple[dict[str, dict[str, Any]], list[str]]  # documents upserted, keys deleted
FileStat = tuple[int, int, int]  # (inode, size, mtime in ns): which version of a file
JournalMark = tuple[int, int]  # a cache's lineage (see DurableJSONStorage.changes_after) and a journal offset
_LINEAGES = itertools.count(1)  # numbers every full load or write in this process, never twice


class StoreError(Exception):
    """Base class for every problem the store reports; messages say what to do."""


class StoreCorrupt(StoreError):
    """A data file cannot be read back. Nothing is reset: the file is left for a person to look at."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"the data file {path} cannot be read ({detail}). Nothing was changed. "
            f"Restore it from a backup, or move it aside to start that part afresh."
        )
        self.path = path


class StoreWriteError(StoreError):
    """A write failed (full disk, read-only directory, ...); the previous data is intact."""

    def __init__(self, path: Path, error: OSError) -> None:
        reason = {
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "the disk quota is used up",
            errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
        }.get(error.errno or 0, error.strerror or str(error))
        super().__init__(
            f"could not write {path}: {reason}. The previous data is intact; "
            f"free space or fix permissions, then try again."
        )
        self.path = path
        self.errno = error.errno


_DECODER = json.JSONDecoder()
FOUND_BYTES = 1 << 18  # more than any one document the store accepts (see shared.ratings.Limits)
FIRST_WINDOW = 1 << 12  # most documents are smaller: decoded first
META_TABLE = "_meta"
COMPACT_AFTER = 512
COMPACT_BYTES = 1 << 16  # a journal this large is folded after fewer lines (a batch of thousands is one line)
FOLD_SHARES = 1024  # a journal is folded at its file's size and 0/1024 to 1023/1024 of it more (see fold_share)
SEARCHED_UNTIL_PARSED = 1 << 15  # a file smaller than this is parsed when asked twice (see find_by_id)
_META_KEY = b'"' + META_TABLE.encode() + b'":'  # where a file's ``_meta`` table begins (written last)
_META_MARK = _META_KEY + b'{"file":{"generation":'  # how a file this store wrote ends
META_TAIL = 256  # the last bytes of a file, which hold its ``_meta`` table (see _prepare_blind)
PARSED_BYTES_PER_BYTE = 4
ASIDE_AFTER = 64  # changes with no whole read after which a large parsed file is set aside (see _aside_if_large)
STORAGE_OVERHEAD = 2048  # what a storage costs with nothing cached (so their number is bounded too)


class Audits:
    """The store's count of transactions, shared by its storages: each checks its cache against its files
    once per transaction that reads it, where marking hundreds of cached files one by one would cost more."""

    def __init__(self) -> None:
        self.round = 0


class DurableJSONStorage(Storage):
    """A TinyDB storage whose writes are atomic and durable, with a parse cache and a journal.

    ``write`` (what TinyDB calls) replaces the whole file atomically. ``append`` and
    ``delete`` (what the store calls for every change on its paths: see
    :func:`shared.files.put` and :func:`shared.files.remove`) add one line to a journal
    beside the file, ``<name>.log``: the documents upserted or the keys deleted, fsynced,
    so a change costs the same however many documents the file holds. Reading replays
    the journal over the file. The two are folded into a new file once the journal holds
    ``COMPACT_AFTER`` changes *and* is at least as large as the file (up to twice as large, by a
    share fixed by the file's name, see :func:`fold_share`): folding then costs, spread over the
    changes that filled the journal, a constant per changed byte.

    Each journal line carries the file's generation, kept in the file's ``_meta``
    table: a line written before the last full write is ignored, so a crash between
    the full write and the journal's truncation replays nothing twice. A torn last
    line (a writer killed mid-append, before it acknowledged anything) is ignored
    and cut off by the next append.

    The cache holds the last version read or written; :meth:`forget` drops it when
    another process may have changed the file. ``before_write`` is called with the file's
    ``name`` before every write, so the store can announce the change first. Files that
    can be rebuilt from others may skip fsync with ``durable=False``. ``scratch`` is the folder
    for the temporary file of a full write (see :func:`write_atomically`).

    With a write-ahead ``log`` (the store's, :mod:`shared.wal`), a journal line written inside a
    transaction is not fsynced here: the log fsyncs all of the transaction's lines at once when it
    ends. ``name`` is how the log names the file (its path in the data folder). With ``audits``, the
    cache is checked against the files' (inode, size, mtime) on its first read in each new round.
    """

    def __init__(
        self,
        path: Path,
        *,
        before_write: Callable[[str], None] | None = None,
        durable: bool = True,
        scratch: Path | None = None,
        log: WriteAheadLog | None = None,
        name: str = "",
        audits: Audits | None = None,
    ) -> None:
        self.path = Path(path)
        self.log = log
        self.audits = audits
        self._audited = -1
        self.name = name or self.path.name
        self.scratch = scratch
        self.journal_path = journal_of(self.path)
        self.durable = durable
        self._before_write = before_write
        self._cached: Tables | None = None
        self._generation = 0
        self._journal_valid_size = 0
        self._journal_entries = 0
        self._journal_deletions = 0
        self._file_stat: tuple[int, int, int] | None = None
        self._journal_stat: tuple[int, int, int] | None = None
        self._stale = False
        self._owed: FolderSyncs | None = None
        self._searched = False
        self._offsets: offsets.Reader | None = None  # a large file's offsets as read here (see _find_by_offsets)
        self._found: tuple[Any, dict[tuple[str, str], Any]] = ((), {})  # by offsets in this transaction
        self._lineage = 0  # changes on every full load or write: a mark of another lineage is unknown
        self._blind: tuple[FileStat | None, FileStat | None] | None = None  # the stats after its last blind append
        self._blind_lines = 0  # journal lines then (a fold is due after COMPACT_AFTER)
        self._fold_share = fold_share(self.name)
        self._writes_unread = 0  # changes made here since anyone read the file whole (see _aside_if_large)

    def read(self) -> Tables | None:
        """The file's tables, its journal replayed (a copy of the outer layer of the cached version)."""
        tables = self._tables()
        self._writes_unread = 0
        return tables

    def _tables(self) -> Tables | None:
        """:meth:`read`, for this storage's own writes and lookups: not a reader of the whole file (see
        :meth:`_aside_if_large`)."""
        due = self.audits is not None and self._audited != self.audits.round
        if self._cached is not None and due and not self._stale:
            # A second guard beside the change feed: the files must be the ones this cache was made from.
            self._stale = (_stat_of(self.path), _stat_of(self.journal_path)) != (self._file_stat, self._journal_stat)
        if self.audits is not None:
            self._audited = self.audits.round
        if self._cached is not None and self._stale and not self._catch_up():
            self._cached = None
        self._stale = False
        if self._cached is None:
            self._cached = self._load()
        if self._cached is None:
            return None
        # TinyDB replaces whole tables in the dict it gets; hand out a copy of the outer layer.
        return dict(self._cached)

    def write(self, data: Tables, *, syncs: FolderSyncs | None = None) -> None:
        """Replace the file with ``data`` (atomic, durable) and empty the journal.

        With ``syncs`` (a durable file), the rename's directory fsync is left to
        :meth:`FolderSyncs.settle`, one for many files of a folder, and the journal is emptied
        only then: until the rename is durable, the old file and its journal must stay as they are.
        """
        if self._owed is not None:
            self._owed.settle()
        if self._before_write is not None:
            self._before_write(self.name)
        generation = self._generation + 1
        whole = {**data, META_TABLE: {"file": {"generation": generation}}}
        content = orjson.dumps(whole)
        later = syncs is not None and self.durable
        try:
            write_atomically(self.path, content, durable=self.durable, scratch=self.scratch, sync_folder=not later)
        except OSError as error:
            # TinyDB may have changed documents in place: the cache is no longer what is on disk.
            self._cached = None
            raise StoreWriteError(self.path, error) from error
        except BaseException:
            self._cached = None
            raise
        self._cached = data
        self._replaced(generation, syncs if later else None)
        if not later:
            self._offsets_written(whole)

    def _offsets_written(self, whole: Tables) -> None:
        """A file with offsets beside it (see :mod:`shared.offsets`), just rewritten, gets new ones made from
        the documents in hand: a lookup after a fold reads neither the file nor the sidecar back (256 SMS
        shards fold within a few hundred texts of one another, each then parsed again to make them)."""
        beside = offsets.sidecar(self.path)
        if self._file_stat is None or not beside.exists():
            return
        made = offsets.written(whole, list(self._file_stat), list(self._journal_stat or (0, 0, 0)))
        if made is None:
            return  # the stale ones stay: their header no longer matches the file
        with contextlib.suppress(OSError, offsets.Unknown):  # derived: without them, they are made when asked
            write_atomically(beside, made, durable=False, scratch=self.scratch)
            if self._offsets is None:
                self._offsets = offsets.Reader(self.path, self.journal_path)
            self._offsets.hold(made)

    def install(self, prepared: PreparedFold, *, syncs: FolderSyncs | None = None) -> bool:
        """Put in place a new file prepared with the lock free (:meth:`Snapshot.fold`), if this file and its
        journal are still exactly the ones it was made from; else (another process changed them since) drop
        it and return False. Under the lock, it costs a rename where a fold costs a parse and a write.

        With ``syncs``, as :meth:`write`: the folder's fsync and the journal's cut are left to
        :meth:`FolderSyncs.settle`.
        """
        if (_stat_of(self.path), _stat_of(self.journal_path)) != prepared.stats:
            prepared.discard()
            return False
        if self._owed is not None:
            self._owed.settle()
        if self._before_write is not None:
            self._before_write(self.name)
        try:
            os.replace(prepared.temporary, self.path)
        except OSError as error:
            prepared.discard()
            if error.errno == errno.EXDEV:  # (a folder mounted from elsewhere since: folded under the lock)
                return False
            raise StoreWriteError(self.path, error) from error
        self.forget()  # (not parsed here: read again if it is wanted)
        self._stale = False
        later = syncs is not None and self.durable
        if self.durable and not later:
            fsync_directory(self.path.parent)
        self._replaced(prepared.generation, syncs if later else None)
        return True

    def _replaced(self, generation: int, syncs: FolderSyncs | None) -> None:
        """What follows a new file renamed into place: its generation and stats, an empty journal (cut now,
        or once ``syncs`` made the rename durable: until then the old file and its journal must stay)."""
        self._blind = None
        self._generation = generation
        self._lineage = next(_LINEAGES)
        self._file_stat = _stat_of(self.path)
        self._journal_valid_size = 0
        self._journal_entries = 0
        self._journal_deletions = 0
        if syncs is not None:
            self._owed = syncs
            syncs.owe(self.path.parent, self._empty_journal)
        else:
            self._empty_journal()

    def _empty_journal(self) -> None:
        """Cut the journal, once the file that holds all of it is durable."""
        self._owed = None
        if self.journal_path.exists():
            # Everything in it is in the new file now; lines of the old generation are ignored anyway.
            with contextlib.suppress(OSError):
                os.truncate(self.journal_path, 0)
        self._journal_stat = _stat_of(self.journal_path)

    def append(self, table: str, documents: dict[str, dict[str, Any]]) -> None:
        """Add or replace documents of one table with one fsynced journal line."""
        self.change({table: (documents, [])})

    def delete(self, table: str, keys: list[str]) -> None:
        """Remove documents of one table by key with one fsynced journal line (absent keys are ignored)."""
        self.change({table: ({}, keys)})

    def change(self, changes: dict[str, Changes]) -> None:
        """Upsert and delete documents of several tables with one fsynced journal line.

        A file not parsed in this process is not parsed to be written to (see :meth:`_prepare_blind`):
        a flag that lands in an id shard of a year's ids, or a tap in a day of 50,000 answers, costs
        the same as in an empty one.
        """
        if self._cached is None and self._prepare_blind():
            self._append_entry(changes)
            self._blind_lines += 1
            self._blind = self._file_stat, self._journal_stat
            if not self._logged:  # (with the log, the store folds once the transaction is durable: fold_if_due)
                self.fold_if_due()
            return
        tables = self._tables() or {}
        if self._file_stat is None:  # (read just checked the file against its stat: none means no file)
            # The first documents of a file make the file itself, so it can be found by name.
            for table, (documents, deleted) in changes.items():
                tables[table] = _changed(dict(tables.get(table, {})), documents, deleted)
            self.write(tables)
            return
        self._append_entry(changes)
        for table, (documents, deleted) in changes.items():
            tables[table] = _changed(tables.get(table, {}), documents, deleted)
            self._journal_entries += len(documents) + len(deleted)
            self._journal_deletions += len(deleted)
        self._cached = tables
        self._writes_unread += 1
        self._aside_if_large()
        if not self._logged:  # (with the log, the store folds once the transaction is durable: fold_if_due)
            self.fold_if_due()

    def _aside_if_large(self) -> None:
        """A parsed file that nobody here read whole for ``ASIDE_AFTER`` changes, only wrote to and looked
        documents up in (a day an SMS server made by its first answer: 15 MB after 50,000 texts), is set
        aside once it is as large as files read by their offsets. Kept parsed, it grew to half the
        cache, was dropped and parsed again to be made offsets of, and each fold parsed and wrote it
        whole: the server's texts 10 % slower at the end of a busy day than at its start. A file read
        whole between changes (a console's queue) stays parsed."""
        size = (self._file_stat or (0, 0, 0))[1] + self._journal_valid_size
        if self._writes_unread >= ASIDE_AFTER and size >= offsets.OFFSETS_FROM:
            self.set_aside()

    def _append_entry(self, changes: dict[str, Changes]) -> None:
        """Announce the change and append its one journal line (of the file's current generation)."""
        if self._before_write is not None:
            self._before_write(self.name)
        if len(changes) == 1:
            [(table, (documents, deleted))] = changes.items()
            entry: dict[str, Any] = {"g": self._generation, "t": table, "d": documents}
            if deleted:
                entry["x"] = deleted
        else:
            entry = {"g": self._generation, "m": [[table, *change] for table, change in changes.items()]}
        if self._logged:
            assert self.log is not None
            entry["w"] = self.log.tag()
        line = orjson.dumps(entry) + b"\n"
        start = self._journal_valid_size
        try:
            self._append_line(line)
        except OSError as error:
            self._cached = None
            raise StoreWriteError(self.journal_path, error) from error
        if self._offsets is not None:
            self._offsets.tail.note(entry, line, start)

    def _prepare_blind(self) -> bool:
        """Learn what a journal line needs without parsing the file: its generation (the ``_meta`` table,
        written last, so in the file's last bytes) and where the journal's last whole line ends.
        False when the file must be read the usual way: no file yet (the first write makes it), or a
        generation not in the tail. A journal due to be folded is folded after the append, and the file
        left unparsed again (see :meth:`fold_if_due`).

        After a first blind append, the next costs two stats: if neither the file nor the journal
        changed since (and the change feed did not say so), what was learnt still holds.
        """
        known = self._blind is not None and not self._stale
        if known and (_stat_of(self.path), _stat_of(self.journal_path)) == self._blind:
            return True
        self._blind = None
        self._stale = False  # (nothing is cached: what follows reads what it needs afresh)
        try:
            descriptor = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        try:
            stat = os.fstat(descriptor)
            tail = os.pread(descriptor, META_TAIL, max(stat.st_size - META_TAIL, 0))
            if stat.st_size > META_TAIL and _META_KEY not in tail:
                if stat.st_size >= offsets.OFFSETS_FROM:
                    return False
                tail = os.pread(descriptor, stat.st_size, 0)  # maybe no _meta at all (generation 0): all of it
        except OSError:
            return False
        finally:
            os.close(descriptor)
        generation = _generation_in(tail)
        if generation is None:
            return False
        try:
            # (a torn last piece, never acknowledged, is cut by the append)
            valid, lines = _journal_end(self.journal_path)
        except StoreCorrupt:
            return False
        self._generation = generation
        self._journal_valid_size = valid
        self._blind_lines = lines
        self._file_stat = stat.st_ino, stat.st_size, stat.st_mtime_ns
        return True

    def fold_if_due(self) -> None:
        """Fold the journal into a new file once it is as large as the file and holds ``COMPACT_AFTER`` changes
        or ``COMPACT_BYTES`` (a month's summaries gain a whole day's counts a text: 512 of them were 770 KB,
        parsed again whenever the file was read afresh).

        The documents are safe in the journal already: folding may fail (a full disk) without failing
        the change; it is tried again after the next one.
        """
        if self._cached is None:  # written blind: read whole only when the fold is due (see _blind_due)
            if self._blind is not None and self._blind_due():
                with contextlib.suppress(StoreError):
                    self.write(self._tables() or {})
                    # And blind again: parsed only to be folded. 256 SMS shards kept parsed after their folds
                    # took 25 MB of the cache's 64 and pushed one another out, each read again after.
                    self.set_aside()
            return
        if self._fold_due(self._journal_entries):
            with contextlib.suppress(StoreWriteError):
                self.write(self._cached)

    def _blind_due(self) -> bool:
        """A fold is due for a journal known only by its bytes and lines (not its documents, unparsed)."""
        return self._fold_due(self._blind_lines)

    def _fold_due(self, changes: int) -> bool:
        """As large as the file and its share more (see :func:`fold_share`), and holding ``COMPACT_AFTER``
        ``changes`` (documents, or lines when unparsed) or ``COMPACT_BYTES`` (one batch of thousands)."""
        valid, size = self._journal_valid_size, (self._file_stat or (0, 0, 0))[1]
        return valid >= size + size * self._fold_share // FOLD_SHARES and (
            changes >= COMPACT_AFTER or valid >= COMPACT_BYTES
        )

    @property
    def _logged(self) -> bool:
        """True when this file's journal lines are made durable by the store's log, not one fsync each."""
        return self.durable and self.log is not None and self.log.writing

    def _append_line(self, line: bytes) -> None:
        if self._owed is not None:  # the new file's rename must be durable before its journal is cut
            self._owed.settle()
        logged = self._logged
        size_before, generation = self._journal_valid_size, self._generation
        created = False
        try:  # the journal usually exists: no stat of it or its folder first (each a system call)
            descriptor = os.open(self.journal_path, os.O_WRONLY)
        except FileNotFoundError:
            created = True
            private_folder(self.journal_path.parent)
            descriptor = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            # Written over a torn tail left by a killed writer, so the new line starts on a line of its
            # own; what is left of a longer tail is cut after (a piece without a newline, never read).
            _write_all(descriptor, line, at=self._journal_valid_size)
            stat = os.fstat(descriptor)
            if stat.st_size > self._journal_valid_size + len(line):
                os.ftruncate(descriptor, self._journal_valid_size + len(line))
                stat = os.fstat(descriptor)
            if self.durable and not logged:
                os.fsync(descriptor)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(descriptor, self._journal_valid_size)
            raise
        finally:
            os.close(descriptor)
        self._journal_stat = stat.st_ino, stat.st_size, stat.st_mtime_ns
        self._journal_valid_size += len(line)
        if logged:
            assert self.log is not None
            self.log.stage(self.name, line, self, size_before, lambda: self._generation == generation)
        elif created and self.durable:
            fsync_directory(self.path.parent)  # (with the log, its check-point syncs the folder)

    def replay(self, lines: list[bytes]) -> int:
        """Append the log's ``lines`` this journal lacks (a power cut lost them), fsynced; how many.

        Only lines of the file's current generation: an older one is in the file already (it was
        folded and rewritten since). A file that no longer exists was deleted on purpose (a purge).
        """
        self.forget()
        if not self.path.exists():
            return 0
        self._load()
        present = set((self._journal_bytes() or b"")[: self._journal_valid_size].split(b"\n"))
        missing = [
            line for line in dict.fromkeys(lines) if line not in present and _generation_of(line) == self._generation
        ]
        if missing:
            descriptor = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.ftruncate(descriptor, self._journal_valid_size)
                os.lseek(descriptor, self._journal_valid_size, os.SEEK_SET)
                _write_all(descriptor, b"".join(line + b"\n" for line in missing))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            fsync_directory(self.path.parent)
        self.forget()
        return len(missing)

    @property
    def deletions_in_journal(self) -> int:
        """Keys deleted by the journal's lines: their documents' old copies are still in earlier lines."""
        self.read()
        return self._journal_deletions

    def signature(self) -> list[int] | None:
        """Identity of this version of the file and its journal (both change on every write).

        Within a transaction that already read the file, the stats this storage keeps are the files'
        (it checked them on that read, and only it wrote since): two system calls fewer per write.
        """
        known = self._cached is not None and self._owed is None and not self._stale
        if known and self.audits is not None and self._audited == self.audits.round and self._file_stat:
            return signature_of(self._file_stat, self._journal_stat)
        return storage_signature(self.path)

    def changes_after(self, mark: JournalMark | None) -> tuple[JournalMark, list[tuple[str, Changes]] | None]:
        """The changes made to the file since ``mark`` (from an earlier call), by table, and the mark of now.

        For a watcher that keeps what it needs of a file in memory: it reads only the journal lines
        appended since its last look. ``None`` for the changes when they cannot be told (no mark; the
        file read afresh or rewritten since: a fold, a purge, a restore; a damaged line): read it all.
        Under the lock, like every read.
        """
        self.read()  # up to date with the disk: the mark of now is that of the cache
        now = (self._lineage, self._journal_valid_size)
        if mark is None or mark[0] != now[0] or mark[1] > now[1]:
            return now, None
        if mark[1] == now[1]:
            return now, []
        try:
            with self.journal_path.open("rb") as journal:
                journal.seek(mark[1])
                added = journal.read(now[1] - mark[1])
            changes = []
            for line in added.split(b"\n")[:-1]:
                generation, line_changes = _parse_line(line)
                if generation != self._generation:
                    return now, None
                changes += [(table, (documents, deleted)) for table, documents, deleted in line_changes]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return now, None
        return now, changes

    def compact(self) -> None:
        """Fold the journal into a new file now (so deleted documents leave the disk, for a purge)."""
        self.rewrite({})

    def rewrite(self, changes: dict[str, Changes], *, syncs: FolderSyncs | None = None) -> None:
        """Upsert and delete documents with the journal folded in: one new file, no journal line.

        For a purge, which must leave nothing it erased on the disk: one full durable write,
        where a journal line then a fold would be two. Nothing is written if nothing changes
        and the journal is empty.
        """
        tables = self.read()
        if tables is None or not (
            any(documents or deleted for documents, deleted in changes.values()) or self._journal_valid_size
        ):
            return
        for table, (documents, deleted) in changes.items():
            tables[table] = _changed(tables.get(table, {}), documents, deleted)
        self.write(tables, syncs=syncs)

    def find_by_id(
        self,
        table: str,
        key: str,
        *,
        check: Callable[[dict[str, Any]], bool] | None = None,
        offsets_from: int | None = None,
    ) -> dict[str, Any] | None:
        """One document of a table whose documents carry their key as ``id``, without parsing the
        whole file when it is not parsed already.

        A repeated id names a day of maybe 50,000 answers: the file is searched for the key (a key
        is never inside a string: quotes there are escaped) and only that document is parsed, and
        checked to be the one (its ``id`` is the key); journal lines are parsed only if they name
        the key (the newest wins). A key found in several places is the one place whose object
        passes the check; none or several, or anything unexpected, means reading it all the usual
        way. A small file (under ``SEARCHED_UNTIL_PARSED``) asked a second time is parsed and kept:
        cheap to keep. A larger one is searched each time: an id shard or an SMS shard of years of
        history, hundreds of them, would crowd each other out of the cache and be parsed over and
        over, each lookup costing more as history grows. A file of ``OFFSETS_FROM`` bytes or more is
        not searched: the offsets beside it say where the document lies (:mod:`shared.offsets`).
        ``check``: how to tell the document found is the one, for documents without an ``id`` (the
        id index's entries, whose shape no other object in their file has). ``offsets_from`` (by
        default ``OFFSETS_FROM``): a shard asked on every write (of the id index, of SMS numbers) passes
        ``INDEX_FROM``, so no lookup of it searches a file that grows with history.
        """
        if self._cached is not None:
            return self._parsed_get(table, key)
        file_stat = _stat_of(self.path)
        size = (file_stat or (0, 0, 0))[1]
        if self._searched and size + (_stat_of(self.journal_path) or (0, 0, 0))[1] < SEARCHED_UNTIL_PARSED:
            return self._parsed_get(table, key)  # a second look at a small file: parsed once, then a lookup
        if size >= (offsets.OFFSETS_FROM if offsets_from is None else offsets_from):
            return self._find_by_offsets(table, key, check or (lambda document: document.get("id") == key), file_stat)
        self._searched = True
        needle = orjson.dumps(key) + b":{"
        try:
            content = read_whole(self.path)
            logged = _bytes_of(self.journal_path) or b""
        except (OSError, StoreCorrupt):
            return self._parsed_get(table, key)  # missing: the journal alone, or nothing; unreadable: the usual error
        if orjson.dumps(key) in logged:
            # Changed since the file was written: its newest version is in the journal lines that name it.
            generation = _generation_in(content)
            if generation is None:
                return self._parsed_get(table, key)
            try:
                newest = offsets.newest_in_journal(logged, generation, table, key)
            except (ValueError, KeyError, TypeError):
                return self._parsed_get(table, key)  # a damaged line: the usual error
            if newest is not None:
                return newest[0]
        places = _places_of(content, needle)
        if places is None:
            return self._parsed_get(table, key)
        if not places:
            # Absent, unless written in another form than orjson's compact one (``"key": {``: another tool;
            # a file this store wrote ends with its generation, and is searched no further).
            written_here = _META_MARK in content[-META_TAIL:]
            return self._parsed_get(table, key) if not written_here and orjson.dumps(key) in content else None
        ones = []
        for at in places:
            document = _decode_at(content, at + len(needle) - 1)
            if isinstance(document, dict) and (check(document) if check else document.get("id") == key):
                ones.append(document)
        if len(ones) != 1:
            return self._parsed_get(table, key)  # not found where expected, or ambiguous: read it all
        return ones[0]

    def _find_by_offsets(
        self, table: str, key: str, check: Callable[[dict[str, Any]], bool], file_stat: FileStat | None
    ) -> dict[str, Any] | None:
        """A document of a large file, read by the offsets beside it (see :mod:`shared.offsets`). When they
        cannot answer, they are made anew (one parse of the file, as reading it would cost) and asked
        again; when that fails too, the file is read whole the usual way. ``file_stat``: as just seen.

        Asked again in the same transaction, with the file and its journal unchanged, the answer is the
        one found: a text asks its number's record twice and its earlier answer's id and day twice."""
        if self._offsets is None:
            self._offsets = offsets.Reader(self.path, self.journal_path)
        journal_stat = _stat_of(self.journal_path)
        if self.audits is not None:
            now = (self.audits.round, file_stat, journal_stat)
            if self._found[0] != now:
                self._found = (now, {})
            if (table, key) in self._found[1]:
                return self._found[1][table, key]
        seen = (list(file_stat or (0, 0, 0)), list(journal_stat or (0, 0, 0)))
        found = self._ask_offsets(table, key, check, seen)
        if self.audits is not None:
            self._found[1][table, key] = found
        return found

    def _ask_offsets(
        self, table: str, key: str, check: Callable[[dict[str, Any]], bool], seen: tuple[list[int], list[int]]
    ) -> dict[str, Any] | None:
        assert self._offsets is not None
        with contextlib.suppress(offsets.Unknown):
            return self._offsets.find(table, key, check, seen)
        made = offsets.make(self.path, self.journal_path)
        if made is not None:
            with contextlib.suppress(OSError, offsets.Unknown):  # derived: without them, the file is read
                write_atomically(offsets.sidecar(self.path), made, durable=False, scratch=self.scratch)
                return self._offsets.find(table, key, check)
        return self._parsed_get(table, key)

    def take_back(self, size: int) -> None:
        """Cut the journal back to ``size``: a transaction that failed takes its lines back out. The offsets
        beside the file go too, as they may have been made from those lines: a later line as long (another
        id's entry, of the same shape) would take their place, and be found for a key never written."""
        with contextlib.suppress(OSError):
            os.truncate(self.journal_path, size)
            offsets.sidecar(self.path).unlink(missing_ok=True)
        self.forget()

    def _parsed_get(self, table: str, key: str) -> dict[str, Any] | None:
        """A document looked up in the parsed version (parsed now if it is not): a lookup, not a whole read."""
        return (self._tables() or {}).get(table, {}).get(key)

    def table(self, name: str) -> dict[str, Any]:
        """One table's documents as cached, not copied: for reading only (writes go through the journal)."""
        return (self.read() or {}).get(name, {})

    def set_aside(self) -> None:
        """Drop the parsed copy, keeping what a blind append and a lookup by the offsets need (the file's
        generation, where its journal ends, the offsets as read): a file read whole once (an SMS shard's
        daily sweep) costs nothing to keep afterwards and is not parsed again to be written to. 256 shards
        kept parsed after the sweep took more than the cache's budget and pushed one another out."""
        if self._cached is None:
            return
        self._cached = None
        self._blind = None if self._stale else (self._file_stat, self._journal_stat)
        self._blind_lines = self._journal_entries

    def forget(self) -> None:
        """Drop the cached version so the next read comes from disk (the offsets as read, with the lines read
        after them, too: a transaction's lines taken back out of the journal must not be found there)."""
        self._cached = None
        self._blind = None
        self._offsets = None
        self._found = ((), {})

    @property
    def parsed(self) -> bool:
        """True when a parsed copy is kept (it may still have to catch up with the journal)."""
        return self._cached is not None

    @property
    def cost(self) -> int:
        """An estimate of the cache's memory in bytes: parsed JSON takes a few times its size on disk (and the
        offsets as read, see :class:`shared.offsets.Reader`)."""
        held = STORAGE_OVERHEAD + (0 if self._offsets is None else self._offsets.cost)
        if self._cached is None:
            return held
        return held + PARSED_BYTES_PER_BYTE * ((self._file_stat or (0, 0, 0))[1] + self._journal_valid_size)

    def stale(self) -> None:
        """Another process changed the file: the next read catches up (only new journal lines if it can)."""
        self._stale = True
        self._blind = None

    def _catch_up(self) -> bool:
        """Apply the journal lines appended since this cache was made; False when a full read is needed.

        Only when the file itself is the one this cache was made from, the journal has only
        grown, and every new line belongs to the file's generation; anything else (a full
        write by another process, a line of another generation) means reading it all again.
        """
        if not self._journal_valid_size or _stat_of(self.path) != self._file_stat or self._cached is None:
            return False
        try:
            with self.journal_path.open("rb") as journal:
                stat = os.fstat(journal.fileno())
                if stat.st_size < self._journal_valid_size or stat.st_ino != (self._journal_stat or (0,))[0]:
                    return False  # cut or replaced: not the journal this cache was made from
                journal.seek(self._journal_valid_size)
                added = journal.read()
        except OSError:
            return False
        lines = added.split(b"\n")[:-1]  # a torn last piece is left for the next append to cut
        changes: list[tuple[str, dict[str, Any], list[str]]] = []
        for line in lines:
            try:
                generation, line_changes = _parse_line(line)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                return False
            if generation != self._generation:
                return False
            changes.extend(line_changes)
        tables = dict(self._cached)
        for table, documents, deleted in changes:
            tables[table] = _changed(tables.get(table, {}), documents, deleted)
            self._journal_entries += len(documents) + len(deleted)
            self._journal_deletions += len(deleted)
        self._cached = tables
        self._journal_valid_size += sum(len(line) + 1 for line in lines)
        self._journal_stat = _stat_of(self.journal_path)
        return True

    def close(self) -> None:
        self._cached = None

    def snapshot(self) -> Callable[[], Tables | None]:
        """The file and its journal as they are now, read but not parsed: the call returned parses them.

        A file and its journal must be read together, under the store's lock; parsing need not be.
        A long command reads a day of 50,000 answers (15 MB) in milliseconds under the lock and parses
        it after, so a tap or a text waits for the read, not the parse. Not cached.
        """
        captured = self.capture()
        return lambda: captured.parse().tables

    def capture(self) -> Snapshot:
        """The file and its journal as they are now, read (under the lock) with their stats, not parsed:
        see :class:`Snapshot`. Not cached."""
        content, file_stat = _bytes_and_stat_of(self.path)
        journal, journal_stat = _bytes_and_stat_of(self.journal_path)
        return Snapshot(self.path, content, journal, (file_stat, journal_stat), self.durable, self.scratch)

    def _load(self) -> Tables | None:
        self._lineage = next(_LINEAGES)
        self._blind = None
        self._file_stat = _stat_of(self.path)
        content = self._load_file()
        self._journal_stat = _stat_of(self.journal_path)
        return self._parsed(content, self._journal_bytes())

    def _parsed(self, content: bytes | None, journal: bytes | None) -> Tables | None:
        data = None if content is None else self._parse_file(content)
        meta = data.pop(META_TABLE, {}) if data is not None else {}
        self._generation = int(meta.get("file", {}).get("generation", 0))
        replayed = self._replay_journal(data or {}, journal)
        if data is None and not replayed:
            return None
        return data if data is not None else replayed

    def _load_file(self) -> bytes | None:
        return _bytes_of(self.path)

    def _journal_bytes(self) -> bytes | None:
        return _bytes_of(self.journal_path)

    def _parse_file(self, content: bytes) -> Tables:
        if not content:
            raise StoreCorrupt(self.path, "the file is empty, which this store never writes")
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError as error:
            raise StoreCorrupt(self.path, f"not valid JSON: {error}") from None
        if not isinstance(data, dict) or not all(isinstance(table, dict) for table in data.values()):
            raise StoreCorrupt(self.path, "not a TinyDB database (expected tables of documents)")
        return data

    def _replay_journal(self, data: Tables, content: bytes | None) -> Tables:
        """Apply the journal lines (``content``; None: no journal) of the current generation to ``data`` (in place)."""
        self._journal_valid_size = 0
        self._journal_entries = 0
        self._journal_deletions = 0
        if content is None:
            return data
        lines = content.split(b"\n")
        complete, tail = lines[:-1], lines[-1]  # a last piece without its newline was never acknowledged
        for number, line in enumerate(complete, start=1):
            try:
                generation, line_changes = _parse_line(line)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise StoreCorrupt(self.journal_path, f"line {number} is damaged: {error}") from None
            if generation == self._generation:
                for table, documents, deleted in line_changes:
                    data[table] = _changed(data.get(table, {}), documents, deleted)
                    self._journal_entries += len(documents) + len(deleted)
                    self._journal_deletions += len(deleted)
        self._journal_valid_size = len(content) - len(tail)
        return data


def _places_of(content: bytes, needle: bytes, most: int = 8) -> list[int] | None:
    """Where ``needle`` occurs in ``content``; None if in more than ``most`` places (then read it all)."""
    places: list[int] = []
    at = content.find(needle)
    while at >= 0:
        if len(places) == most:
            return None
        places.append(at)
        at = content.find(needle, at + 1)
    return places


@dataclass(frozen=True, slots=True)
class Parsed:
    """A :class:`Snapshot` parsed: its tables (None: neither file nor journal) and what its journal held."""

    tables: Tables | None
    generation: int
    journal_bytes: int  # its whole lines, of any generation: a fold cuts them
    deletions: int  # keys its lines deleted: their documents' old copies are still in earlier lines


@dataclass(frozen=True, slots=True)
class PreparedFold:
    """A new file written and fsynced beside the data with the lock free, for the version of a file and its
    journal whose stats are ``stats``: :meth:`DurableJSONStorage.install` renames it into place."""

    stats: tuple[FileStat | None, FileStat | None]
    temporary: Path
    generation: int

    def discard(self) -> None:
        self.temporary.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A file and its journal read together under the lock, with their (inode, size, mtime).

    What takes long is done with the lock free: parsing it (:meth:`parse`) and writing the new file a
    purge needs (:meth:`fold`); under the lock again, that file is renamed into place only if neither
    the file nor its journal changed meanwhile (:meth:`DurableJSONStorage.install`), so a change another
    process made in between (a follow-up resolved into a month's archive) is never lost.
    """

    path: Path
    content: bytes | None
    journal: bytes | None
    stats: tuple[FileStat | None, FileStat | None]
    durable: bool = True
    scratch: Path | None = None

    @property
    def signature(self) -> list[int] | None:
        """:func:`storage_signature` of the version read."""
        return signature_of(*self.stats)

    def parse(self) -> Parsed:
        """The tables, the journal replayed over the file (:class:`StoreCorrupt` if either is damaged)."""
        reader = DurableJSONStorage(self.path)
        tables = reader._parsed(self.content, self.journal)
        return Parsed(tables, reader._generation, reader._journal_valid_size, reader._journal_deletions)

    def fold(self, parsed: Parsed, changes: dict[str, Changes]) -> PreparedFold:
        """Write (fsynced if durable) the file holding ``parsed`` with ``changes`` applied and the journal folded
        in, of the next generation; to install under the lock. ``parsed.tables`` is changed in place."""
        tables = parsed.tables or {}
        for table, (documents, deleted) in changes.items():
            tables[table] = _changed(tables.get(table, {}), documents, deleted)
        generation = parsed.generation + 1
        content = orjson.dumps({**tables, META_TABLE: {"file": {"generation": generation}}})
        scratch = self.scratch
        if scratch is not None and _device_of(scratch) != _device_of(self.path.parent):
            scratch = None  # renamed across file systems it could not be: written beside the file
        try:
            temporary = write_temporary(self.path, content, durable=self.durable, scratch=scratch, tag=".fold")
        except OSError as error:
            raise StoreWriteError(self.path, error) from error
        return PreparedFold(self.stats, temporary, generation)


def _decode_at(content: bytes, start: int) -> Any:
    """The JSON value that starts at ``start`` (a few kilobytes decoded first: a record is usually
    small; a cut one never parses), or None if none does."""
    for window in (FIRST_WINDOW, FOUND_BYTES):
        try:
            return _DECODER.raw_decode(content[start : start + window].decode(errors="ignore"))[0]
        except ValueError:
            continue
    return None


def _generation_in(content: bytes) -> int | None:
    """The generation a file's ``_meta`` table names (it is written last), 0 without one; None if unsure."""
    at = content.rfind(_META_KEY)
    if at < 0:
        return 0
    try:
        meta = orjson.loads(content[at + len(META_TABLE) + 3 : -1])
        return int(meta["file"]["generation"]) if content.endswith(b"}") else None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _parse_line(line: bytes) -> tuple[Any, list[tuple[str, dict[str, Any], list[str]]]]:
    """A journal line's generation and its changes: (table, upserted documents, deleted keys) (raises if damaged)."""
    entry = orjson.loads(line)
    changes = []
    for table, documents, deleted in offsets.changes_in(entry):
        if not isinstance(table, str) or not isinstance(documents, dict) or not isinstance(deleted, list):
            raise TypeError("table, documents or deleted keys of the wrong type")
        changes.append((table, documents, deleted))
    return entry["g"], changes


def read_whole(path: Path) -> bytes:
    """A file's bytes in four system calls (``Path.read_bytes`` makes nine)."""
    return _read_with_stat(path)[0]


def _read_with_stat(path: Path) -> tuple[bytes, FileStat]:
    """A file's bytes and the (inode, size, mtime) of the file read: a read of a regular file returns
    fewer bytes than asked only at its end, so one read of its size and one more byte is all."""
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        stat = os.fstat(descriptor)
        wanted = stat.st_size + 1
        content = os.read(descriptor, wanted)
        if len(content) == wanted:  # it grew since the stat: the rest, to its end
            content += b"".join(iter(lambda: os.read(descriptor, 1 << 20), b""))
        return content, (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    finally:
        os.close(descriptor)


def _journal_end(path: Path) -> tuple[int, int]:
    """Where a journal's last whole line ends, and its lines: all of them in a journal under ``COMPACT_BYTES``,
    where their count decides a fold (see ``_blind_due``); a larger one is read only from its end back to its
    last newline, and its count is ``COMPACT_AFTER`` (enough to say). A writer appending to a shard of years
    never reads the shard's journal whole. ``(0, 0)`` for none; :class:`StoreCorrupt` if it cannot be read."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return 0, 0
    except OSError as error:
        raise StoreCorrupt(path, error.strerror or str(error)) from error
    try:
        end = os.fstat(descriptor).st_size
        if end < COMPACT_BYTES:
            content = os.pread(descriptor, end, 0)
            return content.rfind(b"\n") + 1, content.count(b"\n")
        while end > 0:  # a torn batch may be longer than one piece
            start = max(end - COMPACT_BYTES, 0)
            newline = os.pread(descriptor, end - start, start).rfind(b"\n")
            if newline >= 0:
                return start + newline + 1, COMPACT_AFTER
            end = start
        return 0, 0
    except OSError as error:
        raise StoreCorrupt(path, error.strerror or str(error)) from error
    finally:
        os.close(descriptor)


def _bytes_of(path: Path) -> bytes | None:
    """A data file's bytes; None if it does not exist, :class:`StoreCorrupt` if it cannot be read."""
    return _bytes_and_stat_of(path)[0]


def _bytes_and_stat_of(path: Path) -> tuple[bytes | None, FileStat | None]:
    """:func:`_bytes_of` and the (inode, size, mtime) of the file read."""
    try:
        return _read_with_stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except OSError as error:
        raise StoreCorrupt(path, error.strerror or str(error)) from error


def _device_of(folder: Path) -> int | None:
    try:
        return os.stat(folder).st_dev
    except OSError:
        return None


def _generation_of(line: bytes) -> Any:
    """The generation a journal line belongs to (None if it cannot be read)."""
    try:
        return orjson.loads(line)["g"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None


def _changed(documents: dict[str, Any], upserted: dict[str, Any], deleted: list[str]) -> dict[str, Any]:
    """``documents`` with ``upserted`` put in and ``deleted`` taken out, in place.

    In place, not a copy: a copy would make every change cost as much as the whole table.
    (TinyDB's own updates change its tables in place too; it copies what it hands out.)
    """
    documents.update(upserted)
    for key in deleted:
        documents.pop(key, None)
    return documents


def _stat_of(path: Path) -> FileStat | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def journal_of(path: Path) -> Path:
    """The journal beside a data file: ``x.json`` -> ``x.json.log``."""
    return path.with_name(path.name + ".log")


def storage_signature(path: Path) -> list[int] | None:
    """Identity of one version of a file and its journal; None if neither exists.

    Atomic replaces give the file a new inode, appends grow the journal.
    """
    return signature_of(_stat_of(path), _stat_of(journal_of(path)))


def signature_of(file_stat: FileStat | None, journal_stat: FileStat | None) -> list[int] | None:
    """:func:`storage_signature` from the two stats (None for a file that does not exist)."""
    signature = [*(file_stat or (0, 0, 0)), *(journal_stat or (0, 0, 0))]
    return signature if any(signature) else None


def _write_all(descriptor: int, content: bytes, *, at: int | None = None) -> None:
    """``os.write`` (``os.pwrite`` from offset ``at``) until every byte is written (it may write fewer at once)."""
    view = memoryview(content)
    while view:
        if at is None:
            written = os.write(descriptor, view)
        else:
            written = os.pwrite(descriptor, view, at)
            at += written
        view = view[written:]


def fsync_directory(folder: Path) -> None:
    """Make a file's creation or rename in ``folder`` durable."""
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class FolderSyncs:
    """Directory fsyncs owed by atomic replaces made without one, and what waits for them.

    A purge rewrites a day file after another: one fsync of each file, then one of their folder,
    instead of two per file. What must wait for the renames to be durable (cutting each file's
    journal) runs in :meth:`settle`, which the store calls before it releases its lock.
    """

    def __init__(self) -> None:
        self._folders: set[Path] = set()
        self._then: list[Callable[[], None]] = []

    def owe(self, folder: Path | None, then: Callable[[], None]) -> None:
        """Owe ``folder``'s fsync (None: none), and run ``then`` after every folder owed is synced."""
        if folder is not None:
            self._folders.add(folder)
        self._then.append(then)

    def settle(self) -> None:
        """Fsync every folder owed, then run what waited for it (raises OSError if a folder cannot be synced)."""
        folders, self._folders = sorted(self._folders), set()
        for folder in folders:
            fsync_directory(folder)
        then, self._then = self._then, []
        for action in then:
            action()


def fold_share(name: str) -> int:
    """How much past its file's size (in ``FOLD_SHARES``) a file's journal grows before it is folded, fixed by
    the file's name. Files that grow alike (the 256 SMS shards, the 256 id shards: numbers and ids
    spread evenly) would otherwise all fold within a few hundred texts of one another, a wave of
    parses, writes and fsyncs that made every text in it slower (one tenth of 50,000 texts 15-25 %);
    spread from 1x to 2x, they fold one at a time."""
    return zlib.crc32(name.encode()) % FOLD_SHARES


def write_atomically(
    path: Path, content: bytes, *, durable: bool = True, scratch: Path | None = None, sync_folder: bool = True
) -> None:
    """Replace ``path`` with ``content`` so that readers see the old or the new file, never a mix.

    With ``durable`` the content and the rename are fsynced before returning (the rename's
    folder not when ``sync_folder`` is false: the caller owes that fsync). The temporary
    file is written beside ``path``, or in ``scratch`` (see :func:`write_temporary`).
    """
    temporary = write_temporary(path, content, durable=durable, scratch=scratch)
    try:
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        if error.errno == errno.EXDEV and scratch is not None:  # a folder mounted from elsewhere
            write_atomically(path, content, durable=durable, sync_folder=sync_folder)
            return
        raise
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable and sync_folder:
        fsync_directory(path.parent)


def write_temporary(
    path: Path, content: bytes, *, durable: bool = True, scratch: Path | None = None, tag: str = ""
) -> Path:
    """Write ``content`` (fsynced with ``durable``) to a new temporary file for ``path``, for the caller to
    rename over it; its name ends with this process's id, so one left by a killed writer is deleted.

    Beside ``path``, or in ``scratch`` (a folder on the same file system, such as the store's root), so
    that the temporaries of killed writers are found in one folder instead of every folder of hundreds
    of shards. ``tag`` tells apart two temporaries of one file in one process.
    """
    private_folder(path.parent)
    if scratch is None:
        temporary = path.with_name(f".{path.name}{tag}.{os.getpid()}.tmp")
    else:
        flat = "-".join(path.relative_to(scratch).parts) if path.is_relative_to(scratch) else path.name
        temporary = scratch / f".{flat}{tag}.{os.getpid()}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(descriptor, content)
            if durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary
