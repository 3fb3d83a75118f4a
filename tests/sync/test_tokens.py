"""Per-client tokens: minted by `feedback token`, kept hashed in the server's configuration."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from feedback.cli import main
from server.auth import Role, load_clients, token_hash
from shared.config import ConfigError, load_config


def config_with(tmp_path: Path, toml: str):
    path = tmp_path / "server.toml"
    path.write_text(toml, encoding="utf-8")
    return load_config(path, data_dir=tmp_path / "data", environ={})


def test_feedback_token_prints_a_token_and_the_line_that_identifies_it(tmp_path: Path, capsys) -> None:
    assert main(["token", "--name", "front", "--role", "kiosk", "--data", str(tmp_path)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("#")]
    token, line = lines
    assert len(token) >= 43 and token not in line
    clients = load_clients(config_with(tmp_path, f"[sync.clients]\n{line}\n"))
    client = clients.identify(token)
    assert client is not None and (client.name, client.role) == ("front", Role.KIOSK)
    assert clients.identify(token + "x") is None and clients.identify("") is None
    assert tomllib.loads(f"[sync.clients]\n{line}")["sync"]["clients"]["front"]["sha256"] == token_hash(token)


def test_two_mints_differ(tmp_path: Path, capsys) -> None:
    main(["token", "--name", "a", "--role", "manager", "--data", str(tmp_path)])
    main(["token", "--name", "a", "--role", "manager", "--data", str(tmp_path)])
    tokens = [line for line in capsys.readouterr().out.splitlines() if not line.startswith(("#", "a ="))]
    assert len(set(tokens)) == 2


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('front = { role = "admin", sha256 = "' + "a" * 64 + '" }', "role must be one of"),
        ('front = { role = "kiosk", sha256 = "not-hex" }', "64 hex digits"),
        ('front = "kiosk"', "must be"),
        ('"bad name!" = { role = "kiosk", sha256 = "' + "a" * 64 + '" }', "client name"),
    ],
)
def test_bad_client_entries_stop_the_start_with_a_clear_message(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_clients(config_with(tmp_path, f"[sync.clients]\n{entry}\n"))


def test_no_clients_means_every_token_is_refused(tmp_path: Path) -> None:
    assert load_clients(config_with(tmp_path, "")).identify("anything") is None
