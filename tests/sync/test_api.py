"""The sync API through the real Flask app and a real store: tokens, batches, the queue, actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import filelock
import pytest
from flask.testing import FlaskClient
from sync_helpers import CUSTOMER, KIOSK_TOKEN, MANAGER_TOKEN, OTHER_MANAGER_TOKEN, bearer, entry, rating

from shared.audit import reveals
from shared.followups import FollowUpStatus
from shared.ratings import Contact, Outcome
from shared.store import FeedbackStore


def post_batch(client: FlaskClient, entries: list, token: str = KIOSK_TOKEN):
    return client.post("/api/ratings", json={"entries": entries}, headers=bearer(token))


def test_a_batch_is_stored_with_the_customers_time_and_the_servers_received(client, store: FeedbackStore) -> None:
    answered = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    first = rating(ts=answered)
    response = post_batch(client, [entry("record", first)])
    assert response.status_code == 200
    assert response.json["results"] == [{"id": first.id, "status": "stored"}]
    kept = store.get_rating(first.id, around=answered)
    assert kept is not None and kept.ts == answered
    assert kept.received is not None and kept.received > answered + timedelta(days=1)
    assert kept.extra["sync_client"] == "front"


def test_a_client_cannot_set_received(client, store: FeedbackStore) -> None:
    forged = rating().to_record() | {"received": "2020-01-01T00:00:00+00:00"}
    post_batch(client, [entry("record", forged)])
    kept = store.get_rating(forged["id"], around=datetime.fromisoformat(forged["ts"]))
    assert kept is not None and kept.received is not None and kept.received.year >= 2026


def test_missing_or_wrong_token_is_401_and_writes_nothing(client, store: FeedbackStore) -> None:
    one = rating()
    for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic abc"}):
        response = client.post("/api/ratings", json={"entries": [entry("record", one)]}, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert list(store.ratings()) == []
    assert store.revision() == 0


def test_a_managers_token_cannot_send_ratings_nor_a_kiosks_read_the_queue(client, store: FeedbackStore) -> None:
    assert post_batch(client, [entry("record", rating())], token=MANAGER_TOKEN).status_code == 403
    assert client.get("/api/queue", headers=bearer(KIOSK_TOKEN)).status_code == 403
    assert list(store.ratings()) == []


def test_a_replayed_batch_stores_each_rating_once(client, store: FeedbackStore) -> None:
    below = rating(Outcome.BELOW)
    batch = [entry("record", below), entry("update", below.enriched(reasons=["wait_time"]))]
    assert [r["status"] for r in post_batch(client, batch).json["results"]] == ["stored", "updated"]
    assert [r["status"] for r in post_batch(client, batch).json["results"]] == ["duplicate", "updated"]
    assert [r.id for r in store.ratings()] == [below.id]
    assert len(store.open_followups()) == 1
    assert store.open_followups()[0].reasons == ("wait_time",)


def test_malformed_records_are_refused_one_by_one_and_good_ones_kept(client, store: FeedbackStore) -> None:
    good, also_good = rating(), rating(Outcome.EXCEEDED)
    sms = rating().to_record() | {"channel": "sms"}
    batch = [
        entry("record", good),
        entry("record", rating().to_record() | {"ts": "yesterday"}),
        entry("record", rating().to_record() | {"outcome": "meh"}),
        entry("record", sms),
        entry("record", {k: v for k, v in rating().to_record().items() if k != "id"}),
        entry("record", rating(ts=datetime.now(UTC) + timedelta(days=2))),
        entry("record", rating().to_record() | {"contact": {"phone": "555-0123"}}),
        {"op": "delete", "rating": rating().to_record()},
        "not an entry",
        entry("update", rating()),  # never recorded
        entry("record", also_good),
    ]
    results = post_batch(client, batch).json["results"]
    assert [r["status"] for r in results] == ["stored", *["error"] * 9, "stored"]
    messages = [r["error"] for r in results[1:-1]]
    assert "not ISO 8601" in messages[0]
    assert "meh" in messages[1]
    assert "channel must be kiosk" in messages[2]
    assert "missing the field 'id'" in messages[3]
    assert "in the future" in messages[4]
    assert "E.164" in messages[5]
    assert "op must be" in messages[6]
    assert "each entry must be" in messages[7]
    assert "no rating" in messages[8]
    assert {r.id for r in store.ratings()} == {good.id, also_good.id}


def test_bad_bodies_and_oversized_batches(client, app) -> None:
    headers = bearer(KIOSK_TOKEN)
    assert client.post("/api/ratings", data="nope", headers=headers).status_code == 400
    assert client.post("/api/ratings", json={"entries": {}}, headers=headers).status_code == 400
    app.extensions["sync"].max_body_bytes = 10_000
    big = [entry("record", rating()) for _ in range(40)]
    assert client.post("/api/ratings", json={"entries": big}, headers=headers).status_code == 413


def below_with_phone(client: FlaskClient) -> str:
    below = rating(Outcome.BELOW, contact=Contact(CUSTOMER), reasons=("price",))
    post_batch(client, [entry("record", below)])
    return f"fu-{below.id}"


def test_the_queue_masks_numbers_and_answers_304_when_unchanged(client) -> None:
    followup_id = below_with_phone(client)
    response = client.get("/api/queue", headers=bearer(MANAGER_TOKEN))
    assert response.status_code == 200
    assert CUSTOMER[2:] not in response.get_data(as_text=True)
    (item,) = response.json["followups"]
    assert item["id"] == followup_id and item["contact"]["masked"].endswith("23")
    etag = response.headers["ETag"]
    again = client.get("/api/queue", headers=bearer(MANAGER_TOKEN) | {"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    post_batch(client, [entry("record", rating())])  # a met answer: the queue is unchanged
    assert client.get("/api/queue", headers=bearer(MANAGER_TOKEN) | {"If-None-Match": etag}).status_code == 304
    below_with_phone(client)
    changed = client.get("/api/queue", headers=bearer(MANAGER_TOKEN) | {"If-None-Match": etag})
    assert changed.status_code == 200 and len(changed.json["followups"]) == 2


def test_claim_race_resolve_reopen_and_reveal(client, store: FeedbackStore) -> None:
    followup_id = below_with_phone(client)
    url = f"/api/followups/{followup_id}"
    won = client.post(f"{url}/claim", json={"by": "Dee"}, headers=bearer(MANAGER_TOKEN))
    assert won.status_code == 200 and won.json["followup"]["claimed_by"] == "Dee"
    lost = client.post(f"{url}/claim", json={"by": "Eli"}, headers=bearer(OTHER_MANAGER_TOKEN))
    assert lost.status_code == 409 and lost.json["claimed_by"] == "Dee"

    revealed = client.post(f"{url}/reveal", json={"by": "Dee"}, headers=bearer(MANAGER_TOKEN))
    assert revealed.json == {"phone": CUSTOMER}
    assert [r.by for r in reveals(store)] == ["Dee (remote, dee)"]

    bad = client.post(f"{url}/resolve", json={"by": "Dee", "resolution": "fixed"}, headers=bearer(MANAGER_TOKEN))
    assert bad.status_code == 400 and "resolution must be one of" in bad.json["error"]
    done = client.post(
        f"{url}/resolve", json={"by": "Dee", "resolution": "recovered", "note": "coffee"}, headers=bearer(MANAGER_TOKEN)
    )
    assert done.status_code == 200 and done.json["followup"]["status"] == FollowUpStatus.RESOLVED
    assert store.open_followups() == []
    again = client.post(f"{url}/claim", json={"by": "Eli"}, headers=bearer(OTHER_MANAGER_TOKEN))
    assert again.status_code == 409 and "reopen it first" in again.json["error"]
    assert client.post(f"{url}/reopen", json={}, headers=bearer(MANAGER_TOKEN)).status_code == 200
    assert [f.id for f in store.open_followups()] == [followup_id]
    assert client.post("/api/followups/fu-nope/claim", json={}, headers=bearer(MANAGER_TOKEN)).status_code == 404
    assert client.post(f"{url}/delete", json={}, headers=bearer(MANAGER_TOKEN)).status_code == 404
    recent = client.get("/api/followups", headers=bearer(MANAGER_TOKEN)).json["followups"]
    assert [f["id"] for f in recent] == [followup_id] and "phone" not in recent[0]["contact"]


def test_one_follow_up_is_read_masked_open_or_resolved(client, store: FeedbackStore) -> None:
    followup_id = below_with_phone(client)
    url = f"/api/followups/{followup_id}"
    client.post(f"{url}/resolve", json={"resolution": "recovered"}, headers=bearer(MANAGER_TOKEN))
    found = client.get(url, headers=bearer(MANAGER_TOKEN))
    assert found.status_code == 200 and found.json["followup"]["status"] == FollowUpStatus.RESOLVED
    assert "phone" not in found.json["followup"]["contact"] and CUSTOMER not in found.get_data(as_text=True)
    assert client.get("/api/followups/fu-nope", headers=bearer(MANAGER_TOKEN)).status_code == 404


def test_statistics_are_the_stores_hourly_counts_for_a_bounded_period(client, store: FeedbackStore) -> None:
    below = rating(Outcome.BELOW)
    post_batch(client, [entry("record", below)])
    day = below.ts.date()
    query = f"since={day - timedelta(days=1)}&until={day}"
    answer = client.get(f"/api/stats?{query}", headers=bearer(MANAGER_TOKEN))
    assert answer.status_code == 200
    assert answer.json["days"] == store.daily_summaries(day - timedelta(days=1), day) != {}
    for query, problem in (
        (f"since={day}", "both needed"),
        ("since=yesterday&until=today", "must be a day"),
        (f"since={day - timedelta(days=4000)}&until={day}", "at most 3700 days"),
    ):
        refused = client.get(f"/api/stats?{query}", headers=bearer(MANAGER_TOKEN))
        assert refused.status_code == 400 and problem in refused.json["error"], query


@pytest.mark.parametrize("since", ["", "yesterday", "2026-11-24T12:00:00"])
def test_hot_spots_need_a_time_with_its_zone(client, since: str) -> None:
    refused = client.get(f"/api/spots?since={since}", headers=bearer(MANAGER_TOKEN))
    assert refused.status_code == 400 and "with its zone" in refused.json["error"]


def test_a_reveal_without_a_number_is_409_and_not_recorded(client, store: FeedbackStore) -> None:
    below = rating(Outcome.BELOW)
    post_batch(client, [entry("record", below)])
    refused = client.post(f"/api/followups/fu-{below.id}/reveal", json={"by": "Dee"}, headers=bearer(MANAGER_TOKEN))
    assert refused.status_code == 409 and refused.json["no_phone"] is True
    assert reveals(store) == []


def test_a_busy_store_answers_503_and_the_same_batch_later_stores_it_once(client, app, config) -> None:
    app.extensions["sync"].store = FeedbackStore(config.data_dir, lock_timeout=0.05)
    below = rating(Outcome.BELOW)
    batch = [entry("record", below), entry("update", below.enriched(reasons=["price"]))]
    with filelock.FileLock(config.data_dir / ".lock"):
        response = post_batch(client, batch)
    assert response.status_code == 503 and "send the batch again later" in response.json["error"]
    assert [r["status"] for r in post_batch(client, batch).json["results"]] == ["stored", "updated"]
    kept = FeedbackStore(config.data_dir)
    assert [r.reasons for r in kept.ratings()] == [("price",)]


def test_an_update_in_a_later_batch_changes_the_stored_rating(client, store: FeedbackStore) -> None:
    below = rating(Outcome.BELOW)
    post_batch(client, [entry("record", below)])
    later = below.enriched(customer_waiting=True, contact=Contact(CUSTOMER))
    assert post_batch(client, [entry("update", later)]).json["results"] == [{"id": below.id, "status": "updated"}]
    (followup,) = store.open_followups()
    assert followup.customer_waiting and followup.contact == Contact(CUSTOMER)
