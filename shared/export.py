"""Export ratings and follow-ups as JSON or CSV, with phone numbers masked by default."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from shared.csv_safe import SafeWriter
from shared.followups import FollowUp
from shared.phones import mask_phone
from shared.ratings import Rating

RATING_COLUMNS = [
    "id",
    "ts",
    "received",
    "channel",
    "outcome",
    "station",
    "staff",
    "touchpoint",
    "reasons",
    "comment",
    "shoutout",
    "customer_waiting",
    "suspect",
    "late",
    "phone",
    "consent",
]
FOLLOWUP_COLUMNS = [
    "id",
    "rating_id",
    "status",
    "created",
    "due",
    "channel",
    "station",
    "staff",
    "reasons",
    "comment",
    "phone",
    "customer_waiting",
    "claimed_by",
    "claimed_at",
    "resolved_at",
    "resolution",
    "note",
    "escalated_at",
]


def rating_row(rating: Rating, *, include_contacts: bool) -> dict[str, Any]:
    record = rating.to_record()
    contact = record.pop("contact")
    record.pop("extra")
    record.pop("raw")
    record["phone"] = _phone(contact, include_contacts)
    record["consent"] = bool(contact and contact["consent"])
    return record


def followup_row(followup: FollowUp, *, include_contacts: bool) -> dict[str, Any]:
    record = followup.to_record()
    record["phone"] = _phone(record.pop("contact"), include_contacts)
    record.pop("rating_ts")
    return record


def _phone(contact: dict[str, Any] | None, include_contacts: bool) -> str:
    if not contact:
        return ""
    return contact["phone"] if include_contacts else mask_phone(contact["phone"])


def write_json(
    out: TextIO, ratings: Iterable[Rating], followups: Iterable[FollowUp], *, include_contacts: bool = False
) -> None:
    """``{"ratings": [...], "followups": [...]}``, one object per record."""
    document = {
        "ratings": [rating_row(r, include_contacts=include_contacts) for r in ratings],
        "followups": [followup_row(f, include_contacts=include_contacts) for f in followups],
    }
    json.dump(document, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_csv(
    out: TextIO, ratings: Iterable[Rating], followups: Iterable[FollowUp], *, include_contacts: bool = False
) -> None:
    """One sheet of ratings, each with its follow-up's columns beside it (``followup_…``).

    One table opens cleanly in any spreadsheet; lists are joined with ``; ``.
    """
    # A text to read may name the rating it followed: it is not that rating's follow-up.
    by_rating = {f.rating_id: followup_row(f, include_contacts=include_contacts) for f in followups if not f.is_to_read}
    followup_columns = [
        c
        for c in FOLLOWUP_COLUMNS
        if c not in {"rating_id", "channel", "station", "staff", "reasons", "comment", "phone", "customer_waiting"}
    ]
    writer = SafeWriter(out)
    writer.writerow(RATING_COLUMNS + [f"followup_{c}" for c in followup_columns])
    for rating in ratings:
        row = rating_row(rating, include_contacts=include_contacts)
        followup = by_rating.get(rating.id, {})
        writer.writerow([_cell(row[c]) for c in RATING_COLUMNS] + [_cell(followup.get(c)) for c in followup_columns])


def _cell(value: Any) -> Any:
    """Lists joined with ``; `` (the writer then makes the joined cell safe); no value is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(value)
    return value
