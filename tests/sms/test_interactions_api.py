"""POST /api/interactions and staff_view on POST /api/prompts: checked, kept, never texted."""

from __future__ import annotations

import pytest
from fake_twilio import FakeTwilio
from flask.testing import FlaskClient
from sms_helpers import API_TOKEN, CUSTOMER, Clock

from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.mark.parametrize(
    ("payload", "said"),
    [
        ("not json", "send JSON"),
        ({"station": "front"}, "staff_view must be one of below, met, exceeded"),
        ({"station": "front", "staff_view": "great"}, "staff_view must be one of below, met, exceeded, not 'great'"),
        ({"station": "front", "staff_view": ["met"]}, "staff_view must be one of"),
        ({"station": "front", "staff_view": "met", "staff": "x" * 101}, "staff must be text of at most 100"),
        ({"station": 7, "staff_view": "met"}, "station must be text"),
        ({"staff_view": "met"}, "station is needed"),
    ],
)
def test_bad_interactions_are_refused_with_one_line(client: FlaskClient, payload: object, said: str) -> None:
    kwargs = {"json": payload} if isinstance(payload, dict) else {"data": payload}
    response = client.post("/api/interactions", headers=AUTH, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 400 and said in response.json["error"]


def test_interaction_needs_a_till_token(client: FlaskClient) -> None:
    assert client.post("/api/interactions", json={"station": "front", "staff_view": "met"}).status_code == 401


def test_hostile_names_are_kept_as_given_and_pair(client: FlaskClient, store: FeedbackStore, clock: Clock) -> None:
    staff = "[@click=app.quit]Ana[/] =HYPERLINK()"
    response = client.post(
        "/api/interactions", json={"station": "[b]front", "staff": staff, "staff_view": "met"}, headers=AUTH
    )
    assert response.status_code == 201
    rating = Rating(id="k1", ts=clock(), channel=Channel.KIOSK, outcome=Outcome.EXCEEDED, station="[b]front")
    store.record_rating(rating)
    [pair] = store.pairs(clock().date(), clock().date())
    assert (pair.interaction, pair.staff, pair.view) == (response.json["interaction"], staff, Outcome.MET)


def test_prompt_with_a_bad_view_texts_nobody(client: FlaskClient, fake_twilio: FakeTwilio) -> None:
    response = client.post("/api/prompts", json={"phone": CUSTOMER, "staff_view": "10/10"}, headers=AUTH)
    assert response.status_code == 400 and fake_twilio.messages == []


def test_prompt_without_a_view_keeps_its_answer(client: FlaskClient, fake_twilio: FakeTwilio) -> None:
    response = client.post("/api/prompts", json={"phone": CUSTOMER}, headers=AUTH)
    assert response.status_code == 201 and "interaction" not in response.json
