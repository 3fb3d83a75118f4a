"""Two managers' consoles in remote mode against the real server process: a live queue, a race to
claim, a reveal recorded on the server, resolving and reopening; an unchanged queue costs a 304."""

from __future__ import annotations

import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sync_helpers import CUSTOMER, KIOSK_TOKEN, MANAGER_TOKEN, OTHER_MANAGER_TOKEN, ServerProcess, entry, rating
from textual.pilot import Pilot
from textual.widgets import DataTable

from manager.app import ManagerApp
from manager.remote import RemoteSettings, RemoteStore, RemoteUnavailable, stand_in_phone
from manager.screens.queue import QueueScreen
from manager.screens.stats import StatsScreen
from shared.audit import reveals
from shared.config import load_config
from shared.followups import FollowUpStatus, Resolution
from shared.phones import mask_phone
from shared.ratings import Contact, Outcome
from shared.store import FeedbackStore, utc_now

pytestmark = pytest.mark.slow


def send_below(server: ServerProcess, **fields) -> str:
    below = rating(Outcome.BELOW, **fields)
    body = orjson.dumps({"entries": [entry("record", below)]})
    request = urllib.request.Request(
        f"{server.url}/api/ratings", data=body, headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert orjson.loads(response.read())["results"][0]["status"] == "stored"
    return f"fu-{below.id}"


def console(tmp_path: Path, name: str, token: str, server: ServerProcess) -> ManagerApp:
    config = load_config(None, data_dir=tmp_path / f"console-{name}", environ={})
    return ManagerApp(config, name=name, poll_seconds=0.05, remote=RemoteSettings(server.url, token, timeout=5))


async def wait_for(pilot: Pilot, condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {timeout} s for {condition}"
        await pilot.pause(0.02)


def rows(app: ManagerApp) -> list[str]:
    screen = app.screen
    if not isinstance(screen, QueueScreen):
        return []
    table = screen.query_one(DataTable)
    return [str(key.value) for key in table.rows]


def cell(app: ManagerApp, followup_id: str, column: str) -> str:
    return str(app.screen.query_one(DataTable).get_cell(followup_id, column))


def test_stand_in_numbers_mask_like_the_real_ones() -> None:
    for phone in ("+14155550123", "+442071838750", "+33612345678"):
        assert mask_phone(stand_in_phone(mask_phone(phone))) == mask_phone(phone)


async def test_remote_consoles_share_the_servers_queue(tmp_path: Path, server: ServerProcess) -> None:
    first = send_below(server, contact=Contact(CUSTOMER))
    dee = console(tmp_path, "Dee", MANAGER_TOKEN, server)
    eli = console(tmp_path, "Eli", OTHER_MANAGER_TOKEN, server)
    async with dee.run_test(size=(160, 48)) as one, eli.run_test(size=(160, 48)) as two:
        await wait_for(one, lambda: rows(dee) == [first] and rows(eli) == [first])
        assert cell(dee, first, "phone") == mask_phone(CUSTOMER)

        second = send_below(server)  # another kiosk's answer appears live, with a bell
        await wait_for(one, lambda: second in rows(dee) and second in rows(eli))
        assert second in dee.announced

        # Both press claim on the first row; the server decides, the loser is told who won.
        await one.press("c")
        await two.press("c")
        await wait_for(two, lambda: any("claimed it first" in n.message for n in eli._notifications))
        assert FeedbackStore(server.data).get_followup(first).claimed_by == "Dee"
        await wait_for(two, lambda: cell(eli, first, "claimed") == "Dee")

        await one.press("v", "y")
        await wait_for(one, lambda: cell(dee, first, "phone") == CUSTOMER)
        assert [(r.followup_id, r.by) for r in reveals(FeedbackStore(server.data))] == [(first, "Dee (remote, dee)")]
        assert cell(eli, first, "phone") == mask_phone(CUSTOMER)  # only for the one who asked

        await one.press("r", "1", *"got a refund", "enter")
        await wait_for(one, lambda: rows(dee) == [second] and rows(eli) == [second])
        resolved = FeedbackStore(server.data).get_followup(first)
        assert (resolved.status, resolved.resolution, resolved.note) == (
            FollowUpStatus.RESOLVED,
            Resolution.RECOVERED,
            "got a refund",
        )

        await one.press("h")
        await wait_for(one, lambda: rows(dee) == [first])
        await one.press("o", "y")  # reopening asks first
        await wait_for(two, lambda: first in rows(eli))
        assert FeedbackStore(server.data).get_followup(first).status is FollowUpStatus.OPEN
    server.kill()
    assert CUSTOMER[2:] not in server.log.read_text(encoding="utf-8"), "a phone number was logged in clear"


def test_an_unchanged_queue_is_a_304_and_a_wrong_token_a_clear_problem(server: ServerProcess) -> None:
    send_below(server)
    queue = RemoteStore(RemoteSettings(server.url, MANAGER_TOKEN), clock=utc_now)
    queue.refresh()
    revision = queue._revision
    for _ in range(5):
        queue.refresh()
    assert queue._revision == revision and len(queue.open_followups()) == 1
    wrong = RemoteStore(RemoteSettings(server.url, "nope"), clock=queue.clock)
    wrong.refresh()
    with pytest.raises(RemoteUnavailable, match="refused this console's token"):
        wrong.revision()
    server.kill()
    queue.refresh()
    with pytest.raises(RemoteUnavailable, match="cannot reach the server"):
        queue.revision()


async def test_a_remote_console_escalates_overdue_items_once_through_the_server(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server", "followup_target_minutes = 0.01\n")
    server.start()
    try:
        overdue = send_below(server)
        dee = console(tmp_path, "Dee", MANAGER_TOKEN, server)
        eli = console(tmp_path, "Eli", OTHER_MANAGER_TOKEN, server)
        async with dee.run_test(size=(160, 48)) as one, eli.run_test(size=(160, 48)) as two:
            await wait_for(one, lambda: rows(dee) == [overdue] and rows(eli) == [overdue])
            await wait_for(one, lambda: FeedbackStore(server.data).get_followup(overdue).escalated_at is not None)
            marked = FeedbackStore(server.data).get_followup(overdue).escalated_at
            await wait_for(two, lambda: all(f.escalated_at == marked for f in eli.queue))
            dee.escalate_due()
            eli.escalate_due()
            await one.pause(0.1)
            assert FeedbackStore(server.data).get_followup(overdue).escalated_at == marked
    finally:
        server.kill()


async def test_a_remote_console_shows_the_servers_statistics(tmp_path: Path, server: ServerProcess) -> None:
    """One code path: the statistics screen reads the server's counts through the same door."""
    send_below(server, ts=datetime.now(UTC) - timedelta(minutes=1))
    send_below(server, ts=datetime.now(UTC) - timedelta(minutes=1), reasons=("wait",))
    dee = console(tmp_path, "Dee", MANAGER_TOKEN, server)
    async with dee.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: len(rows(dee)) == 2)
        await pilot.press("s", "t")  # this week: both are in it, whatever the hour
        screen = dee.screen
        assert isinstance(screen, StatsScreen)
        await wait_for(pilot, lambda: screen.stats is not None and screen.stats.below == 2)
        assert screen.stats.answers == 2
        assert not [n for n in dee._notifications if n.severity == "error"]
