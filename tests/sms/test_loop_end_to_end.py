"""Closing the loop through the real server (``run_sms.py`` under waitress) and the real twilio Client
against the local fake API: a staff view paired by its prompt, and "did we make it right?" with its answer."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fake_twilio import FakeTwilio
from sms_helpers import API_TOKEN, CUSTOMER
from test_end_to_end import MANAGER, ROOT, start_sms, text

from shared.check_backs import CheckBackStatus
from shared.followups import FollowUp, FollowUpStatus, Resolution
from shared.store import FeedbackStore
from sms.settings import DEFAULT_TEXTS
from tests.processes import stop

pytestmark = pytest.mark.slow

Server = tuple[str, Path, dict[str, str]]


@pytest.fixture
def start_server(tmp_path: Path, fake_twilio: FakeTwilio) -> Iterator[Callable[[str], Server]]:
    processes: list[subprocess.Popen[str]] = []

    def start(sms_settings: str = "") -> Server:
        process, base, data, env = start_sms(tmp_path, fake_twilio, sms_settings)
        processes.append(process)
        return base, data, env

    yield start
    for process in processes:
        assert "2025550143" not in stop(process), "a phone number was logged in clear"


def api(base: str, path: str, payload: dict[str, str]) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(
        f"{base}{path}",
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def report(data: Path, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "feedback", "report", "--data", str(data), "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_staff_view_on_a_prompt_pairs_with_the_texted_answer(
    start_server: Callable[[str], Server], fake_twilio: FakeTwilio
) -> None:
    base, data, env = start_server("")
    status, sent = api(
        base, "/api/prompts", {"phone": CUSTOMER, "staff": "Ana", "station": "Till 2", "staff_view": "exceeded"}
    )
    assert status == 201 and sent["interaction"].startswith("i-")
    [question] = fake_twilio.wait_for(1)
    assert question.body == DEFAULT_TEXTS["question"].format(business="Corner Cafe")  # never the staff's view
    assert text(base, "1 slow", "SM" + "a" * 32)[0] == 200

    perception = report(data, env)["perception"]
    assert perception["overall"]["pairs"] == 1  # type: ignore[index]
    assert perception["overall"]["staff"]["exceeded"]["share"] == 1.0  # type: ignore[index]
    assert perception["overall"]["customers"]["below"]["share"] == 1.0  # type: ignore[index]
    [surprise] = perception["surprises"]  # type: ignore[index]
    assert (surprise["staff"], surprise["staff_view"], surprise["station"]) == ("Ana", "exceeded", "Till 2")


def test_bad_staff_view_is_refused_and_nothing_is_texted(
    start_server: Callable[[str], Server], fake_twilio: FakeTwilio
) -> None:
    base, _, _ = start_server("")
    status, body = api(base, "/api/prompts", {"phone": CUSTOMER, "staff_view": "[bold]great"})
    assert status == 400 and "staff_view must be one of below, met, exceeded" in body["error"]
    status, body = api(base, "/api/interactions", {"station": "front", "staff_view": "met"})
    assert status == 201 and body["interaction"].startswith("i-")
    assert fake_twilio.messages == []


def test_check_back_after_resolving_and_a_no_reopens_with_an_alert(
    start_server: Callable[[str], Server], fake_twilio: FakeTwilio
) -> None:
    base, data, env = start_server("check_back_after_minutes = 0")
    assert text(base, "1", "SM" + "a" * 32)[0] == 200  # a walk-in fell short, with a consented number
    [alert] = fake_twilio.wait_for(1)
    assert alert.to == MANAGER
    store = FeedbackStore(data)  # the manager's console, another process on the same store
    [followup] = store.open_followups()
    store.resolve(followup.id, Resolution.RECOVERED, by="dee")

    messages = fake_twilio.wait_for(2, timeout=10)
    check_back = messages[1]
    assert check_back.to == CUSTOMER
    assert check_back.body == DEFAULT_TEXTS["check_back"].format(business="Corner Cafe")

    status, twiml = text(base, "no, still broken", "SM" + "b" * 32)
    assert status == 200 and "Sorry we have not put it right yet" in twiml
    reopened = store.get_followup(followup.id)
    assert reopened.status is FollowUpStatus.OPEN and reopened.flagged_at > followup.flagged_at
    assert [words.text for words in reopened.later] == ["Did we make it right? no, still broken"]
    again = fake_twilio.wait_for(3, timeout=10)[2]
    assert again.to == MANAGER and reopened.ref in again.body  # alerted as a new flag

    store.resolve(followup.id, Resolution.RECOVERED, by="dee")  # resolved again: the customer is not texted twice
    recovery = report(data, env)["recovery"]
    assert recovery["overall"]["asked"] == 1 and recovery["overall"]["made_right"]["share"] == 0.0  # type: ignore[index]
    [check] = store.check_backs(followup.created.date(), followup.created.date())
    assert check.status is CheckBackStatus.ANSWERED and check.answer == "below"


def resolved_walk_in(
    base: str, data: Path, fake_twilio: FakeTwilio, *, opt_out: bool = False
) -> tuple[FeedbackStore, FollowUp]:
    """A texted fell short (and, with ``opt_out``, a STOP), resolved by a manager's console on the same store."""
    text(base, "1", "SM" + "a" * 32)
    fake_twilio.wait_for(1)
    if opt_out:
        text(base, "STOP", "SM" + "b" * 32)
    store = FeedbackStore(data)
    [followup] = store.open_followups()
    return store, store.resolve(followup.id, Resolution.APOLOGISED, by="dee")


def test_yes_is_thanked_and_leaves_it_resolved(start_server: Callable[[str], Server], fake_twilio: FakeTwilio) -> None:
    base, data, _ = start_server("check_back_after_minutes = 0")
    store, followup = resolved_walk_in(base, data, fake_twilio)
    fake_twilio.wait_for(2, timeout=10)
    status, twiml = text(base, "Yes thanks", "SM" + "b" * 32)
    assert status == 200 and "glad we could put it right" in twiml
    assert store.get_followup(followup.id).status is FollowUpStatus.RESOLVED
    assert store.open_followups() == []


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the server did not get there in time"
        time.sleep(0.05)


def test_opted_out_number_is_never_checked_back(start_server: Callable[[str], Server], fake_twilio: FakeTwilio) -> None:
    base, data, _ = start_server("check_back_after_minutes = 0")
    store, followup = resolved_walk_in(base, data, fake_twilio, opt_out=True)
    day = followup.created.date()
    wait_until(lambda: [c.status for c in store.check_backs(day, day)] == [CheckBackStatus.SKIPPED])
    assert fake_twilio.to(CUSTOMER) == []


def test_no_check_back_when_switched_off(start_server: Callable[[str], Server], fake_twilio: FakeTwilio) -> None:
    base, data, _ = start_server("check_back = false\ncheck_back_after_minutes = 0")
    store, followup = resolved_walk_in(base, data, fake_twilio)
    status, _ = text(base, "2", "SM" + "c" * 32)  # a later text is read as ever, not as a check-back answer
    assert status == 200
    assert store.check_backs(followup.created.date(), followup.created.date()) == []
    assert [message.to for message in fake_twilio.messages] == [MANAGER]
