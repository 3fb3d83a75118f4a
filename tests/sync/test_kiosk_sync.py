"""Two kiosks in remote mode against the real server process: an outage loses nothing and doubles nothing.

The kiosks are the real Textual app driven by Pilot in this process; the server is ``run_sms.py``
on 127.0.0.1, killed and started again on the same port and data directory.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sync_helpers import KIOSK_TOKEN, ROOT, SIDE_TOKEN, ServerProcess, rating
from textual.pilot import Pilot
from textual.widgets import Static

from kiosk.app import KioskApp
from kiosk.outbox import Operation, Outbox
from kiosk.remote import RemoteRecorder, RemoteSender, RemoteSettings, remote_settings
from kiosk.screens.manager_now import ManagerNowScreen
from kiosk.screens.phone import PhoneScreen
from kiosk.screens.reasons import ReasonsScreen
from kiosk.settings import load_kiosk_settings
from shared.config import ConfigError, load_config
from shared.ratings import Outcome
from shared.store import FeedbackStore

pytestmark = pytest.mark.slow


class Clock:
    """Taps at known times, hours before the server sees them."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


def remote_kiosk(folder: Path, station: str, token: str, server: str, clock: Clock) -> KioskApp:
    folder.mkdir(parents=True)
    path = folder / "kiosk.toml"
    path.write_text(
        f'[kiosk]\nstation = "{station}"\nthanks_seconds = 0.05\nretry_max_seconds = 0.2\n'
        f'[sync]\nserver = "{server}"\nbatch_size = 3\n',
        encoding="utf-8",
    )
    config = load_config(path, data_dir=folder / "data", environ={"FEEDBACK_KIOSK_TOKEN": token})
    settings = dataclasses.replace(load_kiosk_settings(config), retry_first_seconds=0.05)
    remote = dataclasses.replace(remote_settings(config), timeout=2.0)
    return KioskApp(config, settings=settings, clock=clock, remote=remote)


async def wait_for(pilot: Pilot, predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout} s for {predicate}")
        await pilot.pause(0.02)


def status(app: KioskApp) -> str:
    return str(app.idle.query_one("#status", Static).render())


async def tap(pilot: Pilot, app: KioskApp, key: str) -> None:
    """A met (2) or exceeded (3) answer, back to the idle screen."""
    await wait_for(pilot, lambda: app.screen is app.idle)
    before = app.current
    await pilot.press(key)
    await wait_for(pilot, lambda: app.current is not before and app.screen is app.idle)


async def unmet_visit(pilot: Pilot, app: KioskApp) -> None:
    """Fell short, the second reason, a manager now, no phone number."""
    await wait_for(pilot, lambda: app.screen is app.idle)
    await pilot.press("1")
    await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
    await pilot.press("2", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
    await pilot.press("1")
    await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen))
    app.go_idle()


def server_ratings(server: ServerProcess) -> dict[str, object]:
    return {rating.id: rating for rating in FeedbackStore(server.data).ratings()}


async def test_an_outage_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server")
    server.start()
    clock = Clock()
    front = remote_kiosk(tmp_path / "front", "Front", KIOSK_TOKEN, server.url, clock)
    side = remote_kiosk(tmp_path / "side", "Side", SIDE_TOKEN, server.url, clock)
    try:
        async with front.run_test(size=(80, 24)) as fp, side.run_test(size=(80, 24)) as sp:
            answered = [clock.advance(1)]
            await tap(fp, front, "2")
            await wait_for(fp, lambda: len(server_ratings(server)) == 1)
            assert status(front) == ""

            server.kill()
            answered.append(clock.advance(1))
            await unmet_visit(fp, front)
            answered.append(clock.advance(1))
            await tap(sp, side, "3")
            for key in "2323":
                answered.append(clock.advance(1))
                await tap(sp, side, key)
            answered.append(clock.advance(1))
            await tap(fp, front, "3")
            # The customer was thanked at once; staff see what waits; the kiosks keep retrying.
            await wait_for(fp, lambda: front.recorder.last_error is not None and side.recorder.last_error is not None)
            # below: record, reasons, manager now; then exceeded
            assert front.recorder.pending == 4 and status(front) == "● 4"
            assert side.recorder.pending == 5 and status(side) == "● 5"
            assert "cannot reach the server" in str(front.recorder.last_error)
            assert len(server_ratings(server)) == 1

            server.start()
            await wait_for(fp, lambda: front.recorder.pending == 0 and side.recorder.pending == 0)
            await wait_for(fp, lambda: status(front) == "" and status(side) == "")
            assert front.recorder.last_error is None and front.recorder.refused == 0
    finally:
        server.kill()

    kept = server_ratings(server)
    assert len(kept) == 8
    assert sorted(rating.ts for rating in kept.values()) == answered  # the customer's time, not the arrival
    by_station = {station: [r for r in kept.values() if r.station == station] for station in ("Front", "Side")}
    assert [r.outcome for r in sorted(by_station["Front"], key=lambda r: r.ts)] == [
        Outcome.MET,
        Outcome.BELOW,
        Outcome.EXCEEDED,
    ]
    assert len(by_station["Side"]) == 5
    (below,) = [r for r in kept.values() if r.outcome is Outcome.BELOW]
    assert below.reasons and below.customer_waiting
    assert all(r.received is not None and r.received > r.ts + timedelta(hours=4) for r in kept.values())
    for station_ratings in by_station.values():  # sent in the order given
        ordered = sorted(station_ratings, key=lambda r: r.ts)
        assert [r.received for r in ordered] == sorted(r.received for r in ordered)
    (followup,) = FeedbackStore(server.data).open_followups()
    assert followup.customer_waiting and followup.station == "Front"


async def test_a_wrong_token_keeps_answers_waiting_with_a_clear_problem(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server")
    server.start()
    clock = Clock()
    kiosk = remote_kiosk(tmp_path / "front", "Front", "not-the-token", server.url, clock)
    try:
        async with kiosk.run_test(size=(80, 24)) as pilot:
            await tap(pilot, kiosk, "2")
            await wait_for(pilot, lambda: kiosk.recorder.last_error is not None)
            assert "refused this kiosk's token" in str(kiosk.recorder.last_error)
            assert kiosk.recorder.pending == 1 and status(kiosk) == "● 1"
    finally:
        server.kill()
    assert server_ratings(server) == {}


def test_remote_settings_come_from_the_command_line_config_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[sync]\nserver = "https://feedback.example.com/"\n', encoding="utf-8")
    config = load_config(path, data_dir=tmp_path, environ={"FEEDBACK_KIOSK_TOKEN": "abc"})
    assert remote_settings(config) == RemoteSettings("https://feedback.example.com", "abc")
    token_file = tmp_path / "kiosk.token"
    token_file.write_text("xyz\n", encoding="utf-8")
    assert remote_settings(config, server="http://10.0.0.2:5000", token_file=str(token_file)).token == "xyz"
    from_file = load_config(path, data_dir=tmp_path, environ={"FEEDBACK_KIOSK_TOKEN_FILE": str(token_file)})
    assert remote_settings(from_file).token == "xyz"
    with pytest.raises(ConfigError, match="cannot read"):
        remote_settings(config, token_file=str(tmp_path / "missing.token"))
    assert remote_settings(load_config(None, data_dir=tmp_path, environ={})) is None
    with pytest.raises(ConfigError, match="needs its token"):
        remote_settings(load_config(path, data_dir=tmp_path, environ={}))
    with pytest.raises(ConfigError, match="must be a URL"):
        remote_settings(config, server="feedback.example.com")
    path.write_text('[sync]\nserver = "http://x"\ntimeout_seconds = "soon"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="timeout_seconds"):
        remote_settings(load_config(path, data_dir=tmp_path, environ={"FEEDBACK_KIOSK_TOKEN": "abc"}))
    path.write_text('[sync]\nserver = "http://x"\nbatch_size = 5000\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="batch_size"):
        remote_settings(load_config(path, data_dir=tmp_path, environ={"FEEDBACK_KIOSK_TOKEN": "abc"}))


def test_feedback_kiosk_without_a_token_says_what_is_missing(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "feedback", "kiosk", "--server", "http://127.0.0.1:9", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "FEEDBACK_KIOSK_TOKEN" in result.stderr


def test_batches_larger_than_the_servers_limit_are_halved_until_they_fit(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server", "[sync]\nmax_body_bytes = 3000\n")
    server.start()
    try:
        outbox = Outbox(tmp_path / "outbox")
        for _ in range(12):
            outbox.add(Operation.RECORD, rating())
        recorder = RemoteRecorder(RemoteSender(RemoteSettings(server.url, KIOSK_TOKEN, batch_size=50)), outbox)
        assert recorder.flush() == 0
        assert recorder.batch_size < 50 and recorder.last_error is None
        assert len(server_ratings(server)) == 12
    finally:
        server.kill()


def test_an_answer_the_server_refuses_is_set_aside_not_lost_and_the_rest_goes_on(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server")
    server.start()
    try:
        outbox = Outbox(tmp_path / "outbox")
        good, ahead, later = rating(), rating(ts=datetime.now(UTC) + timedelta(hours=2)), rating()
        for answer in (good, ahead, later):
            outbox.add(Operation.RECORD, answer)
        recorder = RemoteRecorder(RemoteSender(RemoteSettings(server.url, KIOSK_TOKEN)), outbox)
        assert recorder.flush() == 0 and recorder.refused == 1
        assert set(server_ratings(server)) == {good.id, later.id}
        (kept,) = orjson.loads((tmp_path / "outbox" / "refused.json").read_bytes())["entries"]
        assert kept["rating"]["id"] == ahead.id and "in the future" in kept["error"]
    finally:
        server.kill()
