"""Durable bytes for TinyDB: atomic, fsynced writes and loud failures.

TinyDB's own JSONStorage truncates its file and rewrites it in place, so a crash
mid-write loses everything. :class:`DurableJSONStorage` writes the whole database
to a temporary file beside the target, fsyncs it, renames it over the target and
fsyncs the directory: after ``write`` returns the data is on disk, and at any
moment before, the previous version is. It only knows bytes; locking across
processes is the store's job (see :mod:`shared.store`).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from tinydb import Storage

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


class DurableJSONStorage(Storage):
    """A TinyDB storage whose writes are atomic and durable, with a parse cache.

    The cache holds the last version read or written; :meth:`forget` drops it when
    another process may have replaced the file. ``before_write`` is called with the
    path before every write, so the store can announce the change first. Files
    that can be rebuilt from others may skip fsync with ``durable=False``.
    """

    def __init__(
        self,
        path: Path,
        *,
        before_write: Callable[[Path], None] | None = None,
        durable: bool = True,
    ) -> None:
        self.path = Path(path)
        self.durable = durable
        self._before_write = before_write
        self._cached: Tables | None = None

    def read(self) -> Tables | None:
        if self._cached is None:
            self._cached = self._load()
        if self._cached is None:
            return None
        # TinyDB replaces whole tables in the dict it gets; hand out a copy of the outer layer.
        return dict(self._cached)

    def write(self, data: Tables) -> None:
        if self._before_write is not None:
            self._before_write(self.path)
        try:
            write_atomically(self.path, orjson.dumps(data), durable=self.durable)
        except OSError as error:
            # TinyDB may have changed documents in place: the cache is no longer what is on disk.
            self._cached = None
            raise StoreWriteError(self.path, error) from error
        except BaseException:
            self._cached = None
            raise
        self._cached = data

    def forget(self) -> None:
        """Drop the cached version so the next read comes from disk."""
        self._cached = None

    def close(self) -> None:
        self._cached = None

    def _load(self) -> Tables | None:
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
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


def write_atomically(path: Path, content: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``content`` so that readers see the old or the new file, never a mix.

    With ``durable`` the content and the rename are fsynced before returning.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(content)
            while view:
                written = os.write(descriptor, view)
                view = view[written:]
            if durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
