"""Hostile text through the real server: recorded by the sync API and by SMS, then shown by a remote
console, and written out by ``feedback export --format csv`` and ``feedback report --format csv``."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sync_helpers import KIOSK_TOKEN, MANAGER_TOKEN, PUBLIC, ServerProcess, entry
from textual.pilot import Pilot
from textual.widgets import DataTable, Static
from twilio.request_validator import RequestValidator

from manager.app import ManagerApp
from manager.remote import RemoteSettings
from manager.screens.queue import QueueScreen
from shared.config import load_config
from shared.csv_safe import FORMULA_STARTS, NUMBER, PHONE
from shared.ratings import Channel, Outcome, Rating

pytestmark = pytest.mark.slow

FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1"]
MARKUP = ["1 too slow [/bold] really", "[link=https://evil]x[/link]", "[@click=app.quit]", "price was [too] high"]
SMS_AUTH_TOKEN = "t" * 32  # what ServerProcess gives the server


def send(server: ServerProcess, *ratings) -> None:
    body = orjson.dumps({"entries": [entry("record", r) for r in ratings]})
    request = urllib.request.Request(
        f"{server.url}/api/ratings", data=body, headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert {r["status"] for r in orjson.loads(response.read())["results"]} == {"stored"}


def text_in(server: ServerProcess, body: str, sid: str) -> int:
    """A customer's text, signed as Twilio signs it, to the real webhook."""
    params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": "+14155550199", "To": "+15005550006"}
    params["Body"] = body
    signature = RequestValidator(SMS_AUTH_TOKEN).compute_signature(f"{PUBLIC}/sms", params)
    request = urllib.request.Request(
        f"{server.url}/sms", data=urllib.parse.urlencode(params).encode(), headers={"X-Twilio-Signature": signature}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def rating(outcome: Outcome, **fields: object) -> Rating:
    ts = datetime.now(UTC) - timedelta(minutes=5)
    return Rating(id=str(uuid.uuid4()), ts=ts, channel=Channel.KIOSK, outcome=outcome, **fields)  # type: ignore[arg-type]


def hostile_ratings() -> list[Rating]:
    payloads = FORMULAS + MARKUP + ["name\rsplit", "line\nbreak", "\x1b[2J", "x" * 64, ""]
    made = [
        rating(Outcome.BELOW, station=p or "front", staff=p, comment=p, reasons=(p,) if p else (), shoutout=p)
        for p in payloads
    ]
    made.append(rating(Outcome.BELOW, station="front", reasons=("=cmd", "wait")))  # joined: "=cmd; wait"
    return made


def assert_every_cell_is_inert(rows: list[list[str]]) -> None:
    width = len(rows[0])
    for row in rows:
        assert len(row) == width, row
        for cell in row:
            start = cell.lstrip(" ")[:1]
            assert start not in FORMULA_STARTS or NUMBER.fullmatch(cell) or PHONE.fullmatch(cell), cell


def run(*args: str) -> str:
    """The command's output exactly as written (``text=True`` would turn a bare CR into a line feed)."""
    done = subprocess.run([sys.executable, "-m", "feedback", *args], capture_output=True, timeout=60, check=True)
    return done.stdout.decode("utf-8")


def test_payloads_recorded_through_the_server_leave_every_csv_cell_inert(server: ServerProcess) -> None:
    synced = hostile_ratings()
    send(server, *synced)
    assert text_in(server, '1 =HYPERLINK("http://evil") [/bold] really', "SM" + "1" * 32) == 200
    export = run("export", "--data", str(server.data), "--format", "csv")
    rows = list(csv.reader(io.StringIO(export.removeprefix("\ufeff"), newline="")))
    assert len(rows) == len(synced) + 2  # header, the synced ratings, the text
    assert_every_cell_is_inert(rows)
    column = rows[0].index
    stations = [row[column("station")] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil","x")' in stations and "name\rsplit" in stations
    assert "'=cmd; wait" in [row[column("reasons")] for row in rows[1:]]
    texted = [row for row in rows[1:] if row[column("channel")] == "sms"]
    assert texted and "[/bold] really" in texted[0][column("comment")]

    report = run("report", "--data", str(server.data), "--format", "csv")
    report_rows = list(csv.reader(io.StringIO(report, newline="")))
    assert_every_cell_is_inert(report_rows)
    stations = {row[1] for row in report_rows if row[0] == "station"}
    assert {"'+1+1", "'-2+3", "'@SUM(1)", "'\t=1", "'\r=1", "name\rsplit"} <= stations
    assert ["total", "", "answers", str(len(synced) + 1)] in report_rows


async def wait_for(pilot: Pilot, condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {timeout} s for {condition}"
        await pilot.pause(0.02)


async def test_a_remote_console_shows_hostile_text_literally(tmp_path: Path, server: ServerProcess) -> None:
    send(server, *(rating(Outcome.BELOW, station=p, staff=p, comment=p) for p in [*MARKUP, "\x1b[2J"]))
    assert text_in(server, "1 too slow [/bold] really", "SM" + "2" * 32) == 200
    config = load_config(None, data_dir=tmp_path / "console", environ={})
    app = ManagerApp(config, name="Dee", poll_seconds=0.05, remote=RemoteSettings(server.url, MANAGER_TOKEN, timeout=5))
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, QueueScreen) and app.screen.query_one(DataTable).row_count == 6
        )
        table = app.screen.query_one(DataTable)
        shown = {table.get_cell(key, "station").plain for key in table.rows}
        assert set(MARKUP) | {"␛[2J"} <= shown
        comments = {table.get_cell(key, "comment").plain for key in table.rows}
        assert any("too slow [/bold] really" in comment for comment in comments)
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.pause()
            assert "\x1b" not in app.screen.query_one("#details", Static).visual.plain  # type: ignore[union-attr]
        await pilot.press("s")
        await pilot.pause()
        assert app.is_running
