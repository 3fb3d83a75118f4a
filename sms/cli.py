"""``feedback sms``: serve the Twilio webhook."""

from __future__ import annotations

import argparse
import sys

from shared.config import Config


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser("sms", parents=[common], help="serve the Twilio SMS webhook")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.set_defaults(handler=run_sms)


def run_sms(args: argparse.Namespace, config: Config) -> int:
    print("feedback sms: the SMS webhook is not built yet", file=sys.stderr)
    return 1
