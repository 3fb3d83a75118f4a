"""What customers, kiosks and managers write is only text: in the console, the reports and the alerts.

Every value below is something a person can set (a comment by SMS, a station or staff name in a
kiosk's configuration, a manager's name or note). Each must show literally — markup as brackets,
escapes as visible stand-ins — and nothing may crash, quit, link or clear a screen.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from manager.app import ManagerApp
from manager.report import gather, render_html, render_text
from manager.screens.queue import QueueScreen
from manager.screens.stats import StatsScreen
from shared.config import load_config
from shared.followups import FollowUp
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.stats import Stats
from shared.store import FeedbackStore
from shared.text import printable
from sms.alerts import NEW, alert_text
from sms.settings import SmsConfig
from tests.clocks import FakeClock

MARKUP = [
    "[bold]",
    "1 too slow [/bold] really",
    "[/x]",
    "[link=https://evil]x[/link]",
    "[@click=app.quit]",
    "price was [too] high",
]
ESCAPES = ["\x1b[2J", "\x1b]8;;http://evil\x07link\x1b]8;;\x07", "bell\x07 nul\x00 cr\rx del\x7f rlo\u202eexe"]
HOSTILE = MARKUP + ESCAPES
LONG = "L" * 64  # the longest value every field accepts (a reason: 64; longer ones are refused on entry)
TERMINAL_ACTIONS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_ratings(now: datetime) -> list[Rating]:
    """One fell-short per payload, the payload everywhere a person can put it; plus a huge and an empty one."""
    ratings = []
    for number, payload in enumerate([*HOSTILE, LONG, ""]):
        ratings.append(
            Rating(
                id=f"h{number:03d}",
                ts=now - timedelta(minutes=number + 1),
                channel=Channel.SMS if number % 2 else Channel.KIOSK,
                outcome=Outcome.BELOW,
                station=payload,
                staff=payload,
                reasons=(payload,) if payload else (),
                comment=payload,
                shoutout=payload,
                contact=Contact("+15555550101") if number % 3 == 0 else None,
            )
        )
    return ratings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hostile_store(tmp_path: Path, clock: FakeClock) -> FeedbackStore:
    store = FeedbackStore(tmp_path / "data", clock=clock)
    for rating in hostile_ratings(clock.now):
        store.record_rating(rating, now=rating.ts)
    return store


def plain(widget: Static) -> str:
    return widget.visual.plain  # type: ignore[union-attr]


async def test_the_local_console_shows_every_hostile_text_literally(
    tmp_path: Path, hostile_store: FeedbackStore, clock: FakeClock
) -> None:
    config = load_config(None, data_dir=tmp_path / "data", environ={})
    app = ManagerApp(config, name="[bold]Dee[/x]\x1b[2J", clock=clock)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == len(HOSTILE) + 2
        shown_comments = [table.get_cell(f"fu-h{n:03d}", "comment").plain for n in range(len(HOSTILE))]
        shown_stations = [table.get_cell(f"fu-h{n:03d}", "station").plain for n in range(len(HOSTILE))]
        assert shown_stations == [printable(payload) for payload in HOSTILE]
        assert shown_comments[: len(MARKUP)] == MARKUP  # all short enough to show whole
        summary = plain(app.screen.query_one("#summary", Static))
        assert "you: [bold]Dee[/x]␛[2J" in summary
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.pause()
            details = plain(app.screen.query_one("#details", Static))
            assert not TERMINAL_ACTIONS.search(details)
        table.move_cursor(row=table.get_row_index("fu-h001"))
        await pilot.pause()
        assert "Comment: “1 too slow [/bold] really”" in plain(app.screen.query_one("#details", Static))
        await pilot.click(DataTable, offset=(60, 3))  # a click on the cells runs nothing ([@click=app.quit])
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen) and app.is_running
    assert app.return_code in (None, 0)


async def test_notifications_and_dialogs_show_names_literally(
    tmp_path: Path, hostile_store: FeedbackStore, clock: FakeClock
) -> None:
    config = load_config(None, data_dir=tmp_path / "data", environ={})
    app = ManagerApp(config, name="Dee", clock=clock)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        later = Rating(
            id="late",
            ts=clock.now,
            channel=Channel.SMS,
            outcome=Outcome.BELOW,
            station="[@click=app.quit]",
            staff="\x1b]8;;http://evil\x07",
        )
        hostile_store.record_rating(later, now=clock.now)
        app.poll_store()
        await pilot.pause()
        messages = [notification.message for notification in app._notifications]
        assert any("sms · [@click=app.quit] · ␛]8;;http://evil␇" in message for message in messages)
        await pilot.press("r")  # resolve: the dialog names the station
        await pilot.pause()
        await pilot.press("escape")
        await pilot.press("f")  # the filter lists every station
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running


# -- reports ---------------------------------------------------------------------


def report_stats(store: FeedbackStore, clock: FakeClock) -> Stats:
    day = clock.now.date()
    return gather(store, since=day, until=day, zone=UTC, now=clock.now, target=timedelta(minutes=15))


def test_the_text_report_prints_names_literally_and_no_escape(hostile_store: FeedbackStore, clock: FakeClock) -> None:
    text = render_text(report_stats(hostile_store, clock), business="[bold]Cafe\x1b[2J")
    assert not TERMINAL_ACTIONS.search(text)
    assert "Feedback report for [bold]Cafe␛[2J" in text
    for payload in MARKUP:
        assert f"  {payload}" in text
    assert "␛[2J" in text and "␛]8;;http://evil␇link" in text
    assert LONG in text


class TextOf(HTMLParser):
    """The text a browser would show, and every tag it would build."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_report_escapes_every_name(hostile_store: FeedbackStore, clock: FakeClock) -> None:
    extra = Rating(
        id="tags",
        ts=clock.now - timedelta(minutes=90),
        channel=Channel.KIOSK,
        outcome=Outcome.MET,
        station='<script>alert(1)</script>"><img src=x onerror=alert(2)>',
        staff="&amp; <b>",
        shoutout="</td></tr></table><svg onload=alert(3)>",
    )
    hostile_store.record_rating(extra, now=extra.ts)
    page = render_html(report_stats(hostile_store, clock), business="<i>Cafe</i>")
    parser = TextOf()
    parser.feed(page)
    assert set(parser.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "div", "b"} | {
        "table", "thead", "tbody", "tr", "th", "td", "svg", "rect", "text"
    }  # fmt: skip
    shown = "".join(parser.text)
    assert '<script>alert(1)</script>"><img src=x onerror=alert(2)>' in shown
    assert "&amp; <b>" in shown and "</td></tr></table><svg onload=alert(3)>" in shown
    assert "Feedback report for <i>Cafe</i>" in shown
    for payload in MARKUP:
        assert payload in shown
    assert not TERMINAL_ACTIONS.search(html.unescape(page))


# -- alerts ----------------------------------------------------------------------


@pytest.mark.parametrize("payload", HOSTILE)
def test_an_alert_text_carries_no_control_character(payload: str, clock: FakeClock) -> None:
    rating = Rating(
        id="SM" + "b" * 32,
        ts=clock.now,
        channel=Channel.SMS,
        outcome=Outcome.BELOW,
        station=payload,
        staff=payload,
        reasons=(payload,),
        comment=payload,
    )
    text = alert_text(SmsConfig(business_name="Cafe"), FollowUp.for_rating(rating, now=clock.now), NEW)
    assert not TERMINAL_ACTIONS.search(text)
    assert printable(payload) in text
