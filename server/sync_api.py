"""The sync API: kiosks on other machines send answers; remote managers' consoles work the queue.

Every request carries ``Authorization: Bearer <token>`` of a client in ``[sync.clients]``
(see :mod:`server.auth`); a missing or unknown token gets 401 and changes nothing, a token
of the wrong role 403.

- ``POST /api/ratings`` (kiosk): ``{"entries": [{"op": "record"|"update", "rating": {...}}]}``,
  applied in order, each answered in ``results``: ``stored``, ``duplicate``, ``updated`` or
  ``error`` with a message. Bad entries are refused one by one; the good ones are kept. When
  the store itself cannot be written (busy, disk full) the answer is 503 and the client sends
  the batch again later: recording is idempotent by rating id and an update carries the whole
  rating, so a replay changes nothing.
- ``GET /api/queue`` (manager): the open follow-ups, phone numbers masked, with an ``ETag``;
  ``If-None-Match`` with the same tag gets an empty 304.
- ``GET /api/followups?since=DAY&until=DAY`` (manager): follow-ups opened in those UTC days;
  ``GET /api/followups/<id>`` one follow-up, open or resolved.
- ``GET /api/stats?since=DAY&until=DAY`` (manager): ``{"days": {day: {hour: counts}}}``, the hourly
  counts the statistics screen and reports draw from.
- ``POST /api/followups/<id>/claim|resolve|reopen|escalate|reveal`` (manager): ``{"by": "Dee"}``;
  resolve also ``resolution`` and ``note``; escalate marks it only if it is still overdue and
  unmarked. A claim someone else won is 409 with ``claimed_by``; reveal records who saw the
  number (as the local console does) and returns it, or 409 with ``no_phone`` when there is none.

Numbers are masked everywhere but in a reveal. Follow-up errors map to statuses one way
(404 unknown, 409 refused by its state), so :class:`manager.remote.RemoteStore` raises what the
local store raises.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from server.auth import Client, Role, role_required
from shared.config import Config
from shared.door import NoPhoneNumber, Topic
from shared.escalation import escalate_if_overdue
from shared.followups import AlreadyClaimed, FollowUp, FollowUpError, Resolution
from shared.phones import mask_phone
from shared.ratings import Channel, InvalidRating, Rating
from shared.storage import StoreError
from shared.store import FeedbackStore, UnknownFollowUp, UnknownRating

log = logging.getLogger("server.sync")

blueprint = Blueprint("sync", __name__, url_prefix="/api")

MAX_ENTRIES = 1000
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
CLOCK_SKEW = timedelta(minutes=10)
NAME_LIMIT = 100
MAX_STATS_DAYS = 3700  # ten years: what a statistics screen asks for, not a walk through every month there is
NOTE_LIMIT = 2000


@dataclass
class SyncState:
    """What the views need, in ``app.extensions["sync"]``; the queue payload is cached by revision."""

    store: FeedbackStore
    clock: Callable[[], datetime]
    max_body_bytes: int
    queue_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    queue_revision: int = -1
    queue_body: bytes = b""
    queue_etag: str = ""


def init_app(app: Flask, config: Config, store: FeedbackStore, clock: Callable[[], datetime]) -> None:
    """Register the blueprint with ``[sync] max_body_bytes`` (the clients are ``app.extensions["clients"]``)."""
    max_body = int(config.section("sync").get("max_body_bytes", DEFAULT_MAX_BODY_BYTES))
    app.extensions["sync"] = SyncState(store, clock, max_body)
    app.register_blueprint(blueprint)


def _state() -> SyncState:
    return current_app.extensions["sync"]


@blueprint.before_request
def allow_batches() -> None:
    """Batches are larger than a webhook form: this blueprint has its own body limit (413 beyond)."""
    request.max_content_length = _state().max_body_bytes


# -- ratings from kiosks ------------------------------------------------------------------


class EntryRefused(ValueError):
    """One entry of a batch cannot be applied; the message says why."""


class NotYours(EntryRefused):
    """The rating exists but this kiosk may not change it (an SMS answer, or another kiosk's)."""


SOURCE_KEY = "sync_client"  # extra[...]: the client that recorded the rating, set by the server only


def check_owner(existing: Rating, client: Client) -> None:
    """A kiosk changes only what it recorded itself: never an SMS answer, never another kiosk's."""
    if existing.channel is not Channel.KIOSK:
        raise NotYours(f"rating {existing.id} came by {existing.channel}: a kiosk cannot change it")
    if existing.extra.get(SOURCE_KEY) != client.name:
        raise NotYours(f"rating {existing.id} was not recorded by {client.name}: only its own kiosk can change it")


def update_own(store: FeedbackStore, rating: Rating, client: Client, now: datetime) -> None:
    """Update ``rating`` if ``client`` recorded it, checked and written under one lock."""
    with store.transaction():
        existing = store.get_rating(rating.id, rating.ts)
        if existing is None:
            raise UnknownRating(f"no rating {rating.id} was recorded around {rating.ts:%Y-%m-%d}")
        check_owner(existing, client)
        store.update_rating(rating, now=now)


def rating_from_kiosk(record: Any, client: Client, now: datetime) -> Rating:
    """Validate a received rating (each check raises :class:`EntryRefused` or :class:`InvalidRating`, which
    refuse this entry alone). The server alone sets ``received`` and who recorded it; ``ts`` is kept."""
    if not isinstance(record, dict):
        raise EntryRefused("rating must be an object with the fields of a rating")
    record = {**record, "received": None}
    rating = Rating.from_record(record)
    if rating.channel is not Channel.KIOSK:
        raise EntryRefused(f"channel must be kiosk, not {rating.channel}")
    if rating.ts > now + CLOCK_SKEW:
        raise EntryRefused(f"ts {rating.ts.isoformat()} is in the future: check the kiosk's clock")
    if rating.late:
        raise EntryRefused("late is for SMS replies only")
    return dataclasses.replace(rating, extra={**rating.extra, SOURCE_KEY: client.name})


def parse_entry(entry: Any, client: Client, now: datetime) -> tuple[str, Rating]:
    """``(op, rating)`` from one entry of a batch, or :class:`EntryRefused` / :class:`InvalidRating`."""
    if not isinstance(entry, dict):
        raise EntryRefused('each entry must be {"op": "record" or "update", "rating": {...}}')
    op = entry.get("op")
    if op not in ("record", "update"):
        raise EntryRefused(f'op must be "record" or "update", not {op!r}')
    return op, rating_from_kiosk(entry.get("rating"), client, now)


def apply_batch(store: FeedbackStore, entries: list[Any], client: Client, now: datetime) -> list[dict[str, Any]]:
    """Apply a batch in order, as one ``record_ratings`` (each file written once) plus stray updates.

    An update of a rating recorded earlier in the same batch is folded into that record (an update
    carries the whole rating, and the store keeps the record's time), unless the record turns out to
    be a duplicate, when it is applied as an update. Updates of ratings recorded by earlier batches
    are applied one by one. Every update of a stored rating is checked by :func:`update_own`. Store
    failures propagate: the client sends the batch again.
    """
    results: list[dict[str, Any]] = []
    records: list[Rating] = []
    record_at: dict[str, int] = {}  # rating id -> its first position in ``records``
    record_results: list[int] = []
    folded: dict[str, int] = {}  # rating id -> position of its last update folded into the record
    updates: list[tuple[int, Rating]] = []
    for entry in entries:
        rating_record = entry.get("rating") if isinstance(entry, dict) else None
        rating_id = rating_record.get("id") if isinstance(rating_record, dict) else None
        result = {"id": rating_id if isinstance(rating_id, str) else ""}
        results.append(result)
        try:
            op, rating = parse_entry(entry, client, now)
            store.check(rating, now)  # bounds on time and fields, refused per entry
        except (EntryRefused, InvalidRating) as error:
            result.update(status="error", error=str(error))
            continue
        if op == "record":
            record_at.setdefault(rating.id, len(records))
            records.append(rating)
            record_results.append(len(results) - 1)
        elif rating.id in record_at:
            records[record_at[rating.id]] = rating
            folded[rating.id] = len(results) - 1
            result["status"] = "updated"
        else:
            updates.append((len(results) - 1, rating))
    recorded = store.record_ratings(records, now=now) if records else []
    for position, done in zip(record_results, recorded, strict=True):
        results[position]["status"] = "duplicate" if done.duplicate else "stored"
    for rating_id, position in folded.items():
        if recorded[record_at[rating_id]].duplicate:
            updates.append((position, records[record_at[rating_id]]))
    for position, rating in updates:
        try:
            update_own(store, rating, client, now)
            results[position]["status"] = "updated"
        except UnknownRating as error:
            results[position].update(status="error", error=str(error))
        except NotYours as error:
            log.warning("403: %s tried to change rating %s", client.name, rating.id)
            results[position].update(status="error", code=403, error=str(error))
    return results


@blueprint.post("/ratings")
@role_required(Role.KIOSK)
def receive_ratings() -> ResponseReturnValue:
    payload: Any = request.get_json(force=True, silent=True)
    entries = payload.get("entries") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return jsonify(error='send JSON such as {"entries": [{"op": "record", "rating": {...}}]}'), 400
    if len(entries) > MAX_ENTRIES:
        return jsonify(error=f"at most {MAX_ENTRIES} entries per batch"), 413
    state, client = _state(), g.client
    try:
        results = apply_batch(state.store, entries, client, state.clock())
    except StoreError as error:
        log.error("a batch of %d entries from %s was not stored: %s", len(entries), client.name, error)
        return jsonify(error=f"the store cannot be written now ({error}); send the batch again later"), 503
    refused = sum(1 for result in results if result["status"] == "error")
    if refused:
        log.warning("%d of %d entries from %s refused", refused, len(entries), client.name)
    return jsonify(results=results), 200


# -- the queue for remote consoles -----------------------------------------------------------


def masked_record(followup: FollowUp) -> dict[str, Any]:
    """A follow-up as JSON with the customer's number masked (``contact.masked``, no ``phone``)."""
    record = followup.to_record()
    if followup.contact is not None:
        record["contact"] = {"masked": mask_phone(followup.contact.phone), "consent": followup.contact.consent}
    return record


def _queue_payload(state: SyncState) -> tuple[str, bytes]:
    """The queue as JSON and its tag, read again only when the queue changed since last time."""
    with state.queue_lock:
        revision = state.store.revision()
        if revision == state.queue_revision:
            return state.queue_etag, state.queue_body
        if state.queue_revision < 0 or Topic.QUEUE in state.store.changes_since(state.queue_revision):
            followups = state.store.open_followups()
            body = orjson.dumps({"followups": [masked_record(followup) for followup in followups]})
            state.queue_body = body
            state.queue_etag = hashlib.sha256(body).hexdigest()[:32]
        state.queue_revision = revision
        return state.queue_etag, state.queue_body


@blueprint.get("/queue")
@role_required(Role.MANAGER)
def queue() -> ResponseReturnValue:
    try:
        etag, body = _queue_payload(_state())
    except StoreError as error:
        return jsonify(error=str(error)), 503
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache"}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    return Response(body, mimetype="application/json", headers=headers)


def _day(name: str) -> date | None:
    text = request.args.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise EntryRefused(f"{name} must be a day such as 2026-11-24") from None


@blueprint.get("/followups")
@role_required(Role.MANAGER)
def followups() -> ResponseReturnValue:
    try:
        since, until = _day("since"), _day("until")
        records = _state().store.followup_records(since, until)
    except EntryRefused as error:
        return jsonify(error=str(error)), 400
    except StoreError as error:
        return jsonify(error=str(error)), 503
    return jsonify(followups=[masked_record(FollowUp.from_record(record)) for record in records])


@blueprint.get("/followups/<path:followup_id>")
@role_required(Role.MANAGER)
def followup(followup_id: str) -> ResponseReturnValue:
    try:
        found = _state().store.get_followup(followup_id)
    except UnknownFollowUp as error:
        return jsonify(error=str(error)), 404
    except StoreError as error:
        return jsonify(error=str(error)), 503
    return jsonify(followup=masked_record(found))


@blueprint.get("/spots")
@role_required(Role.MANAGER)
def spots() -> ResponseReturnValue:
    """Hot-spot and great-streak alerts kept after ``since`` (an ISO time with its zone), newest first."""
    try:
        since = datetime.fromisoformat(request.args.get("since", ""))
        if since.tzinfo is None:
            raise ValueError
    except ValueError:
        return jsonify(error="since must be a time with its zone, such as 2026-11-24T12:00:00+00:00"), 400
    try:
        kept = _state().store.spots_since(since)
    except StoreError as error:
        return jsonify(error=str(error)), 503
    return jsonify(spots=[spot.to_record() for spot in kept])


@blueprint.get("/stats")
@role_required(Role.MANAGER)
def stats() -> ResponseReturnValue:
    """Hourly counts per day in [since, until] (both required: a period, never all of history at once)."""
    try:
        since, until = _day("since"), _day("until")
        if since is None or until is None:
            raise EntryRefused("since and until are both needed, as days such as 2026-11-24")
        if (until - since).days > MAX_STATS_DAYS:
            raise EntryRefused(f"at most {MAX_STATS_DAYS} days at once")
        days = _state().store.daily_summaries(since, until)
    except EntryRefused as error:
        return jsonify(error=str(error)), 400
    except StoreError as error:
        return jsonify(error=str(error)), 503
    return jsonify(days=days)


def _text(payload: dict[str, Any], key: str, limit: int, default: str = "") -> str:
    value = payload.get(key, default)
    if not isinstance(value, str) or len(value) > limit:
        raise EntryRefused(f"{key} must be text of at most {limit} characters")
    return value.strip()


@blueprint.post("/followups/<path:followup_id>/<action>")
@role_required(Role.MANAGER)
def act(followup_id: str, action: str) -> ResponseReturnValue:
    state, client = _state(), g.client
    payload: Any = request.get_json(force=True, silent=True) or {}
    try:
        if not isinstance(payload, dict):
            raise EntryRefused('send a JSON object such as {"by": "Dee"}')
        by = _text(payload, "by", NAME_LIMIT) or client.name
        now = state.clock()
        if action == "claim":
            followup = state.store.claim(followup_id, by, now=now)
        elif action == "resolve":
            try:
                resolution = Resolution(payload.get("resolution"))
            except ValueError:
                raise EntryRefused(f"resolution must be one of {', '.join(Resolution)}") from None
            note = _text(payload, "note", NOTE_LIMIT)
            followup = state.store.resolve(followup_id, resolution, by=by, note=note, now=now)
        elif action == "reopen":
            followup = state.store.reopen(followup_id, now=now)
        elif action == "escalate":  # only if still overdue and not yet escalated, checked under the lock
            followup = escalate_if_overdue(state.store, followup_id, now=now) or state.store.get_followup(followup_id)
        elif action == "reveal":
            return _reveal(state, followup_id, by, now)
        else:
            return jsonify(error=f"unknown action {action!r}: claim, resolve, reopen, escalate or reveal"), 404
    except AlreadyClaimed as error:
        return jsonify(error=str(error), claimed_by=error.claimed_by), 409
    except NoPhoneNumber as error:
        return jsonify(error=str(error), no_phone=True), 409
    except UnknownFollowUp as error:
        return jsonify(error=str(error)), 404
    except (FollowUpError, EntryRefused) as error:
        return jsonify(error=str(error)), 409 if isinstance(error, FollowUpError) else 400
    except StoreError as error:
        return jsonify(error=str(error)), 503
    return jsonify(followup=masked_record(followup))


def _reveal(state: SyncState, followup_id: str, by: str, now: datetime) -> ResponseReturnValue:
    """The full number, after the store recorded the reveal (never the number itself in the audit)."""
    return jsonify(phone=state.store.reveal(followup_id, by=f"{by} (remote, {g.client.name})", now=now))
