"""``feedback export`` through the real command line, on a real store."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from feedback.cli import main
from shared.config import load_config
from shared.ratings import Contact, Rating
from shared.store import FeedbackStore
from tests.clocks import FakeClock

MakeRating = Callable[..., Rating]


@pytest.fixture
def filled(store: FeedbackStore, make_rating: MakeRating, clock: FakeClock) -> FeedbackStore:
    store.record_rating(make_rating("met", id="m1", staff="ann"))
    unmet = store.record_rating(make_rating("below", id="b1", reasons=("wait time", "price"))).rating
    store.update_rating(unmet.enriched(comment="=HYPERLINK(evil)", contact=Contact("+12025550143")))
    clock.advance(days=2)
    store.record_rating(make_rating("exceeded", id="e1", shoutout="bob"))
    return store


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_export_has_ratings_and_follow_ups_with_phones_masked(
    filled: FeedbackStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "export", "--data", str(filled.root))
    assert code == 0
    document = json.loads(out)
    assert [r["id"] for r in document["ratings"]] == ["m1", "b1", "e1"]
    unmet = document["ratings"][1]
    assert unmet["outcome"] == "below" and unmet["reasons"] == ["wait time", "price"]
    assert unmet["ts"] == "2026-11-24T12:00:00+00:00" and unmet["channel"] == "kiosk"
    assert unmet["phone"] == "+1 ••••••••43"
    (followup,) = document["followups"]
    assert followup["rating_id"] == "b1" and followup["status"] == "open" and followup["claimed_by"] == ""
    for key in ("id", "created", "due", "resolved_at", "resolution", "note"):
        assert key in followup
    assert "2025550143" not in out


def test_include_contacts_shows_full_numbers(filled: FeedbackStore, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "export", "--data", str(filled.root), "--include-contacts")
    assert json.loads(out)["ratings"][1]["phone"] == "+12025550143"


def test_since_and_until_select_utc_days(filled: FeedbackStore, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "export", "--data", str(filled.root), "--since", "2026-11-25")
    assert [r["id"] for r in json.loads(out)["ratings"]] == ["e1"]
    _, out, _ = run(capsys, "export", "--data", str(filled.root), "--until", "2026-11-24")
    assert [r["id"] for r in json.loads(out)["ratings"]] == ["m1", "b1"]
    code, _, err = run(capsys, "export", "--data", str(filled.root), "--since", "2026-11-25", "--until", "2026-11-24")
    assert code == 2 and "--since is after --until" in err


def test_csv_export_opens_cleanly_in_a_spreadsheet(filled: FeedbackStore, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    assert main(["export", "--data", str(filled.root), "--format", "csv", "--output", str(target)]) == 0
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets detect UTF-8
    rows = list(csv.DictReader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert [row["id"] for row in rows] == ["m1", "b1", "e1"]
    unmet = rows[1]
    assert unmet["reasons"] == "wait time; price"
    assert unmet["comment"] == "'=HYPERLINK(evil)"  # never a live formula
    assert unmet["phone"] == "+1 ••••••••43"
    assert unmet["followup_status"] == "open" and rows[0]["followup_status"] == ""


def test_a_bad_date_gets_a_clear_message(filled: FeedbackStore, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--data", str(filled.root), "--since", "last week"])
    assert "is not a date such as 2026-11-24" in capsys.readouterr().err


def test_data_directory_comes_from_flag_then_environment_then_file(tmp_path: Path) -> None:
    config_file = tmp_path / "feedback.toml"
    config_file.write_text('data_dir = "/from/file"\nbusiness_name = "Corner Deli"\n[kiosk]\nstation = "front"\n')
    assert load_config(config_file, environ={}).data_dir == Path("/from/file")
    assert load_config(config_file, environ={"FEEDBACK_DATA": "/from/env"}).data_dir == Path("/from/env")
    assert load_config(config_file, data_dir="/flag", environ={"FEEDBACK_DATA": "/env"}).data_dir == Path("/flag")
    config = load_config(environ={"FEEDBACK_CONFIG": str(config_file)})
    assert config.business_name == "Corner Deli" and config.section("kiosk") == {"station": "front"}
    assert load_config(environ={}).data_dir == Path.home() / ".local" / "share" / "feedback"


def test_a_bad_configuration_stops_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_file = tmp_path / "feedback.toml"
    config_file.write_text('timezone = "Mars/Olympus"\n')
    assert main(["export", "--config", str(config_file), "--data", str(tmp_path)]) == 2
    assert "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err
    config_file.write_text("colour = 'blue'\n")
    assert main(["export", "--config", str(config_file), "--data", str(tmp_path)]) == 2
    assert "unknown setting(s)" in capsys.readouterr().err


def test_the_console_script_runs_as_a_real_process(filled: FeedbackStore) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "feedback", "export", "--data", str(filled.root), "--format", "json"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert len(json.loads(result.stdout)["ratings"]) == 3


def test_an_export_piped_into_a_reader_that_stops_early_ends_quietly(
    filled: FeedbackStore, make_rating: MakeRating
) -> None:
    filled.record_ratings([make_rating("met", comment="x" * 200) for _ in range(1000)])  # more than a pipe holds
    export = subprocess.Popen(
        [sys.executable, "-m", "feedback", "export", "--data", str(filled.root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert export.stdout is not None
    export.stdout.readline()
    export.stdout.close()  # like `| head -1`
    _, err = export.communicate(timeout=60)
    assert export.returncode == 0 and b"Traceback" not in err


def test_a_follow_up_stored_as_this_version_writes_exports_as_the_object_would() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from shared.export import followup_row
    from shared.followups import FollowUp, Resolution
    from shared.ratings import Channel, Outcome

    rating = Rating(
        id="b1",
        ts=datetime(2026, 11, 2, 9, tzinfo=UTC),
        channel=Channel.SMS,
        outcome=Outcome.BELOW,
        comment='=1+1 "[b]',
        contact=Contact("+12025550143"),
    )
    done = FollowUp.for_rating(rating, now=rating.ts, target=timedelta(hours=1)).resolve(
        Resolution.APOLOGISED, rating.ts + timedelta(hours=2), by="dee"
    )
    for include in (False, True):
        assert followup_row(done.to_record(), include_contacts=include) == followup_row(done, include_contacts=include)
    older = {key: value for key, value in done.to_record().items() if key not in ("kind", "later")}
    older["created"] = datetime(2026, 11, 2, 11, tzinfo=timezone(timedelta(hours=2))).isoformat()  # not UTC
    row = followup_row(older, include_contacts=False)  # read as a FollowUp: the same shape, times in UTC
    assert row["created"] == "2026-11-02T09:00:00+00:00" and row["kind"] == "fell_short" and row["later"] == []
