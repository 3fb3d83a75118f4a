"""A leading answer and the comment after it: digits, number words, stated scales, labels, an emoji."""

from __future__ import annotations

import functools
import re

from shared.ratings import Outcome
from sms.replies.message import EMOJI, NEUTRAL_EMOJI, NUMBERS, SARCASM, STARS, Message, is_emoji
from sms.replies.reply import Reply, ReplyKind
from sms.replies.words import BARE, Reading, any_of, close_typo, complaint_cue, known_word, read_words, unclear_phrase
from sms.words import fold, lexicon

LABELS: dict[str, Outcome] = {
    "exceeded": Outcome.EXCEEDED,
    "exceed": Outcome.EXCEEDED,
    "exceeds": Outcome.EXCEEDED,
    "exceeded expectations": Outcome.EXCEEDED,
    "above and beyond": Outcome.EXCEEDED,
    "met": Outcome.MET,
    "met expectations": Outcome.MET,
    "below": Outcome.BELOW,
    "below expectations": Outcome.BELOW,
    "fell short": Outcome.BELOW,
    "fall short": Outcome.BELOW,
    "falls short": Outcome.BELOW,
}
_PREFIX = re.compile(
    r"^\W*(?:(?:my\s+)?(?:rating|rate|answer|score|vote|reply)(?:\s+is)?|i(?:'?d|\s+would)?\s+(?:say|give(?:\s+(?:it|you|u|ya))?|rate\s+(?:it|you|u))"
    r"|id\s+(?:say|give\s+(?:it|you|u))|i\s+(?:choose|pick|vote)"
    r"|i(?:'?ll|\s+will)\s+(?:say|go\s+(?:with|for)|give\s+(?:it|you|u|ya))|(?:i'?m\s+)?(?:going\s+to|gonna)\s+(?:say|go\s+with)"
    r"|i\s+want\s+to\s+say|(?:it|that)(?:'?s|\s+was|\s+is)\s+(?=an?\s)|(?:i'?d\s+|i\s+)?give\s+(?:it|you|u|ya)(?:\s+(?:guys|all|folks))?|(?:you|u)\s+get"
    r"|(?:an?\s+)?(?:definitely|def|defo|easily|absolutely|clearly|obviously|happily|gladly|solid|strong|firm)(?=\s+(?:an?\s+)?(?:\d|one\b|two\b|three\b))|option|number|no\.|num|nr\.?|#)\W*(?:an?\s+)?(?=\w|[⭐🌟★])"
    r"|^\W*an?\s+(?=\d|one\b|two\b|three\b|uno\b|dos\b|tres\b)",
    re.IGNORECASE,
)
# The tops of the scales people rate on: "4/5", "9/10", "100/100"; x/3 is our own.
SCALE_TOPS = frozenset({3, 4, 5, 6, 7, 10, 20, 100})
_SCALE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:/|out\s+of|outta|of|de|sur|von|su)\s*(\d+)(?![\d:])", re.IGNORECASE)
_STAR_WORDS = re.compile(
    r"^(\w+)[\s-]*(?:stars?|estrellas?|étoiles?|sterne?|stelle|estrelas?|[⭐🌟★]+)(?!\w)", re.IGNORECASE
)
_WORD_SCALE = re.compile(r"^([^\W\d_]+)(\s+(?:out\s+of|outta|of)\s+)([^\W\d_]+|\d+)(?!\w)", re.IGNORECASE)


@functools.cache
def _greeting() -> re.Pattern[str]:
    """A greeting (the ``greetings`` lists) and a "Dear Sam" before the answer, with the marks after them."""
    words = "|".join(
        re.escape(word).replace(r"\ ", r"\s+") for word in sorted(lexicon().greetings, key=len, reverse=True)
    )
    return re.compile(rf"^\W*(?:{words}|dear\s+\w+)(?:\s*[,.!:;-]+\s*|\s+)(?=\S)", re.IGNORECASE)


@functools.cache
def _numbered_phrases() -> tuple[str, ...]:
    return tuple(phrase for phrase in lexicon().phrases if phrase[:1].isdecimal())


@functools.cache
def _phrase_starts() -> tuple[str, ...]:
    return tuple(lexicon().phrases)


def _scale_in_digits(found: re.Match[str]) -> str:
    counted = {**lexicon().numbers, **lexicon().scale_words}
    number, top = (fold(found.group(index)) for index in (1, 3))
    if number not in counted or not (top.isdecimal() or top in counted):
        return found.group()
    return f"{counted[number]}{found.group(2)}{top if top.isdecimal() else counted[top]}"


_PERCENT = re.compile(r"^(\d+)\s*%")
_NUMBER = re.compile(r"^(\d+)(?P<rest>.*)$", re.DOTALL)
_LABEL_LEAD = re.compile(
    "^(?P<lead>"
    + "|".join(sorted((re.escape(label) for label in LABELS), key=len, reverse=True))
    + r"|[^\W\d_]+)(?!\w)(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_CURRENCY = "$£€¥₹"
# "#1 service", "number one store": praise, not the answer 1 (a person reads it).
_RANKED = re.compile(
    r"^\W*(?:#|number|no\.|num|nr\.?)\s*(?:1|one)\s+(?=[^\W\d_])(?!(?:please|pls|thanks|thank|cheers|ta)\b)",
    re.IGNORECASE,
)
_SEPARATORS = " \t\n-–—:;.,!?)]}*~=>/|\\'\""
# Compiled once: each is tried on every text that starts with an answer.
_HELD_BACK = re.compile(r"\s*(?:\.{2,}|…)\s*[^\s.…]")
_LETTERS = re.compile(r"[^\W\d_]+")
_NUMBER_AFTER = re.compile(r"(?<![\w.,:/])\d+(?P<rest>.*)", re.DOTALL)
_DESPITE = re.compile(r"(?:even )?(?:though|although|tho|despite)\b")
_AMOUNT_MARK = re.compile(rf"^\s*[{_CURRENCY}%]|^[:h]\d|^[.,]\d|^[x×](?!\w)|^\s+[x×](?!\w)(?!\s*$)", re.IGNORECASE)
_FIRST_WORD = re.compile(r"^\s*([^\W\d_]+(?:\.[a-z])?)", re.IGNORECASE)
_LATIN_WORD = re.compile(r"^ +([A-Za-z\u00c0-\u024f]+)(?!\w)")
_NO_ANSWER_START = re.compile(rf"^\s*[{_CURRENCY}]|^\s*-\s*\d")
_OUT_OF = re.compile(r"\s*(?:/|out\s+of|of)\s*(\d+)(?!\d)", re.IGNORECASE)
_DECIMAL = re.compile(r"^[.,]\d(?!\d*\s*[%:])")
_RUN_ON = re.compile(r"^[^\W\d_]")
_SET_APART = re.compile(r"\s*[-–—:;.,!)]|\s*$")
_ANOTHER_ANSWER = re.compile(r"^(?:(?:or|and|to|then|&|o|y)\s+)?(\d+|[^\W\d_]+)(?!\w)(.*)$", re.IGNORECASE | re.DOTALL)
_LABEL_STARTS = tuple(
    (label, re.compile(rf"^{re.escape(label)}(?!\w)", re.IGNORECASE)) for label in sorted(LABELS, key=len, reverse=True)
)


def _scale_outcome(number: float, top: float) -> Outcome | None:
    """On a stated scale only the ends are sure: 10/10 exceeded, 0/10 and 1/5 fell short; x/3 is the answer x."""
    if top == 3 and number in NUMBERS:
        return NUMBERS[int(number)]
    if top not in SCALE_TOPS:
        return None  # "50/50", "24/7", "2/2" are no scales
    if number >= top:
        return Outcome.EXCEEDED
    if number == 0 or (number == 1 and top >= 5):
        return Outcome.BELOW
    return None


def _rated(outcome: Outcome | None, rest: str, *, strict: bool = False, strict_words: bool = False) -> Reply:
    """The answer, unless what follows contradicts it: then a person reads it.

    After a number only the direction must agree ("3 👍", "1 😡 slow"); after a label the words
    must say the same ("met and exceeded" is unclear); after an emoji, which says less, the emoji
    and the words too ("👍 great" is unclear, "👍 thanks" met).
    """
    unclear = Reply(ReplyKind.UNCLEAR, rule="rating")
    if _HELD_BACK.match(rest):
        return unclear  # "5 stars... for the parking": a thought held back
    if outcome is None or unclear_phrase(fold(rest)) or SARCASM & set(rest):
        return unclear  # "3 /s", "2 jk", "3 🙄"
    if lexicon().opt_out_keywords & set(_LETTERS.findall(fold(rest))):
        return unclear  # "1. Stop.": an answer, and a wish to hear no more? A person reads it
    comment = rest.strip(_SEPARATORS + " ").strip()
    # The comment may start by repeating the answer ("3 exceeded", "1 - fell short", "3 👍").
    while (echoed := _echo(comment)) is not None:
        echo_outcome, after, by_emoji = echoed
        # after a number an emoji need only agree in direction, and a neutral one says nothing ("1 :/", "3 😂")
        loose = by_emoji and not strict and (echo_outcome is None or _agree(echo_outcome, outcome))
        if echo_outcome is not outcome and not loose:
            return unclear  # "1 2 3", "1 or 3", "1 exceeded", "1 👍"
        comment = after
    for number in _NUMBER_AFTER.finditer(comment):
        if not _is_quantity(number.group("rest")):
            return unclear  # "2 maybe 3", "1 then 2"
    if outcome is not Outcome.BELOW and complaint_cue(fold(comment)):
        return unclear  # "3 still waiting", "2 for effort lol": the comment takes the answer back
    said = read_words(comment) if comment else Reading()
    if said.unclear:
        return unclear  # "2 kind of", "3 not sure"
    if outcome is Outcome.BELOW and _DESPITE.match(fold(comment)):
        # A complaint stands despite a kind word ("1 even though the cake was nice"); praise with a
        # complaint ("3 though the wait was long") is for a person.
        return Reply(ReplyKind.RATING, outcome, comment=comment, rule="rating")
    for other, strength in said.signals:
        if other is not outcome and strength > BARE and (strict or strict_words or not _agree(other, outcome)):
            return unclear  # "1 great service" (a scale read upside down), "👍 great", "3 but terrible"
    return Reply(ReplyKind.RATING, outcome, comment=comment, rule="rating")


def _agree(first: Outcome, second: Outcome) -> bool:
    return first.is_unmet == second.is_unmet


def _is_quantity(rest: str) -> bool:
    """What follows a number makes it an amount: "3 hours", "3pm", "2nd", "$3", "1:30", "3 people"."""
    if _AMOUNT_MARK.match(rest):
        return True
    found = _FIRST_WORD.match(fold(rest))  # "3 o'clock"
    if not found:
        return False
    word = fold(found.group(1))
    known = lexicon()
    folded = fold(rest).strip()  # once, not once a phrase
    if folded.startswith(_phrase_starts()):
        return False  # "3 of course"
    if word in known.units:
        return not (folded == word and word in known.courtesies)  # "3 x": a kiss to sign off, not "3 times"
    listed = word in known.words or word in known.fillers or word in known.positive or word in LABELS
    # "3 coffees", "2 cashiers": a plural that is no answer word is something counted
    return len(word) >= 4 and word.endswith("s") and not listed and word not in ("thanks", "was", "is", "has", "yes")


def _says_nothing_after(rest: str) -> bool:
    """A number run straight into a word we do not know, with no opinion after it, may be a count."""
    found = _LATIN_WORD.match(rest)  # Latin script: other scripts are comments
    if not found:
        return False
    if found.group(1)[:1].isupper() and found.group(1)[1:].islower() and not rest[found.end() :].strip():
        return False  # "3 Maria": the answer and who made the day (a count would be "3 coffees")
    folded = fold(found.group(1))
    if folded in lexicon().sentence_verbs or (len(folded) > 4 and folded.endswith("ed") and not folded.endswith("eed")):
        return False  # "1 waited a while", "1 took ages": a sentence about the visit, not "1 guy"
    if known_word(folded) is not None or folded in lexicon().courtesies or found.group(1).casefold() in LABELS:
        return False  # a word we know ("3 the coffee was hot"), or "3 x": a kiss
    reading = read_words(rest)  # only then, as it costs the most
    return not reading.signals and not reading.positive


def rating(message: Message) -> Reply | None:
    """``3``, ``(1) slow``, ``I'd say 2``, ``2/3``, ``10/10``, ``5 stars``, ``exceeded - great``, ``👍 thanks``."""
    text = message.text
    if _NO_ANSWER_START.match(text):
        return None  # "$3", "-1"
    text = _greeting().sub("", text, count=1)  # "Hello, 1 - the wait", "Hola, 3"
    if _RANKED.match(text):
        return Reply(ReplyKind.UNCLEAR, rule="rating")
    text = _PREFIX.sub("", text.lstrip("([{*'\" "), count=1).strip()
    stars = len(text) - len(text.lstrip("".join(STARS)))
    if stars:
        return _rated(Outcome.EXCEEDED if stars >= 5 else None, text[stars:])
    text = _WORD_SCALE.sub(_scale_in_digits, text, count=1)  # "ten out of ten" is "10 out of 10"
    if found := _SCALE.match(text):
        number, top = float(found.group(1).replace(",", ".")), float(found.group(2))
        return _rated(_scale_outcome(number, top), text[found.end() :])
    if found := _STAR_WORDS.match(text):
        word = fold(found.group(1))
        count = int(word) if word.isdecimal() else lexicon().scale_words.get(word, lexicon().numbers.get(word))
        if count is None:
            return None
        rest = text[found.end() :]
        if top := _OUT_OF.match(rest):  # "3 stars out of 3"
            return _rated(_scale_outcome(count, int(top.group(1))), rest[top.end() :])
        return _rated(Outcome.EXCEEDED if count >= 5 else Outcome.BELOW if count <= 1 else None, rest)
    if found := _PERCENT.match(text):
        percent, rest = int(found.group(1)), text[found.end() :]
        said = read_words(rest)
        if percent >= 100 and said.signals and all(strength == BARE for _, strength in said.signals):
            return _rated(said.outcome(), rest)  # "100% yes": an emphatic yes, which is met
        return _rated(Outcome.EXCEEDED if percent >= 100 else Outcome.BELOW if percent == 0 else None, rest)
    if text and (text[0] in EMOJI or text[0] in NEUTRAL_EMOJI):
        return _rated(EMOJI.get(text[0]), text[1:], strict=True)
    if found := _NUMBER.match(text):
        rest = found.group("rest")
        if fold(text).startswith(_numbered_phrases()):
            return None  # "2 thumbs up": the number belongs to a listed phrase, which the words rule reads
        if _DECIMAL.match(rest):
            return Reply(ReplyKind.UNCLEAR, rule="rating")  # "3.5"
        if _is_quantity(rest):
            return None  # read for words: "3 hours wait, terrible"
        if _RUN_ON.match(rest):
            return Reply(ReplyKind.UNCLEAR, rule="rating")  # "3e", "2w": a typo, an ordinal, a code?
        number = int(found.group(1)) if len(found.group(1)) < 6 else 0
        if _says_nothing_after(rest):
            return Reply(ReplyKind.UNCLEAR, rule="rating")  # "1 guy at the register": a count or an answer?
        return _rated(NUMBERS.get(number), rest)
    found = _LABEL_LEAD.match(text)
    if not found:
        return None
    lead, rest = fold(found.group("lead")), found.group("rest")
    if lead in lexicon().numbers:
        confirmed = any_of(lexicon().confirmations).sub(" ", fold(rest))  # "three for sure", "a three from me"
        courtesy = all(word in lexicon().courtesies for word in _LETTERS.findall(confirmed))  # "two please"
        apart = not rest.strip() or _SET_APART.match(rest) or is_emoji(rest.strip()[0])
        if not apart and not courtesy:
            return None  # "one of your staff was rude" is not an answer "1"
        return _rated(NUMBERS.get(lexicon().numbers[lead]), rest)
    typo = close_typo(lead, LABELS, shortest=5) if lead not in lexicon().topics else None  # "excess" is a word
    outcome = LABELS.get(lead) or LABELS.get(typo or "")
    if outcome is None:
        return None
    if rest.lstrip().startswith("?"):
        return Reply(ReplyKind.UNCLEAR, rule="rating")  # "Exceeded? Hardly.", "fell short?" asked back
    return _rated(outcome, rest, strict_words=True)  # "met and exceeded" is unclear, "exceeded 👍" is not


def _echo(comment: str) -> tuple[Outcome | None, str, bool] | None:
    """If ``comment`` starts with another answer: its outcome (None: unknown), the rest, and whether an emoji."""
    if not comment:
        return None
    if comment[0] in EMOJI or comment[0] in NEUTRAL_EMOJI:
        return EMOJI.get(comment[0]), comment[1:].strip(_SEPARATORS).strip(), True
    found = _ANOTHER_ANSWER.match(comment)
    if found:
        word = fold(found.group(1))
        if word.isdecimal() and not _is_quantity(found.group(2)):
            return NUMBERS.get(int(word) if len(word) < 6 else 0), found.group(2).strip(_SEPARATORS).strip(), False
        if word in lexicon().numbers and not found.group(2).strip(_SEPARATORS):
            return NUMBERS.get(lexicon().numbers[word]), "", False
    for label, start in _LABEL_STARTS:
        if start.match(comment):
            return LABELS[label], comment[len(label) :].strip(_SEPARATORS).strip(), False
    return None
