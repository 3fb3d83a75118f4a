"""The web queue in a real browser (Debian's Chromium under Playwright) against the real server: live
rows, claims seen from a second phone, resolving, hostile texts, a phone-sized screen, CSRF and lockout."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_helpers import DRIVE_THRU, PASSWORD, ROOT, WebServer

from shared.accounts import Action
from shared.audit import reveals
from shared.store import FeedbackStore

pytestmark = pytest.mark.slow

PHONE = {"width": 360, "height": 640}
# The README's screenshots: written into docs/ when FEEDBACK_SCREENSHOTS=1, else beside the test (taken either way).
DOCS = ROOT / "docs" if os.environ.get("FEEDBACK_SCREENSHOTS") == "1" else None


def log_in(browser: Any, server: WebServer, name: str, password: str = PASSWORD, **options: Any) -> Any:
    context = browser.new_context(viewport=PHONE, **options)
    context.set_default_timeout(5000)
    page = context.new_page()
    page.goto(f"{server.url}/manage/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/manage/$"))
    return page


def row(page: Any, words: str) -> Any:
    return page.locator("#queue li.row", has_text=words)


def store(server: WebServer) -> FeedbackStore:
    return FeedbackStore(server.data)


@pytest.fixture
def dee(browser: Any, server: WebServer) -> Iterator[Any]:
    page = log_in(browser, server, "Dee")
    yield page
    page.context.close()


@pytest.fixture
def eli(browser: Any, server: WebServer) -> Iterator[Any]:
    page = log_in(browser, server, "Eli")
    yield page
    page.context.close()


def expect_soon(condition: Any, seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.05)


def test_a_text_appears_without_reload_and_a_claim_shows_on_a_second_phone(
    server: WebServer, dee: Any, eli: Any
) -> None:
    dee.evaluate("window.notReloaded = true")
    sent = time.monotonic()
    assert server.text("1 waited ages")[0] == 200
    row(dee, "waited ages").wait_for(timeout=2000)
    row(eli, "waited ages").wait_for(timeout=2000)  # this one is on the poll fallback (live_streams = 1)
    assert time.monotonic() - sent < 2.0
    assert dee.evaluate("window.notReloaded") is True
    assert "min left" in row(dee, "waited ages").inner_text()

    # Eli opens it too, then Dee claims it first: Eli's page shows it, and Eli's late claim says who won.
    row(eli, "waited ages").get_by_role("link", name=re.compile("Open")).click()
    row(dee, "waited ages").get_by_role("button", name=re.compile("Claim")).click()
    dee.wait_for_url(re.compile(r"/manage/$"))
    assert "Claimed by Dee" in row(dee, "waited ages").inner_text()
    eli.get_by_role("button", name=re.compile("^Claim")).click()
    assert "already claimed by Dee" in eli.locator(".notices").inner_text()

    # A third phone, still on the queue, sees the claim without a reload.
    lou = log_in(eli.context.browser, server, "Lou")
    try:
        assert "Claimed by Dee" in row(lou, "waited ages").inner_text()
        assert server.text("1 the till was closed")[0] == 200
        row(lou, "till was closed").wait_for(timeout=2000)
        row(lou, "till was closed").get_by_role("button", name=re.compile("Claim")).click()
        # Lou claims from a list the page fetched live (rendered once for every page, Dee's too).
        expect_soon(lambda: "Claimed by Lou" in row(dee, "till was closed").inner_text(), seconds=3)
    finally:
        lou.context.close()
    events = [(event.account, event.action) for event in store(server).account_events()]
    assert ("Dee", Action.CLAIM) in events and ("Lou", Action.CLAIM) in events


def test_resolve_with_an_outcome_and_a_note_then_reopen(server: WebServer, dee: Any) -> None:
    assert server.text("1 cold coffee")[0] == 200
    row(dee, "cold coffee").wait_for(timeout=2000)
    row(dee, "cold coffee").get_by_role("link", name=re.compile("Open")).click()
    dee.get_by_label("Apologised").check()
    dee.get_by_label("Note (optional)").fill("Called, offered a free coffee")
    dee.get_by_role("button", name=re.compile("^Resolve")).click()
    dee.wait_for_url(re.compile(r"/manage/$"))
    assert "is resolved" in dee.locator(".notices").inner_text()
    assert row(dee, "cold coffee").count() == 0

    dee.get_by_role("link", name="Resolved").click()
    done = dee.locator("li.row", has_text="cold coffee")
    assert "apologised · by Dee" in done.inner_text() and "free coffee" in done.inner_text()
    done.get_by_role("button", name=re.compile("Reopen")).click()
    assert "is open again" in dee.locator(".notices").inner_text()
    dee.get_by_role("link", name="Queue").click()
    assert row(dee, "cold coffee").count() == 1


def test_revealing_the_number_asks_first_records_who_and_offers_a_call(server: WebServer, dee: Any) -> None:
    assert server.text("1 nobody answered the phone", sender="+12025550187")[0] == 200
    row(dee, "nobody answered").wait_for(timeout=2000)
    row(dee, "nobody answered").get_by_role("link", name=re.compile("Open")).click()
    assert "2025550187" not in dee.content()
    dee.get_by_role("link", name="Show number to call").click()
    assert "recorded with your name" in dee.content() and "2025550187" not in dee.content()
    dee.get_by_role("button", name="Show the number").click()
    assert dee.get_by_role("link", name=re.compile("Call")).get_attribute("href") == "tel:+12025550187"
    assert [reveal.by for reveal in reveals(store(server))] == ["Dee"]


HOSTILE = (
    '1 <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    "<b>bold</b> {{ 7*7 }} [bold]x[/bold] \x1b[2J"
)


def test_customer_html_and_script_show_as_text(server: WebServer, dee: Any) -> None:
    assert server.text(HOSTILE)[0] == 200
    hostile = row(dee, "window.pwned")
    hostile.wait_for(timeout=2000)
    shown = hostile.locator(".comment").inner_text()
    assert "<script>window.pwned = 1</script>" in shown and "<b>bold</b>" in shown and "{{ 7*7 }}" in shown
    assert "␛[2J" in shown
    assert hostile.locator("script, img, b").count() == 0
    hostile.get_by_role("link", name=re.compile("Open")).click()
    assert "<img src=x" in dee.locator(".comment").inner_text()
    assert dee.evaluate("window.pwned") is None


SMALL_TARGETS = """() => [...document.querySelectorAll('button, a, input, select, textarea, label.choice')]
  .filter((e) => !e.closest('.skip') && e.offsetParent !== null)
  .filter((e) => e.matches('label.choice') || !e.closest('label.choice'))  // a radio's target is its label
  .filter((e) => { const box = e.getBoundingClientRect(); return box.height < 44 || box.width < 44; })
  .map((e) => e.outerHTML.slice(0, 80))"""


def scrolls_sideways(page: Any) -> bool:
    page.wait_for_load_state("load")  # measured with the stylesheet applied
    return bool(page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"))


def test_a_phone_screen_never_scrolls_sideways(server: WebServer, browser: Any, tmp_path: Path) -> None:
    shots = DOCS or tmp_path
    assert server.text("1 " + "long" * 120 + " the queue was out of the door")[0] == 200
    assert server.text("I had called twice before I came in", sender="+12025550187")[0] == 200  # later words
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/manage/")
        assert not scrolls_sideways(page)
        page.screenshot(path=str(shots / "web-login.png"))
        page.get_by_label("Name").fill("Dee")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        row(page, "out of the door").wait_for(timeout=2000)
        assert not scrolls_sideways(page)
        assert page.evaluate(SMALL_TARGETS) == []  # every control a thumb can hit: 44 px at least
        page.screenshot(path=str(shots / "web-queue.png"))
        row(page, "out of the door").get_by_role("link", name=re.compile("Open")).click()
        assert not scrolls_sideways(page)
        assert page.evaluate(SMALL_TARGETS) == []
        page.go_back()
        row(page, "nobody answered").get_by_role("link", name=re.compile("Open")).click()
        page.wait_for_load_state("load")
        page.screenshot(path=str(shots / "web-followup.png"), full_page=True)
        for name in ("Resolved", "Today"):
            page.get_by_role("link", name=name).click()
            assert not scrolls_sideways(page), name
        page.screenshot(path=str(shots / "web-today.png"), full_page=True)
    finally:
        context.close()


def test_a_change_without_the_pages_csrf_token_is_refused(server: WebServer, dee: Any) -> None:
    assert server.text("1 rude at the desk")[0] == 200
    row(dee, "rude at the desk").wait_for(timeout=2000)
    followup_id = row(dee, "rude at the desk").get_attribute("data-id")
    claim = f"{server.url}/manage/f/{followup_id}/claim"
    for form in ({}, {"csrf": "guessed"}):
        refused = dee.context.request.post(claim, form=form, max_redirects=0)  # the session cookie goes along
        assert refused.status == 403 and "did not come from this site" in refused.text()
    assert store(server).get_followup(followup_id).claimed_by == ""
    stranger = dee.context.browser.new_context()
    try:
        assert stranger.request.post(claim, form={}, max_redirects=0).status == 401
        login = stranger.request.post(f"{server.url}/manage/login", form={"name": "Dee", "password": PASSWORD})
        assert login.status == 403  # no login token: a page elsewhere cannot log a phone in
    finally:
        stranger.close()


def test_logging_out_ends_the_session_for_good(server: WebServer, browser: Any) -> None:
    page = log_in(browser, server, "Eli")
    try:
        [cookie] = [c for c in page.context.cookies() if c["name"] == "feedback_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/manage"
        page.get_by_role("button", name=re.compile("Log out")).click()
        page.wait_for_url(re.compile(r"/manage/login$"))
        page.context.add_cookies([cookie])  # the old token, kept by someone
        page.goto(f"{server.url}/manage/")
        assert page.url.endswith("/manage/login")
    finally:
        page.context.close()
    assert ("Eli", Action.LOGOUT) in [(e.account, e.action) for e in store(server).account_events()]


def test_repeated_wrong_passwords_lock_the_account_until_the_owner_sets_a_new_one(
    server: WebServer, browser: Any
) -> None:
    server.add_account("Max", PASSWORD)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/manage/login")
        for _ in range(2):
            page.get_by_label("Name").fill("Max")
            page.get_by_label("Password").fill("not the password")
            page.get_by_role("button", name="Log in").click()
            assert "Wrong name or password" in page.get_by_role("alert").inner_text()
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        assert "locked" in page.get_by_role("alert").inner_text()
        page.get_by_label("Password").fill(PASSWORD)  # the right one no longer helps
        page.get_by_role("button", name="Log in").click()
        assert "locked" in page.get_by_role("alert").inner_text()
        listed = server.feedback("account", "list").stdout
        assert re.search(r"^Max  locked until", listed, re.MULTILINE)

        server.add_account("Max", "a brand new passphrase")
        page.get_by_label("Password").fill("a brand new passphrase")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/manage/$"))
    finally:
        context.close()
    actions = [e.action for e in store(server).account_events() if e.account == "Max"]
    assert actions.count(Action.LOGIN_FAILED) == 4 and Action.LOCKED in actions and actions[-1] is Action.LOGIN


def test_claim_and_resolve_work_without_javascript(server: WebServer, browser: Any) -> None:
    page = log_in(browser, server, "Dee", java_script_enabled=False)
    try:
        assert server.text("1 no javascript here")[0] == 200

        def shown_after_reload() -> bool:
            page.reload()
            return row(page, "no javascript here").count() == 1

        expect_soon(shown_after_reload)
        row(page, "no javascript here").get_by_role("button", name=re.compile("Claim")).click()
        assert "Claimed by Dee" in row(page, "no javascript here").inner_text()
        row(page, "no javascript here").get_by_role("link", name=re.compile("Open")).click()
        page.get_by_label("Recovered").check()
        page.get_by_role("button", name=re.compile("^Resolve")).click()
        assert "is resolved" in page.locator(".notices").inner_text()
    finally:
        page.context.close()


def test_a_station_filter_shows_only_its_follow_ups_and_today_counts_the_day(server: WebServer, dee: Any) -> None:
    assert server.text("1 cold fries at the window", to=DRIVE_THRU)[0] == 200
    assert server.text("1 no napkins in the bag")[0] == 200
    row(dee, "cold fries").wait_for(timeout=2000)
    row(dee, "no napkins").wait_for(timeout=2000)
    assert "Drive-thru" in row(dee, "cold fries").inner_text()
    dee.reload()  # the station list is made with the page
    dee.get_by_label("Station").select_option("Drive-thru")
    dee.get_by_role("button", name="Show").click()
    dee.wait_for_url(re.compile(r"station=Drive-thru"))
    assert row(dee, "cold fries").count() == 1 and row(dee, "no napkins").count() == 0
    assert server.text("1 slow at the window again", to=DRIVE_THRU)[0] == 200
    assert server.text("1 wrong order at the counter")[0] == 200
    row(dee, "slow at the window").wait_for(timeout=2000)  # live, and still filtered
    assert row(dee, "wrong order").count() == 0

    dee.get_by_role("link", name="Today").click()
    figures = dict(
        (cells[0], cells[1])
        for cells in (line.split("\t") for line in dee.locator("table.figures").first.inner_text().splitlines())
        if len(cells) == 2
    )
    every_answer = list(store(server).ratings())  # all of them today (UTC, the shop's time zone here)
    assert figures["Answers"] == str(len(every_answer)) and int(figures["Fell short"]) >= 4
