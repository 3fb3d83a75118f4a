"""Purge: personal details older than the retention period go; answers and counts stay."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from manager.report import gather
from shared.followups import Resolution
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.retention import InvalidRetention, parse_span, purge
from shared.storage import DurableJSONStorage, storage_signature
from shared.store import FeedbackStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def record(store: FeedbackStore, rating_id: str, when: datetime, outcome: str = "below", **fields: object) -> Rating:
    rating = Rating(id=rating_id, ts=when, channel=Channel.SMS, outcome=Outcome(outcome), **fields)  # type: ignore[arg-type]
    return store.record_rating(rating, now=when).rating


@pytest.fixture
def history(tmp_path: Path) -> FeedbackStore:
    store = FeedbackStore(tmp_path / "data")
    old = NOW - timedelta(days=100)
    record(store, "old-1", old, contact=Contact("+15555550101"), comment="rude staff", raw="1 rude staff", staff="ann")
    record(store, "old-2", old + timedelta(hours=1), "met", raw="2")
    record(store, "old-3", old + timedelta(hours=2), contact=Contact("+15555550102"))
    store.resolve("fu-old-1", Resolution.RECOVERED, by="dee", note="called her back", now=old + timedelta(minutes=9))
    # An old follow-up resolved only recently sits in this month's archive.
    store.resolve("fu-old-3", Resolution.COULD_NOT_REACH, by="dee", note="no answer", now=NOW - timedelta(days=1))
    record(store, "new-1", NOW - timedelta(days=10), contact=Contact("+15555550103"), comment="slow")
    return store


def counts(store: FeedbackStore) -> dict[str, object]:
    stats = gather(
        store,
        since=date(2026, 8, 1),
        until=NOW.date(),
        zone=ZoneInfo("UTC"),
        now=NOW,
        target=timedelta(minutes=15),
    )
    return {"answers": stats.answers, "below": stats.below, "staff": stats.by_staff, "followups": stats.followups}


def test_purge_erases_phones_comments_and_notes_older_than_the_period(history: FeedbackStore) -> None:
    before = counts(history)
    report = purge(history, older_than=timedelta(days=90), now=NOW)
    assert (report.ratings, report.followups, report.phones, report.comments, report.notes) == (3, 2, 4, 3, 2)
    assert "Erased 4 phone number(s), 3 comment(s) and 2 manager note(s)" in report.describe()

    old = history.get_rating("old-1", around=NOW - timedelta(days=100))
    assert old is not None and (old.contact, old.comment, old.raw) == (None, "", "")
    assert (old.outcome, old.staff) == (Outcome.BELOW, "ann")
    for followup_id in ("fu-old-1", "fu-old-3"):
        followup = history.get_followup(followup_id)
        assert (followup.contact, followup.comment, followup.note) == (None, "", "")
    assert history.get_followup("fu-old-1").resolution is Resolution.RECOVERED

    recent = history.get_rating("new-1", around=NOW - timedelta(days=10))
    assert recent is not None and recent.contact == Contact("+15555550103") and recent.comment == "slow"
    assert history.get_followup("fu-new-1").contact == Contact("+15555550103")
    assert counts(history) == before


def test_no_number_is_left_anywhere_in_the_purged_files(history: FeedbackStore) -> None:
    purge(history, older_than=timedelta(days=90), now=NOW)
    # Every file: journals, and the write-ahead log's copies of recent changes too.
    text = "".join(path.read_text() for path in history.root.rglob("*") if path.is_file())
    assert "+15555550101" not in text and "+15555550102" not in text and "called her back" not in text
    assert "+15555550103" in text


def test_purged_days_keep_their_summaries_instead_of_being_recounted(history: FeedbackStore) -> None:
    day = (NOW - timedelta(days=100)).date()
    purge(history, older_than=timedelta(days=90), now=NOW)
    summaries = DurableJSONStorage(history.root / f"summaries/{day:%Y-%m}.json").read() or {}  # file and journal
    summary = summaries["days"][day.isoformat()]
    partition = history.root / f"ratings/{day:%Y}/{day.isoformat()}.json"
    assert summary["signature"] == storage_signature(partition)


def test_a_dry_run_says_what_would_go_and_changes_nothing(history: FeedbackStore) -> None:
    files = {path: path.read_bytes() for path in history.root.rglob("*.json") if path.name != "revision.json"}
    report = purge(history, older_than=timedelta(days=90), now=NOW, dry_run=True)
    assert report.phones == 4 and report.describe().startswith("Would erase 4 phone number(s)")
    assert {path: path.read_bytes() for path in files} == files


def test_a_second_purge_finds_nothing(history: FeedbackStore) -> None:
    purge(history, older_than=timedelta(days=90), now=NOW)
    again = purge(history, older_than=timedelta(days=90), now=NOW)
    assert (again.ratings, again.followups, again.files) == (0, 0, 0)
    assert again.describe().startswith("Nothing to erase")


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("90", 90), ("12w", 84), (" 7 d ", 7)])
def test_periods_are_days_or_weeks(text: str, days: int) -> None:
    assert parse_span(text) == timedelta(days=days)


def test_an_unreadable_period_is_refused_with_an_example() -> None:
    with pytest.raises(InvalidRetention, match="such as 90d"):
        parse_span("3 months")


def test_feedback_purge_uses_the_configured_retention(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "data")
    when = datetime.now(UTC) - timedelta(days=40)
    record(store, "a", when, contact=Contact("+15555550101"))
    config = tmp_path / "shop.toml"
    config.write_text("retention_days = 30\n", encoding="utf-8")
    base = [sys.executable, "-m", "feedback", "purge", "--data", str(store.root), "--config", str(config)]
    out = subprocess.run(base, capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.startswith("Erased 2 phone number(s)")  # the rating's and its follow-up's
    wrong = subprocess.run([*base, "--older-than", "soon"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "such as 90d" in wrong.stderr
