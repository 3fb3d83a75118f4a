"""A full write of any store file makes its temporary in the data folder's root, so a store opens by
looking in one folder for what killed writers left, not in hundreds of shard folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared import storage
from shared.store import FeedbackStore


def test_a_shards_full_write_makes_its_temporary_in_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FeedbackStore(tmp_path / "data")
    renamed: list[tuple[Path, Path]] = []
    replace = os.replace

    def watch(source: str | Path, target: str | Path) -> None:
        renamed.append((Path(source), Path(target)))
        replace(source, target)

    monkeypatch.setattr(storage.os, "replace", watch)
    with store.transaction() as tx:
        tx.append("sms/numbers/007", "numbers", {"+15550100": {"phone": "+15550100"}})
    [(source, target)] = renamed
    assert target == store.root / "sms" / "numbers" / "007.json"
    assert source.parent == store.root and source.name.startswith(".sms-numbers-007.json.")


def test_temporaries_of_killed_writers_are_removed_when_a_store_opens(tmp_path: Path) -> None:
    FeedbackStore(tmp_path / "data")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / "data" / f".ids-042.json.{int(dead.stdout)}.tmp"
    left.write_bytes(b'{"ids": {"half')
    mine = tmp_path / "data" / f".ids-043.json.{os.getpid()}.tmp"  # a live writer's: left alone
    mine.write_bytes(b"{}")
    FeedbackStore(tmp_path / "data")
    assert not left.exists() and mine.exists()
