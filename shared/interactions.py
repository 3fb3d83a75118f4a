"""Staff views: how a member of staff thinks an interaction went, paired with the customer's answer.

Pure domain. A view is given at a till (``POST /api/interactions``, or with a prompt on
``POST /api/prompts``) or at the kiosk (its staff key), never shown to the customer. It waits,
open, for the customer's answer: an SMS answer is paired by the prompt it replies to, a kiosk
answer by station, the first answer at that station within the window. A view that nobody
answered in time expires unpaired; a view pairs with one answer, an answer with one view.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.ratings import Channel, Outcome, Rating, parse_time, utc

DEFAULT_WINDOW = timedelta(seconds=120)
# A till's clock and a kiosk's may differ by a few seconds: an answer this much before the view still pairs.
CLOCK_SLACK = timedelta(seconds=5)
VIEW_KEY = "staff_view"  # a kiosk's own view travels in its rating's extra under this key
INTERACTION_KEY = "interaction"  # the store marks a paired rating's extra with the interaction's id
PROMPT_KEY = "prompt"  # an SMS rating's extra names the prompt it answers (its Twilio sid)


class InvalidView(ValueError):
    """A staff view that cannot be kept; the message says which field."""


def parse_view(value: object) -> Outcome:
    """``below``, ``met`` or ``exceeded``, else :class:`InvalidView` (the API's one-line message)."""
    try:
        return Outcome(value)  # type: ignore[arg-type]
    except ValueError:
        raise InvalidView(f"staff_view must be one of {', '.join(Outcome)}, not {value!r}") from None


@dataclass(frozen=True, slots=True)
class Interaction:
    """An open staff view, waiting for the customer's answer until ``expires``."""

    id: str
    at: datetime
    view: Outcome
    expires: datetime
    staff: str = ""
    station: str = ""
    touchpoint: str = ""
    prompt: str = ""  # the prompt's Twilio sid: an SMS answer to it pairs; empty pairs by station

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", utc(self.at))
        object.__setattr__(self, "expires", utc(self.expires))
        object.__setattr__(self, "view", parse_view(self.view))

    @classmethod
    def at_station(
        cls, id: str, at: datetime, view: Outcome, *, window: timedelta = DEFAULT_WINDOW, **details: str
    ) -> Interaction:
        """A view for the next kiosk answer at ``details["station"]`` within ``window``."""
        return cls(id=id, at=at, view=view, expires=utc(at) + window, **details)

    def pairs_with(self, rating: Rating) -> bool:
        """Whether this view is the one for this answer (the caller takes the oldest that does)."""
        if rating.suspect:
            return False
        if self.prompt:
            return rating.channel is Channel.SMS and rating.extra.get(PROMPT_KEY) == self.prompt
        return (
            rating.channel is Channel.KIOSK
            and bool(self.station)
            and rating.station == self.station
            and self.at - CLOCK_SLACK <= rating.ts <= self.expires
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "view": str(self.view),
            "expires": self.expires.isoformat(),
            "staff": self.staff,
            "station": self.station,
            "touchpoint": self.touchpoint,
            "prompt": self.prompt,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Interaction:
        return cls(
            id=record["id"],
            at=parse_time(record["at"]),
            view=Outcome(record["view"]),
            expires=parse_time(record["expires"]),
            staff=str(record.get("staff", "")),
            station=str(record.get("station", "")),
            touchpoint=str(record.get("touchpoint", "")),
            prompt=str(record.get("prompt", "")),
        )


@dataclass(frozen=True, slots=True)
class Pair:
    """A staff view and the customer's answer on the same interaction."""

    interaction: str
    rating_id: str
    rating_ts: datetime
    channel: Channel
    view: Outcome
    answer: Outcome
    staff: str = ""
    station: str = ""
    touchpoint: str = ""
    # The customer's reasons, kept with the pair so a report never reads the rating. Never their comment:
    # personal data is erased from ratings after the retention period, and a copy here would outlive it.
    reasons: tuple[str, ...] = ()

    @classmethod
    def of(cls, interaction: Interaction, rating: Rating) -> Pair:
        return cls(
            interaction=interaction.id,
            rating_id=rating.id,
            rating_ts=rating.ts,
            channel=rating.channel,
            view=interaction.view,
            answer=rating.outcome,
            staff=interaction.staff or rating.staff,
            station=interaction.station or rating.station,
            touchpoint=interaction.touchpoint or rating.touchpoint,
            reasons=rating.reasons,
        )

    def answered(self, rating: Rating) -> Pair:
        """The pair after the customer changed or added to their answer."""
        return dataclasses.replace(self, answer=rating.outcome, reasons=rating.reasons)

    def to_record(self) -> dict[str, Any]:
        return {
            "interaction": self.interaction,
            "rating_id": self.rating_id,
            "rating_ts": self.rating_ts.isoformat(),
            "channel": str(self.channel),
            "view": str(self.view),
            "answer": str(self.answer),
            "staff": self.staff,
            "station": self.station,
            "touchpoint": self.touchpoint,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Pair:
        return cls(
            interaction=record["interaction"],
            rating_id=record["rating_id"],
            rating_ts=parse_time(record["rating_ts"]),
            channel=Channel(record["channel"]),
            view=Outcome(record["view"]),
            answer=Outcome(record["answer"]),
            staff=str(record.get("staff", "")),
            station=str(record.get("station", "")),
            touchpoint=str(record.get("touchpoint", "")),
            reasons=tuple(record.get("reasons") or ()),
        )


PairKey = tuple[str, str, Outcome, Outcome]
"""staff, station, the staff's view, the customer's answer: all the gap's figures need of a pair."""


@dataclass(frozen=True, slots=True)
class PairTally:
    """The pairs of a period, counted by :data:`PairKey`, and in full those staff thought went well
    that the customer rated below (few): what a report reads instead of every pair."""

    counts: Mapping[PairKey, int]
    surprises: tuple[Pair, ...] = ()


def is_surprise(view: Outcome, answer: Outcome) -> bool:
    """Staff thought it went well (met or exceeded); the customer said we fell short."""
    return view is not Outcome.BELOW and answer is Outcome.BELOW


def own_view(rating: Rating) -> Interaction | None:
    """The view a kiosk carried in its rating (its staff key, paired on the kiosk), or None."""
    value = rating.extra.get(VIEW_KEY)
    if value is None or rating.suspect:
        return None
    try:
        view = parse_view(value)
    except InvalidView:
        return None
    return Interaction(id=f"k-{rating.id}", at=rating.ts, view=view, expires=rating.ts, station=rating.station)


def view_for(rating: Rating, waiting: Iterable[Interaction]) -> Interaction | None:
    """The view this answer pairs with: its own, else the oldest open one it answers; None if none."""
    own = own_view(rating)
    if own is not None:
        return own
    if INTERACTION_KEY in rating.extra:
        return None  # paired already: one view per interaction
    candidates = [interaction for interaction in waiting if interaction.pairs_with(rating)]
    return min(candidates, key=lambda interaction: interaction.at, default=None)


def still_waiting(interaction: Interaction, now: datetime, grace: timedelta = timedelta(days=1)) -> bool:
    """Kept open a day past its window, so an answer synced late from a kiosk's outbox still pairs."""
    return utc(now) <= interaction.expires + grace


def check_names(**names: object) -> dict[str, str]:
    """staff, station, touchpoint: text of at most 100 characters (as a rating's names)."""
    checked = {}
    for key, value in names.items():
        if value is None:
            value = ""
        if not isinstance(value, str) or len(value) > 100:
            raise InvalidView(f"{key} must be text of at most 100 characters")
        checked[key] = value
    return checked


__all__ = [
    "DEFAULT_WINDOW",
    "Interaction",
    "InvalidView",
    "Pair",
    "check_names",
    "own_view",
    "parse_view",
    "still_waiting",
    "view_for",
]
