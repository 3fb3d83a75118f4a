"""The report reads the follow-up archive's month tallies for loop times, and the follow-ups themselves
for what customers wrote: the same figures with or without tallies, and no customer's words in a tally."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from manager.report import gather
from manager.report_trends import TrendOptions
from shared import month_tallies
from shared.followups import Resolution
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.stats import LoopTimes, Stats, compute, utc_days_for
from shared.store import FeedbackStore

ZONE = UTC
SINCE, UNTIL = date(2026, 6, 1), date(2026, 9, 30)
NOW = datetime(2026, 10, 5, 12, tzinfo=UTC)
TARGET = timedelta(minutes=15)
COMMENT = "[bold]the manager[/bold] was rude, call me on +15551234567"
PHONE = "+15557654321"


def fill(store: FeedbackStore) -> None:
    """Four months of fell-short answers, most resolved (archived by month), a few still open, a few
    with a comment and a number, and one text to read."""
    start = datetime(2026, 5, 28, 9, tzinfo=UTC)
    for number in range(60):
        when = start + timedelta(days=2 * number, hours=number % 5)
        words = {"comment": COMMENT, "contact": Contact(PHONE)} if number % 7 == 0 else {}
        rating = Rating(id=f"r{number}", ts=when, channel=Channel.SMS, outcome=Outcome.BELOW, staff="ann", **words)
        store.record_rating(rating, now=when)
        if number % 3:
            store.claim(f"fu-r{number}", "dee", now=when + timedelta(minutes=number % 11))
        if number % 5:
            store.resolve(f"fu-r{number}", Resolution.RECOVERED, by="dee", now=when + timedelta(minutes=number))
    store.open_to_read("t1", "what time do you close?", channel=Channel.SMS, now=datetime(2026, 7, 2, tzinfo=UTC))
    store.resolve("t1", Resolution.NO_ACTION_NEEDED, by="dee", now=datetime(2026, 7, 2, 1, tzinfo=UTC))


WITH_TRENDS = TrendOptions()


def report(store: FeedbackStore, trends: TrendOptions | None = WITH_TRENDS) -> Stats:
    return gather(store, since=SINCE, until=UNTIL, zone=ZONE, now=NOW, target=TARGET, trends=trends)


def without_tallies(store: FeedbackStore) -> Stats:
    copy = store.root.parent / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(store.root, copy, ignore=shutil.ignore_patterns(month_tallies.FOLDER))
    return report(FeedbackStore(copy))


def loop_figures_as_stored(store: FeedbackStore) -> Stats:
    """The loop figures from every stored follow-up record, as the report read them before tallies."""
    first, last = utc_days_for(SINCE, UNTIL)
    times = LoopTimes.of_fell_short(store.each_followup_record(first, last))
    return compute({}, times, since=SINCE, until=UNTIL, zone=ZONE, now=NOW, target=TARGET)


def loop_part(stats: Stats) -> tuple[object, ...]:
    return stats.followups, stats.claimed, stats.resolved, stats.still_open, stats.median_to_claim, stats.within_target


def test_the_report_is_the_same_with_and_without_tallies(store: FeedbackStore) -> None:
    fill(store)
    first = report(store)
    assert list((store.root / month_tallies.FOLDER).glob("followups-*.tally"))
    assert report(store) == first == without_tallies(store)
    assert loop_part(first) == loop_part(loop_figures_as_stored(store))
    assert first.followups > 40 and first.still_open > 0
    assert first.writings is not None and first.writings.total == 9  # eight comments and the text to read
    assert report(store, trends=None) == report(FeedbackStore(store.root), trends=None)


def test_a_tally_keeps_no_words_or_number_of_a_customer(store: FeedbackStore) -> None:
    fill(store)
    report(store)
    for path in (store.root / month_tallies.FOLDER).glob("*.tally"):
        content = path.read_bytes()
        assert b"rude" not in content and b"close?" not in content
        assert PHONE.encode() not in content and b"5551234567" not in content


def test_a_resolve_in_a_tallied_month_is_counted(store: FeedbackStore) -> None:
    fill(store)
    before = report(store)
    store.resolve("fu-r50", Resolution.APOLOGISED, by="dee", now=datetime(2026, 9, 30, tzinfo=UTC))
    after = report(store)
    assert (after.resolved, after.still_open) == (before.resolved + 1, before.still_open - 1)
    assert after == without_tallies(store)


def test_a_damaged_or_deleted_follow_up_tally_is_counted_again(store: FeedbackStore, tmp_path: Path) -> None:
    fill(store)
    honest = report(store)
    tallies = sorted((store.root / month_tallies.FOLDER).glob("followups-*.tally"))
    tallies[0].write_bytes(b"{broken")
    tallies[1].unlink()
    assert report(store) == honest
    assert tallies[1].exists()
