"""The store's write-ahead log: one fsync per transaction, however many files it changes.

A transaction appends its journal lines (see :mod:`shared.storage`) to each file's journal as
before, but without an fsync each; they are copied into one record of the log, and that record
alone is fsynced when the transaction ends, before the lock is released and anything is
acknowledged. A flag that touches the id index, the day, the queue and the summary costs one
fsync instead of three.

Why that is enough:

- A process killed at any moment loses nothing acknowledged: what it wrote is in the page
  cache, which every process shares, and the next one reads it. (An unacknowledged
  transaction may have left some of its lines, as a killed writer always could.)
- A power cut may lose journal lines that were never fsynced, but every acknowledged one is
  in the log. The log lives in segments named after the boot they were written in
  (``/proc/sys/kernel/random/boot_id``); a process that finds a segment of another boot
  replays it, under the lock, into every journal that lacks one of its lines (each line carries
  a unique tag, ``w``, so replaying twice adds nothing), then fsyncs them and deletes it.
- A segment is closed after ``SEGMENT_BYTES`` or ``SEGMENT_SECONDS``; the process that closes
  it then fsyncs the journals it names and deletes it (a checkpoint), after releasing the lock.
  So the log holds minutes of changes, never the history that a purge erases; a purge also
  checkpoints everything when it ends (:meth:`WriteAheadLog.checkpoint`).

Where the boot cannot be told (no ``/proc``), there is no log: every line is fsynced itself.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import orjson

from shared.private_files import FILE_MODE, private_folder
from shared.storage import fsync_directory, journal_of

FOLDER = "wal"
SEGMENT_BYTES = 4 * 1024 * 1024
SEGMENT_SECONDS = 600
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_PROC_BOOT_ID = BOOT_ID


class Journal(Protocol):
    """What the log needs of a file's storage to undo a transaction's lines (a full disk on the log)."""

    def take_back(self, size: int) -> None: ...

    def forget(self) -> None: ...

    def fold_if_due(self) -> None: ...


def current_boot() -> str | None:
    """This boot's id (Linux), or None where it cannot be told. Read once from ``/proc``: a process lives
    in one boot (and a fresh process checking one id should not pay for reading it twice)."""
    return _this_boot() if BOOT_ID == _PROC_BOOT_ID else _boot_in(BOOT_ID)


@functools.cache
def _this_boot() -> str | None:
    return _boot_in(_PROC_BOOT_ID)


def _boot_in(path: Path) -> str | None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(descriptor, 128).decode("ascii", "replace").strip().replace("-", "") or None
    except OSError:
        return None
    finally:
        os.close(descriptor)


def segment_name(number: int, boot: str) -> str:
    return f"{number:010d}-{int(time.time())}-{boot}.log"


def parse_segment_name(name: str) -> tuple[int, int, str] | None:
    """(number, created, boot) of a segment file name, or None for anything else."""
    parts = name.removesuffix(".log").split("-")
    if not name.endswith(".log") or len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1]), parts[2]


def read_records(path: Path) -> list[list[tuple[str, bytes]]]:
    """The records of one segment: each a list of (file name, journal line). A torn or damaged
    line (a writer killed before its fsync, so never acknowledged) is skipped."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return []
    records = []
    for line in content.split(b"\n")[:-1]:
        try:
            entry = orjson.loads(line)
            records.append([(str(name), text.encode()) for name, text in entry["c"]])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            continue
    return records


class WriteAheadLog:
    """The log of one data folder, as one process writes it (see the module docstring).

    ``begin`` when a transaction takes the lock, ``stage`` for each journal line written,
    ``commit`` before the lock is released, ``after_release`` once it is.
    """

    def __init__(self, root: Path, boot: str | None) -> None:
        self.root = root
        self.folder = root / FOLDER
        self.boot = boot
        self._open = False
        self._staged: list[tuple[str, bytes]] = []
        self._undo: dict[int, tuple[Journal, int, Callable[[], bool]]] = {}
        self._tag = secrets.token_hex(6)
        self._count = 0
        self._segment: str | None = None
        self._recovered = False
        self._closed_segments = False  # this transaction closed a segment: check-point after release
        self._checkpointer: threading.Thread | None = None

    @property
    def writing(self) -> bool:
        """True inside a transaction: journal lines are staged here rather than fsynced each."""
        return self._open

    def begin(self, replay: Callable[[dict[str, list[bytes]]], None]) -> None:
        """Start a transaction (the lock held); the first one in a process replays segments of an earlier boot."""
        self._open = True
        self._staged = []
        self._undo = {}
        if not self._recovered:
            self._recover(replay)
            self._recovered = True

    def tag(self) -> str:
        """A tag no other journal line has: a replay tells by it whether a journal holds a line already."""
        self._count += 1
        return f"{self._tag}{self._count:x}"

    def stage(self, name: str, line: bytes, journal: Journal, size_before: int, same: Callable[[], bool]) -> None:
        """Remember a line appended (not fsynced) to ``name``'s journal, and how to take it back."""
        self._staged.append((name, line))
        self._undo.setdefault(id(journal), (journal, size_before, same))

    def commit(self) -> None:
        """Append and fsync one record of every line staged, then fold the journals that are due; on failure
        take the lines back out of their journals (nothing of the transaction is kept) and raise the OSError.

        Folding waits for the record: a file rewritten whole before it would keep a transaction that failed.
        """
        self._open = False
        staged, undo = self._staged, self._undo
        self._staged, self._undo = [], {}
        if not staged:
            return
        record = orjson.dumps({"c": [[name, line.rstrip(b"\n").decode()] for name, line in staged]}) + b"\n"
        try:
            self._append(record)
        except BaseException:
            for journal, size, same in undo.values():
                if same():  # not rewritten whole since: its journal still ends with this transaction's lines
                    journal.take_back(size)
                else:
                    journal.forget()
            raise
        for journal, _, _ in undo.values():
            journal.fold_if_due()

    def abandon(self) -> None:
        """The transaction ends without a commit (no lock was held): forget what was staged."""
        self._open = False
        self._staged, self._undo = [], {}

    def _append(self, record: bytes) -> None:
        # Opened for each record, not kept: an open file would keep its file system from being remounted
        # read-only, and another process may have closed the segment since.
        self._segment = self._current_segment()
        descriptor = os.open(self.folder / self._segment, os.O_RDWR)
        try:
            end = os.fstat(descriptor).st_size
            if end and os.pread(descriptor, 1, end - 1) != b"\n":
                # A writer killed mid-record left a torn tail (never acknowledged): cut it.
                end = _last_line_end(descriptor, end)
                os.ftruncate(descriptor, end)
            try:
                os.pwrite(descriptor, record, end)
                os.fdatasync(descriptor)
            except BaseException:
                with contextlib.suppress(OSError):  # not acknowledged: not to be replayed either
                    os.ftruncate(descriptor, end)
                raise
        finally:
            os.close(descriptor)
        with contextlib.suppress(OSError):  # the record is durable: a segment not closed now is closed later
            self._maybe_close_segment(end + len(record))

    def _segments(self) -> list[tuple[int, int, str, str]]:
        """(number, created, boot, name) of every segment, oldest first."""
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        found = []
        for name in names:
            parsed = parse_segment_name(name)
            if parsed is not None:
                found.append((*parsed, name))
        return sorted(found)

    def _of_this_boot(self) -> list[tuple[int, int, str, str]]:
        """The segments this boot wrote, oldest first (those of an earlier one are for :meth:`_recover`)."""
        return [segment for segment in self._segments() if segment[2] == self.boot]

    def _current_segment(self) -> str:
        """The newest segment of this boot, made if there is none."""
        segments = self._segments()
        if segments and segments[-1][2] == self.boot:
            return segments[-1][3]
        return self._new_segment(segments[-1][0] + 1 if segments else 1)

    def _new_segment(self, number: int) -> str:
        assert self.boot is not None
        private_folder(self.folder)
        name = segment_name(number, self.boot)
        os.close(os.open(self.folder / name, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        fsync_directory(self.folder)  # a record fsynced into a file its folder does not durably hold is lost
        return name

    def _maybe_close_segment(self, size: int) -> None:
        assert self._segment is not None
        number, created, _ = parse_segment_name(self._segment) or (0, 0, "")
        if size >= SEGMENT_BYTES or time.time() - created >= SEGMENT_SECONDS:
            self._new_segment(number + 1)
            self._closed_segments = True

    def after_release(self) -> None:
        """Check-point the segments closed by this transaction in a thread of its own, so the caller (a text
        waiting for its answer) does not wait for hundreds of fsyncs. A process that exits first leaves
        them to the next one that closes a segment."""
        if self._closed_segments:
            self._closed_segments = False
            if self._checkpointer is None or not self._checkpointer.is_alive():
                self._checkpointer = threading.Thread(
                    target=self._checkpoint_closed, name="wal-checkpoint", daemon=True
                )
                self._checkpointer.start()

    def _checkpoint_closed(self) -> None:
        with contextlib.suppress(OSError):
            while closed := self._of_this_boot()[:-1]:  # more may close meanwhile
                self._checkpoint(closed)

    def wait_for_checkpoint(self) -> None:
        """Wait until a check-point started by this process is done (tests, and a command that ends)."""
        if self._checkpointer is not None:
            self._checkpointer.join()

    def close_segment(self) -> None:
        """Start a new segment now (the lock held), so the segments before it are check-pointed once the lock
        is released, with it free (:meth:`after_release`): a purge's last :meth:`checkpoint` then holds the
        lock only for what was logged meanwhile, not for fsyncing hundreds of journals."""
        segments = self._segments()
        if segments and segments[-1][2] == self.boot and os.path.getsize(self.folder / segments[-1][3]):
            self._new_segment(segments[-1][0] + 1)
            self._closed_segments = True

    def checkpoint(self) -> None:
        """Make every journal line durable in its journal and empty the log (the lock held: after a purge,
        so no copy of what it erased stays in the log)."""
        self._checkpoint(self._of_this_boot(), keep_newest=True)

    def _checkpoint(self, segments: list[tuple[int, int, str, str]], *, keep_newest: bool = False) -> None:
        """Fsync the journals the segments name and their folders, then delete the segments (the newest
        only emptied with ``keep_newest``: the next record goes there without making a file)."""
        names: set[str] = set()
        for *_, name in segments:
            for record in read_records(self.folder / name):
                names.update(file for file, _ in record)
        folders: set[Path] = set()
        for name in sorted(names):
            journal = journal_of(self.root / name)
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                descriptor = os.open(journal, os.O_RDONLY)
                try:
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
                folders.add(journal.parent)
        for folder in sorted(folders):
            fsync_directory(folder)
        for index, (*_, name) in enumerate(segments):
            with contextlib.suppress(FileNotFoundError):
                if keep_newest and index == len(segments) - 1:
                    os.truncate(self.folder / name, 0)
                else:
                    os.unlink(self.folder / name)

    def _recover(self, replay: Callable[[dict[str, list[bytes]]], None]) -> None:
        """Replay every segment of another boot (a power cut may have lost their lines from the journals)."""
        earlier = [s for s in self._segments() if s[2] != self.boot]
        if not earlier:
            return
        lines: dict[str, list[bytes]] = {}
        for *_, name in earlier:
            for record in read_records(self.folder / name):
                for file, line in record:
                    lines.setdefault(file, []).append(line)
        replay(lines)
        for *_, name in earlier:
            os.unlink(self.folder / name)
        fsync_directory(self.folder)


def _last_line_end(descriptor: int, size: int, chunk: int = 1 << 20) -> int:
    """Where the last complete line of the first ``size`` bytes ends (0 if there is none)."""
    end = size
    while end > 0:
        start = max(end - chunk, 0)
        found = os.pread(descriptor, end - start, start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0
