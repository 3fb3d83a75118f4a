"""Where a remote client (a kiosk or a managers' console on another machine) finds the server."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from shared.config import Config, ConfigError, read_secret_file


def remote_endpoint(
    config: Config, *, server: str | None, token_file: str | None, token_env: str, who: str
) -> tuple[str, str] | None:
    """``(server URL, token)`` from ``--server``/``--token-file`` over ``[sync] server`` and ``$token_env``
    (or the file named by ``${token_env}_FILE``). A token is never taken from the command line, where
    every user of the machine could read it in the process list.

    None when no server is given (the client then uses the local store); a server without a
    token, or one that is not an http(s) URL, is a configuration error naming what to fix.
    """
    table: Mapping[str, Any] = config.section("sync")
    server = (server or str(table.get("server", ""))).strip().rstrip("/")
    if not server:
        return None
    if not server.startswith(("http://", "https://")):
        raise ConfigError(f"the sync server must be a URL such as https://feedback.example.com, not {server!r}")
    token = read_secret_file(token_file, "--token-file") if token_file else config.secret(token_env)
    if not token:
        raise ConfigError(f"a remote {who} needs its token: --token-file FILE or ${token_env} (from `feedback token`)")
    return server, token


TOKEN_ON_COMMAND_LINE = (
    "--token is no longer accepted: a token on the command line shows in the process list. "
    "Put it in a file readable only by you and pass --token-file FILE, or set ${env}"
)


def add_token_arguments(parser: argparse.ArgumentParser, token_env: str) -> None:
    """``--token-file FILE``; the old ``--token`` stays only to explain what replaced it."""
    parser.add_argument("--token-file", metavar="FILE", help=f"a file holding this client's token (or ${token_env})")
    parser.add_argument("--token", help=argparse.SUPPRESS)


def refuse_token_argument(args: argparse.Namespace, token_env: str) -> None:
    if getattr(args, "token", None):
        raise ConfigError(TOKEN_ON_COMMAND_LINE.format(env=token_env))
