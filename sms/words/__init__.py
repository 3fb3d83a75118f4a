"""Word lists for reading replies, one TOML file per language plus the reactions' verbs.

Data, not code, so that a language grows by editing a list; loaded once (:func:`lexicon`).
Every entry is lower-case without accents or apostrophes, as :func:`fold` leaves a text.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources

from shared.ratings import Outcome

__all__ = ["LANGUAGES", "Emoji", "Lexicon", "Reactions", "emoji", "fold", "lexicon", "reactions"]

LANGUAGES = ("en", "es", "fr", "de", "pt", "it")
_APOSTROPHES = re.compile("['’‘`´]")
_ASCII_APOSTROPHES = str.maketrans("", "", "'`")
# A word is folded again and again (every rule, every question compared): remembered, up to this length.
_WORD_LENGTH = 40


def fold(text: str) -> str:
    """Lower-case, accents and apostrophes taken out: how every list and every text is compared."""
    if text.isascii():  # most texts: no accent to take out, and ASCII casefold is lower
        return text.lower().translate(_ASCII_APOSTROPHES)
    return _fold_word(text) if len(text) <= _WORD_LENGTH else _fold(text)


@functools.lru_cache(maxsize=8192)
def _fold_word(word: str) -> str:
    return _fold(word)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _APOSTROPHES.sub("", "".join(char for char in decomposed if not unicodedata.combining(char)))


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Every language's lists merged: a reply may mix languages, and most words mean one thing in all."""

    opt_out_keywords: frozenset[str]
    opt_in_keywords: frozenset[str]
    opt_in_when_opted_out: frozenset[str]
    help_keywords: frozenset[str]
    opt_out_phrases: tuple[re.Pattern[str], ...]
    not_opt_out: tuple[re.Pattern[str], ...]
    opt_out_unclear: tuple[re.Pattern[str], ...]
    denied_before: tuple[str, ...]
    denied_after: tuple[str, ...]
    asked: tuple[re.Pattern[str], ...]
    numbers: dict[str, int]
    units: frozenset[str]
    sentence_verbs: frozenset[str]
    scale_words: dict[str, int]
    words: dict[str, Outcome]
    positive: frozenset[str]
    unclear: frozenset[str]
    neutral: tuple[str, ...]
    starters: frozenset[str]
    contrasts: frozenset[str]
    concessions: frozenset[str]
    determiners: frozenset[str]
    conditionals: frozenset[str]
    negators: frozenset[str]
    quiet_negators: frozenset[str]
    fillers: frozenset[str]
    conditions: frozenset[str]
    before_amounts: frozenset[str]
    intensifiers: tuple[str, ...]
    plainly_denied: frozenset[str]
    courtesies: frozenset[str]
    greetings: tuple[str, ...]
    hashtags: dict[str, str]
    confirmations: tuple[str, ...]
    topics: frozenset[str]
    complaint_cues: tuple[str, ...]
    aliases: dict[str, str]
    phrases: dict[str, Outcome]
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    yes: frozenset[str]
    emphatic: frozenset[str]
    no: frozenset[str]


@dataclass(frozen=True, slots=True)
class Reactions:
    """Tapback wording outside the quote: verb -> outcome (None: not an answer), and emoji templates."""

    verbs: dict[str, Outcome | None]
    removed: frozenset[str]
    removal_starts: tuple[str, ...]
    emoji_templates: tuple[str, ...]
    media: tuple[str, ...]


def _load(name: str) -> dict:
    return tomllib.loads(resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8"))


@functools.cache
def lexicon() -> Lexicon:
    tables = [_load(language) for language in LANGUAGES]

    def merged(section: str, key: str) -> list[str]:
        return [fold(entry) for table in tables for entry in table.get(section, {}).get(key, [])]

    def merged_map(section: str) -> dict:
        return {fold(key): value for table in tables for key, value in table.get(section, {}).items()}

    words: dict[str, Outcome] = {}
    for outcome in Outcome:
        words.update(dict.fromkeys(merged("words", str(outcome)), outcome))
    aliases = {
        fold(key): fold(value) for table in tables for key, value in table.get("words", {}).get("aliases", {}).items()
    }
    return Lexicon(
        opt_out_keywords=frozenset(merged("keywords", "opt_out")),
        opt_in_keywords=frozenset(merged("keywords", "opt_in")),
        opt_in_when_opted_out=frozenset(merged("keywords", "opt_in_when_opted_out")),
        help_keywords=frozenset(merged("keywords", "help")),
        opt_out_phrases=tuple(re.compile(pattern) for pattern in merged("opt_out", "phrases")),
        not_opt_out=tuple(re.compile(pattern) for pattern in merged("opt_out", "not_phrases")),
        opt_out_unclear=tuple(re.compile(pattern) for pattern in merged("opt_out", "unclear_with")),
        denied_before=tuple(merged("opt_out", "denied_before")),
        denied_after=tuple(merged("opt_out", "denied_after")),
        asked=tuple(re.compile(pattern) for pattern in merged("opt_out", "asked")),
        numbers=merged_map("numbers"),
        units=frozenset(merged("amounts", "units")),
        sentence_verbs=frozenset(merged("amounts", "verbs")),
        scale_words=merged_map("scale_words"),
        words=words,
        positive=frozenset(merged("words", "positive")),
        unclear=frozenset(merged("words", "unclear")),
        starters=frozenset(merged("words", "starters")),
        contrasts=frozenset(merged("words", "contrasts")),
        concessions=frozenset(merged("words", "concessions")),
        determiners=frozenset(merged("words", "determiners")),
        conditionals=frozenset(merged("words", "conditionals")),
        neutral=tuple(sorted(merged("words", "neutral") + merged("words", "reassurances"), key=len, reverse=True)),
        negators=frozenset(merged("words", "negators")),
        quiet_negators=frozenset(merged("words", "quiet_negators")),
        fillers=frozenset(merged("words", "fillers")),
        conditions=frozenset(merged("words", "conditions")),
        before_amounts=frozenset(merged("words", "before_amounts")),
        intensifiers=tuple(sorted(merged("words", "intensifiers"), key=len, reverse=True)),
        plainly_denied=frozenset(merged("words", "plainly_denied")),
        courtesies=frozenset(merged("words", "courtesies")),
        greetings=tuple(merged("words", "greetings")),
        hashtags={key: fold(value) for key, value in merged_map("hashtags").items()},
        confirmations=tuple(sorted(merged("words", "confirmations"), key=len, reverse=True)),
        topics=frozenset(merged("words", "topics")),
        complaint_cues=tuple(merged("words", "complaint_cues")),
        aliases=aliases,
        phrases={key: Outcome(value) for key, value in merged_map("phrases").items()},
        rewrites=tuple(
            (re.compile(pattern), replacement)
            for table in tables
            for pattern, replacement in table.get("rewrites", {}).items()
        ),
        yes=frozenset(merged("yes_no", "yes")),
        emphatic=frozenset(merged("yes_no", "emphatic")),
        no=frozenset(merged("yes_no", "no")),
    )


@functools.cache
def reactions() -> Reactions:
    table = _load("reactions")
    verbs: dict[str, Outcome | None] = {}
    for name, entries in table["verbs"].items():
        if name in ("removed", "removal_starts"):
            continue
        outcome = None if name == "unclear" else Outcome(name)
        verbs.update(dict.fromkeys((fold(entry) for entry in entries), outcome))
    return Reactions(
        verbs=verbs,
        removed=frozenset(fold(entry) for entry in table["verbs"]["removed"]),
        removal_starts=tuple(fold(entry) for entry in table["verbs"]["removal_starts"]),
        emoji_templates=tuple(fold(entry) for entry in table["emoji"]["reacted"]),
        media=tuple(fold(entry) for entry in table["media"]["nouns"]),
    )


@dataclass(frozen=True, slots=True)
class Emoji:
    """Each emoji's answer, those that say nothing, the stars that are counted, and emoticons."""

    outcomes: dict[str, Outcome]
    neutral: frozenset[str]
    stars: frozenset[str]
    sarcasm: frozenset[str]
    emoticons: dict[str, str]


@functools.cache
def emoji() -> Emoji:
    table = _load("emoji")
    outcomes: dict[str, Outcome] = {}
    for outcome in Outcome:
        outcomes.update(dict.fromkeys(table["emoji"][str(outcome)], outcome))
    return Emoji(
        outcomes=outcomes,
        neutral=frozenset(table["emoji"]["neutral"]),
        stars=frozenset(table["emoji"]["stars"]),
        sarcasm=frozenset(table["emoji"]["sarcasm"]),
        emoticons=dict(table["emoticons"]),
    )
