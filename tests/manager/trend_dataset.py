"""Two weeks whose every trend figure is worked out by hand (in the comments and the tests).

The shop is in New York (UTC-5). The period is Thu 5 Nov – Tue 10 Nov 2026 (six local days):
ISO week 2026-W45 cut to 5–8 Nov, and 2026-W46 cut to 9–10 Nov. The period before it (the same
six days, 30 Oct – 4 Nov) has 10 answers that met expectations, none short.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore

ZONE = "America/New_York"
SINCE, UNTIL = date(2026, 11, 5), date(2026, 11, 10)
NOW = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in November 2026 as UTC (+5 h)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) + timedelta(hours=5)


def build(store: FeedbackStore) -> None:
    number = iter(range(1000))

    def put(when: datetime, outcome: str, **fields: object) -> Rating:
        fields.setdefault("channel", Channel.KIOSK)
        rating = Rating(id=f"t{next(number):03d}", ts=when, outcome=Outcome(outcome), **fields)  # type: ignore[arg-type]
        return store.record_rating(rating, now=when).rating

    # The period before: Mon 2 Nov, front, ann: 10 met.
    for minute in range(10):
        put(local(2, 12, minute), "met", station="front", staff="ann")
    # Thu 5 Nov, front, ann: 3 met, 1 short (wait time).       day: 4 answers, 1 short
    for minute in range(3):
        put(local(5, 12, minute), "met", station="front", staff="ann")
    put(local(5, 13), "below", station="front", staff="ann", reasons=("wait_time",))
    # Sat 7 Nov, front, bob: 1 exceeded, 1 short (price) with a number in the comment.   day: 2, 1 short
    put(local(7, 12), "exceeded", station="front", staff="bob")
    put(
        local(7, 13),
        "below",
        station="front",
        staff="bob",
        reasons=("price",),
        comment="Charged twice, call 555 010 1234",
    )
    # Sat 7 Nov 15:00: a text nobody could read as an answer (a to-read item, no answer counted).
    store.open_to_read("tr-t1", "Is the shop open Sunday?", channel=Channel.SMS, station="drive-in", now=local(7, 15))
    # Mon 9 Nov, drive-in, SMS: 2 short (wait time), 1 met.   day: 3 answers, 2 short
    first = put(
        local(9, 12),
        "below",
        channel=Channel.SMS,
        station="drive-in",
        reasons=("wait_time",),
        comment="The wait was too long",
    )
    put(
        local(9, 13),
        "below",
        channel=Channel.SMS,
        station="drive-in",
        reasons=("wait_time",),
        comment="Long wait again",
    )
    put(local(9, 14), "met", channel=Channel.SMS, station="drive-in")
    # Tue 10 Nov 08:00: the first customer texts again (later words of a fell-short follow-up).
    store.add_customer_words(f"fu-{first.id}", "still waiting for a call back", now=local(10, 8))
    # Tue 10 Nov, front, ann: 2 met, 1 exceeded; drive-in, SMS: 1 short (wait time, rude).   day: 4, 1 short
    for minute in range(2):
        put(local(10, 12, minute), "met", station="front", staff="ann")
    put(local(10, 12, 30), "exceeded", station="front", staff="ann")
    put(
        local(10, 16),
        "below",
        channel=Channel.SMS,
        station="drive-in",
        reasons=("wait_time", "rude"),
        comment="rude staff, long wait",
    )
