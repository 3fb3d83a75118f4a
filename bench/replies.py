"""How well customers' texts are read: the real-world table scored by category.

A row is acceptable when the parser gives the expected answer, or ``unclear`` where the row
allows it (a trailing ``?``: a person will read it). A wrong rating (a rating other than the
expected one) and a wrong opt-out (an opt-out where none was meant) are counted apart: the
target is none of either and at least 97 % acceptable.

    python bench/replies.py [--cases tests/sms/replies_cases.toml ...] [--show]
    python bench/replies.py --speed [--handled 2000]

Without ``--cases`` it reads the table and its siblings (``tests/sms/replies_cases*.toml``).

``--speed`` prints instead the CPU time a text costs (``time.process_time``, so not the fsyncs'
wait): in ``parse_reply`` alone over every row, and in a whole ``Responder.handle`` (store
included, on a fresh store under /tmp) over ``--handled`` rows spread across the table, each
from one of 200 numbers. Beside each, in the same run: the same texts with every bounded memo of
the reader (the ``lru_cache`` of a word or a text in ``sms.replies``, ``sms.words``,
``shared.phones``) cleared before each text, as if every word were new, and a floor, the texts
only split into words.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

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


def memo_caches() -> list[Callable[[], None]]:
    """The ``cache_clear`` of every bounded memo (``lru_cache(maxsize=n)``) in the reader and the phone module."""
    prefixes = ("sms.replies", "sms.words", "shared.phones")
    found = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith(prefixes):
            continue
        for value in vars(module).values():
            parameters = getattr(value, "cache_parameters", None)
            if parameters is not None and parameters()["maxsize"] is not None:
                found[id(value)] = value.cache_clear
    return list(found.values())


def cpu_per_text(texts: list[str], read: Callable[[int, str], object], *, cold: bool = False) -> float:
    """Milliseconds of CPU a text, ``cold``: every bounded memo forgotten before each text (not timed)."""
    clears = memo_caches() if cold else []
    spent = 0.0
    for index, text in enumerate(texts):
        for clear in clears:
            clear()
        started = time.process_time()
        read(index, text)
        spent += time.process_time() - started
    return 1e3 * spent / len(texts)


def split_words(index: int, text: str) -> object:
    """The floor: a reading that only splits the text into folded words."""
    return text.casefold().split()


def handled_texts(base: Path, numbers: Iterator[str]) -> Callable[[int, str], object]:
    """A reader that hands each text to a real responder on a fresh store, from one of 200 numbers."""
    import years

    from shared.store import FeedbackStore
    from sms.responder import Inbound, Responder

    responder = Responder(years.sms_settings(base), FeedbackStore(base / "store"))
    phones = list(itertools.islice(numbers, 200))
    run = itertools.count()

    def handle(index: int, text: str) -> object:
        n = next(run)
        received = years.NOW + timedelta(minutes=3 * n)
        return responder.handle(Inbound(sid=f"SMb{n}", sender=phones[n % len(phones)], body=text, received=received))

    return handle


def speed(table: dict, handled: int) -> None:
    """Print the CPU a text costs, read alone and handled whole, warm and cold, beside the floor."""
    import years

    texts = [text for section in table.values() for text, _ in section["cases"]]
    sample = texts[:: max(1, len(texts) // handled)][:handled]
    long_text = ["3 " + years.PRAISE] * 300  # bench/years.py's text: a 3 and 100 characters that agree
    parse = lambda index, text: parse_reply(text)  # noqa: E731
    cpu_per_text(texts, parse)  # every word list loaded, every pattern compiled
    floor = cpu_per_text(texts, split_words)
    numbers = years.valid_numbers("303")
    print(f"{'CPU per text (ms)':<48} {'warm':>7} {'cold':>7} {'cold/warm':>10} {'warm/floor':>11}")
    for label, mix, handing in (
        (f"parse_reply, {len(texts)} rows", texts, False),
        (f"parse_reply, bench/years.py's text x{len(long_text)}", long_text, False),
        (f"Responder.handle, {len(sample)} rows, 200 numbers", sample, True),
        (f"Responder.handle, bench/years.py's text x{len(long_text)}", long_text, True),
    ):
        with tempfile.TemporaryDirectory(dir="/tmp") as warm_dir, tempfile.TemporaryDirectory(dir="/tmp") as cold_dir:
            warm_read = handled_texts(Path(warm_dir), numbers) if handing else parse
            cold_read = handled_texts(Path(cold_dir), numbers) if handing else parse
            warm, cold = cpu_per_text(mix, warm_read), cpu_per_text(mix, cold_read, cold=True)
        print(f"{label:<48} {warm:>7.3f} {cold:>7.3f} {cold / warm:>9.2f}x {warm / floor:>10.0f}x")
    print(f"floor (str.casefold().split() on the rows): {1e3 * floor:.2f} µs a text")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, nargs="+", default=CASES)
    parser.add_argument("--show", action="store_true", help="list every row that is not acceptable")
    parser.add_argument("--speed", action="store_true", help="print the CPU a text costs instead of the scores")
    parser.add_argument("--handled", type=int, default=2000, help="rows handed to a whole responder (--speed)")
    args = parser.parse_args()
    table = {}
    for path in args.cases:
        table.update(tomllib.loads(path.read_text(encoding="utf-8")))
    if args.speed:
        speed(table, args.handled)
        return 0
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
