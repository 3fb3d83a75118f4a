"""Tokens, configuration and ratings shared by the sync tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.config import Config, load_config
from shared.ratings import Channel, Outcome, Rating
from sms.tokens import token_hash

KIOSK_TOKEN = "kiosk-front-token-for-tests-only-0123456789"
SIDE_TOKEN = "kiosk-side-token-for-tests-only-0123456789"
MANAGER_TOKEN = "manager-dee-token-for-tests-only-0123456789"
OTHER_MANAGER_TOKEN = "manager-eli-token-for-tests-only-0123456789"
CUSTOMER = "+14155550123"


def clients_toml() -> str:
    lines = ["[sync.clients]"]
    for name, role, token in (
        ("front", "kiosk", KIOSK_TOKEN),
        ("side", "kiosk", SIDE_TOKEN),
        ("dee", "manager", MANAGER_TOKEN),
        ("eli", "manager", OTHER_MANAGER_TOKEN),
    ):
        lines.append(f'{name} = {{ role = "{role}", sha256 = "{token_hash(token)}" }}')
    return "\n".join(lines) + "\n"


def write_config(folder: Path, toml: str = "", **env: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "feedback.toml"
    path.write_text('business_name = "Corner Cafe"\n' + toml + clients_toml(), encoding="utf-8")
    return path


def load(folder: Path, toml: str = "", **env: str) -> Config:
    path = write_config(folder, toml)
    return load_config(path, data_dir=folder / "data", environ={"TWILIO_AUTH_TOKEN": "x" * 32, **env})


def rating(outcome: Outcome = Outcome.MET, *, ts: datetime | None = None, **fields: Any) -> Rating:
    ts = ts or datetime.now(UTC) - timedelta(hours=3)
    return Rating(id=str(uuid.uuid4()), ts=ts, channel=Channel.KIOSK, outcome=outcome, station="Front", **fields)


def entry(op: str, value: Rating | dict[str, Any]) -> dict[str, Any]:
    return {"op": op, "rating": value.to_record() if isinstance(value, Rating) else value}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
