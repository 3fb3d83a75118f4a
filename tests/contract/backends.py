"""The two backends the contract tests run on, and how each puts a fell short in."""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sync_helpers import KIOSK_TOKEN, MANAGER_TOKEN, OTHER_MANAGER_TOKEN, ServerProcess, entry

from manager.remote import RemoteSettings, RemoteStore
from shared.audit import reveals
from shared.door import ConsoleDoor
from shared.hot_spots import Spot
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore

TARGET_MINUTES = 0.02  # a follow-up is overdue after 1.2 s, so escalation can be tested on both
TARGET_TOML = f"followup_target_minutes = {TARGET_MINUTES}\n"


@dataclass
class Backend:
    """One backend under test: the door, a second manager's door, and how to put a fell short in."""

    name: str
    door: ConsoleDoor
    other: ConsoleDoor  # a second console (a second claimer)
    send: Callable[[Rating], None]
    audit: Callable[[], list[tuple[str, str]]]  # (follow-up id, by) of every reveal, as the store keeps them
    keep_spot: Callable[[Spot], bool]  # a hot-spot alert kept as the server's alerter keeps it

    def fell_short(self, *, contact: Contact | None = None, ts: datetime | None = None) -> str:
        """Open a follow-up as a customer would (a below at the kiosk); its id."""
        rating = Rating(
            id=str(uuid.uuid4()),
            ts=ts or datetime.now(UTC) - timedelta(minutes=5),
            channel=Channel.KIOSK,
            outcome=Outcome.BELOW,
            station="Front",
            contact=contact,
        )
        self.send(rating)
        self.settle()
        return f"fu-{rating.id}"

    def settle(self) -> None:
        """Let the door see what was written elsewhere (the remote console polls the server)."""
        for door in (self.door, self.other):
            if isinstance(door, RemoteStore):
                door.refresh()


def send_batch(url: str, rating: Rating) -> None:
    body = orjson.dumps({"entries": [entry("record", rating)]})
    request = urllib.request.Request(
        f"{url}/api/ratings", data=body, headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert orjson.loads(response.read())["results"][0]["status"] == "stored"


def local_backend(tmp_path: Path) -> Backend:
    def store() -> FeedbackStore:
        return FeedbackStore(tmp_path / "data", followup_target=timedelta(minutes=TARGET_MINUTES))

    door = store()
    return Backend(
        "local",
        door,
        store(),  # another process's view of the same folder
        lambda rating: door.record_rating(rating),
        lambda: [(reveal.followup_id, reveal.by) for reveal in reveals(door)],
        door.record_spot,
    )


def remote_backend(server: ServerProcess) -> Backend:
    def console(token: str) -> RemoteStore:
        return RemoteStore(RemoteSettings(server.url, token, timeout=5), clock=lambda: datetime.now(UTC))

    return Backend(
        "remote",
        console(MANAGER_TOKEN),
        console(OTHER_MANAGER_TOKEN),
        lambda rating: send_batch(server.url, rating),
        lambda: [(reveal.followup_id, reveal.by) for reveal in reveals(FeedbackStore(server.data))],
        lambda spot: FeedbackStore(server.data).record_spot(spot),
    )


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {timeout} s for {condition}"
        time.sleep(0.02)
