"""Derived per-month tallies of the files a report reads whole: staff views (pairs), check-backs and the
follow-up archive.

A year's report would otherwise parse ~40 MB of month files to count a few dozen keys. A tally is
stamped with its month file's storage signature (as the hourly summaries are stamped with their
partition's): a month that changed in any way (a resolve, a purge, a restored copy) has a new
signature, so its tally is recounted, never trusted stale; a tally that cannot be read is recounted
too. A tally only counts, and keeps the times and names that the figures need (staff, station,
reasons, loop times): never what a customer wrote or their number, so a purge that erases a
follow-up loses nothing when the stale tally is left behind to be overwritten.

Each tally keeps the earliest and latest time it counted (``low``, ``high``): it answers for a period
only when every record falls inside it; an edge month of the period is read record by record.
"""

from __future__ import annotations

import contextlib
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from shared.followups import FollowUp, FollowUpKind
from shared.storage import write_atomically

FOLDER = "tallies"
VERSION = 1

Tally = dict[str, Any]
LoopRow = tuple[str, str | None, str | None]  # a fell-short follow-up's created, claimed_at, resolved_at as stored
Moments = tuple[datetime, datetime | None, datetime | None]


class LoopRows:
    """Loop rows of a period, kept as seconds since the epoch in three arrays (NaN: not yet): three years
    of fell-short follow-ups in under 3 MiB, where their stored times as strings took 30."""

    def __init__(self, rows: Iterable[LoopRow] = ()) -> None:
        self._columns = (array("d"), array("d"), array("d"))
        self.extend(rows)

    def extend(self, rows: Iterable[LoopRow]) -> None:
        for row in rows:
            for column, text in zip(self._columns, row, strict=True):
                column.append(datetime.fromisoformat(text).timestamp() if text else math.nan)

    def __len__(self) -> int:
        return len(self._columns[0])

    def moments(self) -> Iterator[Moments]:
        """Each row's three times (UTC), one at a time."""
        for created, claimed, resolved in zip(*self._columns, strict=True):
            yield _moment(created), _moment(claimed), _moment(resolved)  # type: ignore[misc]


def _moment(seconds: float) -> datetime | None:
    return None if math.isnan(seconds) else datetime.fromtimestamp(seconds, UTC)


def tally_path(root: Path, name: str) -> Path:
    """``views/2026-03`` → ``tallies/views-2026-03.tally`` (not ``.json``: derived, never backed up)."""
    return root / FOLDER / (name.replace("/", "-") + ".tally")


def read(root: Path, name: str, signature: list[int] | None) -> Tally | None:
    """The tally of month file ``name`` if it was counted from the file as it is now, else None."""
    try:
        tally = orjson.loads(tally_path(root, name).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(tally, dict) or tally.get("version") != VERSION or tally.get("signature") != signature:
        return None
    return tally


def write(root: Path, name: str, signature: list[int] | None, tally: Tally) -> None:
    """Keep a tally (derived: not fsynced; a failed write only means counting again next time)."""
    with contextlib.suppress(OSError):
        content = orjson.dumps({"version": VERSION, "signature": signature, **tally})
        write_atomically(tally_path(root, name), content, durable=False)


def covers(tally: Tally, first: str, after: str) -> bool:
    """Whether every record counted falls in [first, after) (ISO times compared as text, as stored)."""
    return tally["low"] is None or (first <= tally["low"] and tally["high"] < after)


def _bounds(times: list[str]) -> dict[str, str | None]:
    return {"low": min(times, default=None), "high": max(times, default=None)}


def is_surprise(record: Mapping[str, Any]) -> bool:
    """A pair where staff thought it went well and the customer said we fell short."""
    return record["answer"] == "below" and record["view"] != "below"


def pair_key(record: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return record["staff"], record["station"], record["view"], record["answer"]


def count_pairs(records: Iterable[Mapping[str, Any]]) -> Tally:
    """Pairs counted by (staff, station, view, answer), and the surprises as stored (a pair holds no
    customer's words or number: staff, station, reasons, ids and times)."""
    records = list(records)
    counts = Counter(pair_key(record) for record in records)
    return {
        **_bounds([record["rating_ts"] for record in records]),
        "counts": [[*key, count] for key, count in counts.items()],
        "surprises": [dict(record) for record in records if is_surprise(record)],
    }


def check_back_key(record: Mapping[str, Any]) -> tuple[str, bool, str]:
    return record["resolution"], bool(record["sent_at"]), record["answer"] or ""


def count_check_backs(records: Iterable[Mapping[str, Any]]) -> Tally:
    """Check-backs counted by (resolution, sent, answer)."""
    records = list(records)
    counts = Counter(check_back_key(record) for record in records)
    return {
        **_bounds([record["created"] for record in records]),
        "counts": [[*key, count] for key, count in counts.items()],
    }


def has_words(record: Mapping[str, Any]) -> bool:
    """Whether a stored follow-up holds something the customer wrote (its comment, later words)."""
    return bool(str(record.get("comment") or "").strip() or record.get("later"))


def count_followups(records: Iterable[Mapping[str, Any]]) -> Tally:
    """An archive month's follow-ups as loop times only: ``[id, created, claimed_at, resolved_at, fell short]``
    (ISO text as stored), and whether any holds words (then a report with trends reads the month itself)."""
    records = list(records)
    return {
        **_bounds([record["created"] for record in records]),
        "loops": [
            [
                record["id"],
                record["created"],
                record.get("claimed_at") or None,
                record.get("resolved_at") or None,
                FollowUp.kind_of(record) is FollowUpKind.FELL_SHORT,
            ]
            for record in records
        ],
        "words": any(has_words(record) for record in records),
    }
