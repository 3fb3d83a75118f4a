"""What the store refuses: times far from the server's clock and oversized fields; what it still reads."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from shared.config import ConfigError, load_config
from shared.ratings import (
    DEFAULT_LIMITS,
    Channel,
    Contact,
    InvalidRating,
    Limits,
    Outcome,
    Rating,
    check_bounds,
    parse_time,
)
from shared.retention import purge
from shared.store import FeedbackStore, partition_name
from tests.clocks import FakeClock

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
MakeRating = Callable[..., Rating]


def answer(**fields: object) -> Rating:
    fields.setdefault("ts", NOW)
    return Rating(id=str(fields.pop("id", "r1")), channel=Channel.KIOSK, outcome=Outcome.MET, **fields)  # type: ignore[arg-type]


ACCEPTED = [
    ("now", {}),
    ("exactly 5 minutes ahead", {"ts": NOW + timedelta(minutes=5)}),
    ("exactly 400 days ago", {"ts": NOW - timedelta(days=400)}),
    ("names of 100 characters", {"station": "s" * 100, "staff": "t" * 100, "touchpoint": "u" * 100}),
    ("a comment of 2000 characters", {"comment": "c" * 2000}),
    ("raw text of 5000 characters", {"raw": "r" * 5000}),
    ("20 reasons of 64 characters", {"reasons": [f"{n:02d}" + "x" * 62 for n in range(20)]}),
    ("a shout-out of 100 characters", {"shoutout": "s" * 100}),
    ("20 extra keys", {"extra": {f"k{n}": "v" * 500 for n in range(20)}}),
]

REFUSED = [
    ("year 1", {"ts": datetime(1, 1, 1, tzinfo=UTC)}, "739"),
    ("year 999", {"ts": datetime(999, 6, 1, tzinfo=UTC)}, "before the server's clock"),
    ("a kiosk clock at 1970", {"ts": datetime(1970, 1, 1, tzinfo=UTC)}, "check the device's clock"),
    ("year 9999", {"ts": datetime(9999, 12, 31, tzinfo=UTC)}, "ahead of the server's clock"),
    ("5 minutes and 1 second ahead", {"ts": NOW + timedelta(minutes=5, seconds=1)}, "5 minutes 1 second ahead"),
    ("401 days ago", {"ts": NOW - timedelta(days=401)}, "401 days before"),
    ("a station of 101 characters", {"station": "s" * 101}, "station is 101 characters long; at most 100"),
    ("a staff name of a megabyte", {"staff": "t" * 1_000_000}, "staff is 1000000 characters"),
    ("a touchpoint of 101 characters", {"touchpoint": "u" * 101}, "touchpoint is 101"),
    ("a comment of 2001 characters", {"comment": "c" * 2001}, "comment is 2001"),
    ("raw text of 5001 characters", {"raw": "r" * 5001}, "raw is 5001"),
    ("21 reasons", {"reasons": [f"r{n}" for n in range(21)]}, "reasons has 21 items; at most 20"),
    ("a reason of 65 characters", {"reasons": ["x" * 65]}, "each reason is 65"),
    ("a shout-out of 101 characters", {"shoutout": "s" * 101}, "shoutout is 101"),
    ("21 extra keys", {"extra": {f"k{n}": "v" for n in range(21)}}, "extra has 21 keys"),
    ("an extra key of 65 characters", {"extra": {"k" * 65: "v"}}, "each extra key is 65"),
    ("an extra value of 501 characters", {"extra": {"note": "v" * 501}}, "extra 'note' is 501"),
]


@pytest.mark.parametrize(("fields"), [fields for _, fields in ACCEPTED], ids=[name for name, _ in ACCEPTED])
def test_answers_within_the_bounds_pass(fields: dict[str, object]) -> None:
    check_bounds(answer(**fields), NOW, DEFAULT_LIMITS)


@pytest.mark.parametrize(("fields", "message"), [(f, m) for _, f, m in REFUSED], ids=[name for name, _, _ in REFUSED])
def test_answers_out_of_bounds_are_refused_with_what_to_fix(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRating, match=message.replace("(", r"\(")):
        check_bounds(answer(**fields), NOW, DEFAULT_LIMITS)


def test_the_window_is_configurable() -> None:
    wide = Limits(max_past=timedelta(days=3650), max_future=timedelta(hours=1))
    check_bounds(answer(ts=NOW - timedelta(days=3000)), NOW, wide)
    check_bounds(answer(ts=NOW + timedelta(minutes=59)), NOW, wide)
    with pytest.raises(InvalidRating):
        check_bounds(answer(ts=NOW + timedelta(minutes=61)), NOW, wide)


def test_the_settings_come_from_the_configuration_file(tmp_path: Path) -> None:
    path = tmp_path / "feedback.toml"
    path.write_text("max_past_days = 30\nmax_future_minutes = 1.5\n")
    config = load_config(path, environ={})
    assert config.limits == Limits(max_past=timedelta(days=30), max_future=timedelta(seconds=90))
    assert FeedbackStore.from_config(config).limits == config.limits
    assert load_config(None, environ={}).limits == Limits(timedelta(days=400), timedelta(minutes=5))
    path.write_text("max_past_days = 1e12\n")
    with pytest.raises(ConfigError, match="at most a few thousand years"):
        load_config(path, environ={})
    path.write_text("max_past_days = -1\n")
    with pytest.raises(ConfigError, match="max_past_days must be a number of at least 0"):
        load_config(path, environ={})


def test_a_time_whose_zone_moves_it_past_year_1_is_invalid_not_a_crash() -> None:
    with pytest.raises(InvalidRating, match="outside the years"):
        parse_time("0001-01-01T00:00:00+05:00")
    with pytest.raises(InvalidRating, match="outside the years"):
        Rating.from_record({"id": "x", "ts": "9999-12-31T23:59:59-05:00", "channel": "kiosk", "outcome": "met"})


def test_the_store_refuses_out_of_bounds_answers_and_writes_nothing(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "data", clock=FakeClock(NOW))
    for fields in (
        {"ts": datetime(1, 1, 1, tzinfo=UTC)},
        {"ts": datetime(9999, 12, 31, tzinfo=UTC)},
        {"comment": "c" * 2001},
    ):
        with pytest.raises(InvalidRating):
            store.record_rating(answer(**fields))
        with pytest.raises(InvalidRating):
            store.record_ratings([answer(id="fine"), answer(id="bad", **fields)])
    assert list(store.ratings()) == []
    store.record_rating(answer())
    with pytest.raises(InvalidRating, match="comment is 2001"):
        store.update_rating(answer(comment="c" * 2001))
    assert [rating.comment for rating in store.ratings()] == [""]


def test_partition_names_have_four_digit_years() -> None:
    assert partition_name(date(999, 6, 1)) == "ratings/0999/0999-06-01"
    assert partition_name(date(1, 1, 1)) == "ratings/0001/0001-01-01"
    assert partition_name(date(2026, 11, 24)) == "ratings/2026/2026-11-24"


def test_an_old_answer_far_in_the_past_is_stored_padded_and_read_back(tmp_path: Path) -> None:
    """With the window opened wide (a shop importing history), year 999 and year 1 still work."""
    store = FeedbackStore(tmp_path / "data", clock=FakeClock(NOW), limits=Limits(max_past=timedelta(days=800_000)))
    store.record_rating(answer(id="old", ts=datetime(999, 6, 1, 12, tzinfo=UTC)))
    store.record_rating(answer(id="first", ts=datetime(1, 1, 1, tzinfo=UTC)))
    assert (tmp_path / "data" / "ratings" / "0999" / "0999-06-01.json").exists()
    assert [rating.id for rating in store.ratings()] == ["first", "old"]
    assert store.get_rating("first", datetime(1, 1, 1, tzinfo=UTC)) is not None
    assert store.daily_summaries(date(999, 6, 1), date(999, 6, 30))["0999-06-01"]
    purge(store, older_than=timedelta(days=90), now=NOW)
    assert store.daily_summaries(date(9999, 11, 1), date.max) == {}


def test_partitions_named_before_years_were_padded_are_still_read_and_purged(tmp_path: Path) -> None:
    """A store that kept a year-999 answer under ``ratings/999/999-06-01.json`` (the old names)."""
    store = FeedbackStore(tmp_path / "data", clock=FakeClock(NOW), limits=Limits(max_past=timedelta(days=800_000)))
    store.record_rating(answer(id="old", ts=datetime(999, 6, 1, 12, tzinfo=UTC), comment="call me", raw="x"))
    padded = tmp_path / "data" / "ratings" / "0999"
    legacy = tmp_path / "data" / "ratings" / "999"
    legacy.mkdir()
    for path in padded.iterdir():
        shutil.move(path, legacy / path.name.replace("0999-", "999-"))
    padded.rmdir()
    store = FeedbackStore(tmp_path / "data", clock=FakeClock(NOW))
    assert [rating.id for rating in store.ratings()] == ["old"]
    report = purge(store, older_than=timedelta(days=90), now=NOW + timedelta(days=91))
    assert report.comments == 1
    assert [rating.comment for rating in store.ratings()] == [""]


def test_a_kiosk_clock_at_1970_does_not_get_minutes_old_details_erased(tmp_path: Path) -> None:
    """Stored before bounds existed (or with the window opened): retention goes by the server's times."""
    store = FeedbackStore(tmp_path / "data", clock=FakeClock(NOW), limits=Limits(max_past=timedelta(days=30_000)))
    contact = Contact("+14155550123")
    unmet = Rating(
        id="k1", ts=datetime(1970, 1, 1, tzinfo=UTC), channel=Channel.KIOSK, outcome=Outcome.BELOW,
        comment="the card reader ate my card", contact=contact,
    )  # fmt: skip
    followup = store.record_rating(unmet, now=NOW - timedelta(minutes=3)).followup
    assert followup is not None

    report = purge(store, older_than=timedelta(days=90), now=NOW)

    assert (report.ratings, report.followups) == (0, 0)
    kept = store.get_followup(followup.id)
    assert kept.contact == contact and kept.comment == "the card reader ate my card"
    [rating] = store.ratings()
    assert rating.contact == contact and rating.comment == "the card reader ate my card"


def test_details_received_before_the_cut_off_are_erased_whatever_the_answer_time(tmp_path: Path) -> None:
    """The other way round: a clock set years ahead does not keep a phone number for ever."""
    store = FeedbackStore(tmp_path / "data", clock=FakeClock(NOW), limits=Limits(max_future=timedelta(days=3650)))
    ahead = Rating(
        id="k2", ts=NOW + timedelta(days=3000), channel=Channel.KIOSK, outcome=Outcome.BELOW,
        comment="rude", contact=Contact("+14155550123"),
    )  # fmt: skip
    followup = store.record_rating(ahead).followup
    assert followup is not None

    report = purge(store, older_than=timedelta(days=90), now=NOW + timedelta(days=91))

    assert (report.ratings, report.followups) == (1, 1)
    assert store.get_followup(followup.id).contact is None
    assert [rating.contact for rating in store.ratings()] == [None]
