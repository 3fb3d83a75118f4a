"""Per-client tokens for the sync API: each kiosk and remote console has its own, with a role.

The server's configuration holds only each token's SHA-256, never the token::

    [sync.clients]
    front = { role = "kiosk", sha256 = "9f86d081…" }
    dee = { role = "manager", sha256 = "2c26b46b…" }

Why SHA-256 and not a slow hash such as scrypt (used for the kiosk's PIN): a token is 32
random bytes (256 bits), so no dictionary or brute force can find it from its hash; a slow
hash protects guessable secrets and would only cost time on every request. Comparing with
:func:`hmac.compare_digest` keeps the time taken independent of how much of a guess matched.
Revoking a client is deleting its line; a leaked config file gives away no token.
"""

from __future__ import annotations

import argparse
import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.config import Config, ConfigError

TOKEN_BYTES = 32
NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Role(enum.StrEnum):
    """What a client may do: a kiosk sends answers; a manager reads and works the queue."""

    KIOSK = "kiosk"
    MANAGER = "manager"


@dataclass(frozen=True, slots=True)
class Client:
    name: str
    role: Role
    sha256: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_token() -> str:
    """A new random token (URL-safe text of 32 random bytes)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class Clients:
    """The configured clients; :meth:`identify` finds who presented a token."""

    def __init__(self, clients: list[Client]) -> None:
        self.clients = clients

    def __len__(self) -> int:
        return len(self.clients)

    def identify(self, token: str) -> Client | None:
        """The client whose token this is, or None. Every entry is compared, so the time taken does
        not tell which (or whether any) matched."""
        if not token:
            return None
        presented = token_hash(token).encode()
        found = None
        for client in self.clients:
            if hmac.compare_digest(presented, client.sha256.encode()):
                found = client
        return found


def load_clients(config: Config) -> Clients:
    """``[sync.clients]`` from the configuration; unknown roles and bad hashes stop the start."""
    table: Mapping[str, Any] = config.section("sync").get("clients", {}) or {}
    if not isinstance(table, Mapping):
        raise ConfigError("[sync.clients] must be a table of name = { role = ..., sha256 = ... }")
    clients = []
    for name, entry in table.items():
        where = f"[sync.clients] {name}"
        if not NAME.match(name):
            raise ConfigError(f"{where}: a client name is 1 to 40 letters, digits, - or _")
        if not isinstance(entry, Mapping):
            raise ConfigError(f'{where} must be {{ role = "kiosk", sha256 = "..." }} (from `feedback token`)')
        try:
            role = Role(entry.get("role"))
        except ValueError:
            raise ConfigError(f"{where}: role must be one of {', '.join(Role)}, not {entry.get('role')!r}") from None
        digest = str(entry.get("sha256", "")).lower()
        if not HEX_SHA256.match(digest):
            raise ConfigError(f"{where}: sha256 must be 64 hex digits, as printed by `feedback token`")
        clients.append(Client(name, role, digest))
    return Clients(clients)


# -- feedback token -------------------------------------------------------------------


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "token",
        parents=[common],
        help="mint a token for a remote kiosk or managers' console",
        description="Prints a new random token (give it to the client, e.g. as FEEDBACK_KIOSK_TOKEN) and the "
        "line to add to the server's [sync.clients] table, which holds only the token's hash.",
    )
    parser.add_argument("--name", required=True, help="the client's name: letters, digits, - or _ (e.g. front)")
    parser.add_argument("--role", required=True, choices=[str(role) for role in Role])
    parser.set_defaults(handler=run_token)


def run_token(args: argparse.Namespace, config: Config) -> int:
    if not NAME.match(args.name):
        raise ConfigError("--name must be 1 to 40 letters, digits, - or _")
    token = mint_token()
    print(f"# Token for {args.name} (shown once; keep it secret, on the {args.role} only):")
    print(token)
    print("# Add this line to the [sync.clients] table of the server's configuration, then restart it:")
    print(f'{args.name} = {{ role = "{args.role}", sha256 = "{token_hash(token)}" }}')
    return 0
