"""Files only their owner can read: the data folder and anything with customers' details in it.

Modes are set explicitly rather than left to the umask, which a service manager or a
shell profile may have set to 022 (everything world-readable) or to something stranger.
Folders are ``0700``, files ``0600``. Public things (a QR poster) are not written here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path | str) -> None:
    """Create ``path`` and its missing parents, each ``0700`` (``mkdir -p`` would give parents the umask's mode)."""
    path = Path(path)
    missing = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            if folder.is_dir():
                continue  # another process made it first
            raise
        os.chmod(folder, FOLDER_MODE)  # the umask may have taken bits the owner needs


def open_private(path: Path | str, *, encoding: str = "utf-8", newline: str | None = None) -> IO[str]:
    """Open ``path`` to (over)write text, readable by its owner only, even if it existed before with wider rights."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)
        return open(descriptor, "w", encoding=encoding, newline=newline)
    except BaseException:
        os.close(descriptor)
        raise


def write_private(path: Path | str, text: str, *, encoding: str = "utf-8", newline: str | None = None) -> None:
    """Write ``text`` to ``path``, readable by its owner only (``newline=""`` keeps a CSV's CRLF as it is)."""
    with open_private(path, encoding=encoding, newline=newline) as out:
        out.write(text)
