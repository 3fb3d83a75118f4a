"""Counting and exporting stored ratings as they are stored gives what counting Ratings gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from shared.export import rating_row
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.summary import summarise, summarise_records

NOON = datetime(2026, 11, 24, 12, tzinfo=UTC)


def ratings() -> list[Rating]:
    made = []
    for n in range(60):
        made.append(
            Rating(
                id=f"r{n}",
                ts=NOON + timedelta(minutes=7 * n),
                channel=Channel.SMS if n % 2 else Channel.KIOSK,
                outcome=list(Outcome)[n % 3],
                station=["front", "[bold]x[/bold]", '"a":{'][n % 3],
                staff=["ann", "", "=1+1"][n % 3],
                reasons=("wait time", "rude") if n % 3 == 0 else (),
                shoutout="dee" if n % 5 == 0 else "",
                suspect=n % 11 == 0,
                contact=Contact("+12025550101") if n % 4 == 0 else None,
                comment="[link=x]hi[/link]" if n % 6 == 0 else "",
            )
        )
    return made


def test_stored_records_are_counted_as_the_ratings_they_are() -> None:
    stored = [rating.to_record() for rating in ratings()]
    assert summarise_records(stored) == summarise(ratings())


def test_records_stored_by_older_versions_or_in_another_zone_are_counted_as_ratings() -> None:
    stored = [rating.to_record() for rating in ratings()]
    for record in stored[::3]:
        del record["late"]  # written before the field existed
    for record in stored[1::3]:
        record["ts"] = datetime.fromisoformat(record["ts"]).astimezone(timezone(timedelta(hours=5))).isoformat()
    assert summarise_records(stored) == summarise(ratings())


def test_an_export_row_from_the_stored_record_is_the_row_from_the_rating() -> None:
    for rating in ratings():
        for contacts in (True, False):
            assert rating_row(rating.to_record(), include_contacts=contacts) == rating_row(
                rating, include_contacts=contacts
            )
    legacy = ratings()[4].to_record()
    del legacy["late"]
    assert rating_row(legacy, include_contacts=False) == rating_row(ratings()[4], include_contacts=False)
