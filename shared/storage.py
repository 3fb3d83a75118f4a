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
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from tinydb import Storage

from shared.private_files import private_folder

Tables = dict[str, dict[str, Any]]


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


META_TABLE = "_meta"
COMPACT_AFTER = 512


class DurableJSONStorage(Storage):
    """A TinyDB storage whose writes are atomic and durable, with a parse cache and a journal.

    ``write`` (what TinyDB calls) replaces the whole file atomically. ``append`` (what
    the store calls to add documents on its hot path) adds them to a journal beside
    the file, ``<name>.log``: one fsynced line per batch, so adding an answer costs
    the same however many the file holds. Reading replays the journal over the file;
    every ``COMPACT_AFTER`` appended documents the two are folded into a new file.

    Each journal line carries the file's generation, kept in the file's ``_meta``
    table: a line written before the last full write is ignored, so a crash between
    the full write and the journal's truncation replays nothing twice. A torn last
    line (a writer killed mid-append, before it acknowledged anything) is ignored
    and cut off by the next append.

    The cache holds the last version read or written; :meth:`forget` drops it when
    another process may have changed the file. ``before_write`` is called with the
    path before every write, so the store can announce the change first. Files that
    can be rebuilt from others may skip fsync with ``durable=False``.
    """

    def __init__(
        self,
        path: Path,
        *,
        before_write: Callable[[Path], None] | None = None,
        durable: bool = True,
    ) -> None:
        self.path = Path(path)
        self.journal_path = self.path.with_name(self.path.name + ".log")
        self.durable = durable
        self._before_write = before_write
        self._cached: Tables | None = None
        self._generation = 0
        self._journal_valid_size = 0
        self._journal_entries = 0
        self._file_stat: tuple[int, int, int] | None = None
        self._stale = False

    def read(self) -> Tables | None:
        if self._cached is not None and self._stale and not self._catch_up():
            self._cached = None
        self._stale = False
        if self._cached is None:
            self._cached = self._load()
        if self._cached is None:
            return None
        # TinyDB replaces whole tables in the dict it gets; hand out a copy of the outer layer.
        return dict(self._cached)

    def write(self, data: Tables) -> None:
        if self._before_write is not None:
            self._before_write(self.path)
        generation = self._generation + 1
        content = orjson.dumps({**data, META_TABLE: {"file": {"generation": generation}}})
        try:
            write_atomically(self.path, content, durable=self.durable)
        except OSError as error:
            # TinyDB may have changed documents in place: the cache is no longer what is on disk.
            self._cached = None
            raise StoreWriteError(self.path, error) from error
        except BaseException:
            self._cached = None
            raise
        self._cached = data
        self._generation = generation
        self._file_stat = _stat_of(self.path)
        if self._journal_valid_size or self.journal_path.exists():
            # Everything in it is in the new file now; lines of the old generation are ignored anyway.
            with contextlib.suppress(OSError):
                os.truncate(self.journal_path, 0)
        self._journal_valid_size = 0
        self._journal_entries = 0

    def append(self, table: str, documents: dict[str, dict[str, Any]]) -> None:
        """Add or replace documents of one table with one fsynced journal line."""
        tables = self.read() or {}
        if not self.path.exists():
            # The first documents of a file make the file itself, so it can be found by name.
            self.write({**tables, table: {**tables.get(table, {}), **documents}})
            return
        if self._before_write is not None:
            self._before_write(self.path)
        line = orjson.dumps({"g": self._generation, "t": table, "d": documents}) + b"\n"
        try:
            self._append_line(line)
        except OSError as error:
            self._cached = None
            raise StoreWriteError(self.journal_path, error) from error
        merged = dict(tables.get(table, {}))
        merged.update(documents)
        tables[table] = merged
        self._cached = tables
        self._journal_entries += len(documents)
        if self._journal_entries >= COMPACT_AFTER:
            # The documents are safe in the journal already: folding may fail (a full disk)
            # without failing this append; it is tried again on the next one.
            with contextlib.suppress(StoreWriteError):
                self.write(tables)

    def _append_line(self, line: bytes) -> None:
        created = not self.journal_path.exists()
        private_folder(self.journal_path.parent)
        descriptor = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            # Cut a torn tail left by a killed writer, so the new line starts on a line of its own.
            os.ftruncate(descriptor, self._journal_valid_size)
            os.lseek(descriptor, self._journal_valid_size, os.SEEK_SET)
            _write_all(descriptor, line)
            if self.durable:
                os.fsync(descriptor)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(descriptor, self._journal_valid_size)
            raise
        finally:
            os.close(descriptor)
        self._journal_valid_size += len(line)
        if created and self.durable:
            fsync_directory(self.path.parent)

    def signature(self) -> list[int] | None:
        """Identity of this version of the file and its journal (both change on every write)."""
        return storage_signature(self.path)

    def forget(self) -> None:
        """Drop the cached version so the next read comes from disk."""
        self._cached = None

    def stale(self) -> None:
        """Another process changed the file: the next read catches up (only new journal lines if it can)."""
        self._stale = True

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
                journal.seek(self._journal_valid_size)
                added = journal.read()
        except OSError:
            return False
        lines = added.split(b"\n")[:-1]  # a torn last piece is left for the next append to cut
        changes: list[tuple[str, dict[str, Any]]] = []
        for line in lines:
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                return False
            if (
                not isinstance(entry, dict)
                or entry.get("g") != self._generation
                or not isinstance(entry.get("d"), dict)
            ):
                return False
            changes.append((str(entry.get("t")), entry["d"]))
        tables = dict(self._cached)
        for table, documents in changes:
            tables[table] = {**tables.get(table, {}), **documents}
            self._journal_entries += len(documents)
        self._cached = tables
        self._journal_valid_size += sum(len(line) + 1 for line in lines)
        return True

    def close(self) -> None:
        self._cached = None

    def _load(self) -> Tables | None:
        data = self._load_file()
        meta = data.pop(META_TABLE, {}) if data is not None else {}
        self._generation = int(meta.get("file", {}).get("generation", 0))
        replayed = self._replay_journal(data or {})
        if data is None and not replayed:
            return None
        return data if data is not None else replayed

    def _load_file(self) -> Tables | None:
        self._file_stat = _stat_of(self.path)
        try:
            content = self.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            raise StoreCorrupt(self.path, error.strerror or str(error)) from error
        if not content:
            raise StoreCorrupt(self.path, "the file is empty, which this store never writes")
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError as error:
            raise StoreCorrupt(self.path, f"not valid JSON: {error}") from None
        if not isinstance(data, dict) or not all(isinstance(table, dict) for table in data.values()):
            raise StoreCorrupt(self.path, "not a TinyDB database (expected tables of documents)")
        return data

    def _replay_journal(self, data: Tables) -> Tables:
        """Apply the journal's lines of the current generation to ``data`` (in place)."""
        self._journal_valid_size = 0
        self._journal_entries = 0
        try:
            content = self.journal_path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return data
        except OSError as error:
            raise StoreCorrupt(self.journal_path, error.strerror or str(error)) from error
        lines = content.split(b"\n")
        complete, tail = lines[:-1], lines[-1]  # a last piece without its newline was never acknowledged
        for number, line in enumerate(complete, start=1):
            try:
                entry = orjson.loads(line)
                generation, table, documents = entry["g"], entry["t"], entry["d"]
                if not isinstance(table, str) or not isinstance(documents, dict):
                    raise TypeError("table or documents of the wrong type")
            except (orjson.JSONDecodeError, KeyError, TypeError) as error:
                raise StoreCorrupt(self.journal_path, f"line {number} is damaged: {error}") from None
            if generation == self._generation:
                data.setdefault(table, {}).update(documents)
                self._journal_entries += len(documents)
        self._journal_valid_size = len(content) - len(tail)
        return data


def _stat_of(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def storage_signature(path: Path) -> list[int] | None:
    """Identity of one version of a file and its journal; None if neither exists.

    Atomic replaces give the file a new inode, appends grow the journal.
    """
    signature = [*(_stat_of(path) or (0, 0, 0)), *(_stat_of(path.with_name(path.name + ".log")) or (0, 0, 0))]
    return signature if any(signature) else None


def _write_all(descriptor: int, content: bytes) -> None:
    """``os.write`` until every byte is written (it may write fewer at once)."""
    view = memoryview(content)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]


def fsync_directory(folder: Path) -> None:
    """Make a file's creation or rename in ``folder`` durable."""
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def write_atomically(path: Path, content: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``content`` so that readers see the old or the new file, never a mix.

    With ``durable`` the content and the rename are fsynced before returning.
    """
    private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(descriptor, content)
            if durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        fsync_directory(path.parent)
