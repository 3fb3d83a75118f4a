"""How well customers' texts are read: the real-world table scored by category.

A row is acceptable when the parser gives the expected answer, or ``unclear`` where the row
allows it (a trailing ``?``: a person will read it). A wrong rating (a rating other than the
expected one) and a wrong opt-out (an opt-out where none was meant) are counted apart: the
target is none of either and at least 97 % acceptable.

    python bench/replies.py [--cases tests/sms/replies_cases.toml ...] [--show]

Without ``--cases`` it reads the table and its siblings (``tests/sms/replies_cases*.toml``).
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms.replies import ReplyKind, parse_reply

CASES = sorted((Path(__file__).resolve().parents[1] / "tests" / "sms").glob("replies_cases*.toml"))


def verdict(text: str) -> str:
    """What the parser made of ``text``, in the table's words (an outcome, or a kind)."""
    reply = parse_reply(text)
    return str(reply.outcome) if reply.kind is ReplyKind.RATING else str(reply.kind)


def judge(got: str, expected: str) -> str:
    """``ok``, ``wrong_rating``, ``wrong_opt_out`` or ``missed`` (wrong, but nothing harmful was done)."""
    wanted, unclear_ok = expected.rstrip("?"), expected.endswith("?")
    if got == wanted or (unclear_ok and got == "unclear"):
        return "ok"
    if got == "opt_out":
        return "wrong_opt_out"
    if got in ("below", "met", "exceeded"):
        return "wrong_rating"
    return "missed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, nargs="+", default=CASES)
    parser.add_argument("--show", action="store_true", help="list every row that is not acceptable")
    args = parser.parse_args()
    table = {}
    for path in args.cases:
        table.update(tomllib.loads(path.read_text(encoding="utf-8")))
    total: Counter[str] = Counter()
    reading = 0.0  # seconds spent in the parser alone
    print(f"{'category':<20} {'rows':>5} {'ok %':>7} {'wrong rating':>13} {'wrong opt-out':>14} {'missed':>7}")
    for category, section in table.items():
        counts: Counter[str] = Counter()
        for text, expected in section["cases"]:
            started = time.perf_counter()
            got = verdict(text)
            reading += time.perf_counter() - started
            result = judge(got, expected)
            counts[result] += 1
            if args.show and result != "ok":
                print(f"  {result:<14} {text!r}: expected {expected}, got {got}")
        rows = sum(counts.values())
        total.update(counts)
        print(
            f"{category:<20} {rows:>5} {100 * counts['ok'] / rows:>6.1f}% {counts['wrong_rating']:>13} "
            f"{counts['wrong_opt_out']:>14} {counts['missed']:>7}"
        )
    rows = sum(total.values())
    print(
        f"{'all':<20} {rows:>5} {100 * total['ok'] / rows:>6.1f}% {total['wrong_rating']:>13} "
        f"{total['wrong_opt_out']:>14} {total['missed']:>7}"
    )
    print(f"read {rows} texts in {reading:.2f} s: {1e6 * reading / rows:.0f} µs a text")
    return 0 if total["wrong_rating"] == total["wrong_opt_out"] == 0 and total["ok"] >= 0.97 * rows else 1


if __name__ == "__main__":
    sys.exit(main())
