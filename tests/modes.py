"""File modes: the data folder and everything in it readable by its owner only, shared by every part's tests."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

UMASKS = [0o022, 0o077]
"""A permissive umask (a default shell) and a restrictive one."""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def not_private(data: Path) -> dict[str, str]:
    """Folders under ``data`` (and itself) that are not 0700 and files that are not 0600, with their modes."""
    paths = [data, *data.rglob("*")]
    return {
        str(path.relative_to(data)): oct(mode(path))
        for path in paths
        if mode(path) != (0o700 if path.is_dir() else 0o600)
    }


@contextmanager
def umask(value: int) -> Iterator[None]:
    """Run with this umask (inherited by subprocesses started inside)."""
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)
