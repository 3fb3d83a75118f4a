"""Conversations through the real server: ``feedback sms`` under waitress on 127.0.0.1, texts signed
as Twilio signs them, alerts sent by the real twilio Client to a local fake of Twilio.

One server for the module (each test texts from its own number): a complaint is never undone by a
later friendly text, never lost by a change of answer, and every text that is no answer reaches a
person as a to-read item.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fake_twilio import FakeTwilio
from sms_helpers import ACCOUNT_SID, AUTH_TOKEN, SHOP_NUMBER, new_sid, sign
from test_end_to_end import read_port

from server.auth import token_hash
from shared.followups import FollowUp, FollowUpKind, FollowUpStatus, Resolution, short_ref
from shared.phones import mask_phone
from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore
from sms.settings import DEFAULT_TEXTS
from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://feedback.example.com"
MANAGER = "+14155550100"
KIOSK_TOKEN = "kiosk-front-token-for-conversation-tests-0123"
WRITTEN_COMPLAINT = "The staff were lovely but I waited 40 minutes for a coffee, which is ridiculous."

pytestmark = pytest.mark.slow

_numbers = itertools.count(101)


def texts(name: str) -> str:
    return DEFAULT_TEXTS[name].format(business="Corner Cafe")


@dataclass
class Server:
    url: str
    store: FeedbackStore
    twilio: FakeTwilio

    def text(self, sender: str, body: str, sid: str | None = None) -> str:
        """Text the server as ``sender``; return what it texts back ('' for nothing)."""
        params = {"MessageSid": sid or new_sid(), "AccountSid": ACCOUNT_SID, "From": sender, "To": SHOP_NUMBER}
        params["Body"] = body
        request = urllib.request.Request(
            f"{self.url}/sms",
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": sign(f"{PUBLIC}/sms", params)},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            answer = response.read().decode()
        start, end = answer.find("<Message>"), answer.find("</Message>")
        return "" if start < 0 else answer[start + len("<Message>") : end]

    def kiosk(self, op: str, rating: Rating) -> str:
        """Send one entry to ``POST /api/ratings`` as a kiosk does; return its status."""
        body = json.dumps({"entries": [{"op": op, "rating": rating.to_record()}]}).encode()
        request = urllib.request.Request(
            f"{self.url}/api/ratings",
            data=body,
            headers={"Authorization": f"Bearer {KIOSK_TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["results"][0]["status"]

    def queue_json(self) -> list[dict[str, object]]:
        request = urllib.request.Request(f"{self.url}/api/queue", headers={"Authorization": f"Bearer {MANAGER_TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["followups"]

    def followups_of(self, phone: str) -> list[FollowUp]:
        """Every follow-up and to-read item this number caused, oldest first."""
        return [f for f in self.store.followups() if f.contact is not None and f.contact.phone == phone]

    def alerts_for(self, followup_id: str) -> list[str]:
        ref = short_ref(followup_id)  # alerts name a follow-up by its short reference
        return [message.body for message in self.twilio.to(MANAGER) if ref in message.body]


MANAGER_TOKEN = "manager-conversation-tests-token-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("conversation-server")
    config = folder / "feedback.toml"
    config.write_text(
        'business_name = "Corner Cafe"\n[sms]\nquiet_hours = "off"\n'
        f'[alerts]\nmanagers = ["{MANAGER}"]\n'
        "[sync.clients]\n"
        f'front = {{ role = "kiosk", sha256 = "{token_hash(KIOSK_TOKEN)}" }}\n'
        f'dee = {{ role = "manager", sha256 = "{token_hash(MANAGER_TOKEN)}" }}\n',
        encoding="utf-8",
    )
    with FakeTwilio() as twilio:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(folder),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": SHOP_NUMBER,
            "TWILIO_API_BASE": twilio.url,  # test only: the real Client, a local Twilio
            "PUBLIC_URL": PUBLIC,
        }
        args = [sys.executable, "-m", "feedback", "sms", "--port", "0", "--data", str(folder / "data")]
        args += ["--config", str(config)]
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            port = read_port(process)
            yield Server(f"http://127.0.0.1:{port}", FeedbackStore(folder / "data"), twilio)
        finally:
            stop(process)


@pytest.fixture
def customer() -> str:
    """A number of its own for each test, so that conversations never meet."""
    return f"+1202555{next(_numbers):04d}"


def only_rating(server: Server, phone: str) -> Rating:
    [rating] = [r for r in server.store.ratings() if r.contact is not None and r.contact.phone == phone]
    return rating


def test_a_thumbs_up_after_a_complaint_keeps_it_open_and_does_not_contradict(server: Server, customer: str) -> None:
    assert server.text(customer, "1") == texts("ask_what_went_wrong")
    assert server.text(customer, "waited ages") == texts("comment_thanks")
    assert server.text(customer, "👍") == texts("still_looking")
    assert server.text(customer, "ok thanks") == texts("still_looking")
    rating = only_rating(server, customer)
    assert rating.outcome is Outcome.BELOW and rating.comment == "waited ages"
    [followup] = server.followups_of(customer)
    assert followup.status is FollowUpStatus.OPEN
    assert [words.text for words in followup.later] == ["👍", "ok thanks"]
    [queued] = [item for item in server.queue_json() if item["id"] == followup.id]
    assert [words["text"] for words in queued["later"]] == ["👍", "ok thanks"]  # remote consoles see them too


def test_fell_short_met_fell_short_leaves_an_open_follow_up_and_alerts_again(server: Server, customer: str) -> None:
    first = new_sid()
    server.text(customer, "1", sid=first)
    wait_for_alerts(server, f"fu-{first}", 1)
    assert server.text(customer, "2") == texts("thanks_met")  # a correction right after the first answer
    [closed] = server.followups_of(customer)
    assert closed.status is FollowUpStatus.RESOLVED and closed.resolution is Resolution.NO_ACTION_NEEDED
    assert server.text(customer, "1") == texts("ask_what_went_wrong")
    assert only_rating(server, customer).outcome is Outcome.BELOW
    [reopened] = server.followups_of(customer)
    assert reopened.status is FollowUpStatus.OPEN and reopened.flagged_at > reopened.created
    wait_for_alerts(server, f"fu-{first}", 2)  # the re-flag is alerted as a new flag is


def wait_for_alerts(server: Server, followup_id: str, count: int, timeout: float = 10.0) -> None:
    """The alerter watches the store from its own thread: poll the fake Twilio, within a deadline."""
    deadline = time.monotonic() + timeout
    while len(server.alerts_for(followup_id)) < count:
        assert time.monotonic() < deadline, f"{len(server.alerts_for(followup_id))} alert(s) for {followup_id}"
        time.sleep(0.02)


def test_a_bare_correction_right_after_the_answer_changes_it(server: Server, customer: str) -> None:
    server.text(customer, "1")
    assert server.text(customer, "3") == texts("thanks_exceeded")
    assert only_rating(server, customer).outcome is Outcome.EXCEEDED
    [followup] = server.followups_of(customer)
    assert followup.status is FollowUpStatus.RESOLVED


def test_after_a_comment_a_rating_no_longer_changes_the_answer(server: Server, customer: str) -> None:
    server.text(customer, "1")
    server.text(customer, "the coffee was cold")
    assert server.text(customer, "3") == texts("still_looking")
    rating = only_rating(server, customer)
    assert rating.outcome is Outcome.BELOW and rating.comment == "the coffee was cold"
    [followup] = server.followups_of(customer)
    assert followup.status is FollowUpStatus.OPEN and [words.text for words in followup.later] == ["3"]


def test_a_written_complaint_without_a_digit_reaches_a_person_at_once(server: Server, customer: str) -> None:
    sid = new_sid()
    assert server.text(customer, WRITTEN_COMPLAINT, sid=sid) == texts("comment_thanks")
    [item] = server.followups_of(customer)
    assert (item.id, item.kind, item.comment) == (f"tr-{sid}", FollowUpKind.TO_READ, WRITTEN_COMPLAINT)
    assert item.status is FollowUpStatus.OPEN and item.channel is Channel.SMS and item.rating_id == ""
    assert server.text(customer, WRITTEN_COMPLAINT, sid=sid) == texts("comment_thanks")  # Twilio retried
    assert server.text(customer, "it happened on Tuesday morning") == texts("comment_thanks")
    [item] = server.followups_of(customer)
    assert [words.text for words in item.later] == ["it happened on Tuesday morning"]
    [queued] = [q for q in server.queue_json() if q["id"] == item.id]
    assert queued["kind"] == "to_read" and queued["contact"] == {"masked": mask_phone(customer), "consent": True}
    assert server.alerts_for(item.id) == []  # the queue shows it; managers' phones are for fell shorts


def test_a_short_unclear_text_is_reasked_once_then_read_by_a_person(server: Server, customer: str) -> None:
    assert server.text(customer, "hmm") == texts("reask")
    assert server.followups_of(customer) == []
    assert server.text(customer, "what?") == texts("comment_thanks")
    [item] = server.followups_of(customer)
    assert item.is_to_read and item.comment == "what?"
    assert server.text(customer, "2") == texts("thanks_met")  # the answer still counts
    assert only_rating(server, customer).outcome is Outcome.MET


def test_a_to_read_item_sorts_after_every_fell_short(server: Server, customer: str) -> None:
    other = f"+1202555{next(_numbers):04d}"
    server.text(customer, WRITTEN_COMPLAINT)
    server.text(other, "1")
    kinds = [item["kind"] for item in server.queue_json()]
    assert "to_read" in kinds and kinds == sorted(kinds)  # every fell_short before any to_read


def test_rate_limited_texts_stay_silent_and_store_nothing(server: Server, customer: str) -> None:
    for _ in range(10):  # [sms] rate_limit_per_minute
        server.text(customer, "hmm")
    flood = new_sid()
    assert server.text(customer, WRITTEN_COMPLAINT, sid=flood) == ""
    assert f"tr-{flood}" not in {item.id for item in server.followups_of(customer)}


def kiosk_rating(outcome: Outcome, rating_id: str) -> Rating:
    return Rating(id=rating_id, ts=datetime.now(UTC), channel=Channel.KIOSK, outcome=outcome, station="Front")


def test_a_kiosk_update_below_met_below_leaves_an_open_follow_up(server: Server) -> None:
    rating_id = str(uuid.uuid4())
    assert server.kiosk("record", kiosk_rating(Outcome.BELOW, rating_id)) == "stored"
    wait_for_alerts(server, f"fu-{rating_id}", 1)
    assert server.kiosk("update", kiosk_rating(Outcome.MET, rating_id)) == "updated"
    assert server.store.get_followup(f"fu-{rating_id}").status is FollowUpStatus.RESOLVED
    assert server.kiosk("update", kiosk_rating(Outcome.BELOW, rating_id)) == "updated"
    followup = server.store.get_followup(f"fu-{rating_id}")
    assert followup.status is FollowUpStatus.OPEN
    assert f"fu-{rating_id}" in {item["id"] for item in server.queue_json()}
    wait_for_alerts(server, f"fu-{rating_id}", 2)
