"""How ``feedback`` answers a mistake: the subcommand's own usage, or one clear line, exit status 2,
never a traceback, and nothing created or changed on the way."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from feedback.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("feedback")  # the console script pip installed
FEEDBACK = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "feedback"]
CHOOSE = ("--data DIR", "$FEEDBACK_DATA", "data_dir")


def feedback(*args: str, home: Path, stdin: str | None = "", **env: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in its own session (no terminal to fall back on), as a script runs it."""
    return subprocess.run(
        [*FEEDBACK, *args],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(home), **env},
        timeout=60,
        start_new_session=True,
    )


def subcommands() -> dict[str, tuple[object, str]]:
    parser = build_parser()
    commands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    helps = {action.dest: action.help for action in commands._choices_actions}
    return {name: (parser, helps.get(name, "")) for name, parser in commands.choices.items()}


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_subcommand_has_a_help_line_and_a_description(name: str) -> None:
    parser, help_line = subcommands()[name]
    assert help_line, f"`feedback {name}` has no help line in `feedback --help`"
    assert parser.description, f"`feedback {name} --help` has no description"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["report", "--sinse", "2026-01-01"], "unrecognized arguments: --sinse 2026-01-01"),
        (["export", "--data", "x", "--fromat", "csv"], "unrecognized arguments: --fromat csv"),
        (["kiosk", "--statoin", "front"], "unrecognized arguments: --statoin front"),
        (["manager", "--nmae", "Dee"], "unrecognized arguments: --nmae Dee"),
        (["sms", "--port", "99999"], "argument --port: '99999' is not a port"),
        (["sms", "--port", "²"], "argument --port: '²' is not a port"),
        (["sms", "--threads", "0"], "argument --threads: '0' is not a number of threads"),
    ],
)
def test_a_mistake_in_options_shows_that_subcommands_usage(argv, error, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: feedback {argv[0]} ")
    assert f"feedback {argv[0]}: error: {error}" in err


def test_a_port_in_use_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["sms", "--insecure-dev", "--host", "127.0.0.1", "--port", str(port), "--data", str(tmp_path)]
        result = feedback(*args, home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"feedback sms: port 127.0.0.1:{port} is already in use (another server?); pick another with --port"
    )
    assert "listening" not in result.stdout


def test_a_host_that_does_not_resolve_is_one_line(tmp_path: Path) -> None:
    result = feedback("sms", "--insecure-dev", "--host", "no-such-host.invalid", "--data", str(tmp_path), home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "feedback sms: no-such-host.invalid is not a name or address to listen on; pick another with --host"
    )


def test_kiosk_pin_without_a_terminal_says_to_use_stdin(tmp_path: Path) -> None:
    result = feedback("kiosk-pin", home=tmp_path, stdin=None)
    assert result.returncode == 2
    assert result.stderr.startswith("feedback kiosk-pin: standard input is not a terminal")
    assert "--stdin" in result.stderr and "Traceback" not in result.stderr
    assert "pin_hash" not in result.stdout


@pytest.mark.parametrize("given", ["", "\n", "   \n"])
def test_kiosk_pin_with_nothing_on_stdin_says_so(tmp_path: Path, given: str) -> None:
    result = feedback("kiosk-pin", "--stdin", home=tmp_path, stdin=given)
    assert result.returncode == 2
    assert result.stderr.startswith("feedback kiosk-pin: no PIN on standard input")
    assert "pin_hash" not in result.stdout


@pytest.mark.parametrize("command", [["report"], ["export"], ["export", "--format", "csv"], ["purge"]])
def test_reading_a_missing_data_folder_names_it_and_creates_nothing(tmp_path: Path, command, capsys) -> None:
    missing = tmp_path / "typo" / "data"
    assert main([*command, "--data", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"feedback {command[0]}: the data folder {missing} does not exist")
    assert all(way in captured.err for way in CHOOSE)
    assert not (tmp_path / "typo").exists()


def test_the_default_data_folder_is_not_made_by_a_report(tmp_path: Path) -> None:
    """The issue's case: no --data, no $FEEDBACK_DATA, no config, so the default folder in $HOME."""
    result = feedback("report", home=tmp_path)
    assert result.returncode == 2
    assert f"the data folder {tmp_path / '.local' / 'share' / 'feedback'} does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_feedback_data_and_the_config_file_choose_the_folder_named(tmp_path: Path) -> None:
    from_env = feedback("export", home=tmp_path, FEEDBACK_DATA=str(tmp_path / "env-data"))
    assert from_env.returncode == 2 and f"{tmp_path / 'env-data'} does not exist" in from_env.stderr
    config = tmp_path / "feedback.toml"
    config.write_text(f'data_dir = "{tmp_path / "file-data"}"\n', encoding="utf-8")
    from_file = feedback("purge", "--config", str(config), home=tmp_path)
    assert from_file.returncode == 2 and f"{tmp_path / 'file-data'} does not exist" in from_file.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["feedback.toml"]


def test_a_path_that_is_a_file_is_not_a_data_folder(tmp_path: Path, capsys) -> None:
    not_a_folder = tmp_path / "data.json"
    not_a_folder.write_text("{}", encoding="utf-8")
    assert main(["report", "--data", str(not_a_folder)]) == 2
    assert f"the data folder {not_a_folder} is not a folder" in capsys.readouterr().err
    assert not_a_folder.read_text(encoding="utf-8") == "{}"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")
def test_kiosk_pin_on_a_terminal_asks_twice_and_ctrl_d_gives_up(tmp_path: Path) -> None:
    from tests.kiosk.test_tmux_e2e import Tmux, poll

    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "TERM": "xterm-256color"}
    tmux = Tmux(f"pin-test-{uuid.uuid4().hex[:8]}", env)
    command = " ".join(shlex.quote(word) for word in FEEDBACK)
    script = f"{command} kiosk-pin; echo exit=$?; {command} kiosk-pin; echo exit=$?"
    tmux.run("new-session", "-d", "-s", "kiosk", "-x", "120", "-y", "24", "-c", str(ROOT), script)
    tmux.run("set-option", "-t", "kiosk", "remain-on-exit", "on")
    try:
        poll(lambda: "New staff PIN" in tmux.screen(), "the first prompt")
        tmux.send(*"2468", "Enter")
        poll(lambda: "The same PIN again" in tmux.screen(), "the second prompt")
        tmux.send(*"2468", "Enter")
        poll(lambda: "exit=0" in tmux.screen(), "the first run to end")
        assert 'pin_hash = "scrypt$' in tmux.screen() and "2468" not in tmux.screen()
        poll(lambda: tmux.screen().count("New staff PIN") == 2, "the second run's prompt")
        tmux.send("C-d")
        poll(lambda: "exit=2" in tmux.screen(), "the second run to give up")
        assert "feedback kiosk-pin: no PIN was typed; nothing was made" in tmux.screen()
        assert "Traceback" not in tmux.screen()
    finally:
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True, env=env, timeout=10)
