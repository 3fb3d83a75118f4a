"""Hostile times and sizes through the real server: refused per record, never a 500, nothing broken after."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sync_helpers import CUSTOMER, KIOSK_TOKEN, ROOT, ServerProcess, entry, rating

from shared.ratings import Contact, Outcome
from tests.modes import UMASKS, mode, not_private, umask

pytestmark = pytest.mark.slow


def post_batch(server: ServerProcess, entries: list[Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{server.url}/api/ratings",
        data=orjson.dumps({"entries": entries}),
        headers={"Authorization": f"Bearer {KIOSK_TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, orjson.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def feedback(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedback", *args, "--data", str(server.data), "--config", str(server.config)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "TWILIO_AUTH_TOKEN": "t" * 32},
    )  # fmt: skip


def with_ts(text: str) -> dict[str, Any]:
    return rating().to_record() | {"ts": text}


def test_hostile_times_and_sizes_are_refused_one_by_one_and_the_data_commands_still_work(
    server: ServerProcess,
) -> None:
    now = datetime.now(UTC)
    good = rating(Outcome.BELOW, contact=Contact(CUSTOMER), comment="kept")
    hostile = {
        "year 1": with_ts("0001-01-01T00:00:00+00:00"),
        "year 1 east of UTC": with_ts("0001-01-01T00:00:00+05:00"),
        "year 999": with_ts("0999-06-01T12:00:00+00:00"),
        "1970": with_ts("1970-01-01T00:00:00+00:00"),
        "year 9999": with_ts("9999-12-31T23:59:59+00:00"),
        "year 9999 west of UTC": with_ts("9999-12-31T23:59:59-05:00"),
        "5 minutes and 1 second ahead": with_ts((now + timedelta(minutes=5, seconds=1)).isoformat()),
        "401 days ago": with_ts((now - timedelta(days=401)).isoformat()),
        "a huge station": rating().to_record() | {"station": "S" * 100_000},
        "a huge comment": rating(comment="c" * 50_000).to_record(),
        "500 reasons": rating(reasons=[f"r{n}" for n in range(500)]).to_record(),
    }
    status, body = post_batch(
        server, [entry("record", record) for record in hostile.values()] + [entry("record", good)]
    )

    assert status == 200, body
    *refused, stored = body["results"]
    assert stored == {"id": good.id, "status": "stored"}
    for name, result in zip(hostile, refused, strict=True):
        assert result["status"] == "error", name
        assert len(result["error"]) < 300 and "\n" not in result["error"], name
    errors = dict(zip(hostile, (result["error"] for result in refused), strict=True))
    assert "check the device's clock" in errors["year 999"]
    assert "5 minutes 1 second ahead of the server's clock" in errors["5 minutes and 1 second ahead"]
    assert "401 days before the server's clock" in errors["401 days ago"]
    assert "station is 100000 characters long" in errors["a huge station"]
    assert "Traceback" not in server.log.read_text(encoding="utf-8")

    exported = feedback(server, "export", "--include-contacts")
    assert exported.returncode == 0, exported.stderr
    assert [one["id"] for one in json.loads(exported.stdout)["ratings"]] == [good.id]
    purged = feedback(server, "purge", "--older-than", "90d")
    assert purged.returncode == 0, purged.stderr
    reported = feedback(server, "report", "--format", "html")
    assert reported.returncode == 0 and "<html" in reported.stdout, reported.stderr


@pytest.mark.parametrize("mask", UMASKS, ids=oct)
def test_the_servers_data_and_the_private_outputs_are_readable_by_their_owner_only(tmp_path: Path, mask: int) -> None:
    export = tmp_path / "export.json"
    report = tmp_path / "report.html"
    report.write_text("an older report, once world-readable")
    report.chmod(0o644)
    with umask(mask):
        server = ServerProcess(tmp_path / "server")
        server.start()
        try:
            status, body = post_batch(server, [entry("record", rating(Outcome.BELOW, contact=Contact(CUSTOMER)))])
            assert status == 200 and body["results"][0]["status"] == "stored"
        finally:
            server.kill()
        assert feedback(server, "export", "--include-contacts", "--output", str(export)).returncode == 0
        assert feedback(server, "report", "--format", "html", "--output", str(report)).returncode == 0

    assert (server.data / ".lock").exists() and list((server.data / "ratings").glob("*/*.json"))
    assert not_private(server.data) == {}
    assert mode(export) == mode(report) == 0o600
