"""The most frequent words and two-word phrases of fell-short comments: plain counting, stop words left out.

Pure. The stop words are data, one file a language (``shared/stopwords/en.txt``, ``es``, ``fr``,
``de``, ``pt``, ``it``: the languages of the SMS word lists), so a shop can read and extend them.
Digits are never counted: a number a customer wrote is no topic (and may be theirs).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
LANGUAGES = ("en", "es", "fr", "de", "pt", "it")


@cache
def stop_words(languages: tuple[str, ...] = LANGUAGES) -> frozenset[str]:
    """The stop words of ``languages``, lower case, from the data files."""
    words: set[str] = set()
    folder = resources.files("shared") / "stopwords"
    for language in languages:
        text = (folder / f"{language}.txt").read_text(encoding="utf-8")
        words.update(line.strip().casefold() for line in text.splitlines() if line.strip() and line[0] != "#")
    return frozenset(words)


def terms(text: str, stops: frozenset[str]) -> tuple[list[str], list[str]]:
    """The words of ``text`` that are no stop words, and its phrases: two such words side by side."""
    words = [match.group().casefold().replace("’", "'") for match in WORD.finditer(text)]
    # "wasn't" counts as "wasn" + "t" would: split at the apostrophe for the stop-word check.
    kept: list[str | None] = [None if _is_stop(word, stops) or len(word) < 2 else word for word in words]
    singles = [word for word in kept if word]
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(kept) if a and b]
    return singles, pairs


def _is_stop(word: str, stops: frozenset[str]) -> bool:
    return word in stops or all(part in stops for part in word.split("'"))


@dataclass(frozen=True, slots=True)
class Frequent:
    """The top words and phrases of some comments, most first (ties by the word)."""

    comments: int
    words: tuple[tuple[str, int], ...]
    phrases: tuple[tuple[str, int], ...]


def most_frequent(texts: Iterable[str], *, top: int = 10, stops: frozenset[str] | None = None) -> Frequent:
    """Count each word once per comment (one angry customer repeating "slow" is one voice)."""
    stops = stop_words() if stops is None else stops
    words: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    count = 0
    for text in texts:
        count += 1
        singles, pairs = terms(text, stops)
        words.update(set(singles))
        phrases.update(set(pairs))
    return Frequent(count, _top(words, top), _top(Counter({p: n for p, n in phrases.items() if n > 1}), top))


def _top(counts: Counter[str], top: int) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top])
