"""The per-month tallies a report reads instead of whole month files: trusted only for the month file
as it was counted, rebuilt when damaged or deleted, and never a different figure."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from shared import month_tallies
from shared.check_backs import CheckBack
from shared.followups import Resolution
from shared.interactions import Interaction, Pair
from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)


def pair_record(number: int, ts: datetime, outcome: Outcome) -> dict[str, object]:
    rating = Rating(
        id=f"r{number}", ts=ts, channel=Channel.KIOSK, outcome=outcome, station=f"s{number % 2}", staff=f"p{number % 3}"
    )
    view = Outcome.MET if outcome is Outcome.BELOW else Outcome.EXCEEDED
    return Pair.of(Interaction(f"i{number}", ts, view, ts, staff=rating.staff), rating).to_record()


def check_back_record(number: int, created: datetime) -> dict[str, object]:
    check = CheckBack(f"f{number}", "", created, created, Resolution.RECOVERED, created)
    if number % 2:
        check = check.sent(created, timedelta(hours=48))
        if number % 3:
            check = check.answered(Outcome.MET, created + timedelta(minutes=5))
    return check.to_record(with_phone=False)


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    """Three months of pairs and check-backs, written as the store keeps them (one file a month)."""
    root = tmp_path / "data"
    for month in (1, 2, 3):
        pairs, checks = {}, {}
        for number in range(month * 100, month * 100 + 40):
            ts = datetime(2026, month, 1 + number % 28, 9, tzinfo=UTC)
            outcome = (Outcome.BELOW, Outcome.MET, Outcome.EXCEEDED)[number % 3]
            pairs[f"i{number}"] = pair_record(number, ts, outcome)
            checks[f"f{number}"] = check_back_record(number, ts)
        for folder, table, records in (("views", "pairs", pairs), ("checkbacks", "checkbacks", checks)):
            path = root / folder / f"2026-{month:02d}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(orjson.dumps({table: records}))
    return FeedbackStore(root)


def figures(store: FeedbackStore, start: datetime = START, end: datetime = END) -> tuple[object, object]:
    return store.pair_tally(start, end), store.check_back_tally(start, end)


def uncached(store: FeedbackStore, start: datetime = START, end: datetime = END) -> tuple[object, object]:
    """The same figures from a copy of the store without any tally."""
    copy = store.root.parent / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(store.root, copy, ignore=shutil.ignore_patterns(month_tallies.FOLDER))
    return figures(FeedbackStore(copy), start, end)


def tally_file(store: FeedbackStore, name: str) -> Path:
    return month_tallies.tally_path(store.root, name)


def test_a_report_keeps_a_tally_per_month_and_gives_the_same_figures_from_it(store: FeedbackStore) -> None:
    first = figures(store)
    assert tally_file(store, "views/2026-02").exists() and tally_file(store, "checkbacks/2026-02").exists()
    assert figures(store) == first == uncached(store)
    pairs, checks = first
    assert sum(pairs.counts.values()) == 120  # type: ignore[attr-defined]
    assert sum(checks.values()) == 120  # type: ignore[attr-defined]


def test_an_edge_month_counts_only_the_records_inside_the_period(store: FeedbackStore) -> None:
    figures(store)  # every month tallied
    start, end = datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    pairs, checks = figures(store, start, end)
    assert (pairs, checks) == uncached(store, start, end)
    assert 40 < sum(pairs.counts.values()) < 120  # type: ignore[attr-defined]


def test_a_tally_is_trusted_only_for_the_month_file_it_counted(store: FeedbackStore) -> None:
    """A lying tally (right signature, wrong counts) is believed, which proves the cache is read at all;
    once the month file changes (a new record, a restored copy) it is recounted."""
    honest = figures(store)
    path = tally_file(store, "checkbacks/2026-02")
    tally = orjson.loads(path.read_bytes())
    tally["counts"] = [["recovered", False, "", 1_000]]
    path.write_bytes(orjson.dumps(tally))
    assert figures(store) != honest

    month = store.root / "checkbacks" / "2026-02.json"
    shutil.copy(month, month.with_name("restored"))
    month.with_name("restored").replace(month)  # a restored copy: same content, another file
    assert figures(store) == honest

    path.write_bytes(orjson.dumps(tally))
    with store.transaction() as tx:  # a change through the journal (a check-back answered, a purge)
        answered = check_back_record(999, datetime(2026, 2, 3, tzinfo=UTC))
        tx.append("checkbacks/2026-02", "checkbacks", {"f999": answered})
    changed = figures(store)
    assert sum(changed[1].values()) == 121  # type: ignore[attr-defined]
    assert changed == uncached(store)


@pytest.mark.parametrize("damage", [b"", b"{not json", b"[1, 2]", b'{"version": 1}'])
def test_a_damaged_tally_is_counted_again(store: FeedbackStore, damage: bytes) -> None:
    honest = figures(store)
    path = tally_file(store, "views/2026-03")
    path.write_bytes(damage)
    assert figures(store) == honest
    assert orjson.loads(path.read_bytes())["counts"]


def test_a_deleted_tally_is_counted_again(store: FeedbackStore) -> None:
    honest = figures(store)
    shutil.rmtree(store.root / month_tallies.FOLDER)
    assert figures(store) == honest
    assert tally_file(store, "views/2026-01").exists()


def test_loop_rows_keep_each_time_to_the_microsecond_and_not_yet_as_none() -> None:
    from datetime import UTC, datetime

    from shared.month_tallies import LoopRows

    rows = LoopRows([("2026-11-02T09:00:00.123456+00:00", None, "2026-11-02T10:30:00+00:00")])
    rows.extend([("2026-11-03T23:59:59.999999+00:00", "2026-11-04T00:00:01+00:00", None)])
    assert len(rows) == 2
    assert list(rows.moments()) == [
        (datetime(2026, 11, 2, 9, 0, 0, 123456, UTC), None, datetime(2026, 11, 2, 10, 30, tzinfo=UTC)),
        (datetime(2026, 11, 3, 23, 59, 59, 999999, UTC), datetime(2026, 11, 4, 0, 0, 1, tzinfo=UTC), None),
    ]
