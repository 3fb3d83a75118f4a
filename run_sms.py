"""Serve the Twilio SMS webhook: the same as ``feedback sms``."""

import sys

from feedback.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["sms", *sys.argv[1:]]))
