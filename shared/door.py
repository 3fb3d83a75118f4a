"""The store's one door: the typed interface every channel, the server, the console and the commands use.

Nothing outside the store knows a file name or a format. The local store
(:class:`shared.store.FeedbackStore`, TinyDB files in one folder) implements all of it; the
console's HTTP client (:class:`manager.remote.RemoteStore`) implements the parts a manager on
another machine needs (:class:`ConsoleDoor`) through the sync API. A second backend (a
database server, for chains that outgrow one machine) implements :class:`FeedbackDoor` and
passes ``tests/contract``; no channel changes.

The roles are small protocols, so a function asks only for what it uses (a report needs a
:class:`StatsDoor`, not the power to claim follow-ups).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from shared.accounts import Account, AccountEvent, WebSession
from shared.check_backs import CheckBack, CheckBackKey
from shared.followups import FollowUp, FollowUpError, Resolution
from shared.hot_spots import Spot
from shared.interactions import Interaction, Pair, PairTally
from shared.ratings import Outcome, Rating
from shared.storage import StoreError


class Topic(StrEnum):
    """What changed, in the words of the domain (never a file name)."""

    QUEUE = "queue"  # open and claimed follow-ups
    FOLLOWUPS = "followups"  # resolved follow-ups
    RATINGS = "ratings"  # answers (and their summaries)
    AUDIT = "audit"  # who saw a customer's full number
    CHANNEL = "channel"  # a channel's own data (opt-outs, conversations, prompts...)


EVERY_TOPIC = frozenset(Topic)


class NotAvailableRemotely(StoreError):
    """This backend does not offer that (a remote console cannot record an answer); the message says where it is."""


class NoPhoneNumber(FollowUpError):
    """The follow-up has no phone number to reveal."""


@runtime_checkable
class RatingsDoor(Protocol):
    """Answers coming in: record, correct, look up."""

    def record_rating(self, rating: Rating, *, now: datetime | None = None) -> Any: ...

    def record_ratings(self, ratings: Sequence[Rating], *, now: datetime | None = None) -> list[Any]: ...

    def update_rating(self, rating: Rating, *, now: datetime | None = None, reflag: bool = False) -> Any: ...

    def get_rating(self, rating_id: str, around: datetime) -> Rating | None: ...

    def check(self, rating: Rating, now: datetime | None = None) -> None: ...


@runtime_checkable
class QueueDoor(Protocol):
    """The follow-up queue and what a manager does with it.

    Errors are the same on every backend: :class:`shared.store.UnknownFollowUp` for an id it
    does not know, :class:`shared.followups.AlreadyClaimed` (naming who won) for a lost claim,
    :class:`shared.followups.FollowUpError` for an action the follow-up's state forbids,
    :class:`NoPhoneNumber` for a reveal without a number, another :class:`StoreError` when the
    store cannot be reached.
    """

    def open_followups(self) -> list[FollowUp]: ...

    def get_followup(self, followup_id: str) -> FollowUp: ...

    def claim(self, followup_id: str, by: str, *, now: datetime | None = None) -> FollowUp: ...

    def resolve(
        self, followup_id: str, resolution: Resolution, *, by: str, note: str = "", now: datetime | None = None
    ) -> FollowUp: ...

    def reopen(self, followup_id: str, *, now: datetime | None = None) -> FollowUp: ...

    def escalate(self, followup_id: str, *, now: datetime | None = None) -> FollowUp:
        """Mark it escalated (the server marks only an overdue, unmarked one: its consoles race to it)."""
        ...

    def reveal(self, followup_id: str, *, by: str, now: datetime | None = None) -> str:
        """The customer's full number, after recording who asked (never the number itself)."""
        ...


@runtime_checkable
class ChangesDoor(Protocol):
    """The change feed: poll :meth:`revision` cheaply, then ask what moved."""

    def revision(self) -> int: ...

    def changes_since(self, since: int) -> set[Topic]:
        """What changed after revision ``since``: never fewer topics than changed (more is allowed, and
        every topic when the backend cannot tell), so a reader that skips a topic not named misses nothing."""
        ...


@runtime_checkable
class StatsDoor(Protocol):
    """What reports and the statistics screen read."""

    def daily_summaries(self, since: date, until: date) -> dict[str, dict[str, dict[str, int]]]: ...

    def followup_records(self, since: date | None = None, until: date | None = None) -> list[dict[str, Any]]: ...


@runtime_checkable
class SpotsDoor(Protocol):
    """Hot-spot and great-streak alerts the server kept (the console shows the recent ones)."""

    def spots_since(self, moment: datetime) -> list[Spot]: ...


@runtime_checkable
class ExportDoor(Protocol):
    """Everything in a period, streamed (a few days at a time for ratings)."""

    def ratings(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        steps: Callable[[int, int], None] | None = None,  # progress: (days done, days in all)
    ) -> Iterator[Rating]: ...

    def followups(self, since: date | None = None, until: date | None = None) -> Iterator[FollowUp]: ...


Changes = tuple[dict[str, dict[str, Any]], list[str]]  # documents upserted by key, keys deleted


@runtime_checkable
class ChannelData(Protocol):
    """A channel's own documents (opt-outs, conversations, prompts...), within one store transaction.

    Documents are dicts keyed by a string, in named tables, grouped in named collections
    (``name``, such as ``"sms/numbers/007"``): a collection is what a backend reads and writes
    together, so a channel cuts them small for its hot paths. How a collection is kept (a file,
    rows of a table) is the backend's affair: the channel names collections, never files.
    """

    def get(
        self, name: str, table: str, key: str, *, check: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any] | None:
        """A copy of one document, or None. ``check`` tells the document is the one, for a backend that
        finds it without reading the whole collection (a file searched for the key: a shard of years)."""
        ...

    def records(self, name: str, table: str) -> Mapping[str, dict[str, Any]]:
        """Every document of a table by key, as kept: read only, never changed in place."""
        ...

    def change(self, name: str, changes: dict[str, Changes], *, durable: bool = True) -> None:
        """Upsert and delete documents of several tables at once (durable when it returns, unless not ``durable``)."""
        ...

    def erase(self, name: str, changes: dict[str, Changes]) -> None:
        """:meth:`change`, leaving nothing deleted or replaced on disk (a purge); durable with the transaction."""
        ...

    def exists(self, name: str) -> bool:
        """Whether the collection holds anything (or ever did)."""
        ...

    def uncache(self, name: str) -> None:
        """Keep no parsed copy of it (a purge reads every collection once, a daily sweep its shard)."""
        ...


@runtime_checkable
class ChannelDoor(Protocol):
    """How a channel reaches its own data: short transactions, each a :class:`ChannelData`."""

    def transaction(self) -> AbstractContextManager[ChannelData]: ...

    def brief_transaction(self) -> AbstractContextManager[ChannelData]: ...


@runtime_checkable
class InteractionsDoor(Protocol):
    """Staff views waiting for the customer's answer, and the pairs they made (the perception gap)."""

    def record_interaction(
        self,
        interaction_id: str,
        view: Outcome,
        *,
        staff: str = "",
        station: str = "",
        touchpoint: str = "",
        prompt: str = "",
        expires_after: timedelta | None = None,
        now: datetime | None = None,
    ) -> Interaction: ...

    def pairs(self, since: date, until: date) -> list[Pair]: ...

    def pair_tally(self, start: datetime, end: datetime) -> PairTally: ...


@runtime_checkable
class CheckBacksDoor(Protocol):
    """ "Did we make it right?": the texts after a resolution and what customers answered."""

    def resolved_since(self, moment: datetime) -> list[FollowUp]: ...

    def schedule_check_backs(self, checks: Sequence[CheckBack]) -> list[CheckBack]: ...

    def open_check_backs(self) -> list[CheckBack]: ...

    def save_check_back(self, check: CheckBack) -> CheckBack: ...

    def check_backs(self, since: date, until: date) -> list[CheckBack]: ...

    def check_back_tally(self, start: datetime, end: datetime) -> dict[CheckBackKey, int]: ...


@runtime_checkable
class AccountsDoor(Protocol):
    """Managers' web accounts, their sessions (known by the hash of the token) and the audit trail naming them."""

    def account(self, name: str) -> Account | None: ...

    def accounts(self) -> list[Account]: ...

    def save_account(self, account: Account) -> None: ...

    def save_web_session(self, session: WebSession) -> None: ...

    def web_session(self, key: str) -> WebSession | None: ...

    def end_web_session(self, key: str) -> None: ...

    def record_account_event(self, event: AccountEvent) -> None: ...

    def account_events(self) -> list[AccountEvent]:
        """The audit trail of the web queue, oldest first."""
        ...


@runtime_checkable
class ConsoleDoor(QueueDoor, ChangesDoor, StatsDoor, Protocol):
    """What the managers' console needs: the local store and the remote client both give it."""


@runtime_checkable
class FeedbackDoor(RatingsDoor, QueueDoor, ChangesDoor, StatsDoor, ExportDoor, Protocol):
    """The whole door, as the local store gives it and a database backend would.

    The local store also gives :class:`InteractionsDoor` and :class:`CheckBacksDoor`; a console on
    another machine does not (yet), so its report leaves the perception gap and recovery out.
    """
