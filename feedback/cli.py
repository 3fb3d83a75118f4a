"""``feedback <command>``: parse the command line, load the configuration once, run a command.

Each part of the product registers its own subcommands (``register(subparsers, common)``),
so this module only composes them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from feedback import data_commands
from kiosk import cli as kiosk_cli
from manager import cli as manager_cli
from server import auth as server_auth
from server.manage import cli as account_cli
from shared import retention
from shared.config import ConfigError, load_config
from shared.storage import StoreError
from sms import cli as sms_cli
from sms import records as sms_records


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data",
        metavar="DIR",
        help="data directory (default: $FEEDBACK_DATA, else data_dir in the config, else ~/.local/share/feedback)",
    )
    common.add_argument("--config", metavar="FILE", help="TOML configuration file (default: $FEEDBACK_CONFIG)")
    parser = argparse.ArgumentParser(
        prog="feedback",
        description='Post-interaction feedback: "Did we meet your expectations?"',
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    kiosk_cli.register(commands, common)
    sms_cli.register(commands, common)
    data_commands.register(commands, common)
    manager_cli.register(commands, common)
    server_auth.register(commands, common)
    account_cli.register(commands, common)
    for command in commands.choices.values():
        # Each subcommand reports unknown options itself, with its own usage (see :func:`parse`).
        command.set_defaults(command_parser=command)
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse like ``parse_args``, but an unknown option is an error of the subcommand it was given to.

    argparse hands a subcommand's unknown options back to the top-level parser, whose usage line
    says nothing about the subcommand the person was typing.
    """
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        getattr(args, "command_parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def wire_channels() -> None:
    """Connect what the channels add to shared features (shared/ never imports a channel)."""
    retention.register_channel_purger("sms", sms_records.purge_messages)


def main(argv: Sequence[str] | None = None) -> int:
    wire_channels()
    parser = build_parser()
    args = parse(parser, argv)
    try:
        config = load_config(args.config, data_dir=args.data)
        return int(args.handler(args, config) or 0)
    except (ConfigError, StoreError) as error:
        print(f"feedback {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``feedback export | head``): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
