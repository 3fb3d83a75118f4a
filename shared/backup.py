"""``feedback backup DEST``: a consistent copy of a live data folder, a file at a time.

A file and its journal (``x.json`` and ``x.json.log``) are one thing: a journal line belongs to
the file's generation, so the two are copied together under the store's lock, one short
transaction per file, and the kiosk and the server keep writing meanwhile. Files are copied in
the reverse of the order a write touches them (ratings, then follow-ups, then the id index), so
the copy never holds an answer without its follow-up, nor an unmet answer whose follow-up is
missing; at worst it holds an index entry or a follow-up for an answer written after its day
was copied. The change feed and the lock are not copied: a restored folder starts its own.

Restoring is copying the backup folder back (or pointing ``--data`` at it). Every file is new,
so every summary's signature is stale and the first report recounts each day, a few days per short
transaction.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from shared.private_files import FILE_MODE, private_folder
from shared.progress import Steps
from shared.storage import journal_of
from shared.store import FeedbackStore

SKIPPED = {".lock", "revision.json"}
ORDER = ("ratings/", "summaries/", "sms/", "queue.json", "followups/", "ids/")
"""Copied in this order of where a file lies; other channel data goes with the queue."""


class BackupExists(Exception):
    """The destination already holds files: a backup never overwrites."""


def _rank(name: str) -> int:
    return next((rank for rank, prefix in enumerate(ORDER) if name.startswith(prefix)), ORDER.index("queue.json"))


def data_files(root: Path) -> list[str]:
    """The data files (``.json``, without their journals) in backup order."""
    names = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*.json")
        if path.relative_to(root).as_posix() not in SKIPPED
    ]
    return sorted(names, key=lambda name: (_rank(name), name))


def backup(store: FeedbackStore, destination: Path, *, steps: Steps | None = None) -> int:
    """Copy every data file with its journal into ``destination`` (new or empty); return how many."""
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise BackupExists(f"{destination} is not empty: a backup goes into a new or empty folder")
    private_folder(destination)
    names = data_files(store.root)
    for done, name in enumerate(names, start=1):
        target = destination / name
        private_folder(target.parent)
        with store.brief_transaction():
            source = store.root / name
            if source.exists():  # a derived file may have been discarded since it was listed
                _copy_private(source, target)
                journal = journal_of(source)
                if journal.exists():
                    _copy_private(journal, journal_of(target))
        if steps is not None:
            steps(done, len(names))
    return len(names)


def _copy_private(source: Path, target: Path) -> None:
    """Copy bytes into a new file only its owner can read (the umask does not decide)."""
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)
    with source.open("rb") as reading, os.fdopen(descriptor, "wb") as writing:
        shutil.copyfileobj(reading, writing)
