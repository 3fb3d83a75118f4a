"""The store's one door behaves the same on every backend: the local store and the remote console."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from backends import Backend, remote_backend, wait_until

from shared.door import ConsoleDoor, FeedbackDoor, NoPhoneNumber, NotAvailableRemotely, SpotsDoor, Topic
from shared.followups import AlreadyClaimed, FollowUpError, FollowUpStatus, Resolution
from shared.hot_spots import Spot, SpotKind
from shared.ratings import Contact
from shared.store import UnknownFollowUp
from shared.summary import counter_key

CUSTOMER = "+14155550123"


def queued(backend: Backend) -> list[str]:
    return [followup.id for followup in backend.door.open_followups()]


def test_both_backends_give_the_console_its_door(backend: Backend) -> None:
    assert isinstance(backend.door, ConsoleDoor)
    assert isinstance(backend.door, FeedbackDoor)  # the remote one says plainly what it does not do


def test_a_fell_short_reaches_the_queue(backend: Backend) -> None:
    followup_id = backend.fell_short()
    assert followup_id in queued(backend)
    followup = backend.door.get_followup(followup_id)
    assert (followup.status, followup.claimed_by) == (FollowUpStatus.OPEN, "")


def test_the_second_claimer_loses_and_is_told_who_won(backend: Backend) -> None:
    followup_id = backend.fell_short()
    assert backend.door.claim(followup_id, "Dee").claimed_by == "Dee"
    with pytest.raises(AlreadyClaimed) as lost:
        backend.other.claim(followup_id, "Eli")
    assert lost.value.claimed_by == "Dee"
    assert backend.door.get_followup(followup_id).claimed_by == "Dee"


@pytest.mark.parametrize("name", ["[@click=app.quit]Dee", '=HYPERLINK("http://x")', "Zoë 🙂 [/b]", "x" * 100])
def test_a_name_is_kept_as_typed_and_names_the_winner(backend: Backend, name: str) -> None:
    followup_id = backend.fell_short()
    assert backend.door.claim(followup_id, name).claimed_by == name
    with pytest.raises(AlreadyClaimed) as lost:
        backend.other.claim(followup_id, "Eli")
    assert lost.value.claimed_by == name


def test_resolve_leaves_the_queue_and_reopen_brings_it_back(backend: Backend) -> None:
    followup_id = backend.fell_short()
    resolved = backend.door.resolve(followup_id, Resolution.RECOVERED, by="Dee", note="[bold]refund[/bold]")
    assert (resolved.status, resolved.resolution, resolved.note) == (
        FollowUpStatus.RESOLVED,
        Resolution.RECOVERED,
        "[bold]refund[/bold]",
    )
    assert followup_id not in queued(backend)
    assert backend.door.get_followup(followup_id).status is FollowUpStatus.RESOLVED
    with pytest.raises(FollowUpError, match="reopen"):
        backend.door.resolve(followup_id, Resolution.RECOVERED, by="Eli")
    with pytest.raises(FollowUpError):
        backend.door.claim(followup_id, "Eli")

    assert backend.door.reopen(followup_id).status is FollowUpStatus.OPEN
    assert followup_id in queued(backend)


def test_an_overdue_follow_up_is_escalated(backend: Backend) -> None:
    followup_id = backend.fell_short()
    wait_until(lambda: backend.door.get_followup(followup_id).is_overdue(datetime.now(UTC)))
    assert backend.door.escalate(followup_id).escalated_at is not None
    backend.settle()
    assert backend.door.get_followup(followup_id).escalated_at is not None


def test_a_reveal_is_audited_before_the_number_is_given(backend: Backend) -> None:
    followup_id = backend.fell_short(contact=Contact(CUSTOMER))
    assert backend.door.reveal(followup_id, by="Dee") == CUSTOMER
    [(_, by)] = [entry for entry in backend.audit() if entry[0] == followup_id]
    assert by.startswith("Dee")
    assert CUSTOMER not in by


def test_a_reveal_without_a_number_is_refused_and_not_audited(backend: Backend) -> None:
    followup_id = backend.fell_short()
    with pytest.raises(NoPhoneNumber):
        backend.door.reveal(followup_id, by="Dee")
    assert [entry for entry in backend.audit() if entry[0] == followup_id] == []


@pytest.mark.parametrize(
    "action",
    [
        lambda door, followup_id: door.get_followup(followup_id),
        lambda door, followup_id: door.claim(followup_id, "Dee"),
        lambda door, followup_id: door.resolve(followup_id, Resolution.NO_ACTION_NEEDED, by="Dee"),
        lambda door, followup_id: door.reopen(followup_id),
        lambda door, followup_id: door.escalate(followup_id),
        lambda door, followup_id: door.reveal(followup_id, by="Dee"),
    ],
    ids=["get", "claim", "resolve", "reopen", "escalate", "reveal"],
)
@pytest.mark.parametrize("followup_id", ["fu-nope", "fu-../../queue", "[bold]x[/bold]", "fu-%2F?#"])
def test_an_unknown_follow_up_is_the_same_error_everywhere(backend: Backend, action, followup_id: str) -> None:
    with pytest.raises(UnknownFollowUp):
        action(backend.door, followup_id)


def test_the_change_feed_moves_with_the_queue_and_names_topics(backend: Backend) -> None:
    before = backend.door.revision()
    followup_id = backend.fell_short()
    wait_until(lambda: backend.door.revision() != before)
    assert Topic.QUEUE in backend.door.changes_since(before)
    now = backend.door.revision()
    assert backend.door.changes_since(now) == set()

    backend.door.claim(followup_id, "Dee")
    wait_until(lambda: backend.door.revision() != now)
    assert Topic.QUEUE in backend.door.changes_since(now)


def test_statistics_read_the_same_counts(backend: Backend) -> None:
    ts = datetime.now(UTC) - timedelta(hours=2)
    followup_id = backend.fell_short(ts=ts)
    day = ts.date()
    summaries = backend.door.daily_summaries(day - timedelta(days=1), day + timedelta(days=1))
    below = sum(hour.get(counter_key("outcome", "below"), 0) for hour in summaries[day.isoformat()].values())
    assert below >= 1
    # The follow-up opens when it is recorded, which may be the next UTC day (a run just after midnight).
    records = backend.door.followup_records(day, day + timedelta(days=1))
    assert followup_id in {record["id"] for record in records}


def test_the_queue_never_shows_a_number_unless_revealed(backend: Backend) -> None:
    """Remote consoles get masked numbers (a stand-in that masks the same); the local one the number."""
    followup_id = backend.fell_short(contact=Contact(CUSTOMER))
    [followup] = [f for f in backend.other.open_followups() if f.id == followup_id]
    assert followup.contact is not None
    assert followup.contact.phone[-2:] == CUSTOMER[-2:]


# -- what only the local store does -------------------------------------------------------------


def test_only_the_local_store_records_and_exports_answers(local_only: Backend, server) -> None:
    remote = remote_backend(server).door
    day = date.today()
    local_only.fell_short()
    assert [rating.outcome for rating in local_only.door.ratings(day - timedelta(days=1), day)]  # type: ignore[attr-defined]
    with pytest.raises(NotAvailableRemotely, match="kiosk"):
        remote.record_rating(next(local_only.door.ratings()))  # type: ignore[attr-defined]
    with pytest.raises(NotAvailableRemotely, match="feedback export"):
        remote.ratings()  # type: ignore[attr-defined]


def test_hot_spots_kept_by_the_server_reach_every_console(backend: Backend) -> None:
    assert isinstance(backend.door, SpotsDoor)
    now = datetime.now(UTC).replace(microsecond=0)
    spot = Spot(SpotKind.HOT_SPOT, "Till [1]", now, timedelta(minutes=15), 4, 3, "wait_time")
    assert backend.keep_spot(spot)
    # (the server's own alerter may have kept one for the fell-short answers of the other tests)
    assert [s for s in backend.door.spots_since(now - timedelta(hours=1)) if s.station == "Till [1]"] == [spot]
    assert [s for s in backend.door.spots_since(now) if s.station == "Till [1]"] == []
