"""Export ratings and follow-ups as JSON or CSV, with phone numbers masked by default."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import orjson

from shared.csv_safe import SafeWriter
from shared.followups import FollowUp, FollowUpKind
from shared.phones import mask_phone
from shared.ratings import Channel, Outcome, Rating

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
_SAMPLE = Rating(id="-", ts=datetime(2000, 1, 1, tzinfo=UTC), channel=Channel.KIOSK, outcome=Outcome.BELOW)
# A row's fields as a rating stores them (phone and consent come from its contact), in their stored order.
_ROW_KEYS = [key for key in _SAMPLE.to_record() if key not in ("contact", "extra", "raw")]
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


def rating_row(rating: Rating | Mapping[str, Any], *, include_contacts: bool) -> dict[str, Any]:
    """One rating's row, from a :class:`Rating` or the dict it is stored as (read as is when it has
    exactly the fields this version writes: building a Rating only to turn it back costs most of an export)."""
    record = rating.to_record() if isinstance(rating, Rating) else rating
    try:
        row = {key: record[key] for key in _ROW_KEYS}
        contact = record["contact"]
        if not (row["ts"].endswith("+00:00") and (row["received"] or "+00:00").endswith("+00:00")):
            raise ValueError("not stored in UTC")
    except (KeyError, TypeError, AttributeError, ValueError):  # stored by an older version: read as a Rating
        return rating_row(Rating.from_record(record), include_contacts=include_contacts)
    row["phone"] = _phone(contact, include_contacts)
    row["consent"] = bool(contact and contact["consent"])
    return row


# A follow-up's fields as this version stores them, in their stored order.
_FOLLOWUP_KEYS = tuple(FollowUp.for_rating(_SAMPLE, now=_SAMPLE.ts, target=timedelta(0)).to_record())
_FOLLOWUP_TIMES = ("rating_ts", "created", "due", "flagged_at")  # never empty as this version stores them
_FOLLOWUP_MAYBE_TIMES = ("claimed_at", "resolved_at", "escalated_at")


def followup_row(followup: FollowUp | Mapping[str, Any], *, include_contacts: bool) -> dict[str, Any]:
    """One follow-up's row, from a :class:`FollowUp` or the dict it is stored as (read as is when it is
    exactly what this version writes, in UTC: building a FollowUp only to turn it back cost half an export)."""
    if isinstance(followup, FollowUp):
        record = followup.to_record()
    elif _as_this_version_writes(followup):
        record = dict(followup)
    else:  # stored by an older version: read as a FollowUp
        record = FollowUp.from_record(followup).to_record()
    record["phone"] = _phone(record.pop("contact"), include_contacts)
    record.pop("rating_ts")
    return record


def _as_this_version_writes(record: Mapping[str, Any]) -> bool:
    """Whether a stored follow-up has exactly the fields :meth:`FollowUp.to_record` writes, its times in UTC."""
    try:
        return (
            tuple(record) == _FOLLOWUP_KEYS
            and all(record[key].endswith("+00:00") for key in _FOLLOWUP_TIMES)
            and all(record[key] is None or record[key].endswith("+00:00") for key in _FOLLOWUP_MAYBE_TIMES)
            and (record["contact"] is None or tuple(record["contact"]) == ("phone", "consent"))
        )
    except (AttributeError, TypeError):
        return False


def is_to_read(followup: FollowUp | Mapping[str, Any]) -> bool:
    """A text to read (which may name the rating it followed: it is not that rating's follow-up)."""
    if isinstance(followup, FollowUp):
        return followup.is_to_read
    return FollowUp.kind_of(followup) is FollowUpKind.TO_READ


def _phone(contact: dict[str, Any] | None, include_contacts: bool) -> str:
    if not contact:
        return ""
    return contact["phone"] if include_contacts else mask_phone(contact["phone"])


def write_json(
    out: TextIO,
    ratings: Iterable[Rating | Mapping[str, Any]],
    followups: Iterable[FollowUp | Mapping[str, Any]],
    *,
    include_contacts: bool = False,
) -> None:
    """``{"ratings": [...], "followups": [...]}``, one object per record, one line each.

    Written record by record as the iterables yield them, so an export of years holds one
    record (and whatever the iterables hold: one day) at a time, never the whole document.
    """
    out.write('{"ratings": [')
    _write_array(out, (rating_row(r, include_contacts=include_contacts) for r in ratings))
    out.write('],\n"followups": [')
    _write_array(out, (followup_row(f, include_contacts=include_contacts) for f in followups))
    out.write("]}\n")


def _write_array(out: TextIO, rows: Iterable[dict[str, Any]]) -> None:
    """Rows one a line, written a thousand at a time (one write per row cost a fifth of an export)."""
    separator = "\n"
    for chunk in _batched(rows):
        out.write(separator + b",\n".join(orjson.dumps(row) for row in chunk).decode())
        separator = ",\n"
    if separator != "\n":
        out.write("\n")


ROWS_AT_ONCE = 1000


def _batched(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == ROWS_AT_ONCE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_FOLLOWUP_CSV_COLUMNS = [
    c
    for c in FOLLOWUP_COLUMNS
    if c not in {"rating_id", "channel", "station", "staff", "reasons", "comment", "phone", "customer_waiting"}
]


def write_csv(
    out: TextIO,
    ratings: Iterable[Rating | Mapping[str, Any]],
    followups: Iterable[FollowUp | Mapping[str, Any]],
    *,
    include_contacts: bool = False,
) -> None:
    """One sheet of ratings, each with its follow-up's columns beside it (``followup_…``).

    One table opens cleanly in any spreadsheet; lists are joined with ``; ``. The follow-ups
    are first put in a temporary index on disk by rating, so memory stays one day's worth
    however long the period (follow-ups are archived by month of resolution, not by day).
    """
    with tempfile.TemporaryDirectory(prefix="feedback-export-") as folder:
        index = sqlite3.connect(Path(folder) / "followups.db")
        try:
            index.execute("CREATE TABLE f (rating_id TEXT PRIMARY KEY, row BLOB)")
            # A text to read may name the rating it followed: it is not that rating's follow-up.
            index.executemany(
                "INSERT OR REPLACE INTO f VALUES (?, ?)",
                (
                    (
                        f.rating_id if isinstance(f, FollowUp) else f["rating_id"],
                        orjson.dumps(_followup_cells(f, include_contacts=include_contacts)),
                    )
                    for f in followups
                    if not is_to_read(f)
                ),
            )
            writer = SafeWriter(out)
            writer.writerow(RATING_COLUMNS + [f"followup_{c}" for c in _FOLLOWUP_CSV_COLUMNS])
            none = [""] * len(_FOLLOWUP_CSV_COLUMNS)  # most answers had no follow-up
            lookup = index.cursor()
            for rating in ratings:
                row = rating_row(rating, include_contacts=include_contacts)
                found = lookup.execute("SELECT row FROM f WHERE rating_id = ?", (row["id"],)).fetchone()
                writer.writerow([_cell(row[c]) for c in RATING_COLUMNS] + (orjson.loads(found[0]) if found else none))
        finally:
            index.close()


def _followup_cells(followup: FollowUp | Mapping[str, Any], *, include_contacts: bool) -> list[Any]:
    row = followup_row(followup, include_contacts=include_contacts)
    return [_cell(row.get(c)) for c in _FOLLOWUP_CSV_COLUMNS]


def _cell(value: Any) -> Any:
    """Lists joined with ``; `` (the writer then makes the joined cell safe); no value is an empty cell."""
    if value.__class__ is str:  # most cells
        return value
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(value)
    return value
