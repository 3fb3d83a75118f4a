"""POST /api/prompts: a till asks for the question to be texted, with the rules enforced."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fake_twilio import FakeTwilio
from flask.testing import FlaskClient
from sms_helpers import API_TOKEN, CUSTOMER, SHOP_NUMBER, Clock, write_config

from server.app import create_app
from server.auth import token_hash
from shared.store import FeedbackStore
from sms.records import SmsRecords
from sms.settings import DEFAULT_TEXTS

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def test_prompt_is_sent_through_twilio_with_a_status_callback(
    client: FlaskClient, fake_twilio: FakeTwilio, store: FeedbackStore
) -> None:
    response = client.post("/api/prompts", json={"phone": "(202) 555-0143", "staff": "Ana"}, headers=AUTH)
    assert response.status_code == 201, response.json
    [sent] = fake_twilio.messages
    assert (sent.to, sent.from_, sent.auth_user) == (CUSTOMER, SHOP_NUMBER, "AC" + "0" * 32)
    assert sent.body == DEFAULT_TEXTS["question"].format(business="Corner Cafe")
    assert sent.status_callback == "https://feedback.example.com/sms/status"
    with store.transaction() as tx:
        conversation = SmsRecords(tx).conversation(CUSTOMER)
    assert conversation is not None and conversation.staff == "Ana" and conversation.prompt_sid == sent.sid


def test_api_needs_the_token(client: FlaskClient, fake_twilio: FakeTwilio) -> None:
    assert client.post("/api/prompts", json={"phone": CUSTOMER}).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/api/prompts", json={"phone": CUSTOMER}, headers=wrong).status_code == 401
    assert fake_twilio.messages == []


def test_cooling_off_then_allowed_again(client: FlaskClient, fake_twilio: FakeTwilio, clock: Clock) -> None:
    assert client.post("/api/prompts", json={"phone": CUSTOMER}, headers=AUTH).status_code == 201
    clock.advance(hours=23)
    again = client.post("/api/prompts", json={"phone": CUSTOMER}, headers=AUTH)
    assert (again.status_code, again.json["reason"]) == (409, "cooling_off")
    clock.advance(hours=1)
    assert client.post("/api/prompts", json={"phone": CUSTOMER}, headers=AUTH).status_code == 201
    assert len(fake_twilio.messages) == 2


def test_quiet_hours_are_respected(client: FlaskClient, fake_twilio: FakeTwilio, clock: Clock) -> None:
    clock.advance(hours=10)  # 22:00 UTC, the shop's zone
    response = client.post("/api/prompts", json={"phone": CUSTOMER}, headers=AUTH)
    assert (response.status_code, response.json["reason"]) == (409, "quiet_hours")
    assert fake_twilio.messages == []


def test_number_opted_out_upstream_is_recorded_on_send(
    client: FlaskClient, fake_twilio: FakeTwilio, store: FeedbackStore, clock: Clock
) -> None:
    fake_twilio.opted_out.add(CUSTOMER)
    response = client.post("/api/prompts", json={"phone": CUSTOMER}, headers=AUTH)
    assert (response.status_code, response.json["reason"]) == (409, "opted_out")
    with store.transaction() as tx:
        assert SmsRecords(tx).is_opted_out(CUSTOMER)
    fake_twilio.opted_out.clear()
    clock.advance(days=2)
    assert client.post("/api/prompts", json={"phone": CUSTOMER}, headers=AUTH).json["reason"] == "opted_out"


def test_bad_requests_are_explained(client: FlaskClient) -> None:
    assert client.post("/api/prompts", data="x", headers=AUTH).status_code == 400
    assert client.post("/api/prompts", json={"phone": "12"}, headers=AUTH).status_code == 422
    assert client.post("/api/prompts", json={"phone": CUSTOMER, "staff": 3}, headers=AUTH).status_code == 400


def test_a_failed_send_frees_the_number(client: FlaskClient, fake_twilio: FakeTwilio, store: FeedbackStore) -> None:
    fake_twilio.stop()  # Twilio unreachable
    response = client.post("/api/prompts", json={"phone": CUSTOMER}, headers=AUTH)
    assert response.status_code == 502 and "could not reach Twilio" in response.json["error"]
    with store.transaction() as tx:
        records = SmsRecords(tx)
        assert records.last_prompted(CUSTOMER) is None and records.conversation(CUSTOMER) is None


def test_each_till_has_its_own_token_and_other_roles_are_refused(
    tmp_path: Path, twilio_env: dict[str, str], fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    till, kiosk = "till-two-own-token-0123456789", "kiosk-front-token-0123456789"
    toml = (
        '[sms]\nquiet_hours = "off"\n'  # the wall clock decides here: no prompt may depend on the hour
        f'[sync.clients]\ntill2 = {{ role = "till", sha256 = "{token_hash(till)}" }}\n'
        f'front = {{ role = "kiosk", sha256 = "{token_hash(kiosk)}" }}\n'
    )
    with caplog.at_level(logging.WARNING, logger="server.auth"):
        shared_token = create_app(write_config(tmp_path / "old", toml, **twilio_env)).test_client()
    assert "FEEDBACK_API_TOKEN is deprecated" in caplog.text
    client = create_app(write_config(tmp_path, toml, FEEDBACK_API_TOKEN="", **twilio_env)).test_client()
    refused = client.post("/api/prompts", json={"phone": CUSTOMER}, headers={"Authorization": f"Bearer {kiosk}"})
    assert refused.status_code == 403 and "needs till" in refused.json["error"]
    assert client.post("/api/prompts", json={"phone": CUSTOMER}, headers=AUTH).status_code == 401  # no alias now
    assert fake_twilio.messages == []
    sent = client.post("/api/prompts", json={"phone": CUSTOMER}, headers={"Authorization": f"Bearer {till}"})
    assert sent.status_code == 201, sent.json
    assert shared_token.post("/api/prompts", json={"phone": "+12125550199"}, headers=AUTH).status_code == 201
