"""``/manage``: log in, the live queue, one follow-up (claim, reveal, resolve, reopen), resolved, today.

Plain forms that work without JavaScript (each change is a POST answered by a redirect);
``static/manage.js`` adds the live list. Every page is a Jinja template, autoescaped, so a
customer's words are text whatever they hold.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from manager.report import breakdowns, gather, group_rows, headline, reasons_by_label
from manager.rows import QueueFilter, recently_resolved, static_cells, ticking_cells, visible
from manager.words import age_words, duration_words, resolution_words
from server.manage.live import QueueWatcher, StreamSlots, event_stream
from server.manage.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    AttemptWindow,
    Sessions,
    form_token,
    same_token,
    set_cookie,
)
from shared.accounts import AccountEvent, Action, Lockout, WebSession, password_matches, waste_a_check
from shared.config import Config, ConfigError
from shared.door import NoPhoneNumber
from shared.followups import AlreadyClaimed, FollowUp, FollowUpError, Resolution, short_ref
from shared.phones import mask_phone
from shared.reasons import reason_labels
from shared.stats import local_days
from shared.storage import StoreError
from shared.store import FeedbackStore, UnknownFollowUp
from shared.text import printable

blueprint = Blueprint("manage", __name__, url_prefix="/manage", template_folder="templates", static_folder="static")

NOTE_LIMIT = 2000
# Where a cached list's forms get the asking session's CSRF token. Customer text can never contain it:
# autoescaping turns a typed "<" into "&lt;".
CSRF_SLOT = Markup("<csrf>")
HEARTBEAT_SECONDS = 5.0  # a closed page is noticed (and its stream slot freed) at the next write
ROWS_SHOWN = 60  # the most urgent; a phone shows a handful, and a busier queue is filtered by station
FRAGMENT_SECONDS = 15  # times left in a cached list are at most this old (the page refreshes every 30 s)
RESOLUTIONS = [(resolution, resolution_words(resolution).capitalize()) for resolution in Resolution]
CONTENT_SECURITY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True, slots=True)
class ManageSettings:
    """``[manage]`` in the configuration."""

    session_hours: float = 12.0
    lockout: Lockout = field(default_factory=Lockout)
    login_attempts_per_minute: int = 10
    live_streams: int = 16  # open event streams; each holds a server thread (see server.run)
    stream_minutes: float = 5.0  # a stream ends after this and the page reconnects, so slots turn over
    poll_seconds: float = 1.0  # how often a page without a stream asks

    @classmethod
    def from_config(cls, config: Config) -> ManageSettings:
        section = config.section("manage")

        def number(key: str, default: float, low: float, high: float) -> float:
            value = section.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ConfigError(f"[manage] {key} must be a number from {low:g} to {high:g}, not {value!r}")
            return float(value)

        return cls(
            session_hours=number("session_hours", 12, 0.1, 24 * 30),
            lockout=Lockout(
                max_failures=int(number("max_failures", 5, 1, 100)),
                duration=timedelta(minutes=number("lockout_minutes", 15, 0.1, 24 * 60)),
            ),
            login_attempts_per_minute=int(number("login_attempts_per_minute", 10, 1, 1000)),
            live_streams=int(number("live_streams", 16, 0, 200)),
            stream_minutes=number("stream_minutes", 5, 0.05, 60),
            poll_seconds=number("poll_seconds", 1, 0.2, 60),
        )


@dataclass
class ManageState:
    """What the views share, in ``app.extensions["manage"]``."""

    store: FeedbackStore
    clock: Callable[[], datetime]
    config: Config
    settings: ManageSettings
    watcher: QueueWatcher
    sessions: Sessions
    slots: StreamSlots
    attempts: AttemptWindow
    labels: Mapping[str, str]
    notices: dict[str, list[str]] = field(default_factory=dict)  # session key → messages for its next page
    # The list as rendered, by (version, station, quarter-minute): fifty open pages cost one render.
    fragments: dict[tuple[int, str, int], tuple[int, bytes]] = field(default_factory=dict)

    def tell(self, session: WebSession, message: str) -> None:
        self.notices.setdefault(session.key, []).append(message)

    def told(self, session: WebSession) -> list[str]:
        return self.notices.pop(session.key, [])

    def audit(self, account: str, action: Action, followup_id: str = "", detail: str = "") -> None:
        self.store.record_account_event(AccountEvent(account, action, self.clock(), followup_id, detail))


def init_app(app: Flask, config: Config, store: FeedbackStore, clock: Callable[[], datetime]) -> None:
    settings = ManageSettings.from_config(config)
    app.extensions["manage"] = ManageState(
        store=store,
        clock=clock,
        config=config,
        settings=settings,
        watcher=QueueWatcher(store),
        sessions=Sessions(store, clock),
        slots=StreamSlots(settings.live_streams),
        attempts=AttemptWindow(settings.login_attempts_per_minute),
        labels=reason_labels(config),
    )
    app.register_blueprint(blueprint)


def _state() -> ManageState:
    return current_app.extensions["manage"]


# -- every request: who, and whether a change is really theirs -------------------------------------


@blueprint.before_request
def check_session() -> ResponseReturnValue | None:
    state = _state()
    g.manage_session = state.sessions.of(request)
    if request.endpoint in {"manage.login", "manage.static"}:
        return None
    if g.manage_session is None:
        if request.method == "GET" and request.endpoint not in {"manage.rows", "manage.events"}:
            return redirect(url_for("manage.login"))
        return Response("Signed out: log in again.\n", status=401, mimetype="text/plain")
    if request.method == "POST" and not same_token(g.manage_session.csrf, form_token(request)):
        return _refused("This form has expired or did not come from this site. Go back, reload the page and try again.")
    return None


@blueprint.after_request
def protect(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "manage.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.context_processor
def page_values() -> dict[str, Any]:
    session: WebSession | None = g.get("manage_session")
    return {"signed_in": session, "csrf": session.csrf if session else ""}


def _refused(message: str) -> Response:
    return Response(render_template("manage/refused.html", message=message), status=403)


def signed_in(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """The view runs with ``g.manage_session`` set (check_session has refused everyone else)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        return view(g.manage_session, *args, **kwargs)

    return wrapper


# -- logging in and out -----------------------------------------------------------------------


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    state = _state()
    if request.method == "GET":
        if g.manage_session is not None:
            return redirect(url_for("manage.queue"))
        return _login_page()
    if not same_token(request.cookies.get(LOGIN_COOKIE, ""), request.form.get("csrf", "")):
        return _login_page("That form had expired: try again.", status=403)
    name = request.form.get("name", "").strip()[:100]
    password = request.form.get("password", "")
    if not state.attempts.allow(request.remote_addr or "?"):
        return _login_page("Too many tries from this device: wait a minute, then try again.", name, status=429)
    now = state.clock()
    with state.store.transaction():  # the failure count is read and written as one step
        account = state.store.account(name) if name else None
        if account is None:
            waste_a_check(password)
            return _login_page("Wrong name or password.", name, status=401)
        if account.is_locked(now):
            state.audit(account.name, Action.LOGIN_FAILED, detail="locked")
            return _locked_page(account.locked_until, name)
        if not password_matches(account.password_hash, password):
            account = account.failed(now, state.settings.lockout)
            state.store.save_account(account)
            state.audit(account.name, Action.LOGIN_FAILED)
            if account.is_locked(now):
                state.audit(account.name, Action.LOCKED)
                return _locked_page(account.locked_until, name)
            return _login_page("Wrong name or password.", name, status=401)
        if account.failures:
            state.store.save_account(account.succeeded())
    token, session = WebSession.start(account.name, now, timedelta(hours=state.settings.session_hours))
    state.sessions.keep(session)
    state.audit(account.name, Action.LOGIN)
    response = redirect(url_for("manage.queue"), code=303)
    set_cookie(
        response, request, SESSION_COOKIE, token, max_age=int(state.settings.session_hours * 3600), path="/manage"
    )
    response.delete_cookie(LOGIN_COOKIE, path="/manage/login")
    return response


def _login_page(error: str = "", name: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = Response(render_template("manage/login.html", error=error, name=name, login_token=token), status=status)
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600, path="/manage/login")
    return response


def _locked_page(until: datetime | None, name: str) -> Response:
    state = _state()
    when = "" if until is None else f" until {until.astimezone(state.config.zone):%H:%M}"
    message = (
        f"Too many wrong passwords: this account is locked{when}. The owner can set a new password "
        "with `feedback account add NAME`, which also unlocks it."
    )
    return _login_page(message, name, status=423)


@blueprint.post("/logout")
@signed_in
def logout(session: WebSession) -> ResponseReturnValue:
    state = _state()
    state.sessions.end(session)
    state.audit(session.account, Action.LOGOUT)
    response = redirect(url_for("manage.login"), code=303)
    response.delete_cookie(SESSION_COOKIE, path="/manage")
    return response


# -- the queue ---------------------------------------------------------------------------------


def _row(followup: FollowUp, now: datetime, labels: Mapping[str, str]) -> dict[str, Any]:
    """What a row shows, from the console's own cells (manager.rows): the same words, the same order."""
    cells = static_cells(followup, labels)
    ticking = ticking_cells(followup, now)
    left, urgency = ticking["left"]
    return {
        **cells,
        "id": followup.id,
        "left": left,
        "urgency": str(urgency or "calm"),
        "age": age_words(followup, now),
        "comment": printable(followup.comment),
        "later": [(duration_words(now - words.at), printable(words.text)) for words in followup.later],
        "waiting": followup.customer_waiting,
        "to_read": followup.is_to_read,
        "active": followup.is_active,
        "note": printable(followup.note),
        "has_phone": followup.contact is not None,
    }


def _queue_rows(station: str) -> tuple[int, list[dict[str, Any]], list[str], int]:
    state = _state()
    state.watcher.start()
    version, queue = state.watcher.queue()
    now = state.clock()
    shown = visible(queue, QueueFilter(station=station), now)
    stations = sorted({followup.station for followup in queue if followup.station})
    return version, [_row(f, now, state.labels) for f in shown[:ROWS_SHOWN]], stations, len(shown)


def _station() -> str:
    return request.args.get("station", "")[:100]


@blueprint.get("/")
@signed_in
def queue(session: WebSession) -> ResponseReturnValue:
    state = _state()
    station = _station()
    version, rows, stations, total = _queue_rows(station)
    if station and station not in stations:
        stations.append(station)
    return render_template(
        "manage/queue.html",
        rows=rows,
        total=total,
        version=version,
        station=station,
        stations=stations,
        notices=state.told(session),
        poll_ms=int(state.settings.poll_seconds * 1000),
        here=request.full_path.rstrip("?"),
    )


@blueprint.get("/rows")
@signed_in
def rows(session: WebSession) -> ResponseReturnValue:
    """The list alone, for the page's script; 204 when the version it has is still the current one."""
    state = _state()
    state.watcher.start()
    if request.args.get("v", "") == str(state.watcher.version):
        return Response(status=204)
    station = _station()
    key = (state.watcher.version, station, int(state.clock().timestamp() // FRAGMENT_SECONDS))
    cached = state.fragments.get(key)
    if cached is None:
        version, rows, _, total = _queue_rows(station)
        back = url_for("manage.queue", station=station) if station else url_for("manage.queue")
        page = render_template("manage/_rows.html", rows=rows, total=total, station=station, here=back, csrf=CSRF_SLOT)
        cached = (version, page.encode())
        if len(state.fragments) > 64:
            state.fragments.clear()
        state.fragments[key] = cached
    # Shared by every page, so each gets its own session's token in its forms.
    response = Response(cached[1].replace(CSRF_SLOT.encode(), session.csrf.encode()), mimetype="text/html")
    response.headers["X-Queue-Version"] = str(cached[0])
    return response


@blueprint.get("/events")
@signed_in
def events(session: WebSession) -> ResponseReturnValue:
    """Server-sent events: ``queue`` with the new version whenever the queue moves. When every stream
    slot is taken the answer is 503 and the page polls ``/rows`` instead."""
    state = _state()
    state.watcher.start()
    if not state.slots.take():
        return Response("Live streams are all in use: poll /manage/rows.\n", status=503, mimetype="text/plain")
    stream = event_stream(
        state.watcher,
        state.slots,
        since=state.watcher.version,
        heartbeat=HEARTBEAT_SECONDS,
        lifetime=state.settings.stream_minutes * 60,
    )
    response = Response(stream_with_context(stream), mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"  # a reverse proxy must pass each event on at once
    return response


# -- one follow-up -----------------------------------------------------------------------------


def _followup(followup_id: str) -> FollowUp:
    try:
        return _state().store.get_followup(followup_id)
    except UnknownFollowUp:
        abort(404)


def _back(default: str) -> str:
    """Where to go after a change: the page the form was on (only a path on this site)."""
    target = request.form.get("next", "")
    if target.startswith("/manage") and not target.startswith("//"):
        return target
    return default


@blueprint.get("/f/<followup_id>")
@signed_in
def followup(session: WebSession, followup_id: str) -> ResponseReturnValue:
    state = _state()
    item = _followup(followup_id)
    row = _row(item, state.clock(), state.labels)
    row["phone"] = mask_phone(item.contact.phone) if item.contact else ""
    return render_template(
        "manage/followup.html",
        row=row,
        resolutions=RESOLUTIONS,
        notices=state.told(session),
        here=url_for("manage.followup", followup_id=item.id),
    )


def _change(session: WebSession, followup_id: str, action: Action, change: Callable[[], FollowUp], done: str) -> Any:
    state = _state()
    try:
        item = change()
    except AlreadyClaimed as lost:
        state.tell(session, f"{short_ref(followup_id)} was already claimed by {lost.claimed_by}.")
    except UnknownFollowUp:
        abort(404)
    except FollowUpError as error:
        state.tell(session, str(error))
    except StoreError as error:
        state.tell(session, f"Could not save: {error}. Try again.")
    else:
        state.audit(session.account, action, item.id)
        state.tell(session, f"{item.ref} {done}.")
        state.watcher.refresh()
    return redirect(_back(url_for("manage.followup", followup_id=followup_id)), code=303)


@blueprint.post("/f/<followup_id>/claim")
@signed_in
def claim(session: WebSession, followup_id: str) -> ResponseReturnValue:
    store = _state().store
    return _change(session, followup_id, Action.CLAIM, lambda: store.claim(followup_id, session.account), "is yours")


@blueprint.post("/f/<followup_id>/resolve")
@signed_in
def resolve(session: WebSession, followup_id: str) -> ResponseReturnValue:
    state = _state()
    try:
        resolution = Resolution(request.form.get("resolution", ""))
    except ValueError:
        state.tell(session, "Choose how it was resolved.")
        return redirect(url_for("manage.followup", followup_id=followup_id), code=303)
    note = request.form.get("note", "").strip()[:NOTE_LIMIT]

    def change() -> FollowUp:
        return state.store.resolve(followup_id, resolution, by=session.account, note=note)

    return _change(session, followup_id, Action.RESOLVE, change, "is resolved")


@blueprint.post("/f/<followup_id>/reopen")
@signed_in
def reopen(session: WebSession, followup_id: str) -> ResponseReturnValue:
    store = _state().store
    return _change(session, followup_id, Action.REOPEN, lambda: store.reopen(followup_id), "is open again")


@blueprint.route("/f/<followup_id>/reveal", methods=["GET", "POST"])
@signed_in
def reveal(session: WebSession, followup_id: str) -> ResponseReturnValue:
    """GET asks to confirm; POST records the reveal (the store writes it before answering) and shows the number."""
    state = _state()
    item = _followup(followup_id)
    if request.method == "GET":
        return render_template("manage/reveal.html", item=item, number="")
    try:
        number = state.store.reveal(followup_id, by=session.account)
    except NoPhoneNumber:
        state.tell(session, f"{item.ref}: this customer left no phone number.")
        return redirect(url_for("manage.followup", followup_id=followup_id), code=303)
    state.audit(session.account, Action.REVEAL, followup_id)
    return render_template("manage/reveal.html", item=item, number=number)


# -- resolved and today ------------------------------------------------------------------------


@blueprint.get("/resolved")
@signed_in
def resolved(session: WebSession) -> ResponseReturnValue:
    state = _state()
    now = state.clock()
    since = (now - timedelta(days=2)).date()
    items = recently_resolved(FollowUp.from_record(record) for record in state.store.followup_records(since))
    station = _station()
    items = [item for item in items if QueueFilter(station=station).matches(item)][:100]
    return render_template(
        "manage/resolved.html",
        rows=[_row(item, now, state.labels) for item in items],
        notices=state.told(session),
        here=url_for("manage.resolved"),
    )


@blueprint.get("/today")
@signed_in
def today(session: WebSession) -> ResponseReturnValue:
    state = _state()
    now = state.clock()
    since, until = local_days("today", now, state.config.zone)
    stats = gather(
        state.store, since=since, until=until, zone=state.config.zone, now=now, target=state.config.followup_target
    )
    groups = [(title, group_rows(counts)) for title, counts in breakdowns(stats)]
    return render_template(
        "manage/today.html",
        day=f"{since:%A %d %B}",
        figures=headline(stats),
        reasons=list(reasons_by_label(stats, state.labels).items()),
        groups=[(title, [tuple(printable(str(cell)) for cell in row) for row in rows]) for title, rows in groups],
        notices=state.told(session),
    )
