"""What a change writes does not depend on how many other documents its file holds (bytes, not time)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shared import storage
from shared.followups import Resolution
from shared.ratings import Rating
from shared.store import FeedbackStore

MakeRating = Callable[..., Rating]


def disk_bytes(root: Path) -> int:
    # Not the change feed: it is padded to its largest size so far, and holds the last 256 file names.
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file() and path.name != "revision.json")


def written_by(store: FeedbackStore, action: Callable[[], object]) -> int:
    """Bytes the action added to the data folder (journals only grow, so this is what it wrote)."""
    before = disk_bytes(store.root)
    action()
    return disk_bytes(store.root) - before


def no_folding(store: FeedbackStore) -> None:
    """Fold every file now, so the next measured writes are journal lines and not a periodic fold."""
    with store.transaction() as tx:
        for path in store.root.rglob("*.json.log"):
            tx.compact(path.relative_to(store.root).as_posix()[: -len(".json.log")])


def every_id_shard_made(store: FeedbackStore, make_rating: MakeRating) -> None:
    """Make every shard of the id index, so a measured flag appends to one rather than creating it."""
    store.record_ratings([make_rating("met", id=f"seed-{n}") for n in range(3000)])
    assert len(list((store.root / "ids").glob("[0-9]*.json"))) == 256


def test_a_flag_writes_as_much_with_a_long_queue_as_with_an_empty_one(
    store: FeedbackStore, make_rating: MakeRating
) -> None:
    every_id_shard_made(store, make_rating)
    store.record_rating(make_rating("below", id="first"))
    no_folding(store)
    with_one = written_by(store, lambda: store.record_rating(make_rating("below", id="probe-a")))
    store.record_ratings([make_rating("below", id=f"bulk-{n:04d}") for n in range(600)])
    assert len(store.open_followups()) == 602
    no_folding(store)
    with_many = written_by(store, lambda: store.record_rating(make_rating("below", id="probe-b")))
    assert abs(with_many - with_one) < 64, (with_one, with_many)


def test_a_resolve_writes_as_much_with_a_full_archive_as_with_an_empty_one(
    store: FeedbackStore, make_rating: MakeRating
) -> None:
    followups = [
        f.id for f in (store.record_rating(make_rating("below", id=f"r{n:04d}")).followup for n in range(152)) if f
    ]
    store.resolve(followups[0], Resolution.APOLOGISED, by="sam")
    no_folding(store)
    first = written_by(store, lambda: store.resolve(followups[1], Resolution.APOLOGISED, by="sam"))
    for followup_id in followups[2:151]:
        store.resolve(followup_id, Resolution.APOLOGISED, by="sam")
    no_folding(store)
    later = written_by(store, lambda: store.resolve(followups[151], Resolution.APOLOGISED, by="sam"))
    assert abs(later - first) < 64, (first, later)


def test_folding_keeps_the_bytes_written_per_flag_bounded_on_average(
    store: FeedbackStore, make_rating: MakeRating, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Folds happen, but only once the journal is as large as the file: on average a flag writes a
    constant times its own size, not the queue's."""
    store.record_rating(make_rating("below", id="first"))
    one = written_by(store, lambda: store.record_rating(make_rating("below", id="probe")))
    monkeypatch.setattr(storage, "COMPACT_AFTER", 16)  # so folding is due often in a short test
    total = 0
    for n in range(300):
        total += written_by(store, lambda n=n: store.record_rating(make_rating("below", id=f"x{n}")))  # type: ignore[misc]
    assert total / 300 < 4 * one, (one, total / 300)
