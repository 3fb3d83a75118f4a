"""The console without rough edges: labels, short references, safe dialogs, hidden numbers, readable figures.

Every test drives the real app under Pilot on a real data directory and reads what is painted.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static
from textual.widgets._toast import Toast

from manager.app import ManagerApp
from manager.rows import QueueFilter, find_by_ref
from manager.screens.confirm import ConfirmScreen
from manager.screens.stats import StatsScreen
from shared.config import Config, load_config
from shared.followups import FollowUp, FollowUpStatus, Resolution
from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore

from .conftest import FakeClock, Seed
from .test_queue_app import cell, queue_screen, row_ids, wait_for

HOSTILE = "1 too slow [/bold] really [@click=app.quit]quit[/] [link=http://x]"


def painted(widget: Widget) -> str:
    """The text a widget shows on screen, line by line."""
    region = Region(0, 0, widget.size.width, widget.size.height)
    return "\n".join(strip.text for strip in widget.render_lines(region))


def details_text(app: ManagerApp) -> str:
    """The detail panel's text as it renders (its height follows at the next layout)."""
    return str(queue_screen(app).query_one("#details", Static).render())


def shop_config(tmp_path: Path, toml: str) -> Config:
    path = tmp_path / "feedback.toml"
    path.write_text(toml, encoding="utf-8")
    return load_config(path, data_dir=tmp_path / "data", environ={})


# -- reason labels -----------------------------------------------------------------------


async def test_reasons_show_as_the_shops_labels_in_rows_panel_and_statistics(tmp_path: Path, clock: FakeClock) -> None:
    config = shop_config(tmp_path, '[kiosk]\nreasons = { wait_time = "Queue too long", price = "Price" }\n')
    store = FeedbackStore(config.data_dir, clock=clock)
    store.record_rating(
        Rating(id="x", ts=clock.now, outcome=Outcome.BELOW, channel=Channel.KIOSK, reasons=("wait_time", "old_key"))
    )
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert cell(app, "fu-x", "reasons") == "Queue too long, Old key"
        assert "Reasons: Queue too long, Old key" in details_text(app)
        await pilot.press("s")
        await pilot.pause()
        reasons = painted(app.screen.query_one("#reasons", Static))
        assert "Queue too long" in reasons and "Old key" in reasons and "wait_time" not in reasons


# -- short references ----------------------------------------------------------------------


async def test_rows_and_panel_show_the_short_reference_and_find_takes_it_in_any_case(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    for name in ("a", "b", "c"):
        seed(id=name, ago=timedelta(minutes={"a": 1, "b": 2, "c": 3}[name]))
    wanted = store.get_followup("fu-a")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert cell(app, "fu-a", "ref") == wanted.ref and len(wanted.ref) == 5
        assert row_ids(app)[0] != "fu-a"  # the most urgent is selected first
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*wanted.ref[1:].lower(), "enter")
        await pilot.pause()
        assert queue_screen(app).selected().id == "fu-a"
        assert details_text(app).startswith(wanted.ref)
        queue_screen(app).queue_filter = QueueFilter(station="elsewhere")  # hides it: finding clears the filter
        await pilot.press("number_sign", *wanted.ref[1:], "enter")
        await pilot.pause()
        assert queue_screen(app).queue_filter == QueueFilter() and queue_screen(app).selected().id == "fu-a"


async def test_find_reaches_into_the_resolved_list_and_says_when_nothing_matches(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="open-one")
    seed(id="done")
    store.resolve("fu-done", Resolution.RECOVERED, by="bob")
    done = store.get_followup("fu-done")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = queue_screen(app)
        screen.find(done.ref)
        await pilot.pause()
        assert screen.show_resolved and screen.selected().id == "fu-done"
        screen.find("#ZZZZZ")
        await pilot.pause()
        assert screen.show_resolved and screen.selected().id == "fu-done"  # the view stays
        assert any("No follow-up #ZZZZZ" in n.message for n in app._notifications)
        screen.find(store.get_followup("fu-open-one").ref)
        await pilot.pause()
        assert not screen.show_resolved and screen.selected().id == "fu-open-one"


# -- the resolve dialog ----------------------------------------------------------------------


async def test_the_resolve_note_survives_tab_and_coming_back_to_it(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r", "1", *"gave a voucher")
        await pilot.press("tab", "tab")  # to the buttons and on
        await pilot.press("shift+tab", "shift+tab", "shift+tab")  # back to the choices, which are kept
        await pilot.press("2")  # a new choice puts the cursor back after the note
        await pilot.press(*" and coffee", "tab")
        assert app.focused is not None and app.focused.id == "resolve"
        await pilot.press("enter")
        await pilot.pause()
        resolved = store.get_followup("fu-x")
        assert (resolved.resolution, resolved.note) == (Resolution.APOLOGISED, "gave a voucher and coffee")


# -- reopening -----------------------------------------------------------------------------


async def test_reopen_asks_first_and_no_leaves_it_resolved(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x")
    store.resolve("fu-x", Resolution.RECOVERED, by="bob")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("h")
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert store.get_followup("fu-x").ref in painted(app.screen.query_one(".question", Static))
        await pilot.press("n")
        await pilot.pause()
        assert store.get_followup("fu-x").status is FollowUpStatus.RESOLVED


# -- the resolved list -----------------------------------------------------------------------


async def test_the_resolved_list_has_headers_for_resolved_items(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x")
    store.claim("fu-x", "bob")
    clock.advance(minutes=5)
    store.resolve("fu-x", Resolution.COULD_NOT_REACH, by="bob")
    clock.advance(minutes=7)
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = queue_screen(app).query_one(DataTable)
        assert "Time left" in painted(table).splitlines()[0]
        await pilot.press("h")
        await pilot.pause()
        header = painted(table).splitlines()[0]
        assert "Time left" not in header
        assert all(word in header for word in ("Resolved", "Outcome", "By"))
        assert (cell(app, "fu-x", "left"), cell(app, "fu-x", "outcome"), cell(app, "fu-x", "claimed")) == (
            "7 min ago",
            "could not reach",
            "bob",
        )
        await pilot.press("h")
        await pilot.pause()
        assert "Time left" in painted(table).splitlines()[0]


# -- notifications ---------------------------------------------------------------------------


async def test_notifications_leave_the_detail_panel_uncovered(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x", comment="the panel must stay readable")
    app = ManagerApp(config, name="ann", clock=clock, poll_seconds=0.05)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await pilot.pause()
        seed(id="y")
        seed(id="z", customer_waiting=True)
        await wait_for(pilot, lambda: len(list(app.screen.query(Toast))) >= 2)
        await pilot.pause()
        panel = queue_screen(app).query_one("#details", Static).region
        for toast in app.screen.query(Toast):
            assert not toast.region.overlaps(panel), (toast.region, panel)


# -- revealed numbers ------------------------------------------------------------------------


async def reveal(pilot, app: ManagerApp, followup_id: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("v")
    await pilot.pause()
    await pilot.press("y")
    await pilot.pause()
    assert cell(app, followup_id, "phone").startswith("+1555")


async def test_a_revealed_number_is_masked_again_when_the_selection_moves(
    config: Config, clock: FakeClock, seed: Seed
) -> None:
    seed(id="x", phone="+15555550177", customer_waiting=True)
    seed(id="y", phone="+15555550188")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await reveal(pilot, app, "fu-x")
        assert "+15555550177" in details_text(app)
        await pilot.press("down")
        await pilot.pause()
        assert "+15555550177" not in cell(app, "fu-x", "phone")
        await pilot.press("up")
        await pilot.pause()
        assert "+15555550177" not in cell(app, "fu-x", "phone") and "+15555550177" not in details_text(app)


async def test_a_revealed_number_is_masked_again_after_a_minute_and_when_the_screen_changes(
    config: Config, clock: FakeClock, seed: Seed
) -> None:
    seed(id="x", phone="+15555550177")
    app = ManagerApp(config, name="ann", clock=clock, tick_seconds=0.05)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await reveal(pilot, app, "fu-x")
        clock.advance(seconds=30)
        await pilot.pause(0.2)
        assert cell(app, "fu-x", "phone") == "+15555550177"
        clock.advance(seconds=31)
        await wait_for(pilot, lambda: "+15555550177" not in cell(app, "fu-x", "phone"))
        await reveal(pilot, app, "fu-x")
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert "+15555550177" not in cell(app, "fu-x", "phone")


# -- statistics at 120 columns ---------------------------------------------------------------


async def test_statistics_headers_are_whole_at_120_columns(config: Config, clock: FakeClock, seed: Seed) -> None:
    for index, station in enumerate(("Front desk by the entrance", "drive-in", "back")):
        seed(id=f"s{index}", station=station, staff="Christopher", outcome="below" if index else "met")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        headers = [painted(group).splitlines()[0] for group in app.screen.query(".group")]
        assert [header.split()[0] for header in headers] == ["Fell", "Channel", "Station", "Staff"]
        for header in headers:
            assert "…" not in header, header
        assert all(word in " ".join(headers) for word in ("count", "answers", "short", "met+"))


# -- hostile strings -------------------------------------------------------------------------


async def test_markup_typed_by_people_shows_literally_everywhere(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = shop_config(tmp_path, '[kiosk]\nreasons = { "[b]" = "[/bold] slow", other = "[@click=app.quit]x" }\n')
    store = FeedbackStore(config.data_dir, clock=clock)
    store.record_rating(
        Rating(
            id="x",
            ts=clock.now,
            outcome=Outcome.BELOW,
            channel=Channel.KIOSK,
            station="[red]till[/]",
            staff="[@click=app.quit]Ana",
            reasons=("[b]", "other"),
            comment=HOSTILE,
        )
    )
    store.claim("fu-x", "[/]dee")
    app = ManagerApp(config, name="[bold]ann", clock=clock, poll_seconds=0.05)
    async with app.run_test(size=(200, 48)) as pilot:
        await pilot.pause()
        panel = details_text(app)
        for text in ("[red]till[/]", "[@click=app.quit]Ana", "[/bold] slow, [@click=app.quit]x", HOSTILE):
            assert text in panel, text
        rows = painted(queue_screen(app).query_one(DataTable))
        assert "[red]till[/]" in rows and "[/]dee" in rows and "[/bold] slow" in rows
        assert "[bold]ann" in painted(queue_screen(app).query_one("#summary", Static))
        await pilot.press("o")  # a dialog naming the claimer
        await pilot.pause()
        assert "[/]dee" in painted(app.screen.query_one(".question", Static))
        await pilot.press("n", "f")  # the filter dialog lists the station
        await pilot.pause()
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        assert str(app.screen.query_one("#station").query_one("#label", Static).render()) == "[red]till[/]"
        await pilot.press("escape", "escape")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert "[/bold] slow" in painted(app.screen.query_one(".question", Static))
        await pilot.press("1", *HOSTILE[:20], "enter")
        await pilot.pause()
        store.record_rating(
            Rating(id="y", ts=clock.now, outcome=Outcome.BELOW, channel=Channel.KIOSK, station="[/x]", staff="[b")
        )  # its announcement must not crash either
        await wait_for(pilot, lambda: "fu-y" in row_ids(app))
        await pilot.press("s")
        await pilot.pause()
        stats = "\n".join(painted(group) for group in app.screen.query(".group"))
        assert "[red]till[/]" in stats and "[@click=app.quit]Ana" in stats and "[/bold] slow" in stats
        assert app.is_running
    assert store.get_followup("fu-x").note == HOSTILE[:20].strip()


async def test_the_find_dialog_closes_on_escape(config: Config, clock: FakeClock, seed: Seed) -> None:
    seed(id="x")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("number_sign")
        await pilot.pause()
        assert isinstance(app.screen.query_one("#ref", Input), Input)
        await pilot.press("escape")
        await pilot.pause()
        assert queue_screen(app) is app.screen


def test_a_reference_is_found_however_it_is_typed(clock: FakeClock) -> None:
    items = [
        FollowUp.for_rating(Rating(id=f"r{n}", ts=clock.now, outcome=Outcome.BELOW, channel=Channel.SMS), now=clock.now)
        for n in range(50)
    ]
    wanted = items[17]
    assert len({item.ref for item in items}) == 50 and all(len(item.ref) == 5 for item in items)
    mangled = wanted.ref.lower().replace("0", "o").replace("1", "l")
    for typed in (wanted.ref, wanted.ref[1:], f"  {wanted.ref.lower()} ", mangled):
        assert find_by_ref(items, typed) == [wanted], typed
    assert find_by_ref(items, "#") == [] and find_by_ref(items, "") == []
