"""Hooks through real HTTP: a local endpoint receives signed JSON for each event, retries follow failures."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hook_receiver import Receiver
from sms_helpers import Clock, write_config

from shared.config import Config, ConfigError
from shared.followups import Resolution
from shared.hooks import Endpoint, HookEvent, HookFormat, HookSettings, load_hook_settings
from shared.hot_spots import Spot, SpotKind
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore
from sms.hooks import HookWorker

SECRET = "s3cret-for-tests"
PHONE = "+12025550143"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def worker_for(store: FeedbackStore, clock: Clock, *endpoints: Endpoint, first_retry: int = 10) -> HookWorker:
    settings = HookSettings(endpoints, SECRET, first_retry=timedelta(seconds=first_retry), max_attempts=3)
    worker = HookWorker(settings, store, business="Corner Cafe", labels={"wait_time": "Wait"}, clock=clock)
    worker.collect()  # the first look notes the time, as at the server's start
    return worker


def fell_short(store: FeedbackStore, clock: Clock, comment: str = "call me on 202 555 0143 please") -> Rating:
    clock.now += timedelta(seconds=30)
    rating = Rating(
        id=str(uuid.uuid4()),
        ts=clock(),
        channel=Channel.SMS,
        outcome=Outcome.BELOW,
        station="Till <1>",
        reasons=("wait_time",),
        comment=comment,
        contact=Contact(PHONE),
    )
    return store.record_rating(rating).rating


def verify(received_body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), received_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_a_fell_short_answer_is_posted_signed_with_no_number_in_clear(
    store: FeedbackStore, clock: Clock, receiver: Receiver
) -> None:
    worker = worker_for(store, clock, Endpoint(receiver.url, frozenset(HookEvent), HookFormat.GENERIC))
    rating = fell_short(store, clock)
    assert worker.run_once() == 1
    [post] = receiver.wait_for(1)
    document = json.loads(post.body)
    assert verify(post.body, post.headers["X-Feedback-Signature"])
    assert post.headers["X-Feedback-Event"] == "fell_short" and post.headers["Content-Type"] == "application/json"
    assert document["event"] == "fell_short" and document["id"] == f"fell_short:fu-{rating.id}:{clock().isoformat()}"
    assert document["data"]["reasons"] == ["Wait"] and document["data"]["station"] == "Till <1>"
    assert document["text"].startswith("Corner Cafe: Fell short #")
    assert "0143" not in post.body.decode() and "2025550143" not in post.body.decode()
    assert document["data"]["phone"] == "+1 ••••••••43" and document["data"]["comment"].endswith("••43 please")
    assert worker.run_once() == 0 and len(receiver.received) == 1  # delivered once


def test_a_tampered_body_fails_the_signature(store: FeedbackStore, clock: Clock, receiver: Receiver) -> None:
    worker = worker_for(store, clock, Endpoint(receiver.url, frozenset(HookEvent)))
    fell_short(store, clock)
    worker.run_once()
    [post] = receiver.wait_for(1)
    assert not verify(post.body.replace(b"Till", b"Tilt"), post.headers["X-Feedback-Signature"])


def test_slack_format_is_one_text_field_with_its_markup_escaped(
    store: FeedbackStore, clock: Clock, receiver: Receiver
) -> None:
    worker = worker_for(store, clock, Endpoint(receiver.url, frozenset({HookEvent.FELL_SHORT}), HookFormat.SLACK))
    fell_short(store, clock, comment="<!channel> & <https://evil|click>")
    worker.run_once()
    [post] = receiver.wait_for(1)
    document = json.loads(post.body)
    assert list(document) == ["text"]
    assert "<" not in document["text"] and "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;" in document["text"]


def test_a_failed_post_is_retried_with_backoff_then_delivered_once(
    store: FeedbackStore, clock: Clock, receiver: Receiver
) -> None:
    worker = worker_for(store, clock, Endpoint(receiver.url, frozenset(HookEvent)))
    receiver.fail(500, 503)
    fell_short(store, clock)
    assert worker.run_once() == 0
    clock.now += timedelta(seconds=9)
    assert worker.run_once() == 0 and len(receiver.received) == 1  # not due before 10 s
    clock.now += timedelta(seconds=1)
    assert worker.run_once() == 0 and len(receiver.received) == 2  # the second try fails too
    clock.now += timedelta(seconds=19)
    assert worker.run_once() == 0 and len(receiver.received) == 2  # then 20 s: doubled
    clock.now += timedelta(seconds=1)
    assert worker.run_once() == 1
    posts = receiver.wait_for(3)
    assert [p.status for p in posts] == [500, 503, 200]
    assert len({p.headers["X-Feedback-Delivery"] for p in posts}) == 1  # one idempotency key for the one event
    assert len({p.body for p in posts}) == 1


def test_an_endpoint_down_is_given_up_after_max_attempts(
    store: FeedbackStore, clock: Clock, receiver: Receiver
) -> None:
    worker = worker_for(store, clock, Endpoint(receiver.url, frozenset(HookEvent)))
    receiver.fail(500, 500, 500, 500)
    fell_short(store, clock)
    for _ in range(5):
        worker.run_once()
        clock.now += timedelta(minutes=5)
    assert len(receiver.received) == 3  # max_attempts


def test_an_unreachable_endpoint_never_blocks_and_is_retried(store: FeedbackStore, clock: Clock) -> None:
    with Receiver() as gone:
        url = gone.url
    worker = worker_for(store, clock, Endpoint(url, frozenset(HookEvent)))
    fell_short(store, clock)
    assert worker.run_once() == 0
    [(_, delivery)] = store.due_deliveries(clock() + timedelta(seconds=10))
    assert delivery["attempts"] == 1 and delivery["error"] == "ConnectionError"


def test_resolved_and_hot_spot_events_go_to_the_endpoints_that_want_them(
    store: FeedbackStore, clock: Clock, receiver: Receiver
) -> None:
    with Receiver() as spots_only:
        worker = worker_for(
            store,
            clock,
            Endpoint(receiver.url, frozenset({HookEvent.RESOLVED})),
            Endpoint(spots_only.url, frozenset({HookEvent.HOT_SPOT})),
        )
        rating = fell_short(store, clock)
        clock.now += timedelta(minutes=3)
        store.claim(f"fu-{rating.id}", "dee")
        store.resolve(f"fu-{rating.id}", Resolution.RECOVERED, by="dee", note="refunded card 4111 1111 1111 1111")
        store.record_spot(Spot(SpotKind.HOT_SPOT, "Patio", clock(), timedelta(minutes=15), 4, 3, "wait_time"))
        assert worker.run_once() == 2
        [resolved] = receiver.wait_for(1)
        [spot] = spots_only.wait_for(1)
    document = json.loads(resolved.body)
    assert document["event"] == "resolved" and document["data"]["resolution"] == "recovered"
    assert "4111" not in resolved.body.decode() and document["data"]["note"].endswith("••11")
    assert json.loads(spot.body)["text"] == (
        "Corner Cafe: Hot spot at Patio: 3 of 4 fell short in 15 min (75 %); top reason: Wait."
    )


def test_what_happened_before_hooks_were_configured_is_not_sent(
    store: FeedbackStore, clock: Clock, receiver: Receiver
) -> None:
    fell_short(store, clock)
    worker = worker_for(store, clock, Endpoint(receiver.url, frozenset(HookEvent)))
    clock.now += timedelta(minutes=5)
    assert worker.run_once() == 0 and receiver.received == []


def hooks_config(tmp_path: Path, toml: str, **env: str) -> Config:
    return write_config(tmp_path, toml, **env)


def test_settings_read_endpoints_and_the_secret_from_the_environment_or_a_file(tmp_path: Path) -> None:
    toml = (
        '[[hooks.endpoints]]\nurl = "https://hooks.slack.com/services/T/B/x"\nevents = ["fell_short", "hot_spot"]\n'
        'format = "slack"\n[[hooks.endpoints]]\nurl = "http://127.0.0.1:9/in"\n'
    )
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n", encoding="utf-8")
    settings = load_hook_settings(hooks_config(tmp_path, toml, FEEDBACK_HOOKS_SECRET_FILE=str(secret_file)))
    slack, generic = settings.endpoints
    assert slack.format is HookFormat.SLACK and slack.events == {HookEvent.FELL_SHORT, HookEvent.HOT_SPOT}
    assert generic.events == set(HookEvent) and generic.format is HookFormat.GENERIC
    assert settings.secret == "from-a-file"
    assert load_hook_settings(hooks_config(tmp_path, toml, FEEDBACK_HOOKS_SECRET="env")).secret == "env"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[hooks.endpoints]]\nurl = "http://x.example/"\n', "need a secret to sign with"),
        ('[hooks]\nsecret = "x"\n[[hooks.endpoints]]\nurl = "ftp://x.example/"\n', "url must be an http"),
        ('[hooks]\nsecret = "x"\n[[hooks.endpoints]]\nurl = "https://x.example/"\nevents = ["sold"]\n', "events"),
        ('[hooks]\nsecret = "x"\n[[hooks.endpoints]]\nurl = "https://x.example/"\nformat = "teams"\n', "slack or"),
        ('[hooks]\nsecrets = "x"\n', "unknown setting(s) in [hooks]: secrets"),
    ],
)
def test_bad_hook_settings_are_one_clear_error(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_hook_settings(hooks_config(tmp_path, toml))
    assert message in str(caught.value)
