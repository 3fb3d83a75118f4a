"""Who may do what, through the real server (``run_sms.py`` under waitress on 127.0.0.1): every role
against every endpoint, kiosks changing only their own answers, and revoking a token without a restart."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from calls import call
from sync_helpers import (
    KIOSK_TOKEN,
    MANAGER_TOKEN,
    SIDE_TOKEN,
    TILL_TOKEN,
    ServerProcess,
    bearer,
    entry,
    rating,
    wait_until,
)

from server.auth import token_hash
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore

pytestmark = pytest.mark.slow

CUSTOMER = "+14155550123"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("roles"), '[sms]\nquiet_hours = "off"\n')
    process.start()
    try:
        yield process
    finally:
        process.kill()


ACTIONS = ("claim", "resolve", "reopen", "escalate", "reveal")
ENDPOINTS = {
    "prompts": ("POST", "/api/prompts", {"phone": CUSTOMER, "staff": "Ana"}),
    "ratings": ("POST", "/api/ratings", {"entries": []}),
    "queue": ("GET", "/api/queue", None),
    "followups": ("GET", "/api/followups", None),
    "followup": ("GET", "/api/followups/fu-none", None),
    "stats": ("GET", "/api/stats?since=2026-11-01&until=2026-11-24", None),
    "spots": ("GET", "/api/spots?since=2026-11-24T12:00:00%2B00:00", None),
    **{action: ("POST", f"/api/followups/fu-none/{action}", {"by": "Dee"}) for action in ACTIONS},
}
ALLOWED = {
    "till": {"prompts"},
    "kiosk": {"ratings"},
    "manager": {"queue", "followups", "followup", "stats", "spots", *ACTIONS},
}
TOKENS = {"till": TILL_TOKEN, "kiosk": KIOSK_TOKEN, "manager": MANAGER_TOKEN}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", [*TOKENS, "none", "unknown"])
def test_every_role_against_every_endpoint(server: ServerProcess, role: str, endpoint: str) -> None:
    method, path, body = ENDPOINTS[endpoint]
    token = TOKENS.get(role, "" if role == "none" else "not-a-token-of-anyone")
    headers = bearer(token) if token else {}
    status, _ = call(server.url + path, method=method, json_body=body, headers=headers)
    if role in ("none", "unknown"):
        assert status == 401
    elif endpoint in ALLOWED[role]:
        assert status not in (401, 403)  # 404 for an unknown follow-up: the role was let in
    else:
        assert status == 403


def send(server: ServerProcess, token: str, *entries: dict) -> list[dict]:
    status, body = call(
        server.url + "/api/ratings", method="POST", json_body={"entries": list(entries)}, headers=bearer(token)
    )
    assert status == 200, body
    return body["results"]


def stored(server: ServerProcess, kept: Rating) -> Rating:
    found = FeedbackStore(server.data).get_rating(kept.id, around=kept.ts)
    assert found is not None
    return found


def test_a_kiosk_cannot_change_another_kiosks_answer(server: ServerProcess) -> None:
    """The attack of issue 11: another kiosk erased a customer's phone and comment and closed the follow-up."""
    answer = rating(Outcome.BELOW, comment="cold coffee", contact=Contact(phone=CUSTOMER, consent=True))
    assert send(server, KIOSK_TOKEN, entry("record", answer))[0]["status"] == "stored"
    erased = Rating(id=answer.id, ts=answer.ts, channel=Channel.KIOSK, outcome=Outcome.EXCEEDED, station="Front")
    [result] = send(server, SIDE_TOKEN, entry("update", erased))
    assert result["status"] == "error" and result["code"] == 403 and "not recorded by side" in result["error"]
    kept = stored(server, answer)
    assert (kept.outcome, kept.comment, kept.contact) == (Outcome.BELOW, "cold coffee", answer.contact)
    assert kept.extra["sync_client"] == "front"
    assert FeedbackStore(server.data).followup_of(kept).is_active
    # The same update folded behind a record of the same id in one batch is refused too.
    results = send(server, SIDE_TOKEN, entry("record", erased), entry("update", erased))
    assert [r["status"] for r in results] == ["duplicate", "error"] and results[1]["code"] == 403
    assert stored(server, answer).comment == "cold coffee"
    # Its own kiosk may still add to it.
    added = dataclasses.replace(answer, comment="cold coffee, and slow")
    assert send(server, KIOSK_TOKEN, entry("update", added))[0]["status"] == "updated"
    assert stored(server, answer).comment == "cold coffee, and slow"


def test_a_kiosk_cannot_claim_a_rating_by_sending_who_recorded_it(server: ServerProcess) -> None:
    mine = rating(extra={"sync_client": "front"})
    assert send(server, SIDE_TOKEN, entry("record", mine))[0]["status"] == "stored"
    assert stored(server, mine).extra["sync_client"] == "side"  # the server's word, not the kiosk's


def test_no_kiosk_can_change_an_sms_answer(server: ServerProcess) -> None:
    now = datetime.now(UTC) - timedelta(minutes=5)
    texted = Rating(
        id="sms-answer-1",
        ts=now,
        channel=Channel.SMS,
        outcome=Outcome.BELOW,
        contact=Contact(phone=CUSTOMER, consent=True),
    )
    FeedbackStore(server.data).record_rating(texted)
    as_kiosk = Rating(id=texted.id, ts=now, channel=Channel.KIOSK, outcome=Outcome.MET, station="Front")
    for token in (KIOSK_TOKEN, SIDE_TOKEN):
        [result] = send(server, token, entry("update", as_kiosk))
        assert result["status"] == "error" and result["code"] == 403 and "came by sms" in result["error"]
    kept = stored(server, texted)
    assert (kept.channel, kept.outcome, kept.contact) == (Channel.SMS, Outcome.BELOW, texted.contact)


def test_a_revoked_token_is_refused_without_a_restart(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    server.start()
    try:
        assert send(server, KIOSK_TOKEN, entry("record", rating()))[0]["status"] == "stored"
        text = server.config.read_text(encoding="utf-8")
        front = f'front = {{ role = "kiosk", sha256 = "{token_hash(KIOSK_TOKEN)}" }}\n'
        assert front in text
        new_token = "kiosk-porch-token-for-tests-only-0123456789"
        porch = f'porch = {{ role = "kiosk", sha256 = "{token_hash(new_token)}" }}\n'
        server.config.write_text(text.replace(front, porch), encoding="utf-8")
        ratings = {"entries": [entry("record", rating())]}

        def refused() -> bool:
            return (
                call(server.url + "/api/ratings", method="POST", json_body=ratings, headers=bearer(KIOSK_TOKEN))[0]
                == 401
            )

        wait_until(refused, timeout=5)
        assert send(server, new_token, entry("record", rating()))[0]["status"] == "stored"
        # A file broken while editing keeps the clients in force (and says why in the log).
        server.config.write_text(server.config.read_text(encoding="utf-8") + "porch = [", encoding="utf-8")
        assert send(server, new_token, entry("record", rating()))[0]["status"] == "stored"
        assert "cannot be read" in server.log.read_text(encoding="utf-8")
    finally:
        server.kill()
