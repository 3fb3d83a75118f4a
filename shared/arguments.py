"""Argument types every ``feedback`` command shares (argparse ``type=`` callables)."""

from __future__ import annotations

import argparse
from datetime import date


def day(text: str) -> date:
    """``2026-11-24`` as a date, or argparse's one-line error naming what was typed."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-11-24") from None
