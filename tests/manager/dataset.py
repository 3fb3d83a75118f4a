"""A small history whose every figure is known in advance (worked out by hand in the comments).

The shop is in New York (UTC-5 in November). The report day is Tue 10 Nov 2026, local.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shared.followups import Resolution
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore

ZONE = "America/New_York"
DAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)  # 23:00 local on the report day


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """A local New York time on ``day`` as UTC (+5 h in November)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) + timedelta(hours=5)


def build(store: FeedbackStore) -> None:
    number = iter(range(1000))

    def put(when: datetime, outcome: str, **fields: object) -> Rating:
        fields.setdefault("channel", Channel.KIOSK)
        rating = Rating(id=f"k{next(number):03d}", ts=when, outcome=Outcome(outcome), **fields)  # type: ignore[arg-type]
        return store.record_rating(rating, now=when).rating

    # 09:00 local, front, ann: 3 met, 2 exceeded
    for minute in range(3):
        put(local(9, minute), "met", station="front", staff="ann")
    for minute in range(3, 5):
        put(local(9, minute), "exceeded", station="front", staff="ann")
    # 10:00 local, front, bob: 2 fell short
    one = put(local(10, 0), "below", station="front", staff="bob", reasons=("wait time",))
    two = put(local(10, 1), "below", station="front", staff="bob", reasons=("wait time", "rude"))
    # 10:00 local: a burst of 4 suspect taps, left out and counted apart
    for minute in range(4):
        put(local(10, 10 + minute), "below", station="front", suspect=True)
    # 11:00 local, SMS from the drive-in: 1 fell short (with a phone), 1 exceeded with a shout-out
    put(
        local(11, 0),
        "below",
        channel=Channel.SMS,
        station="drive-in",
        reasons=("price",),
        contact=Contact("+15555550101"),
        comment="too dear",
    )
    put(local(11, 5), "exceeded", channel=Channel.SMS, station="drive-in", shoutout="ann")
    # 21:00 local = 02:00 UTC the next day: still the report day locally
    put(local(21, 0), "met", station="back", staff="cy")
    # Outside the day: 23:30 local the day before (04:30 UTC on the report day) and a fell-short that morning
    put(local(23, 30, DAY - timedelta(days=1)), "met", station="front", staff="ann")
    before = put(local(12, 0, DAY - timedelta(days=1)), "below", station="front", staff="bob", reasons=("rude",))

    # The loop: first claimed after 4 min, resolved after 10 (within 15); second 8 and 30 (late);
    # the SMS one is still open (and late by NOW). The day before's: resolved in 5 min.
    store.claim(f"fu-{one.id}", "dee", now=one.ts + timedelta(minutes=4))
    store.resolve(f"fu-{one.id}", Resolution.RECOVERED, by="dee", now=one.ts + timedelta(minutes=10))
    store.claim(f"fu-{two.id}", "dee", now=two.ts + timedelta(minutes=8))
    store.resolve(f"fu-{two.id}", Resolution.APOLOGISED, by="dee", now=two.ts + timedelta(minutes=30))
    store.resolve(f"fu-{before.id}", Resolution.RECOVERED, by="dee", now=before.ts + timedelta(minutes=5))
