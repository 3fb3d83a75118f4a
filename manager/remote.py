"""Remote mode: the managers' console works the server's queue through the sync API.

:class:`RemoteStore` is the console's side of the store's door (:class:`shared.door.ConsoleDoor`),
so the console has one code path whether the store is on this machine or not: the queue is polled
with ``GET /api/queue`` and ``If-None-Match`` in a short background request (an unchanged queue
is an empty 304, and the screen never waits on the network), and claims, resolutions, reopenings
and reveals are ``POST``\\ s to ``/api/followups/<id>/...``, statistics ``GET /api/stats``. Problems
are the same exceptions the local store raises (``tests/contract`` pins that), so the console shows
them as it shows a local store's.

The server masks phone numbers in the queue. The console's follow-ups then carry a stand-in
number that masks to the same text (country code, hidden digits, last two); a reveal asks the
server, which records it, and the real number replaces the stand-in for that follow-up.
"""

from __future__ import annotations

import dataclasses
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from shared.config import Config
from shared.door import NoPhoneNumber, NotAvailableRemotely, Topic
from shared.followups import AlreadyClaimed, FollowUp, FollowUpError, Resolution
from shared.hot_spots import Spot
from shared.ratings import Contact, Rating
from shared.remote import remote_endpoint
from shared.storage import StoreError
from shared.store import UnknownFollowUp

TOKEN_ENV = "FEEDBACK_MANAGER_TOKEN"


class RemoteUnavailable(StoreError):
    """The server cannot be reached or refused the request; the message says which."""


@dataclass(frozen=True, slots=True)
class RemoteSettings:
    """``[sync] server`` and the console's token (``--token-file`` or ``$FEEDBACK_MANAGER_TOKEN``)."""

    server: str
    token: str
    timeout: float = 10.0


def remote_settings(
    config: Config, *, server: str | None = None, token_file: str | None = None
) -> RemoteSettings | None:
    """None when no server is given: the console then reads the local store."""
    endpoint = remote_endpoint(config, server=server, token_file=token_file, token_env=TOKEN_ENV, who="console")
    return None if endpoint is None else RemoteSettings(*endpoint)


def stand_in_phone(masked: str) -> str:
    """An E.164 number that :func:`shared.phones.mask_phone` shows as ``masked`` (``+1 ••••••••67``)."""
    country, _, rest = masked.removeprefix("+").partition(" ")
    return f"+{country}{'5' * rest.count('•')}{rest.lstrip('•')}"


def unmasked_record(record: dict[str, Any], revealed: Mapping[str, str]) -> dict[str, Any]:
    """A follow-up record from the server with a number the domain accepts: revealed, or a stand-in."""
    contact = record.get("contact")
    if contact and "masked" in contact:
        phone = revealed.get(record["id"]) or stand_in_phone(contact["masked"])
        record = {**record, "contact": {"phone": phone, "consent": contact.get("consent", True)}}
    return record


def followup_from_payload(record: dict[str, Any], revealed: Mapping[str, str]) -> FollowUp:
    return FollowUp.from_record(unmasked_record(record, revealed))


class RemoteStore:
    """The server's store through the sync API: the console's :class:`shared.door.ConsoleDoor`."""

    def __init__(self, settings: RemoteSettings, *, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._etag = ""
        self._followups: list[FollowUp] = []
        self._records: list[dict[str, Any]] = []
        self._revision = 0
        self._problem: StoreError | None = None
        self._fetching = False
        self._revealed: dict[str, str] = {}
        self.requests = 0  # for tests and the benchmark

    # -- HTTP ----------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, payload: dict[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, Any], Mapping[str, str]]:
        """Status, JSON body and headers; 4xx are returned, transport failures and 5xx raised."""
        request = urllib.request.Request(
            f"{self.settings.server}{path}",
            data=None if payload is None else orjson.dumps(payload),
            method=method,
            headers={
                "Authorization": f"Bearer {self.settings.token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                status, body, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, body, got = error.code, error.read(), error.headers
        except (urllib.error.URLError, OSError) as error:
            raise RemoteUnavailable(
                f"cannot reach the server {self.settings.server}: {getattr(error, 'reason', error)}"
            ) from None
        try:
            data = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            data = {}
        if status == 401:
            raise RemoteUnavailable(f"the server refused this console's token: check ${TOKEN_ENV}")
        if status == 403:
            raise RemoteUnavailable("this token is not a manager's token")
        if status >= 500:
            raise RemoteUnavailable(f"the server answered {status}: {data.get('error', 'try again')}")
        return status, data, got

    # -- the queue, polled -------------------------------------------------------------------

    def refresh(self) -> None:
        """Fetch the queue now (only if it changed: 304 otherwise)."""
        try:
            status, data, headers = self._request("GET", "/api/queue", headers={"If-None-Match": self._etag})
            if status not in (200, 304):
                raise RemoteUnavailable(f"the server answered {status} for the queue")
            with self._lock:
                if status == 200:
                    self._records = list(data["followups"])
                    self._followups = [followup_from_payload(r, self._revealed) for r in self._records]
                    self._etag = headers.get("ETag", "").strip('"')
                    self._revision += 1
                self._problem = None
        except StoreError as error:
            with self._lock:
                self._problem = error
        finally:
            self._fetching = False

    def revision(self) -> int:
        """Never waits: starts a background fetch when none is under way and returns what is known."""
        with self._lock:
            if not self._fetching:
                self._fetching = True
                threading.Thread(target=self.refresh, name="remote-queue", daemon=True).start()
            if self._problem is not None:
                raise self._problem
            return self._revision

    def changes_since(self, since: int) -> set[Topic]:
        """Only the queue is followed here: a new revision is a new queue (or a number revealed in it)."""
        with self._lock:
            return {Topic.QUEUE} if since != self._revision else set()

    def open_followups(self) -> list[FollowUp]:
        now = self.clock()
        with self._lock:
            followups = list(self._followups)
        return sorted(followups, key=lambda followup: followup.urgency_key(now))

    # -- actions ----------------------------------------------------------------------------

    def _act(self, followup_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        quoted = urllib.parse.quote(followup_id, safe="")
        status, data, _ = self._request("POST", f"/api/followups/{quoted}/{action}", payload)
        _raise_for(status, data, followup_id)
        self.refresh()  # show the result at once
        return data

    def claim(self, followup_id: str, by: str, *, now: datetime | None = None) -> FollowUp:
        return followup_from_payload(self._act(followup_id, "claim", {"by": by})["followup"], self._revealed)

    def resolve(
        self, followup_id: str, resolution: Resolution, *, by: str, note: str = "", now: datetime | None = None
    ) -> FollowUp:
        data = self._act(followup_id, "resolve", {"by": by, "resolution": str(resolution), "note": note})
        return followup_from_payload(data["followup"], self._revealed)

    def reopen(self, followup_id: str, *, now: datetime | None = None) -> FollowUp:
        return followup_from_payload(self._act(followup_id, "reopen", {})["followup"], self._revealed)

    def escalate(self, followup_id: str, *, now: datetime | None = None) -> FollowUp:
        """Ask the server to mark it escalated; it checks again that it is overdue and unmarked."""
        return followup_from_payload(self._act(followup_id, "escalate", {})["followup"], self._revealed)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Nothing to hold here: the server checks and changes each follow-up under its own lock."""
        yield None

    def get_followup(self, followup_id: str) -> FollowUp:
        """The follow-up as the server has it now, open or resolved (number masked unless revealed)."""
        quoted = urllib.parse.quote(followup_id, safe="")
        status, data, _ = self._request("GET", f"/api/followups/{quoted}")
        _raise_for(status, data, followup_id)
        return followup_from_payload(data["followup"], self._revealed)

    def reveal(self, followup_id: str, *, by: str, now: datetime | None = None) -> str:
        """The full number; the server records who asked before answering."""
        phone = str(self._act(followup_id, "reveal", {"by": by})["phone"])
        with self._lock:
            self._revealed[followup_id] = phone
            self._followups = [
                dataclasses.replace(f, contact=Contact(phone, f.contact.consent))
                if f.id == followup_id and f.contact is not None
                else f
                for f in self._followups
            ]
            self._revision += 1
        return phone

    # -- what stays on the server --------------------------------------------------------------

    def followup_records(self, since: date | None = None, until: date | None = None) -> list[dict[str, Any]]:
        """Recent follow-ups (for the resolved list), numbers masked."""
        query = urllib.parse.urlencode({k: v.isoformat() for k, v in (("since", since), ("until", until)) if v})
        status, data, _ = self._request("GET", f"/api/followups?{query}")
        if status != 200:
            raise RemoteUnavailable(f"the server answered {status}: {data.get('error', '')}")
        return [unmasked_record(record, self._revealed) for record in data["followups"]]

    def daily_summaries(self, since: date, until: date) -> dict[str, dict[str, dict[str, int]]]:
        """Hourly counts per day, as the server's store keeps them."""
        query = urllib.parse.urlencode({"since": since.isoformat(), "until": until.isoformat()})
        status, data, _ = self._request("GET", f"/api/stats?{query}")
        if status != 200:
            raise RemoteUnavailable(f"the server answered {status}: {data.get('error', '')}")
        return dict(data["days"])

    def spots_since(self, moment: datetime) -> list[Spot]:
        """Hot-spot and great-streak alerts the server kept after ``moment``, newest first."""
        status, data, _ = self._request("GET", f"/api/spots?{urllib.parse.urlencode({'since': moment.isoformat()})}")
        if status != 200:
            raise RemoteUnavailable(f"the server answered {status}: {data.get('error', '')}")
        return [Spot.from_record(record) for record in data["spots"]]

    def followups(self, since: date | None = None, until: date | None = None) -> Iterator[FollowUp]:
        """Follow-ups opened in [since, until], oldest first (numbers masked unless revealed)."""
        records = self.followup_records(since, until)
        return iter(sorted((FollowUp.from_record(record) for record in records), key=lambda f: f.created))

    # -- what a console does not do --------------------------------------------------------------

    def ratings(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        steps: Callable[[int, int], None] | None = None,
    ) -> Iterator[Rating]:
        raise NotAvailableRemotely("answers are exported on the server: run `feedback export` there")

    def record_rating(self, rating: Rating, *, now: datetime | None = None) -> Any:
        raise NotAvailableRemotely(NOT_A_KIOSK)

    def record_ratings(self, ratings: Sequence[Rating], *, now: datetime | None = None) -> list[Any]:
        raise NotAvailableRemotely(NOT_A_KIOSK)

    def update_rating(self, rating: Rating, *, now: datetime | None = None, reflag: bool = False) -> Any:
        raise NotAvailableRemotely(NOT_A_KIOSK)

    def get_rating(self, rating_id: str, around: datetime) -> Rating | None:
        raise NotAvailableRemotely(NOT_A_KIOSK)

    def check(self, rating: Rating, now: datetime | None = None) -> None:
        raise NotAvailableRemotely(NOT_A_KIOSK)


NOT_A_KIOSK = "a console does not record answers: kiosks send them with a kiosk's token, and texts reach the server"


def _raise_for(status: int, data: dict[str, Any], followup_id: str) -> None:
    """The local store's exception for a refused follow-up request, so both backends fail alike."""
    if status == 409 and data.get("claimed_by"):
        raise AlreadyClaimed(followup_id, data["claimed_by"])
    if status == 409 and data.get("no_phone"):
        raise NoPhoneNumber(data.get("error") or f"follow-up {followup_id}: this customer left no phone number")
    if status == 404:
        raise UnknownFollowUp(data.get("error") or f"there is no follow-up {followup_id}")
    if status >= 400:
        raise FollowUpError(data.get("error") or f"the server answered {status}")
